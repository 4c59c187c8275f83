"""§4.1's augmentation: 144 versions (5° rotation steps × mirrored or not),
drawn on the fly from the training split only."""
import numpy as np
import pytest
import tensorflow as tf

from reproductions.common import augment as augment_lib
from reproductions.common import data as data_lib
from reproductions.drsn_dc import data


def test_the_144_versions():
    versions = [data.version(v) for v in range(144)]
    assert len(set(versions)) == 144
    assert {angle for angle, _ in versions} == set(range(0, 360, 5))
    assert sum(flipped for _, flipped in versions) == 72
    assert data.version(0) == (0, False) and data.version(71) == (355, False)
    assert data.version(72) == (0, True) and data.version(143) == (355, True)


def asymmetric(size=9):
    image = np.zeros((size, size, 1), np.float32)
    image[1, 1:6] = 1.0   # a horizontal bar at the top
    image[1:4, 6] = 0.5   # a hook on its right end
    return image


def run(image, variant):
    return data.augment(tf.constant(image), tf.constant(0), tf.constant(variant, tf.int32)).numpy()


def test_exact_quarter_turns_and_mirrors():
    image = asymmetric()
    np.testing.assert_array_equal(run(image, 0), image)
    np.testing.assert_allclose(run(image, 18), np.rot90(image), atol=1e-6)   # 90°
    np.testing.assert_array_equal(run(image, 72), image[:, ::-1])            # mirror, 0°
    np.testing.assert_allclose(run(image, 72 + 18), np.rot90(image)[:, ::-1], atol=1e-6)
    assert not np.allclose(run(image, 1), image)  # 5° moves pixels


def test_pipeline_draws_only_the_versions_and_flips_happen():
    """Every training image the pipeline yields is one of the 144 versions of
    its source; over a few epochs both mirrored and plain ones and many
    angles come up, all multiples of 5°, and the draws are seeded."""
    rng = np.random.default_rng(0)
    images = rng.random((3, 16, 16, 1)).astype(np.float32)
    split = data_lib.ArraySplit(images, np.array([0, 1, 2]), np.array(["a", "b", "c"]),
                                ("a", "b", "c"))
    versions = np.stack([[run(im, v) for v in range(144)] for im in images])  # (3, 144, ...)
    epoch = tf.Variable(0, dtype=tf.int64)

    def draws(seed):
        ds = data_lib.train_dataset(split, batch_size=3, seed=seed, epoch=epoch,
                                    augment=data.augment, repeats=data.repeats(3),
                                    samples_per_epoch=3, targets=None)
        found = []
        for e in range(12):
            epoch.assign(e)
            for x, y in ds.as_numpy_iterator():
                for image, label in zip(x, y):
                    diffs = np.abs(versions[label] - image).max(axis=(1, 2, 3))
                    assert diffs.min() < 1e-5, "not one of the 144 versions"
                    found.append(int(np.argmin(diffs)))
        return found

    found = draws(seed=0)
    assert len(found) == 36
    assert {data.version(v)[1] for v in found} == {False, True}
    assert len({data.version(v)[0] for v in found}) > 20
    assert all(data.version(v)[0] % 5 == 0 for v in found)
    assert draws(seed=0) == found and draws(seed=1) != found


def test_repeats_and_expanded_counts():
    assert data.repeats(4).tolist() == [144] * 4
    assert data.expanded_counts(np.array([0, 0, 2]), 3) == [288, 0, 144]


@pytest.mark.parametrize("angle", [45.0, 130.0, 315.0])
def test_corners_are_filled_with_the_dark_background(angle):
    image = np.ones((12, 12, 1), np.float32)
    out = augment_lib.rotate(image, angle, fill_value=data.FILL_VALUE).numpy()
    version = int(angle // 5)
    np.testing.assert_allclose(run(image, version), out)
    assert out[0, 0, 0] == data.FILL_VALUE
