"""TFDS test of the synthetic_chromosomes builder: runs the real generator at
the ``tiny`` size (2/1/1 karyotypes of 46 chromosomes), offline."""

import pathlib

import tensorflow_datasets as tfds

from tfds_builders.synthetic_chromosomes import synthetic_chromosomes_dataset_builder


class SyntheticChromosomesTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = synthetic_chromosomes_dataset_builder.SyntheticChromosomes
    BUILDER_CONFIG_NAMES_TO_TEST = ["tiny"]
    SPLITS = {"train": 92, "validation": 46, "test": 46}
    # A generated dataset has no dummy_data/ to read. The test case still
    # mocks the download and manual dirs with an existing folder; the
    # builder's own package folder serves (the builder never reads it).
    EXAMPLE_DIR = str(
        pathlib.Path(synthetic_chromosomes_dataset_builder.__file__).parent)
    SKIP_CHECKSUMS = True  # nothing is downloaded


if __name__ == "__main__":
    tfds.testing.test_main()
