"""TFDS builder package ``snphep2``; importing it registers the builder."""
from tfds_builders.snphep2.snphep2_dataset_builder import Snphep2  # noqa: F401
