"""synthetic_snphep2: procedurally generated HEp-2 cells (an SNPHEp-2 look-alike).

Nothing is downloaded: every example is drawn by
``tfds_builders.synthetic_snphep2.generator.render_cell`` from a numpy
Generator seeded with ``(config.seed, split, index)``, so two
``download_and_prepare`` runs give byte-identical examples. Features, class
names, split names and the ``split_1`` .. ``split_5`` configs are those of the
``snphep2`` builder, so a reproduction can swap the two names.
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders import synthetic_base
from tfds_builders.snphep2 import snphep2_dataset_builder as real
from tfds_builders.synthetic_snphep2 import generator


@dataclasses.dataclass(eq=False)
class SyntheticSnphep2Config(synthetic_base.SyntheticConfig):
    """Images per class in each split, the generator seed and, as in
    ``snphep2``, ``split_index`` k: only the ``Split-50-k``-like half."""

    SPLIT_NAMES = real.SUBSETS

    train_per_class: int = 40
    test_per_class: int = 40
    split_index: int | None = None


class SyntheticSnphep2(synthetic_base.SyntheticBuilder):
    """Synthetic HEp-2 cells in the five SNPHEp-2 staining patterns."""

    BUILDER_CONFIGS = [
        SyntheticSnphep2Config(
            name="tiny", description="5 x (2/2) cells, for unit tests.",
            train_per_class=2, test_per_class=2),
        SyntheticSnphep2Config(
            name="default",
            description="5 x (40/40) cells; prepares in about a second.",
            train_per_class=40, test_per_class=40),
        SyntheticSnphep2Config(
            name="large",
            description="5 x (181/196) cells, about the size of SNPHEp-2.",
            train_per_class=181, test_per_class=196),
    ] + [
        SyntheticSnphep2Config(
            name=f"split_{k}",
            description=(f"Like Split-50-{k}: half of each class of the default "
                         "config's train and test sets, 5 x (20/20) cells."),
            train_per_class=40, test_per_class=40, split_index=k)
        for k in range(1, real.NUM_SPLITS + 1)
    ]

    def _features(self):
        return {
            "image": tfds.features.Image(shape=(None, None, 1)),
            "label": tfds.features.ClassLabel(names=list(generator.SNPHEP2_CLASSES)),
            "intensity": tfds.features.ClassLabel(names=real.INTENSITY_NAMES),
            "id": tfds.features.Text(),
        }

    def _examples(self, split: str, size: int):
        cfg = self.builder_config
        return generator.snphep2_examples(cfg.seed, split, size, cfg.split_index)
