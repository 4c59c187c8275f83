"""DatasetBuilderTestCase for ``i3a_task1`` on the synthetic ``dummy_data/``."""

import tensorflow_datasets as tfds

from tfds_builders.i3a_task1 import i3a_task1_dataset_builder


class I3aTask1DriTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = i3a_task1_dataset_builder.I3aTask1
    BUILDER_CONFIG_NAMES_TO_TEST = ["dri"]
    # 5 cells per class: round(3.2) = 3 train, round(0.8) = 1 validation, 1 test.
    SPLITS = {"train": 18, "validation": 6, "test": 6}


class I3aTask1Ap80Test(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = i3a_task1_dataset_builder.I3aTask1
    BUILDER_CONFIG_NAMES_TO_TEST = ["ap80"]
    SPLITS = {"train": 24, "test": 6}


if __name__ == "__main__":
    tfds.testing.test_main()
