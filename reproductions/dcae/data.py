"""SNPHEp-2 cells for every row of Table II, the validation carve, and the
five official folds.

**Splits.** ``snphep2`` (config ``full``): the official train (905 cells, 20
specimens) and test (979 cells, the other 20 specimens) sets -- specimen-disjoint,
so the test accuracy measures cells of unseen patients. The folds are the
builder's configs ``split_1`` … ``split_5`` (the official ``Split-50-k`` lists:
~453 of the training cells, ~490 of the test cells each). The synthetic
stand-in ``synthetic_snphep2`` has the same configs (``default`` and
``split_k``).

**Cell-level split** (profile ``cell_level``, issue #34's verdict
experiment; protocol in NOTES.md): both official splits pooled and split
again per seed, with the official sizes, stratified by class and by official
half (:func:`cell_level_split`), so test cells share specimens with training
cells -- the protocol the paper's numbers imply. Its validation cells are
carved from each seed's cell-level training cells with that seed.

**Validation (our choice; the paper names none).** Early stopping and model
selection need held-out cells, and the test split is never used for either: a
stratified :data:`VALIDATION_FRACTION` of the *training* split is carved off
with a fixed seed (:func:`carve_validation`, the profile's first seed), the same
cells for every row and seed, so that seeds differ only in initialisation and
batch order and the paired per-seed gaps compare networks on the same cells. The
networks (the autoencoder too) fit the rest. The scikit-learn rows (SVMs,
linear probe) choose their hyper-parameters by 5-fold cross-validation and fit
the whole training split.

**Preprocessing (once per image).** SNPHEp-2 stores raw 8-bit values whose
level differs between positive and intermediate specimens. Each cell is min-max
scaled to [0, 1] (so brightness, a property of the specimen and not of the
pattern, does not separate the classes), then

* for the networks: padded with 0 (the darkest value: background) to a square,
  which keeps the cell's shape -- what the DCAE is meant to encode -- and
  resized to the row's input side (bilinear, anti-aliased);
* for the hand-crafted features: resized, without padding, to
  ``feature_size`` (the crop itself: the cell fills most of it, and padding
  would add artificial background to the co-occurrence and LBP statistics).
"""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from reproductions.common import data as data_lib
from reproductions.common.errors import UserError

from reproductions.dcae.profiles import FOLDS, VALIDATION_FRACTION  # noqa: F401


def fold_variant(k: int) -> str:
    """The run variant of fold ``k`` (``split_k``, the TFDS config name)."""
    return f"split_{k}"


def fold_of(variant: str) -> int | None:
    """``split_k`` -> k; ``""`` (the official full split) -> None."""
    return int(variant.rsplit("_", 1)[1]) if variant.startswith("split_") else None


def make_preprocess(size: int, pad: bool = True):
    """``example -> (size, size, 1)`` float32 image in [0, 1] (see the module
    docstring; ``pad=False``: the crop resized as it is)."""
    def preprocess(example):
        image = data_lib.minmax_normalize(example["image"])
        if pad:
            image = data_lib.pad_to_square(image)
        return data_lib.resize(image, size, antialias=True)
    return preprocess


def take(split: data_lib.ArraySplit, index: np.ndarray) -> data_lib.ArraySplit:
    return data_lib.ArraySplit(split.images[index], split.labels[index], split.ids[index],
                               split.class_names)


def join(a: data_lib.ArraySplit, b: data_lib.ArraySplit) -> data_lib.ArraySplit:
    return data_lib.ArraySplit(np.concatenate([a.images, b.images]),
                               np.concatenate([a.labels, b.labels]),
                               np.concatenate([a.ids, b.ids]), a.class_names)


def carve_validation(split: data_lib.ArraySplit, fraction: float = VALIDATION_FRACTION,
                     seed: int = 0) -> tuple[data_lib.ArraySplit, data_lib.ArraySplit]:
    """``(train, validation)``: a stratified, seeded ``fraction`` of ``split``
    (at least one cell per class) held out; both keep the split's order."""
    from sklearn.model_selection import train_test_split

    classes = len(np.unique(split.labels))
    size = max(classes, int(round(fraction * len(split))))
    fit, held = train_test_split(np.arange(len(split)), test_size=size,
                                 stratify=split.labels, random_state=seed)
    return take(split, np.sort(fit)), take(split, np.sort(held))


def cell_level_split(train: data_lib.ArraySplit, test: data_lib.ArraySplit,
                     seed: int) -> tuple[data_lib.ArraySplit, data_lib.ArraySplit]:
    """``(train, test)`` at the cell level: the cells of both official splits
    pooled and split again with ``len(test)`` test cells, stratified by class
    and by official half (each class's cells of the official training
    specimens and of the test specimens are shared out in proportion, so every
    seed's test set mixes both halves alike), drawn with ``seed``
    (scikit-learn's ``train_test_split``); both keep the pooled order
    (official train first)."""
    from sklearn.model_selection import train_test_split

    pooled = join(train, test)
    half = np.r_[np.zeros(len(train), np.int64), np.ones(len(test), np.int64)]
    fit, held = train_test_split(np.arange(len(pooled)), test_size=len(test),
                                 stratify=2 * pooled.labels + half, random_state=seed)
    return take(pooled, np.sort(fit)), take(pooled, np.sort(held))


def ids_sha256(split: data_lib.ArraySplit) -> str:
    """sha256 of the split's sorted ``id<TAB>label`` lines: the hash
    ``common.data.split_ids_sha256`` records for a builder's split."""
    lines = sorted(f"{i}\t{int(label)}" for i, label in zip(split.ids, split.labels))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclasses.dataclass
class Splits:
    """One input size of one split configuration (full or a fold)."""

    train: data_lib.ArraySplit       # the training split minus validation
    validation: data_lib.ArraySplit  # carved from the training split
    test: data_lib.ArraySplit
    whole_train: data_lib.ArraySplit  # the whole training split (scikit-learn rows)
    official_test_ids: frozenset | None = None  # a cell-level split's: the official test's

    def keras(self) -> dict:
        """``{"train", "validation", "test"}`` for ``fit_and_evaluate``."""
        return {"train": self.train, "validation": self.validation, "test": self.test}

    def sklearn(self) -> dict:
        """``{"train", "test"}`` for ``fit_sklearn`` (cross-validation inside)."""
        return {"train": self.whole_train, "test": self.test}

    def sizes(self) -> dict:
        return {"train": len(self.train), "validation": len(self.validation),
                "test": len(self.test)}

    def identity(self) -> dict:
        """The cells of each part: ``ids_sha256`` per part and, for a cell-level
        split, how many of each part's cells are the official test's."""
        parts = {"train": self.train, "validation": self.validation, "test": self.test}
        out = {"ids_sha256": {name: ids_sha256(part) for name, part in parts.items()}}
        if self.official_test_ids is not None:
            out["official_test_cells"] = {
                name: int(sum(i in self.official_test_ids for i in part.ids))
                for name, part in parts.items()}
        return out


def load_splits(builder, size: int, *, pad: bool = True, subset=None, seed: int = 0,
                validation_fraction: float = VALIDATION_FRACTION,
                cell_level_seed: int | None = None) -> Splits:
    """Reads the builder's ``train`` and ``test`` at ``size`` px, applies the
    profile's ``subset`` (``{"train": n, "test": n}``, stratified) and carves
    the validation cells off the training split -- unless the builder has a
    ``validation`` split of its own (a user's image folder), which is used.

    ``cell_level_seed``: the subsets are pooled and split again at the cell
    level with that seed (:func:`cell_level_split`), and the validation cells
    are carved from its training cells with the same seed."""
    subset = subset or {}
    preprocess = make_preprocess(size, pad)

    def read(split):
        return data_lib.load_arrays(builder, split, preprocess, subset=subset.get(split),
                                    seed=seed)
    train, test = read("train"), read("test")
    if cell_level_seed is not None:
        if "validation" in builder.info.splits:
            raise UserError("A cell-level split pools SNPHEp-2's train and test sets; "
                            f"{builder.info.name} has a validation split of its own.")
        official_test = frozenset(test.ids)
        whole, test = cell_level_split(train, test, cell_level_seed)
        fit, validation = carve_validation(whole, validation_fraction, cell_level_seed)
        return Splits(fit, validation, test, whole, official_test)
    if "validation" in builder.info.splits:
        validation = read("validation")
        return Splits(train, validation, test, join(train, validation))
    fit, validation = carve_validation(train, validation_fraction, seed)
    return Splits(fit, validation, test, train)


def fold_builder(source, k: int, data_dir=None):
    """The prepared builder of fold ``k``: the same dataset (real or
    synthetic) and folder as ``source``, config ``split_k``."""
    if source.user_folder:
        raise UserError("The official Split-50-k folds exist only for SNPHEp-2 (and its "
                        "synthetic stand-in), not for an image folder: pass --no-folds.")
    return data_lib.prepare(dataclasses.replace(source, config=fold_variant(k)), data_dir)
