"""Rotation helper, class-balanced augmentation (Table 2), preprocessing and
the learning-rate schedule."""
import numpy as np
import pytest
import tensorflow as tf

from reproductions.common import augment, data as data_lib
from reproductions.dri import data, paper, protocol
from tfds_builders.i3a_task1.i3a_task1_dataset_builder import CLASS_NAMES


def table2_labels():
    return np.repeat(np.arange(6), paper.TABLE2_TRAINING)


@pytest.mark.parametrize("shape", [(76, 76, 1), (7, 7, 2), (3, 6, 6, 1)])
@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rotation_by_multiples_of_90_degrees_is_rot90(shape, k):
    x = np.random.default_rng(k).random(shape, dtype=np.float32)
    axes = (0, 1) if len(shape) == 3 else (1, 2)
    np.testing.assert_allclose(augment.rotate(x, 90 * k).numpy(), np.rot90(x, k, axes=axes),
                               atol=2e-5)


def test_rotation_is_counter_clockwise_and_fills_corners():
    image = np.zeros((9, 9, 1), np.float32)
    image[0, 4] = 1.0  # top centre -> left centre after +90°
    assert np.argwhere(augment.rotate(image, 90).numpy()[..., 0] > 0.5).tolist() == [[4, 0]]
    ones = tf.ones((20, 20, 1))
    assert float(augment.rotate(ones, 45)[0, 0, 0]) == 0.0
    assert float(augment.rotate(ones, 45, fill_value=0.5)[0, 0, 0]) == 0.5
    assert float(augment.rotate(ones, 45, fill_mode="reflect")[0, 0, 0]) == 1.0
    assert float(augment.rotate(ones, 45)[10, 10, 0]) == 1.0


def test_i3a_class_order_matches_table2():
    assert tuple(CLASS_NAMES) == ("homogeneous", "speckled", "nucleolar", "centromere",
                                  "numem", "golgi")
    assert data.copies_per_class(CLASS_NAMES) == [20, 20, 20, 20, 20, 60]
    assert sum(paper.TABLE2_TRAINING) == 8701 and sum(paper.TABLE2_I3A) == 13596


def test_augmented_counts_are_table2():
    counts = data.augmented_counts(table2_labels(), CLASS_NAMES)
    assert counts == list(paper.TABLE2_AUGMENTED)
    assert sum(counts) == paper.TABLE2_AUGMENTED_TOTAL == 192_540


def test_one_epoch_of_the_pipeline_is_the_augmented_set():
    """All 192,540 (cell, rotation) pairs, each exactly once, per epoch."""
    labels = table2_labels()
    split = data_lib.ArraySplit(np.zeros((len(labels), 1, 1, 1), np.float32), labels,
                                np.arange(len(labels)).astype(str), tuple(CLASS_NAMES))
    reps = data.repeats(labels, CLASS_NAMES)
    # augment returns the rotation angle instead of the image
    step = tf.constant([360.0 / c for c in data.copies_per_class(CLASS_NAMES)])
    ds = data_lib.train_dataset(
        split, batch_size=8192, seed=0, epoch=tf.Variable(0, dtype=tf.int64), repeats=reps,
        augment=lambda image, label, variant, seed: tf.fill(
            [1, 1, 1], tf.cast(variant, tf.float32) * tf.gather(step, label)))
    angles, seen = [], []
    for x, y in ds.as_numpy_iterator():
        angles.append(x.reshape(-1))
        seen.append(y)
    angles, seen = np.concatenate(angles), np.concatenate(seen)
    assert np.bincount(seen, minlength=6).tolist() == list(paper.TABLE2_AUGMENTED)
    golgi = np.unique(np.round(angles[seen == 5], 3))
    other = np.unique(np.round(angles[seen == 0], 3))
    np.testing.assert_allclose(golgi, np.arange(0, 360, 6))
    np.testing.assert_allclose(other, np.arange(0, 360, 18))


def test_rotation_augment_rotates_copy_k_by_k_steps():
    augment_fn = data.rotation_augment(CLASS_NAMES)
    x = np.random.default_rng(0).random((76, 76, 1), dtype=np.float32)
    for label, variant, angle in [(5, 5, 30.0), (0, 5, 90.0), (5, 0, 0.0), (3, 19, 342.0)]:
        out = augment_fn(tf.constant(x), tf.constant(label, tf.int64),
                         tf.constant(variant, tf.int64), None)
        np.testing.assert_allclose(out.numpy(), augment.rotate(x, angle).numpy(), atol=1e-6)
    np.testing.assert_allclose(
        augment_fn(tf.constant(x), tf.constant(0, tf.int64), tf.constant(5, tf.int64), None),
        np.rot90(x), atol=2e-5)


def test_copies_validation():
    with pytest.raises(ValueError, match="no class named"):
        data.copies_per_class(CLASS_NAMES, {"gogli": 60, "*": 20})
    with pytest.raises(ValueError, match="at least one"):
        augment.class_copies(np.array([0, 1]), [1, 0])
    assert augment.class_copies(np.array([1, 0, 1]), {0: 2, 1: 3}).tolist() == [3, 2, 3]


def test_preprocess_scales_and_resizes():
    rng = np.random.default_rng(0)
    raw = rng.integers(12, 40, (63, 88, 1)).astype(np.uint8)  # low dynamic range
    image = data.make_preprocess(76)({"image": tf.constant(raw)}).numpy()
    assert image.shape == (76, 76, 1) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0 and image.max() - image.min() > 0.9


def test_step_learning_rate():
    assert protocol.step_length(protocol.PAPER_ITERATIONS) == protocol.PAPER_STEP == 10_000
    assert protocol.step_length(300) == 10
    schedule = protocol.learning_rate_schedule(10_000)
    assert float(schedule(0)) == pytest.approx(1e-3)
    assert float(schedule(9_999)) == pytest.approx(1e-3)
    assert float(schedule(10_000)) == pytest.approx(0.79e-3)
    assert float(schedule(289_999)) == pytest.approx(1e-3 * 0.79 ** 28)


def test_summed_predictions():
    outputs = [np.full((2, 3), v, np.float32) for v in (0.1, 0.2, 0.4)]
    np.testing.assert_allclose(protocol.summed_predictions(outputs, ("fc1", "fc3")), 0.5)
    assert set(protocol.HEAD_SETS) == {row.key for row in paper.PAPER.table("table3b").rows}
