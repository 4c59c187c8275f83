"""The rotation set shared by the papers that train on rotated cells
(``augment.rotation_set``: active transfer's initial learning, Gao's CNN)."""
import numpy as np
import pytest
import tensorflow as tf

from reproductions.common import augment
from reproductions.common.data import ArraySplit


@pytest.mark.parametrize("copies", [4, 8, 20])
def test_rotation_set_holds_every_cell_in_copies_rotated_versions(copies):
    labels = np.arange(8) % 2
    images = np.random.default_rng(1).random((8, 16, 16, 1), dtype=np.float32)
    s = ArraySplit(images, labels, np.array([str(i) for i in range(8)]), ("a", "b"))
    kwargs = augment.rotation_set(s, copies)
    assert kwargs["repeats"].tolist() == [copies] * 8
    image = tf.constant(images[0])
    unchanged = kwargs["augment"](image, tf.constant(1), tf.constant(0)).numpy()
    np.testing.assert_array_equal(unchanged, images[0])
    quarter = kwargs["augment"](image, tf.constant(1), tf.constant(copies // 4)).numpy()
    np.testing.assert_allclose(quarter[..., 0], np.rot90(images[0, ..., 0]), atol=1e-5)
    # 45° leaves the corners outside the cell: filled with the dark background
    if copies % 8 == 0:
        diagonal = kwargs["augment"](image, tf.constant(0), tf.constant(copies // 8)).numpy()
        assert diagonal[0, 0, 0] == 0.0 and diagonal[-1, -1, 0] == 0.0
