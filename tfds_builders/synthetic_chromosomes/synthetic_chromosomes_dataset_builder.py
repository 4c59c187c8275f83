"""synthetic_chromosomes: procedurally generated Q-banded chromosomes
(a BioImLab chromosome set look-alike).

Nothing is downloaded. Each split is a set of synthetic karyotypes (46
chromosomes each: 22 autosome pairs plus XX, or X and Y for the 2 in 5
karyotypes that are male), drawn by
``tfds_builders.synthetic_chromosomes.generator.render_chromosome``; the
karyotype's scale, width and brightness come from
``example_rng(seed, split, karyotype, 0)`` and each chromosome from
``example_rng(seed, split, karyotype, 1 + position)``, so two
``download_and_prepare`` runs give byte-identical examples and no karyotype is
in two splits. Features and class names are those of the
``bioimlab_chromosomes`` builder, so a reproduction can swap the two names.
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders import synthetic_base
from tfds_builders.synthetic_chromosomes import generator


@dataclasses.dataclass(eq=False)
class SyntheticChromosomesConfig(synthetic_base.SyntheticConfig):
    """Karyotypes (46 chromosomes each) per split, and the generator seed."""

    SIZE_SUFFIX = "_karyotypes"

    train_karyotypes: int = 20
    validation_karyotypes: int = 4
    test_karyotypes: int = 8


class SyntheticChromosomes(synthetic_base.SyntheticBuilder):
    """Synthetic banded chromosomes, 24 classes, grouped in karyotypes."""

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

    def _features(self):
        return {
            "image": tfds.features.Image(shape=(None, None, 1)),
            "label": tfds.features.ClassLabel(
                names=list(generator.CHROMOSOME_CLASSES)),
            "karyotype": tfds.features.Text(),
            "copy": tfds.features.Text(),
            "id": tfds.features.Text(),
        }

    def _examples(self, split: str, size: int):
        return generator.chromosome_examples(self.builder_config.seed, split, size)
