"""Deterministic augmentation helpers for the ``tf.data`` pipeline.

* :func:`rotate` -- rotation by a given angle (stateless TF op,
  ``ImageProjectiveTransformV3``), for one image or a batch.
* Class-balanced rotation augmentation (Jia, Shen et al., ICPR 2016 contest;
  used by Li & Shen 2017, §3.2): every example of class ``c`` appears in
  ``copies[c]`` versions, version ``k`` rotated by ``k · 360° / copies[c]``.
  :func:`class_copies` gives the per-example ``repeats`` and
  :func:`rotation_variants` the ``augment`` function of
  :func:`reproductions.common.data.train_dataset`, which then yields exactly
  the augmented set (all copies, each once per epoch) or, with
  ``samples_per_epoch``, a class-balanced draw from it.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf


def rotation_transform(angle_degrees, height, width) -> tf.Tensor:
    """The 8-vector projective transform (output -> input pixel coordinates)
    of a counter-clockwise rotation by ``angle_degrees`` about the image
    centre, as ``keras.layers.RandomRotation`` builds it."""
    theta = tf.cast(angle_degrees, tf.float32) * (math.pi / 180.0)
    c, s = tf.cos(theta), tf.sin(theta)
    w = tf.cast(width, tf.float32) - 1.0
    h = tf.cast(height, tf.float32) - 1.0
    x_offset = (w - (c * w - s * h)) / 2.0
    y_offset = (h - (s * w + c * h)) / 2.0
    zero = tf.zeros_like(c)
    return tf.stack([c, -s, x_offset, s, c, y_offset, zero, zero])


def rotate(image, angle_degrees, *, interpolation: str = "bilinear",
           fill_mode: str = "constant", fill_value: float = 0.0) -> tf.Tensor:
    """Rotates ``image`` (``(H, W, C)`` or ``(N, H, W, C)``) counter-clockwise
    by ``angle_degrees`` about its centre, keeping its size.

    Corners that come from outside the image get ``fill_value``
    (``fill_mode="constant"``) or are filled by ``"reflect"``, ``"wrap"`` or
    ``"nearest"``. Multiples of 90° on a square image are exact
    (``np.rot90``); angle 0 returns the image unchanged. Deterministic: no
    random state is involved.
    """
    image = tf.convert_to_tensor(image)
    single = image.shape.rank == 3
    batch = image[tf.newaxis] if single else image
    dtype = batch.dtype
    shape = tf.shape(batch)
    transform = rotation_transform(angle_degrees, shape[1], shape[2])
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(batch, tf.float32),
        transforms=tf.tile(transform[tf.newaxis], [shape[0], 1]),
        output_shape=shape[1:3], fill_value=tf.constant(fill_value, tf.float32),
        interpolation=interpolation.upper(), fill_mode=fill_mode.upper())
    out = tf.cast(out, dtype)
    out = tf.ensure_shape(out, batch.shape)
    return out[0] if single else out


def class_copies(labels: np.ndarray, copies: Sequence[int] | Mapping[int, int]) -> np.ndarray:
    """``repeats`` for ``train_dataset``: ``copies[label]`` per example."""
    labels = np.asarray(labels, np.int64)
    if isinstance(copies, Mapping):
        table = np.array([copies[int(c)] for c in range(int(labels.max(initial=-1)) + 1)],
                         np.int64)
    else:
        table = np.asarray(copies, np.int64)
    if np.any(table < 1):
        raise ValueError(f"every class needs at least one copy, got {table.tolist()}")
    return table[labels]


def rotation_variants(copies: Sequence[int], **rotate_kwargs):
    """``augment(image, label, variant, seed_pair)`` rotating copy ``variant``
    of an example of class ``label`` by ``variant · 360° / copies[label]``
    (copy 0 is the original). Ignores ``seed_pair``: the rotation is a
    function of the copy, so the augmented set is fixed."""
    step = tf.constant([360.0 / c for c in copies], tf.float32)

    def augment(image, label, variant, seed_pair=None):
        angle = tf.cast(variant, tf.float32) * tf.gather(step, label)
        return rotate(image, angle, **rotate_kwargs)

    return augment


def rotation_set(split, copies: int) -> dict:
    """:func:`reproductions.common.training.train` keyword arguments for the
    rotation set of ``split`` (an ``ArraySplit``): every cell in ``copies``
    versions rotated ``360° / copies`` apart (18° for 20 copies), corners
    filled with 0 (the dark background of min-max scaled cells)."""
    per_class = [copies] * len(split.class_names)
    return {"repeats": class_copies(split.labels, per_class),
            "augment": rotation_variants(per_class, fill_mode="constant", fill_value=0.0)}
