"""synthetic_hep2: procedurally generated HEp-2 cells (an I3A Task 1 look-alike).

Nothing is downloaded: every example is drawn by
``tfds_builders.synthetic_hep2.generator.render_cell`` from a numpy Generator
seeded with ``(config.seed, split, index)``, so two ``download_and_prepare``
runs give byte-identical examples. Features and class names are those of the
``i3a_task1`` builder, so a reproduction can swap the two names.
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders import synthetic_base
from tfds_builders.synthetic_hep2 import generator


@dataclasses.dataclass(eq=False)
class SyntheticHep2Config(synthetic_base.SyntheticConfig):
    """Images per class in each split, and the generator seed."""

    train_per_class: int = 100
    validation_per_class: int = 20
    test_per_class: int = 40


class SyntheticHep2(synthetic_base.SyntheticBuilder):
    """Synthetic HEp-2 cells in the six I3A staining patterns, with masks."""

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

    def _features(self):
        return {
            "image": tfds.features.Image(shape=(None, None, 1)),
            "mask": tfds.features.Image(shape=(None, None, 1)),
            "label": tfds.features.ClassLabel(names=list(generator.HEP2_CLASSES)),
            "id": tfds.features.Text(),
        }

    def _examples(self, split: str, size: int):
        return generator.hep2_examples(self.builder_config.seed, split, size)
