"""TFDS builder package: synthetic_snphep2 (generated, no download).

Importing this package registers the ``synthetic_snphep2`` builder with TFDS.
"""
from tfds_builders.synthetic_snphep2.synthetic_snphep2_dataset_builder import (
    SyntheticSnphep2,
    SyntheticSnphep2Config,
)

__all__ = ["SyntheticSnphep2", "SyntheticSnphep2Config"]
