"""Chromosome preprocessing: crop → (length normalisation | pad to square) →
anti-aliased bicubic down-sampling to the paper's 50×50 low resolution.

Length normalisation. The paper applies "length normalization" (its ref.
[31], Sharma et al., CVPR-W 2017) without describing it. Our reading: a
chromosome's length relative to the others of the same cell is one of the
three cues cytogeneticists use, and padding every crop to its own square and
resizing throws it away (chromosome 1 and chromosome 21 both fill the
frame). With length normalisation on, each chromosome is instead centred on a
square canvas whose side is the longest bounding-box side found in its
karyotype, so after resizing its length in pixels is proportional to its
length relative to the longest chromosome of the same cell, independent of
the cell's magnification. Using the other chromosomes of the same karyotype
needs no labels (it is what a cytogeneticist sees on the spread). Chromosomes
are not straightened in BioImLab, so the bounding box measures bent ones
short. Switch it off with ``--no-length-normalization`` (the ablation).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from reproductions.common import data as data_lib


def karyotype_max_side(builder) -> dict[str, int]:
    """Longest bounding-box side per karyotype, over every split."""
    out: dict[str, int] = {}
    for split in builder.info.splits:
        ds = builder.as_dataset(split=split, shuffle_files=False)
        ds = ds.map(lambda ex: (ex["karyotype"], tf.reduce_max(tf.shape(ex["image"])[:2])),
                    num_parallel_calls=data_lib.AUTOTUNE)
        for karyotype, side in ds.as_numpy_iterator():
            key = karyotype.decode()
            out[key] = max(out.get(key, 0), int(side))
    return out


def make_preprocess(low_res: int, length_normalization: bool, canvas: dict[str, int]):
    """``example -> (low_res, low_res, 1)`` float32 image in [0, 1]."""
    if length_normalization:
        keys = tf.constant(list(canvas.keys()))
        values = tf.constant(list(canvas.values()), dtype=tf.int32)
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, values), default_value=-1)

    def preprocess(example):
        image = tf.cast(example["image"], tf.float32) / 255.0
        image = data_lib.crop_to_foreground(image, threshold=0.0)
        if length_normalization:
            shape = tf.shape(image)
            side = tf.maximum(table.lookup(example["karyotype"]),
                              tf.reduce_max(shape[:2]))
            top = (side - shape[0]) // 2
            left = (side - shape[1]) // 2
            image = tf.pad(image, [[top, side - shape[0] - top],
                                   [left, side - shape[1] - left], [0, 0]])
        else:
            image = data_lib.pad_to_square(image)
        return tf.clip_by_value(
            data_lib.resize(image, low_res, method="bicubic", antialias=True), 0.0, 1.0)

    return preprocess


def load_splits(builder, profile, length_normalization: bool, seed: int = 0):
    """``{"train", "validation", "test"}`` -> :class:`ArraySplit`."""
    canvas = karyotype_max_side(builder) if length_normalization else {}
    preprocess = make_preprocess(profile.settings.low_res, length_normalization, canvas)
    return {split: data_lib.load_arrays(builder, split, preprocess,
                                        subset=profile.subset.get(split), seed=seed)
            for split in ("train", "validation", "test")}


def mean_relative_length(split) -> np.ndarray:
    """Per class: mean fraction of the image height/width the object spans
    (a check that length normalisation keeps relative length)."""
    extent = (split.images[..., 0] > 0.05)
    spans = np.maximum(extent.any(axis=1).sum(axis=1), extent.any(axis=2).sum(axis=1))
    spans = spans / split.images.shape[1]
    return np.array([spans[split.labels == c].mean() if np.any(split.labels == c) else np.nan
                     for c in range(len(split.class_names))])
