"""TFDS builder package ``bioimlab_chromosomes``; importing it registers the builder."""
from tfds_builders.bioimlab_chromosomes.bioimlab_chromosomes_dataset_builder import (  # noqa: F401
    BioimlabChromosomes,
)
