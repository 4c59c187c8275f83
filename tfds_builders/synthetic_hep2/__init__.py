"""TFDS builder package: synthetic_hep2 (generated, no download).

Importing this package registers the ``synthetic_hep2`` builder with TFDS.
"""
from tfds_builders.synthetic_hep2.synthetic_hep2_dataset_builder import (
    SyntheticHep2,
    SyntheticHep2Config,
)

__all__ = ["SyntheticHep2", "SyntheticHep2Config"]
