"""TFDS builder package: bioimlab_chromosomes (builder not written yet)."""
