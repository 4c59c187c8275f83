"""I3A cells for the DRI networks, and the class-balanced rotation
augmentation of §3.2 / Table 2.

Preprocessing (per image, once): per-image min-max scaling of the raw
low-dynamic-range values to [0, 1], then bilinear resizing to 76×76 ("the
input cell images are reshaped to a size of 76×76": the aspect ratio, 0.78 to
1.26 in I3A, is not kept; the mask is not used).

Augmentation: each training cell appears in ``copies`` rotated versions,
version ``k`` rotated by ``k · 360°/copies`` -- 60 versions (6° apart) for
Golgi, 20 (18° apart) for every other class, which turns the 8,701 training
cells into exactly Table 2's 192,540 (``augmented_counts``). Rotation is
bilinear about the image centre; the corners that come from outside the
image are filled with 0, i.e. the darkest value of the min-max-scaled cell,
which is the dark background of a fluorescence image (reflecting would
instead copy parts of the cell, or of neighbouring cells, into the corners).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from reproductions.common import augment as augment_lib
from reproductions.common import data as data_lib
from reproductions.dri.paper import ROTATION_COPIES as PAPER_COPIES
FILL_VALUE = 0.0


#: ``image_size -> (example -> image)``: min-max scaling, then bilinear
#: resizing (``reproductions.common.data.minmax_preprocess``).
make_preprocess = data_lib.minmax_preprocess
#: ``(builder, profile, seed=0) -> {"train", "validation", "test"}`` of
#: min-max-scaled, resized images with the profile's per-split subsets.
load_splits = data_lib.load_minmax_splits


def copies_per_class(class_names: Sequence[str],
                     copies: Mapping[str, int] = PAPER_COPIES) -> list[int]:
    """Copies of each class, in label order (``"*"``: every class not named)."""
    unknown = set(copies) - set(class_names) - {"*"}
    if unknown:
        raise ValueError(f"no class named {', '.join(sorted(unknown))}; "
                         f"classes are {', '.join(class_names)}")
    return [int(copies.get(name, copies["*"])) for name in class_names]


def copies_for(class_names: Sequence[str], copies: Mapping[str, int]) -> dict:
    """The profile's ``copies`` restricted to the classes a dataset has: a
    user's image folder may have no Golgi class, and then every class gets
    the ``"*"`` count."""
    return {k: v for k, v in copies.items() if k == "*" or k in class_names}


def repeats(labels: np.ndarray, class_names: Sequence[str],
            copies: Mapping[str, int] = PAPER_COPIES) -> np.ndarray:
    """Per-example copies (``repeats`` of ``train_dataset``)."""
    return augment_lib.class_copies(labels, copies_per_class(class_names, copies))


def augmented_counts(labels: np.ndarray, class_names: Sequence[str],
                     copies: Mapping[str, int] = PAPER_COPIES) -> list[int]:
    """Images per class in the augmented set (Table 2's last row)."""
    r = repeats(labels, class_names, copies)
    return np.bincount(labels, weights=r, minlength=len(class_names)).astype(int).tolist()


def rotation_augment(class_names: Sequence[str], copies: Mapping[str, int] = PAPER_COPIES):
    """``augment`` of ``train_dataset``: copy ``k`` of a cell rotated by
    ``k · 360°/copies[class]``, corners filled with :data:`FILL_VALUE`."""
    return augment_lib.rotation_variants(copies_per_class(class_names, copies),
                                         fill_mode="constant", fill_value=FILL_VALUE)


def rotation_set(builder, profile) -> dict:
    """A split's arrays and its class-balanced rotation set: ``split``
    (:func:`load_splits`), per-example ``repeats``, the ``augment`` function,
    the images drawn per epoch (``per_epoch``) and ``augmented_train`` (Table
    2's last row for this split)."""
    split = load_splits(builder, profile)
    class_names = split["train"].class_names
    copies = copies_for(class_names, profile.settings.copies)
    r = repeats(split["train"].labels, class_names, copies)
    return {"split": split, "repeats": r,
            "per_epoch": min(profile.settings.samples_per_epoch or int(r.sum()), int(r.sum())),
            "augment": rotation_augment(class_names, copies),
            "augmented_train": augmented_counts(split["train"].labels, class_names, copies)}
