"""TFDS builder package: synthetic_hep2 (builder not written yet)."""
