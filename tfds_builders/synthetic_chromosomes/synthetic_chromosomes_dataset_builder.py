"""synthetic_chromosomes: procedurally generated Q-banded chromosomes
(a BioImLab chromosome set look-alike).

Nothing is downloaded. Each split is a set of synthetic karyotypes (46
chromosomes each: 22 autosome pairs plus XX, or X and Y for the 2 in 5
karyotypes that are male), drawn by
``tfds_builders.synthetic_common.render_chromosome``; the karyotype's scale,
width and brightness come from ``example_rng(seed, split, karyotype, 0)``
and each chromosome from ``example_rng(seed, split, karyotype, 1 + position)``,
so two ``download_and_prepare`` runs give byte-identical examples and no
karyotype is in two splits. Features and class names are those of the
``bioimlab_chromosomes`` builder, so a reproduction can swap the two names.
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders import synthetic_common


@dataclasses.dataclass(eq=False)
class SyntheticChromosomesConfig(tfds.core.BuilderConfig):
    """Karyotypes (46 chromosomes each) per split, and the generator seed."""

    train_karyotypes: int = 20
    validation_karyotypes: int = 4
    test_karyotypes: int = 8
    seed: int = 0

    def split_sizes(self) -> dict[str, int]:
        return {
            "train": self.train_karyotypes,
            "validation": self.validation_karyotypes,
            "test": self.test_karyotypes,
        }


class SyntheticChromosomes(tfds.core.GeneratorBasedBuilder):
    """Synthetic banded chromosomes, 24 classes, grouped in karyotypes."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [
        SyntheticChromosomesConfig(
            name="tiny",
            description="2/1/1 karyotypes (92/46/46 chromosomes), for unit tests.",
            train_karyotypes=2, validation_karyotypes=1, test_karyotypes=1),
        SyntheticChromosomesConfig(
            name="default",
            description=("20/4/8 karyotypes (920/184/368 chromosomes); prepares "
                         "in a few seconds."),
            train_karyotypes=20, validation_karyotypes=4, test_karyotypes=8),
        SyntheticChromosomesConfig(
            name="large",
            description=("80/12/24 karyotypes (5,336 chromosomes), about the "
                         "size of the BioImLab set."),
            train_karyotypes=80, validation_karyotypes=12, test_karyotypes=24),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "default"

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 1)),
                "label": tfds.features.ClassLabel(
                    names=list(synthetic_common.CHROMOSOME_CLASSES)),
                "karyotype": tfds.features.Text(),
                "copy": tfds.features.Text(),
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

    def _generate_examples(self, split: str, num_karyotypes: int):
        seed = self.builder_config.seed
        for key, ex in synthetic_common.chromosome_examples(
                seed, split, num_karyotypes):
            yield key, {
                "image": synthetic_common.png_bytes(ex["image"]),
                "label": ex["label"],
                "karyotype": ex["karyotype"],
                "copy": ex["copy"],
                "id": ex["id"],
            }
