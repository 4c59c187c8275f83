"""A user's own labelled image folder, read like a prepared TFDS builder.

:func:`open_image_folder` checks and decodes a folder of images once, into
memory, and returns an :class:`ImageFolderDataset` that
:func:`reproductions.common.data.load_arrays` reads exactly like a prepared
TFDS builder (``info.splits``, ``info.name``, ``info.version``,
``info.features["label"].names``, ``as_dataset(split=...)`` yielding
``{"image", "label", "id"}``).

Layouts (detected from the folder):

* ``ROOT/<class>/<image>`` (layout ``"classes"``): the splits are made here, a
  stratified, seeded cut of every class with ``split_fractions`` (see
  :func:`tfds_builders.splits.stratified_assignment`, the rule the suite's
  builders split with: within a class the files are put in a hash order salted
  with the seed, every split but the last gets ``round_half_up(fraction * n)``
  of them, the last the rest).
* ``ROOT/<split>/<class>/<image>`` with split folders ``train``,
  ``validation`` (or ``val``) and ``test`` (layout ``"splits"``): the splits
  are the folders. ``train`` is required; without a validation folder one is
  cut out of ``train`` by the same rule, with the validation fraction
  relative to train + validation (0.16 / 0.80 = 20 % by default).

The split layout is chosen when every top-level folder is named train,
validation, val or test (any letter case) and at least one of them holds
folders; otherwise the top-level folders are the classes.

Labels are the **sorted class folder names** (Python string order, so
case-sensitive: ``"Z" < "a"``), as in ``tfds.ImageFolder``; ``label`` is the
index in that list. Every split must have the same class folders.

Decoding and conversions (grey / colour, alpha, 16-bit) are those of
:mod:`reproductions.common.image_files`, counted in
:attr:`ImageFolderDataset.converted`.

Refusals are :class:`reproductions.common.errors.UserError` with what to do.
All problems with files and folders (wrong extensions, undecodable or empty
files, files at the wrong level, folders nested too deep, class folders
without images) are collected and reported in one message, so that they can
be fixed in one go. Hidden files and folders (``.DS_Store``, ``._*``,
``.ipynb_checkpoints`` ...) and ``__MACOSX``, ``Thumbs.db``, ``desktop.ini``
are ignored.
"""
from __future__ import annotations

import collections
import hashlib
from pathlib import Path
from typing import Mapping

import numpy as np

from reproductions.common.errors import UserError
from reproductions.common.image_files import (CONVERSIONS, IMAGE_EXTENSIONS, BadImage,
                                              decode_and_convert, read_image)
from reproductions.common.image_folder_dataset import (DecodedSplit, ImageFolderDataset,
                                                       ImageFolderInfo, SplitInfo)
from tfds_builders.splits import stratified_assignment

__all__ = ["open_image_folder", "ImageFolderDataset", "ImageFolderInfo", "SplitInfo",
           "IMAGE_EXTENSIONS", "DEFAULT_SPLIT_FRACTIONS", "read_image"]

DEFAULT_SPLIT_FRACTIONS = (("train", 0.64), ("validation", 0.16), ("test", 0.20))
SPLIT_FOLDERS = {"train": "train", "validation": "validation", "val": "validation",
                 "test": "test"}
SPLIT_ORDER = ("train", "validation", "test")
IGNORED_NAMES = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})
MAX_LISTED = 20  # problems named in one error; the rest are counted

_LAYOUT_HELP = ("An image folder is ROOT/<class>/<image> (the splits are made for you) "
                "or ROOT/<split>/<class>/<image> with split folders train, validation "
                "(or val) and test; images are " + ", ".join(IMAGE_EXTENSIONS)
                + " files (any letter case).")


# --- listing -----------------------------------------------------------------
def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES


def _entries(folder: Path) -> list[Path]:
    """The visible entries of ``folder``, sorted by name."""
    try:
        return sorted((p for p in folder.iterdir() if not _ignored(p.name)),
                      key=lambda p: p.name)
    except OSError as exc:
        raise UserError(f"Cannot list the folder {folder}: {exc.strerror or exc}. "
                        "Check that it exists and is readable.") from None


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


class _Problems:
    """Problems with files and folders, reported together in one error."""

    def __init__(self, root: Path):
        self.root = root
        self.items: list[tuple[str, str]] = []
        self.nested = 0  # folders inside class folders

    def add(self, path: Path, message: str, folder: bool = False) -> None:
        self.items.append((_rel(path, self.root) + ("/" if folder else ""), message))

    def raise_if_any(self, hint: str = "") -> None:
        if not self.items:
            return
        items = sorted(self.items)
        lines = [f"  {where}: {what}" for where, what in items[:MAX_LISTED]]
        if len(items) > MAX_LISTED:
            lines.append(f"  ... and {len(items) - MAX_LISTED} more.")
        noun = "problem" if len(items) == 1 else "problems"
        raise UserError(
            f"The image folder {self.root} has {len(items)} {noun}; fix "
            f"{'it' if len(items) == 1 else 'them all'} and run again (paths are "
            f"relative to the folder):\n" + "\n".join(lines) + f"\n{_LAYOUT_HELP}{hint}")


def _class_images(folder: Path, problems: _Problems) -> list[Path]:
    """The image files of a class folder; anything else is a problem."""
    images = []
    for path in _entries(folder):
        if path.is_dir():
            problems.nested += 1
            inside = sum(1 for p in path.rglob("*") if p.is_file() and not _ignored(p.name))
            problems.add(path, f"a folder inside the class folder ({inside} "
                         f"file{'' if inside == 1 else 's'}): images "
                         f"must sit directly in {_rel(folder, problems.root)}/; move them "
                         "up or remove the folder", folder=True)
        elif path.suffix.lower() in IMAGE_EXTENSIONS:
            images.append(path)
        else:
            problems.add(path, f"not an image file ({path.suffix or 'no extension'}); "
                         "remove it or move it out of the folder")
    if not images:
        problems.add(folder, "a class folder without images; add images or remove it",
                     folder=True)
    return images


def _stray_files(folder: Path, problems: _Problems, where: str) -> list[Path]:
    """The subfolders of ``folder``; its files are at the wrong level."""
    folders = []
    for path in _entries(folder):
        if path.is_dir():
            folders.append(path)
        else:
            problems.add(path, f"a file at the wrong level: {where}")
    return folders


def _is_split_layout(top: list[Path]) -> bool:
    return bool(top) and all(p.name.lower() in SPLIT_FOLDERS for p in top) and any(
        q.is_dir() for p in top for q in _entries(p))


def _read(path: Path, channels: int, converted: collections.Counter,
          problems: _Problems) -> tuple[np.ndarray | None, int]:
    """``(uint8 pixels or None if the file is a problem, size in bytes)``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.add(path, f"cannot be read ({exc.strerror or exc})")
        return None, 0
    try:
        return decode_and_convert(data, channels, converted), len(data)
    except BadImage as exc:
        problems.add(path, str(exc))
        return None, len(data)


# --- splits ------------------------------------------------------------------
def _check_fractions(split_fractions) -> tuple[tuple[str, float], ...]:
    try:
        fractions = tuple((str(name), float(f)) for name, f in split_fractions)
    except (TypeError, ValueError):
        fractions = ()
    names = [name for name, _ in fractions]
    if (not fractions or len(set(names)) != len(names) or any(f <= 0 for _, f in fractions)
            or abs(sum(f for _, f in fractions) - 1.0) > 1e-6):
        raise UserError(f"split_fractions must be (name, fraction) pairs with distinct "
                        f"names and positive fractions that sum to 1, e.g. "
                        f"{DEFAULT_SPLIT_FRACTIONS}; got {split_fractions!r}.")
    return fractions


def _always_enough(fractions, salt: str) -> int:
    """The smallest N such that a class of N or more images gives every split
    at least one (with the rounding of ``stratified_assignment``)."""
    # above k / min(fraction) every split is non-empty, whatever the rounding
    bound = int(np.ceil(len(fractions) / min(f for _, f in fractions))) + 1
    enough = bound
    for n in range(bound, 0, -1):
        cut = stratified_assignment({"c": [str(i) for i in range(n)]}, fractions, salt)
        if not all(cut.values()):
            break
        enough = n
    return enough


def _stratified_split(groups: Mapping[str, list[str]], fractions, salt: str,
                      where: str) -> dict[str, dict[str, list[str]]]:
    """Splits every class of ``groups`` (class -> ids): split -> class -> ids.
    Every class must get at least one id in every split."""
    cut = {c: stratified_assignment({c: ids}, fractions, salt) for c, ids in groups.items()}
    lacking = {c: len(groups[c]) for c, splits in cut.items() if not all(splits.values())}
    if lacking:
        need = _always_enough(fractions, salt)
        shares = ", ".join(f"{name} {f:g}" for name, f in fractions)
        listed = ", ".join(f"{c!r} has {n}" for c, n in sorted(lacking.items()))
        raise UserError(
            f"Too few images to split {where} ({shares}) with every class in every "
            f"split: {listed}. Each class needs at least {need} images; add images to "
            f"{'this class' if len(lacking) == 1 else 'these classes'}"
            f"{' or make the validation folder yourself' if where.startswith('train') else ''}.")
    return {name: {c: cut[c][name] for c in groups} for name, _ in fractions}


# --- opening -----------------------------------------------------------------
def open_image_folder(root, *, channels: int = 1,
                      split_fractions=DEFAULT_SPLIT_FRACTIONS, seed: int = 0,
                      data_dir=None) -> ImageFolderDataset:
    """Checks and decodes a labelled image folder (see the module docstring).

    Args:
      root: ``ROOT/<class>/<image>`` or ``ROOT/<split>/<class>/<image>``.
      channels: 1 (grey) or 3 (RGB): every image is converted to it.
      split_fractions: ``((name, fraction), ...)`` summing to 1: the splits
        made in the class layout; in the split layout only the train and
        validation fractions are used, to cut a validation split out of
        ``train`` when there is no validation folder.
      seed: seed of the splits made here (the same folder and seed give the
        same splits).
      data_dir: unused (nothing is written; the folder is decoded into
        memory); accepted for the signature of
        :func:`reproductions.common.data.prepare`.

    Raises:
      UserError: the folder cannot be used; the message says what to fix.
    """
    del data_dir
    if channels not in (1, 3):
        raise UserError(f"channels must be 1 (grey) or 3 (RGB), not {channels!r}.")
    fractions = _check_fractions(split_fractions)
    root = Path(root).expanduser()
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise UserError(f"The image folder {root.absolute()} {what}. {_LAYOUT_HELP}")
    root = root.resolve()
    problems = _Problems(root)

    top = _entries(root)
    if not any(p.is_dir() for p in top):
        found = f" (it holds {len(top)} files but no folders)" if top else ""
        raise UserError(f"The image folder {root} has no class folders{found}. Put the "
                        f"images in one folder per class. {_LAYOUT_HELP}")
    # folder key ("" in the class layout, else the split name) -> class -> files
    tree: dict[str, dict[str, list[Path]]] = {}
    if _is_split_layout([p for p in top if p.is_dir()]):
        layout = "splits"
        split_dirs = {}
        for folder in _stray_files(root, problems, "only split folders belong in the "
                                   "top level (train, validation or val, test)"):
            name = SPLIT_FOLDERS[folder.name.lower()]
            if name in split_dirs:
                raise UserError(f"The image folder {root} has two folders for the "
                                f"{name} split, {split_dirs[name].name}/ and "
                                f"{folder.name}/; merge them into one.")
            split_dirs[name] = folder
        if "train" not in split_dirs:
            raise UserError(f"The image folder {root} has split folders "
                            f"({', '.join(sorted(p.name for p in split_dirs.values()))}) "
                            "but no train/ folder; a train split is required.")
        for name in SPLIT_ORDER:
            if name in split_dirs:
                classes = _stray_files(split_dirs[name], problems,
                                       f"images belong in {split_dirs[name].name}/<class>/")
                tree[name] = {c.name: _class_images(c, problems) for c in classes}
        _check_same_classes(root, {split_dirs[k].name: v for k, v in tree.items()})
    else:
        layout = "classes"
        classes = _stray_files(root, problems, "images belong in <class>/ folders")
        tree[""] = {c.name: _class_images(c, problems) for c in classes}
    class_names = sorted(next(iter(tree.values())))
    if len(class_names) < 2:
        raise UserError(
            f"The image folder {root} has {len(class_names)} class folder"
            f"{''.join(f' ({c}/)' for c in class_names)}; a "
            "classifier needs at least two. Add a folder per class" +
            (" (if it is a split, put the class folders inside it)." if layout == "classes"
             else "."))

    converted: collections.Counter = collections.Counter()
    decoded: dict[str, np.ndarray] = {}
    listing = []
    for folder in tree.values():
        for paths in folder.values():
            for path in paths:
                rel = _rel(path, root)
                decoded[rel], size = _read(path, channels, converted, problems)
                listing.append(f"{rel}\t{size}")
    problems.raise_if_any(
        " If the top-level folders are splits, name them train, validation (or val) "
        "and test." if problems.nested and layout == "classes" else "")

    ids = {key: {c: [_rel(p, root) for p in paths] for c, paths in classes.items()}
           for key, classes in tree.items()}
    by_split, generated = _assign_splits(ids, fractions, seed)
    splits = {}
    for name, groups in by_split.items():
        labelled = sorted((i, label) for label, c in enumerate(class_names) for i in groups[c])
        splits[name] = DecodedSplit([decoded[i] for i, _ in labelled],
                              np.array([label for _, label in labelled], np.int64),
                              [i for i, _ in labelled])
    version = hashlib.sha256("\n".join(sorted(listing)).encode()).hexdigest()[:12]
    return ImageFolderDataset(root, layout, class_names, channels, seed, splits, generated,
                              {k: converted[k] for k in CONVERSIONS if converted[k]},
                              version)


def _check_same_classes(root: Path, classes_by_split: Mapping[str, Mapping]) -> None:
    everywhere = set().union(*classes_by_split.values())
    missing = {split: sorted(everywhere - set(classes))
               for split, classes in classes_by_split.items()
               if everywhere - set(classes)}
    if missing:
        where = "; ".join(f"{split}/ lacks {', '.join(names)}"
                          for split, names in missing.items())
        raise UserError(f"The split folders of {root} do not have the same class "
                        f"folders: {where}. Every split needs a folder (with images) for "
                        "every class, or the labels would not mean the same in each.")


def _assign_splits(ids: Mapping[str, Mapping[str, list[str]]], fractions, seed: int):
    """split -> class -> ids from folder key -> class -> ids, and the names of
    the splits made here."""
    if "" in ids:  # class layout
        return (_stratified_split(ids[""], fractions, f"image_folder:{seed}", "the classes"),
                [name for name, _ in fractions])
    share = dict(fractions)
    if "validation" in ids or not {"train", "validation"} <= share.keys():
        return dict(ids), []
    val = share["validation"] / (share["train"] + share["validation"])
    carved = _stratified_split(ids["train"], (("validation", val), ("train", 1 - val)),
                               f"image_folder:validation:{seed}",
                               "train/ into train and validation")
    return {"train": carved["train"], "validation": carved["validation"],
            **{k: v for k, v in ids.items() if k != "train"}}, ["validation"]
