"""Classify image files with a saved reproduction model.

    python -m reproductions.predict --model RUN_DIR/inference.keras IMAGE_OR_FOLDER [--out predictions.csv]
        [--background auto|dark|light] [--group-by folder|REGEX] [--tta]
        [--length-normalization auto|on|off]

``--model`` is an *inference model* as every reproduction saves for the first
seed of each row (``<work-dir>/<row>-seed<seed>/inference.keras``, see
:mod:`reproductions.common.export`): raw uint8 image → the paper's
preprocessing → the trained classifier → class probabilities, with the class
names in the file. Nothing else is needed.

For each image: its path, the predicted class, its probability, a
``converted`` column (``colour->grey``, ``16-bit->8-bit``, ``alpha dropped``
... or empty) and one ``p_<class>`` column per class, as CSV on standard
output or in ``--out``. A folder is read recursively in sorted order (hidden
files, whose names start with ``.``, are skipped). Files are decoded as the
``--image-folder`` reader does (PNG, JPEG, BMP, GIF, TIFF; 16-bit scaled to 8
bits; colour converted to grey where the model works on grey). An empty or
corrupt file, a multi-page TIFF and a non-image are refused, each named with
the reason on standard error; the other files are still classified, and the
exit status is 2 when any file was refused.

Preprocessing as in training:

* ``--background auto|dark|light`` (default ``auto``): every model here was
  trained on bright objects on a dark background. ``auto`` inverts an image
  whose border is light (:func:`reproductions.common.inference_prep.
  background_is_light`), ``light`` inverts every image, ``dark`` none. An
  inverted image says ``inverted (light background)`` (or ``inverted
  (--background light)``) in its ``converted`` column, and the summary
  counts them.
* Length normalisation (Super-Xception): a model whose file says it was
  trained with it (``CropPadDownsample(length_normalization=True)``) gets
  each chromosome centred on the canvas of the longest chromosome of its
  cell, as in training: the chromosomes of one cell are the files of one
  folder, or of one ``--group-by`` group (a file in no group is its own),
  each first cropped as the BioImLab builder crops (specks dropped). A
  ``group`` and a ``canvas`` column (side in pixels) say which. A model saved
  before files said so is applied with its own pad-to-square preprocessing,
  with a note; ``--length-normalization on|off`` overrides the file.
* ``--tta``: every probability is the mean over the 8 rotations by 90° and
  their mirror images (a ``tta`` column gives the number averaged).

``--group-by folder|REGEX`` adds a per-group (per-specimen) answer. A group
is the files of one folder, or the files whose names give the same first
capture group of REGEX (the whole match when it has none; ``re.search`` on
the file name; a file it does not match is in no group). Each image row gets
a ``group`` column, and each group a row of: ``cells`` (images classified),
``vote`` (the class most of them got; a tie goes to the tied class of
highest mean probability) and ``votes`` (how many got it),
``mean_predicted`` and ``mean_probability`` (the class of highest mean
probability, and that mean), and ``p_<class>`` (the mean probability of
each class). The group rows go to ``<out>_groups.csv`` beside ``--out``
(``predictions.csv`` -> ``predictions_groups.csv``), or, without ``--out``,
to standard output after the image rows and an empty line.
"""
from __future__ import annotations

import argparse
import collections
import csv
import io
import re
import sys
from pathlib import Path

from reproductions.common import tf_runtime

_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_CONVERSIONS = {"rgb_to_gray": "colour->grey", "gray_to_rgb": "grey->colour",
                "alpha_dropped": "alpha dropped", "16bit": "16-bit->8-bit"}
FIXED_COLUMNS = ("path", "predicted", "probability", "converted")
#: Columns an image row has only with the options that give them.
OPTIONAL_COLUMNS = ("group", "canvas", "tta")
GROUP_COLUMNS = ("group", "cells", "vote", "votes", "mean_predicted", "mean_probability")
#: ``--length-normalization auto`` on a chromosome model whose file does not say.
UNKNOWN_LN_NOTE = ("note: the model does not say whether it was trained with length "
                   "normalisation (a file saved before it was recorded): each chromosome is "
                   "padded to its own square, as its preprocessing layer does; add "
                   "--length-normalization on if it was")


def load_model(path):
    """The inference model at ``path`` (no ``custom_objects``: ``layers``
    registers the custom layers); ``ValueError`` when it is not one."""
    tf_runtime.import_tensorflow()
    import keras

    import layers  # noqa: F401 - registers the custom layers
    from reproductions.common import export

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--model {path}: no such file")
    try:
        model = keras.models.load_model(path)
    except Exception as exc:  # noqa: BLE001 - any failure is the user's file
        raise ValueError(f"--model {path} cannot be loaded as a Keras model ({exc})") from None
    try:
        export.class_names(model)
    except ValueError:
        raise ValueError(f"--model {path} is not an inference model (it has no "
                         f"{export.CLASS_NAMES_LAYER!r} layer); use the inference.keras "
                         "a reproduction saves in its run folders") from None
    if model.inputs[0].dtype != "uint8":
        raise ValueError(f"--model {path} does not take raw uint8 images")
    return model


def model_path(value) -> Path:
    """``--model VALUE``: an existing file, or a preset's name or folder
    (:mod:`reproductions.presets`), whose file is checked against its sha256
    (a ``ValueError`` when it fails)."""
    from reproductions import presets

    return presets.resolve_model(value)


def image_files(target) -> list[Path]:
    """``target`` itself, or the files under the folder ``target`` (sorted,
    recursive, hidden ones skipped)."""
    target = Path(target)
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise ValueError(f"{target}: no such file or folder")
    return sorted(p for p in target.rglob("*")
                  if p.is_file() and not any(part.startswith(".")
                                             for part in p.relative_to(target).parts))


def read(path, channels: int):
    """``(uint8 (H, W, channels) image, [conversions])``; ``ValueError`` with
    the reason for a file that is refused."""
    import cv2
    import numpy as np

    from reproductions.common.image_folder import read_image

    path = Path(path)
    try:
        head = path.open("rb").read(4)
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    if head in _TIFF_MAGICS:
        try:
            ok, pages = cv2.imdecodemulti(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error:
            ok, pages = False, ()
        if ok and len(pages) > 1:
            raise ValueError(f"a multi-page TIFF ({len(pages)} pages); save the page to "
                             "classify as a file of its own")
    converted = collections.Counter()
    image = read_image(path, channels, converted)
    return image, [_CONVERSIONS.get(k, k) for k in _CONVERSIONS if converted[k]]


def length_normalization(model, setting: str = "auto"):
    """Whether ``model`` is applied with length normalisation: ``True`` /
    ``False``, or ``None`` (``setting`` ``"auto"`` and a chromosome model
    whose file does not say: applied without). ``setting``: ``"auto"`` (what
    the file says), ``"on"`` or ``"off"``; ``ValueError`` for ``"on"`` on a
    model without chromosome preprocessing."""
    import layers as L
    from reproductions.common import export

    pre = export.preprocess_layer(model)
    chromosomes = isinstance(pre, L.CropPadDownsample)
    if setting == "on":
        if not chromosomes:
            raise ValueError("--length-normalization on: the model has no chromosome "
                             "preprocessing (CropPadDownsample)")
        return True
    if setting == "off" or not chromosomes:
        return False
    return pre.length_normalization


def group_key(path, group_by) -> str | None:
    """The group of ``path``: ``None`` without ``group_by``; for
    ``"folder"`` its parent folder; for a compiled pattern its first capture
    group (the whole match when it has none) found by ``re.search`` in the
    file name, ``None`` where it does not match."""
    if group_by is None:
        return None
    path = Path(path)
    if group_by == "folder":
        return str(path.parent)
    match = group_by.search(path.name)
    if match is None:
        return None
    return match.group(1) if match.re.groups and match.group(1) is not None else match.group(0)


def _read_files(paths, channels, background, crop):
    """Yields ``(path, image, notes)``, or ``(path, None, reason)`` for a
    file refused."""
    from reproductions.common import inference_prep

    for path in paths:
        try:
            image, notes = read(path, channels)
            image, inverted = inference_prep.to_dark_background(image, background)
            if inverted:
                notes.append("inverted (light background)" if background == "auto"
                             else f"inverted (--background {background})")
            if crop:
                image = inference_prep.chromosome_crop(image)
        except ValueError as exc:
            yield path, None, str(exc)
            continue
        yield path, image, notes


def _probabilities(model, image, tta: bool):
    """The model's class probabilities for one uint8 image; with ``tta`` the
    mean over its 8 dihedral transforms (those of one shape in one batch)."""
    import numpy as np

    from reproductions.common import inference_prep

    if not tta:
        return np.asarray(model(image[None], training=False))[0].astype(float)
    variants = inference_prep.dihedral(image)
    batches = [np.stack([variants[k] for k in ks]) for ks in ((0, 1, 4, 5), (2, 3, 6, 7))]
    probs = np.concatenate([np.asarray(model(b, training=False)) for b in batches])
    return probs.astype(float).mean(axis=0)


def predict_files(model, paths, *, background: str = "auto", tta: bool = False,
                  group_by=None, length_norm: bool | None = False):
    """``(rows, refused)``: one dict per classified file (the CSV columns,
    and ``_probs``, the probabilities as floats), and ``[(path, reason)]``
    for the files refused. ``background``: see :func:`reproductions.common.
    inference_prep.to_dark_background`; ``tta``: average the 8 dihedral
    transforms; ``group_by``: see :func:`group_key` (adds a ``group``
    column); ``length_norm``: apply length normalisation (see
    :func:`length_normalization`), the chromosomes of a cell grouped by
    ``group_by`` or, without it, by folder."""
    import numpy as np

    from reproductions.common import export, inference_prep

    names = export.class_names(model)
    channels = int(model.inputs[0].shape[-1])
    rows, refused = [], []
    items = _read_files(paths, channels, background, crop=bool(length_norm))
    cells = "folder" if length_norm and group_by is None else group_by
    items = ((path, image, notes, group_key(path, cells)) for path, image, notes in items)
    if length_norm:  # every chromosome of a cell first: the canvas is the longest's
        items = list(items)
        canvas = collections.defaultdict(int)
        for _, image, _, key in items:
            if image is not None and key is not None:
                canvas[key] = max(canvas[key], inference_prep.canvas_side(image))
        tail = inference_prep.classifier_tail(model)
        low_res = export.preprocess_layer(model).low_res
    for path, image, notes, key in items:
        if image is None:
            refused.append((str(path), notes))
            continue
        extra = {} if cells is None else {"group": "" if key is None else key}
        if length_norm:
            side = canvas[key] if key is not None else inference_prep.canvas_side(image)
            variants = inference_prep.dihedral(image) if tta else [image]
            x = np.stack([inference_prep.length_normalized(v, side, low_res) for v in variants])
            probs = np.asarray(tail(x, training=False)).astype(float).mean(axis=0)
            extra["canvas"] = side
        else:
            probs = _probabilities(model, image, tta)
        if tta:
            extra["tta"] = 8
        best = int(np.argmax(probs))
        rows.append({"path": str(path), "predicted": names[best],
                     "probability": f"{probs[best]:.6f}", "converted": ";".join(notes),
                     **extra, **{f"p_{n}": f"{p:.6f}" for n, p in zip(names, probs)},
                     "_probs": probs})
    return rows, refused


def group_rows(rows, class_names):
    """One dict per group of the image ``rows`` (:data:`GROUP_COLUMNS` and
    ``p_<class>``, the mean probabilities), in order of first appearance;
    rows in no group (``group`` empty or missing) are left out."""
    import numpy as np

    members = collections.defaultdict(list)
    for row in rows:
        if row.get("group"):
            members[row["group"]].append(row)
    out = []
    for key, group in members.items():
        mean = np.mean([r["_probs"] for r in group], axis=0)
        counts = collections.Counter(r["predicted"] for r in group)
        top = max(counts.values())
        vote = max((c for c in class_names if counts[c] == top),
                   key=lambda c: mean[class_names.index(c)])
        best = int(np.argmax(mean))
        out.append({"group": key, "cells": len(group), "vote": vote, "votes": top,
                    "mean_predicted": class_names[best],
                    "mean_probability": f"{mean[best]:.6f}",
                    **{f"p_{n}": f"{p:.6f}" for n, p in zip(class_names, mean)}})
    return out


def write_csv(rows, class_names, stream, columns=FIXED_COLUMNS) -> None:
    """``columns``, those of :data:`OPTIONAL_COLUMNS` the rows have, then
    ``p_<class>`` (other keys, such as ``_probs``, are left out)."""
    optional = [c for c in OPTIONAL_COLUMNS if c not in columns and any(c in r for r in rows)]
    writer = csv.DictWriter(stream, fieldnames=[*columns, *optional,
                                                *(f"p_{n}" for n in class_names)],
                            lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


def groups_path(out: Path) -> Path:
    """Where the per-group table goes beside ``--out``: ``<stem>_groups<suffix>``."""
    return out.with_name(f"{out.stem}_groups{out.suffix or '.csv'}")


def _group_by(value: str):
    """``--group-by``: ``"folder"`` or a compiled pattern."""
    if value == "folder":
        return value
    try:
        return re.compile(value)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"not a regular expression ({exc})") from None


def main(argv=None) -> int:
    tf_runtime.command_environment()  # oneDNN on, before TensorFlow loads
    parser = argparse.ArgumentParser(
        prog="python -m reproductions.predict",
        description="Classify image files with a saved reproduction model "
                    "(<run dir>/inference.keras).")
    parser.add_argument("--model", required=True, type=Path,
                        help="an inference.keras a reproduction saved, or a preset's name "
                             "or folder (`python -m reproductions.presets` lists them)")
    parser.add_argument("images", type=Path, help="an image file or a folder of them")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the predictions to this CSV file (default: standard "
                             "output); with --group-by the groups go to <out>_groups.csv")
    parser.add_argument("--background", choices=("auto", "dark", "light"), default="auto",
                        help="the images' background: 'auto' (default) inverts an image "
                             "whose border is light to the bright-on-dark polarity the "
                             "models were trained on; 'light' inverts every image, 'dark' "
                             "none")
    parser.add_argument("--group-by", type=_group_by, default=None, metavar="folder|REGEX",
                        help="a per-group (per-specimen) answer, mean probability and "
                             "majority vote: the files of one folder, or those whose names "
                             "give the same first capture group (or match) of REGEX; also "
                             "the cells of a karyotype for length normalisation (default "
                             "there: folder)")
    parser.add_argument("--tta", action="store_true",
                        help="test-time augmentation: average the probabilities over the 8 "
                             "rotations by 90 degrees and flips of each image")
    parser.add_argument("--length-normalization", choices=("auto", "on", "off"),
                        default="auto",
                        help="chromosome models: normalise each chromosome's length to the "
                             "longest of its group as in training; 'auto' (default): if the "
                             "model file says it was trained so")
    args = parser.parse_args(argv)
    try:
        files = image_files(args.images)
        model = load_model(model_path(args.model))
        length_norm = length_normalization(model, args.length_normalization)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not files:
        print(f"error: {args.images} holds no files", file=sys.stderr)
        return 2

    from reproductions.common import export

    rows, refused = predict_files(model, files, background=args.background, tta=args.tta,
                                  group_by=args.group_by, length_norm=length_norm)
    names = export.class_names(model)
    groups = group_rows(rows, names) if args.group_by is not None else None
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", newline="") as f:
            write_csv(rows, names, f)
        if groups is not None:
            with groups_path(args.out).open("w", newline="") as f:
                write_csv(groups, names, f, columns=GROUP_COLUMNS)
    else:
        buffer = io.StringIO()
        write_csv(rows, names, buffer)
        if groups is not None:
            buffer.write("\n")
            write_csv(groups, names, buffer, columns=GROUP_COLUMNS)
        sys.stdout.write(buffer.getvalue())
    for path, reason in refused:
        print(f"refused: {path}: {reason}", file=sys.stderr)
    _print_summary(args, files, rows, refused, groups, length_norm)
    return 2 if refused else 0


def _print_summary(args, files, rows, refused, groups, length_norm) -> None:
    converted = sum(1 for r in rows if r["converted"])
    inverted = sum(1 for r in rows if "inverted (" in r["converted"])
    summary = f"{len(rows)} of {len(files)} files classified"
    if args.out is not None:
        summary += f" (written to {args.out})"
    if converted:
        summary += f"; {converted} converted (see the 'converted' column)"
    if refused:
        summary += f"; {len(refused)} refused (named above)"
    print(summary, file=sys.stderr)
    if inverted:
        why = ("their border is light" if args.background == "auto"
               else "--background light")
        print(f"background: {inverted} of {len(rows)} images inverted to bright on dark, "
              f"the polarity the model was trained on ({why})", file=sys.stderr)
    by = "folder" if args.group_by in (None, "folder") else f"--group-by {args.group_by.pattern}"
    if length_norm:
        cells = {r["group"] for r in rows if r["group"]}
        print(f"length normalisation, as in training: each chromosome on the canvas of the "
              f"longest chromosome of its cell ({len(cells)} cells by {by}; see the 'group' "
              f"and 'canvas' columns)", file=sys.stderr)
    elif length_norm is None:
        print(UNKNOWN_LN_NOTE, file=sys.stderr)
    if args.tta:
        print("test-time augmentation: each probability is the mean over the 8 rotations "
              "by 90 degrees and flips of the image", file=sys.stderr)
    if groups is not None:
        where = f" (written to {groups_path(args.out)})" if args.out is not None else ""
        outside = sum(1 for r in rows if not r["group"])
        line = f"{len(groups)} groups by {by}: mean probability and vote per group{where}"
        if outside:
            line += f"; {outside} files match no group"
        print(line, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
