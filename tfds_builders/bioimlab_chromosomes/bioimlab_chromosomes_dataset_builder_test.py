"""DatasetBuilderTestCase for ``bioimlab_chromosomes`` on the synthetic ``dummy_data/``."""

import tensorflow_datasets as tfds

from tfds_builders.bioimlab_chromosomes import bioimlab_chromosomes_dataset_builder


class BioimlabChromosomesTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = bioimlab_chromosomes_dataset_builder.BioimlabChromosomes
    # 8 male + 8 female karyotypes, 3 files each; per sex round(8 * 4176/5256) = 6
    # train, round(8 * 360/5256) = 1 validation, 1 test karyotype.
    SPLITS = {"train": 36, "validation": 6, "test": 6}


if __name__ == "__main__":
    tfds.testing.test_main()
