"""TFDS builder package: synthetic_chromosomes (generated, no download).

Importing this package registers the ``synthetic_chromosomes`` builder with TFDS.
"""
from tfds_builders.synthetic_chromosomes.synthetic_chromosomes_dataset_builder import (
    SyntheticChromosomes,
    SyntheticChromosomesConfig,
)

__all__ = ["SyntheticChromosomes", "SyntheticChromosomesConfig"]
