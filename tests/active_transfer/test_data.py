"""Preprocessing and the validation cut of the initial learning."""
import numpy as np
import tensorflow as tf

from reproductions.active_transfer import data
from reproductions.common.data import ArraySplit


def test_a_raw_cell_becomes_a_scaled_square_input():
    raw = np.random.default_rng(0).integers(10, 40, (57, 83, 1)).astype(np.uint8)  # I3A-like
    image = data.preprocess_image(tf.constant(raw), 64).numpy()
    assert image.shape == (64, 64, 1) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert image.max() > 0.9 and image.min() < 0.1  # min-max scaled, then bicubic


def split(n=100, classes=4):
    labels = np.arange(n) % classes
    return ArraySplit(np.zeros((n, 2, 2, 1), np.float32), labels.astype(np.int64),
                      np.array([str(i) for i in range(n)]), tuple("abcd"[:classes]))


def test_the_validation_cut_is_stratified_disjoint_and_the_same_every_time():
    full = split(105)
    rest, held = data.hold_out(full, 0.1)
    assert len(held) == 11 and len(rest) == 94  # round half up of 10.5
    assert not set(held.ids) & set(rest.ids) and set(held.ids) | set(rest.ids) == set(full.ids)
    assert max(held.counts()) - min(held.counts()) <= 1
    again, _ = data.hold_out(full, 0.1)
    np.testing.assert_array_equal(again.ids, rest.ids)


def test_i3a_ap80_pool():
    """10 % of ap80's 10,876 training cells validate, 9,788 are the pool."""
    counts = (1_995, 2_265, 2_078, 2_193, 1_766, 579)  # tfds_builders/i3a_task1/README.md
    labels = np.repeat(np.arange(6), counts)
    full = ArraySplit(np.zeros((len(labels), 1, 1, 1), np.float32), labels,
                      labels.astype(str), tuple("abcdef"))
    pool, validation = data.hold_out(full, 0.1)
    assert (len(pool), len(validation)) == (9_788, 1_088)


def test_pixel_identical_twins_are_held_out_together():
    full = split(40)
    images = np.random.default_rng(0).random((40, 2, 2, 1)).astype(np.float32)
    images[30:] = images[20:30]  # cells 30-39 are copies of cells 20-29
    full = ArraySplit(images, full.labels, full.ids, full.class_names)
    groups = data.duplicate_groups(full)
    assert len(set(groups)) == 30 and (groups[30:] == groups[20:30]).all()
    rest, held = data.hold_out(full, 0.25)
    leaked = {im.tobytes() for im in held.images} & {im.tobytes() for im in rest.images}
    assert leaked  # the plain stratified cut puts twins on both sides
    rest, held = data.hold_out(full, 0.25, keep_duplicates_together=True)
    assert not {im.tobytes() for im in held.images} & {im.tobytes() for im in rest.images}
    assert len(held) > 10 and len(rest) + len(held) == 40
    plain, _ = data.hold_out(full, 0.25)
    assert set(rest.ids) <= set(plain.ids)  # only twins moved, to the held-out side
