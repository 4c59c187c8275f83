"""TFDS test of the synthetic_snphep2 builder: runs the real generator at the
``tiny`` size (5 x (2/2) cells) and for the ``split_k`` halves of the default
size (5 x (20/20) cells), offline."""

import pathlib

import tensorflow_datasets as tfds

from tfds_builders.synthetic_snphep2 import synthetic_snphep2_dataset_builder

# A generated dataset has no dummy_data/ to read. The test case still mocks
# the download and manual dirs with an existing folder; the builder's own
# package folder serves (the builder never reads it).
_EXAMPLE_DIR = str(pathlib.Path(synthetic_snphep2_dataset_builder.__file__).parent)


class SyntheticSnphep2Test(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = synthetic_snphep2_dataset_builder.SyntheticSnphep2
    BUILDER_CONFIG_NAMES_TO_TEST = ["tiny"]
    SPLITS = {"train": 10, "test": 10}
    EXAMPLE_DIR = _EXAMPLE_DIR
    SKIP_CHECKSUMS = True  # nothing is downloaded


class SyntheticSnphep2SplitKTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = synthetic_snphep2_dataset_builder.SyntheticSnphep2
    BUILDER_CONFIG_NAMES_TO_TEST = ["split_1", "split_5"]
    SPLITS = {"train": 100, "test": 100}
    EXAMPLE_DIR = _EXAMPLE_DIR
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
