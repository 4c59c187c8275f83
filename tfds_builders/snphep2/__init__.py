"""TFDS builder package: snphep2 (builder not written yet)."""
