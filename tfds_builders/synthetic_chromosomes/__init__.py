"""TFDS builder package: synthetic_chromosomes (builder not written yet)."""
