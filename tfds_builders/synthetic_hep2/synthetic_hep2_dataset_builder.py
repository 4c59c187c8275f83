"""synthetic_hep2: procedurally generated HEp-2 cells (an I3A Task 1 look-alike).

Nothing is downloaded: every example is drawn by
``tfds_builders.synthetic_common.render_cell`` from a numpy Generator seeded
with ``(config.seed, split, index)``, so two ``download_and_prepare`` runs give
byte-identical examples. Features and class names are those of the
``i3a_task1`` builder, so a reproduction can swap the two names.
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders import synthetic_common


@dataclasses.dataclass(eq=False)
class SyntheticHep2Config(tfds.core.BuilderConfig):
    """Images per class in each split, and the generator seed."""

    train_per_class: int = 100
    validation_per_class: int = 20
    test_per_class: int = 40
    seed: int = 0

    def split_sizes(self) -> dict[str, int]:
        return {
            "train": self.train_per_class,
            "validation": self.validation_per_class,
            "test": self.test_per_class,
        }


class SyntheticHep2(tfds.core.GeneratorBasedBuilder):
    """Synthetic HEp-2 cells in the six I3A staining patterns, with masks."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [
        SyntheticHep2Config(
            name="tiny", description="6 x (2/1/1) cells, for unit tests.",
            train_per_class=2, validation_per_class=1, test_per_class=1),
        SyntheticHep2Config(
            name="default",
            description="6 x (100/20/40) cells; prepares in a few seconds.",
            train_per_class=100, validation_per_class=20, test_per_class=40),
        SyntheticHep2Config(
            name="large",
            description="6 x (1000/200/400) cells, about the size of I3A Task 1.",
            train_per_class=1000, validation_per_class=200, test_per_class=400),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "default"

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 1)),
                "mask": tfds.features.Image(shape=(None, None, 1)),
                "label": tfds.features.ClassLabel(
                    names=list(synthetic_common.HEP2_CLASSES)),
                "id": tfds.features.Text(),
            }),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        del dl_manager  # generated: nothing to download
        return {
            split: self._generate_examples(split, n)
            for split, n in self.builder_config.split_sizes().items()
        }

    def _generate_examples(self, split: str, num_per_class: int):
        seed = self.builder_config.seed
        for key, ex in synthetic_common.hep2_examples(seed, split, num_per_class):
            yield key, {
                "image": synthetic_common.png_bytes(ex["image"]),
                "mask": synthetic_common.png_bytes(ex["mask"]),
                "label": ex["label"],
                "id": ex["id"],
            }
