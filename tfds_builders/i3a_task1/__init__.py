"""TFDS builder package ``i3a_task1``; importing it registers the builder."""
from tfds_builders.i3a_task1.i3a_task1_dataset_builder import I3aTask1  # noqa: F401
