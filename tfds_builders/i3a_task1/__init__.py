"""TFDS builder package: i3a_task1 (builder not written yet)."""
