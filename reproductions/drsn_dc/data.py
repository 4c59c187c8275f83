"""Images for the DRSN-DC networks, and the rotation + flip augmentation of §4.1.

Preprocessing (per image, once): per-image min-max scaling to [0, 1], then
bilinear resizing to the profile's square input (the paper cuts its images to
224×224; I3A cells are 54-111 px) -- the HEp-2 preprocessing of the DRI
reproduction (``reproductions.common.data.load_minmax_splits``), used as it is.

Augmentation, split first: the paper expands the data set *before* splitting
it ("enhance the training data set and test data set", §4.1), which puts
rotated copies of one image in training and test. Here the splits are made
first (by the dataset builder or the image folder) and only the training
split is augmented. Every training image has the paper's 144 versions:
rotated counter-clockwise about its centre by ``5° · (v mod 72)`` and, for
``v >= 72``, mirrored about the vertical axis ("flip with the y-axis as the
centerline"), ``v = 0 … 143``. The versions are drawn on the fly, never
stored: :func:`augment` is a stateless function of the version number, and
the training pipeline (``reproductions.common.data.train_dataset`` with
``repeats = 144``) shuffles the versions of all images by (seed, epoch). An
epoch is the whole expanded set (the paper profile) or a draw of as many
versions as there are training images (``samples_per_epoch``). Rotation is
bilinear; the corners that come from outside the image are 0, the darkest
value after min-max scaling (the dark background of a fluorescence image).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from reproductions.common import augment as augment_lib
from reproductions.common import data as data_lib
from reproductions.drsn_dc.paper import ROTATION_STEP, ROTATIONS, VERSIONS

#: Min-max scaling + bilinear resizing of every split, as DRI's.
load_splits = data_lib.load_minmax_splits

FILL_VALUE = 0.0


def version(v) -> tuple:
    """``(angle in degrees, flipped)`` of version ``v`` (0 … 143)."""
    return ROTATION_STEP * (v % ROTATIONS), v >= ROTATIONS


def augment(image, label, variant, seed_pair=None):
    """``augment`` of ``train_dataset``: version ``variant`` of ``image``
    (see the module docstring); ``label`` and ``seed_pair`` are not used."""
    angle, flipped = version(tf.cast(variant, tf.int64))
    image = augment_lib.rotate(image, tf.cast(angle, tf.float32), fill_mode="constant",
                               fill_value=FILL_VALUE)
    return tf.where(flipped, tf.image.flip_left_right(image), image)


def repeats(n: int) -> np.ndarray:
    """All 144 versions of each of ``n`` training images (``repeats``)."""
    return np.full(n, VERSIONS, np.int64)


def expanded_counts(labels: np.ndarray, classes: int) -> list[int]:
    """Images per class in the expanded training set (Table 1's last column)."""
    return (VERSIONS * np.bincount(labels, minlength=classes)).astype(int).tolist()
