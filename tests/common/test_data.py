"""The input pipeline: stratified subsets, per-image preprocessing and the
stateless, resumable training order."""
import collections

import numpy as np
import tensorflow as tf

from reproductions.common import data as data_lib


def _split(n=10, classes=3, size=4):
    images = np.arange(n, dtype=np.float32)[:, None, None, None] * np.ones(
        (1, size, size, 1), np.float32)  # image i is filled with the value i
    labels = np.arange(n) % classes
    return data_lib.ArraySplit(images, labels.astype(np.int64),
                               np.array([f"id{i}" for i in range(n)]),
                               tuple(f"c{i}" for i in range(classes)))


def _epoch(ds):
    xs, ys = [], []
    for x, y in ds:
        xs.append(x.numpy())
        ys.append(y.numpy())
    return xs, ys


def _ids(batches):
    return [int(v) for b in batches for v in b[:, 0, 0, 0]]


# --- stratified_subset ------------------------------------------------------
def test_stratified_subset_keeps_proportions_and_is_deterministic():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    keep = data_lib.stratified_subset(labels, 20, seed=3)
    assert len(keep) == 20 and len(set(keep)) == 20
    assert np.all(np.diff(keep) > 0)  # sorted
    assert np.bincount(labels[keep]).tolist() == [12, 6, 2]
    assert np.array_equal(keep, data_lib.stratified_subset(labels, 20, seed=3))
    assert not np.array_equal(keep, data_lib.stratified_subset(labels, 20, seed=4))
    # remainders: 7 of (5, 3, 2) -> quotas 3.5, 2.1, 1.4 -> 3 + 1 to the largest remainder
    odd = np.array([0] * 5 + [1] * 3 + [2] * 2)
    kept = data_lib.stratified_subset(odd, 7, seed=0)
    assert np.bincount(odd[kept]).tolist() == [4, 2, 1]
    assert np.array_equal(data_lib.stratified_subset(labels, None, 0), np.arange(100))
    assert np.array_equal(data_lib.stratified_subset(labels, 500, 0), np.arange(100))


# --- per-image preprocessing --------------------------------------------------
def test_crop_pad_resize():
    image = np.zeros((10, 12, 1), np.float32)
    image[2:5, 3:9] = 1.0
    image[4, 8] = 0.5
    crop = data_lib.crop_to_foreground(tf.constant(image)).numpy()
    assert crop.shape == (3, 6, 1)
    assert np.array_equal(crop, image[2:5, 3:9])
    # nothing above the threshold: the whole image
    assert data_lib.crop_to_foreground(tf.zeros((5, 7, 1))).shape == (5, 7, 1)
    assert data_lib.crop_to_foreground(tf.constant(image), threshold=0.9).shape == (3, 6, 1)

    square = data_lib.pad_to_square(tf.constant(crop)).numpy()
    assert square.shape == (6, 6, 1)
    assert np.array_equal(square[1:4], crop)  # (6 - 3) // 2 = 1 row on top, 2 below
    assert square[0].max() == 0 and square[4:].max() == 0
    tall = data_lib.pad_to_square(tf.ones((5, 2, 3)), value=0.25).numpy()
    assert tall.shape == (5, 5, 3)
    assert np.all(tall[:, 1:3] == 1) and np.all(tall[:, 0] == 0.25) and np.all(tall[:, 3:] == 0.25)

    const = data_lib.resize(tf.fill((7, 9, 1), 0.5), 4, method="bicubic", antialias=True)
    assert const.shape == (4, 4, 1) and const.dtype == tf.float32
    np.testing.assert_allclose(const.numpy(), 0.5, atol=1e-6)
    up = data_lib.resize(tf.constant(square), 12, method="nearest").numpy()
    assert np.array_equal(up, np.repeat(np.repeat(square, 2, 0), 2, 1))

    norm = data_lib.minmax_normalize(tf.constant([[[2.0]], [[4.0]], [[3.0]]])).numpy()
    assert norm.ravel().tolist() == [0.0, 1.0, 0.5]
    std = data_lib.standardize(tf.random.stateless_normal((8, 8, 1), (1, 2)) * 3 + 5).numpy()
    assert abs(std.mean()) < 1e-5 and abs(std.std() - 1) < 1e-3


# --- train_dataset ------------------------------------------------------------
def test_order_is_a_function_of_seed_and_epoch():
    split = _split(10)
    epoch = tf.Variable(0, dtype=tf.int64)
    ds = data_lib.train_dataset(split, batch_size=4, seed=1, epoch=epoch)
    assert ds.cardinality().numpy() == 3  # ceil(10 / 4), known to Keras
    first, labels = _epoch(ds)
    again, _ = _epoch(ds)
    assert [b.shape[0] for b in first] == [4, 4, 2]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    order0 = _ids(first)
    assert sorted(order0) == list(range(10))  # every example exactly once
    assert [int(v) for b in labels for v in b] == [i % 3 for i in order0]
    epoch.assign(1)
    order1 = _ids(_epoch(ds)[0])
    assert sorted(order1) == list(range(10)) and order1 != order0
    # a new pipeline (a resumed run) at the same epoch sees the same batches
    resumed = data_lib.train_dataset(split, batch_size=4, seed=1,
                                     epoch=tf.Variable(1, dtype=tf.int64))
    assert _ids(_epoch(resumed)[0]) == order1
    other_seed = data_lib.train_dataset(split, batch_size=4, seed=2,
                                        epoch=tf.Variable(1, dtype=tf.int64))
    assert _ids(_epoch(other_seed)[0]) != order1


def test_repeats_give_numbered_variants_and_samples_per_epoch_truncates():
    split = _split(5)
    repeats = np.array([1, 3, 2, 1, 4])

    def augment(image, label, variant, seed):
        # record (example, variant) in the pixels; the seed must differ per sample
        del label
        noise = tf.random.stateless_uniform((), seed=seed)
        return tf.stack([image[0, 0, 0], tf.cast(variant, tf.float32), noise])

    epoch = tf.Variable(0, dtype=tf.int64)
    ds = data_lib.train_dataset(split, batch_size=4, seed=0, epoch=epoch, augment=augment,
                                repeats=repeats)
    assert ds.cardinality().numpy() == 3  # 11 copies in batches of 4
    rows = np.concatenate([x for x, _ in ds.as_numpy_iterator()])
    pairs = collections.Counter((int(e), int(v)) for e, v, _ in rows)
    expected = {(i, v): 1 for i, r in enumerate(repeats) for v in range(r)}
    assert pairs == expected
    assert len(set(rows[:, 2].tolist())) == len(rows)  # distinct augmentation seeds
    epoch.assign(0)
    rows_again = np.concatenate([x for x, _ in ds.as_numpy_iterator()])
    assert np.array_equal(rows, rows_again)  # augmentation draws are reproducible

    short = data_lib.train_dataset(split, batch_size=4, seed=0, epoch=epoch, augment=augment,
                                   repeats=repeats, samples_per_epoch=6)
    assert short.cardinality().numpy() == 2
    rows_short = np.concatenate([x for x, _ in short.as_numpy_iterator()])
    assert len(rows_short) == 6
    np.testing.assert_array_equal(rows_short[:, :2], rows[:6, :2])  # first 6 of the same order


def test_targets_and_eval_dataset():
    split = _split(6)
    ds = data_lib.train_dataset(split, batch_size=6, seed=0,
                                epoch=tf.Variable(0, dtype=tf.int64),
                                targets=lambda x, y: (y, y * 10))
    x, (y, y10) = next(iter(ds))
    assert np.array_equal(y10.numpy(), 10 * y.numpy())
    ev = list(data_lib.eval_dataset(split, batch_size=4).as_numpy_iterator())
    assert [len(b[1]) for b in ev] == [4, 2]
    assert np.concatenate([b[1] for b in ev]).tolist() == split.labels.tolist()  # in order


def test_targets_from_the_image_see_the_augmented_image():
    """An autoencoder's target is its (augmented) input: ``targets(image,
    label)`` runs after augmentation, in training and evaluation alike."""
    split = _split(6)
    flip = lambda image, label, variant, seed: image[:, ::-1] + 1.0  # noqa: E731
    ds = data_lib.train_dataset(split, batch_size=6, seed=0,
                                epoch=tf.Variable(0, dtype=tf.int64), augment=flip,
                                targets=lambda x, y: x)
    x, target = next(iter(ds))
    assert np.array_equal(x.numpy(), target.numpy())
    order = [int(np.flatnonzero((split.images[:, ::-1] + 1.0 == xi).all(axis=(1, 2, 3)))[0])
             for xi in x.numpy()]
    assert sorted(order) == list(range(6))  # every target is its own augmented input
    ev = next(iter(data_lib.eval_dataset(split, batch_size=6, targets=lambda x, y: (x, y))))
    assert np.array_equal(ev[1][0].numpy(), split.images)
    assert np.array_equal(ev[1][1].numpy(), split.labels)


def test_array_split_counts():
    assert _split(10).counts() == [4, 3, 3]
    assert len(_split(10)) == 10


def test_empty_split_has_no_batches():
    split = _split(1)
    empty = data_lib.ArraySplit(split.images[:0], split.labels[:0], split.ids[:0],
                                split.class_names)
    ds = data_lib.train_dataset(empty, batch_size=4, seed=0,
                                epoch=tf.Variable(0, dtype=tf.int64))
    assert ds.cardinality().numpy() == 0
