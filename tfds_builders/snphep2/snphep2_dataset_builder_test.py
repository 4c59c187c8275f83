"""DatasetBuilderTestCase for ``snphep2`` on the synthetic ``dummy_data/``."""

import tensorflow_datasets as tfds

from tfds_builders.snphep2 import snphep2_dataset_builder


class Snphep2FullTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = snphep2_dataset_builder.Snphep2
    BUILDER_CONFIG_NAMES_TO_TEST = ["full"]
    SPLITS = {"train": 10, "test": 10}


class Snphep2SplitKTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = snphep2_dataset_builder.Snphep2
    BUILDER_CONFIG_NAMES_TO_TEST = [f"split_{k}" for k in range(1, 6)]
    SPLITS = {"train": 5, "test": 5}


if __name__ == "__main__":
    tfds.testing.test_main()
