"""TFDS test of the synthetic_hep2 builder: runs the real generator at the
``tiny`` size (6 x (2/1/1) cells), offline."""

import pathlib

import tensorflow_datasets as tfds

from tfds_builders.synthetic_hep2 import synthetic_hep2_dataset_builder


class SyntheticHep2Test(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = synthetic_hep2_dataset_builder.SyntheticHep2
    BUILDER_CONFIG_NAMES_TO_TEST = ["tiny"]
    SPLITS = {"train": 12, "validation": 6, "test": 6}
    # A generated dataset has no dummy_data/ to read. The test case still
    # mocks the download and manual dirs with an existing folder; the
    # builder's own package folder serves (the builder never reads it).
    EXAMPLE_DIR = str(pathlib.Path(synthetic_hep2_dataset_builder.__file__).parent)
    SKIP_CHECKSUMS = True  # nothing is downloaded


if __name__ == "__main__":
    tfds.testing.test_main()
