"""TensorFlow Datasets builders for the suite.

Importing this package registers every builder with TFDS, so that
``tfds.load("<name>", ...)`` and ``tfds.builder("<name>", ...)`` find them.
"""
from tfds_builders.errors import DatasetInputError  # noqa: F401
from tfds_builders import bioimlab_chromosomes  # noqa: F401
from tfds_builders import i3a_task1  # noqa: F401
from tfds_builders import snphep2  # noqa: F401
from tfds_builders import synthetic_chromosomes  # noqa: F401
from tfds_builders import synthetic_hep2  # noqa: F401
from tfds_builders import synthetic_snphep2  # noqa: F401
