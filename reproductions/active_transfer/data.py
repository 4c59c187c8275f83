"""The cells of both datasets, as the paper prepares them (§3.1).

Preprocessing (once per image): per-image min-max scaling of the raw grey
values to [0, 1] (SNPHEp-2 and I3A store low-dynamic-range raw values),
then bicubic resizing to the profile's size ("upsized using bicubic
interpolation to 112×112"; aspect ratio not kept, masks unused), clipped to
[0, 1] (bicubic overshoots at edges).

Splits:

* source (SNPHEp-2, ``snphep2/full``): the official training cells minus a
  stratified validation set (``source_validation_fraction``) for early
  stopping, and the official test cells for the initial-learning score.
  The paper chose its hyper-parameters by cross-validation on the five
  official folds and validated on a set it does not name; the learning rate
  and the stopping rule it gives are used as they are.
* target (``i3a_task1/ap80``: 80 / 20 % train / test, as the paper split
  LSHEp-2): the training cells are the unlabelled *pool*, minus a stratified
  validation set (``validation_fraction``) for early stopping, pixel-identical
  twins held out together (``validation_keeps_duplicates``); a dataset
  that has a validation split (the synthetic stand-in, a user's folder) uses
  it. The paper validated on its test set ("the testing set was just used
  for validation"): here the test split is touched once per trained network.
  Validation labels are not counted in the budget (the paper's were not
  either).

The validation cut is the same for every seed (seed 0 of
``stratified_subset``), so every case and seed sees the same pool.
"""
from __future__ import annotations

import hashlib

import numpy as np

from reproductions.active_transfer.active import round_half_up
from reproductions.common import data as data_lib
from reproductions.common.data import ArraySplit

VALIDATION_SEED = 0


def preprocess_image(image, image_size: int):
    """One raw grey cell -> ``(image_size, image_size, 1)`` float32 in [0, 1]."""
    import tensorflow as tf

    scaled = data_lib.resize(data_lib.minmax_normalize(image), image_size, "bicubic")
    return tf.clip_by_value(scaled, 0.0, 1.0)


def make_preprocess(image_size: int):
    """``example -> image`` for :func:`reproductions.common.data.load_arrays`."""
    return lambda example: preprocess_image(example["image"], image_size)


def take(split: ArraySplit, indices) -> ArraySplit:
    """The examples ``indices`` of ``split`` (in that order)."""
    indices = np.asarray(indices, np.int64)
    return ArraySplit(split.images[indices], split.labels[indices], split.ids[indices],
                      split.class_names)


def duplicate_groups(split: ArraySplit) -> np.ndarray:
    """A group number per example; pixel-identical images share one (I3A
    holds 194 NuMem cells twice, see ``tfds_builders/i3a_task1``)."""
    digests = [hashlib.sha256(image.tobytes()).hexdigest() for image in split.images]
    return np.unique(digests, return_inverse=True)[1]


def hold_out(split: ArraySplit, fraction: float, *,
             keep_duplicates_together: bool = False) -> tuple[ArraySplit, ArraySplit]:
    """``(rest, held_out)``: a stratified ``fraction`` of ``split`` held out.

    With ``keep_duplicates_together`` a held-out image's pixel-identical
    twins are held out with it, so that no validation cell has a copy among
    the cells a network trains on (the held-out set grows by the twins).
    """
    held = data_lib.stratified_subset(split.labels, round_half_up(fraction * len(split)),
                                      VALIDATION_SEED)
    if keep_duplicates_together:
        groups = duplicate_groups(split)
        held = np.flatnonzero(np.isin(groups, groups[held]))
    return take(split, np.setdiff1d(np.arange(len(split)), held)), take(split, held)


def load_splits(builder, profile, *, train: str, validation_fraction: float,
                subsets: dict, keep_duplicates_together: bool = False) -> dict:
    """``{train, "validation", "test"}`` -> :class:`ArraySplit`.

    ``train`` names the training split in the result (``"train"`` for the
    source, ``"pool"`` for the target). A builder without a validation split
    gets one cut out of its training split. ``subsets``: result split ->
    maximum size (stratified, seeded), applied after the cut.
    """
    preprocess = make_preprocess(profile.image_size)
    full = data_lib.load_arrays(builder, "train", preprocess)
    if "validation" in builder.info.splits:
        rest, validation = full, data_lib.load_arrays(builder, "validation", preprocess)
    else:
        rest, validation = hold_out(full, validation_fraction,
                                    keep_duplicates_together=keep_duplicates_together)
    splits = {train: rest, "validation": validation,
              "test": data_lib.load_arrays(builder, "test", preprocess)}
    for name, size in subsets.items():
        if size is not None and name in splits:
            keep = data_lib.stratified_subset(splits[name].labels, size, VALIDATION_SEED)
            splits[name] = take(splits[name], keep)
    return splits
