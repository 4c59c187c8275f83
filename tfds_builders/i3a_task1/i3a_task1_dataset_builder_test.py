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


class I3aTask1BlocksTest(tfds.testing.DatasetBuilderTestCase):
    """The ``dri_blocks`` code path. A dummy class has 5 cells, fewer than one
    20-cell block, so this config cuts between any two cells (window 1,
    threshold 0): single-cell blocks, except the duplicate pair 22 / 24."""

    DATASET_CLASS = i3a_task1_dataset_builder.I3aTask1
    BUILDER_CONFIG_NAMES_TO_TEST = [
        i3a_task1_dataset_builder.I3aTask1Config(
            name="dri_blocks_dummy",
            fractions=(("train", 0.64), ("validation", 0.16), ("test", 0.20)),
            block_window=1,
            block_threshold=0.0,
        )
    ]
    SPLITS = {"train": 18, "validation": 6, "test": 6}


if __name__ == "__main__":
    tfds.testing.test_main()
