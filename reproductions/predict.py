"""Classify image files with a saved reproduction model.

    python -m reproductions.predict --model RUN_DIR/inference.keras IMAGE_OR_FOLDER [--out predictions.csv]

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
"""
from __future__ import annotations

import argparse
import collections
import csv
import io
import sys
from pathlib import Path

_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_CONVERSIONS = {"rgb_to_gray": "colour->grey", "gray_to_rgb": "grey->colour",
                "alpha_dropped": "alpha dropped", "16bit": "16-bit->8-bit"}
FIXED_COLUMNS = ("path", "predicted", "probability", "converted")


def load_model(path):
    """The inference model at ``path`` (no ``custom_objects``: ``layers``
    registers the custom layers); ``ValueError`` when it is not one."""
    from reproductions.common import tf_runtime
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


def predict_files(model, paths):
    """``(rows, refused)``: one dict per classified file (the CSV columns),
    and ``[(path, reason)]`` for the files refused."""
    import numpy as np

    from reproductions.common import export

    names = export.class_names(model)
    channels = int(model.inputs[0].shape[-1])
    rows, refused = [], []
    for path in paths:
        try:
            image, conversions = read(path, channels)
        except ValueError as exc:
            refused.append((str(path), str(exc)))
            continue
        probs = np.asarray(model(image[None], training=False))[0].astype(float)
        best = int(np.argmax(probs))
        rows.append({"path": str(path), "predicted": names[best],
                     "probability": f"{probs[best]:.6f}", "converted": ";".join(conversions),
                     **{f"p_{n}": f"{p:.6f}" for n, p in zip(names, probs)}})
    return rows, refused


def write_csv(rows, class_names, stream) -> None:
    writer = csv.DictWriter(stream, fieldnames=[*FIXED_COLUMNS,
                                                *(f"p_{n}" for n in class_names)],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reproductions.predict",
        description="Classify image files with a saved reproduction model "
                    "(<run dir>/inference.keras).")
    parser.add_argument("--model", required=True, type=Path,
                        help="an inference.keras a reproduction saved, or a preset's name "
                             "or folder (`python -m reproductions.presets` lists them)")
    parser.add_argument("images", type=Path, help="an image file or a folder of them")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the predictions to this CSV file (default: standard output)")
    args = parser.parse_args(argv)
    try:
        files = image_files(args.images)
        model = load_model(model_path(args.model))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not files:
        print(f"error: {args.images} holds no files", file=sys.stderr)
        return 2

    from reproductions.common import export

    rows, refused = predict_files(model, files)
    names = export.class_names(model)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", newline="") as f:
            write_csv(rows, names, f)
    else:
        buffer = io.StringIO()
        write_csv(rows, names, buffer)
        sys.stdout.write(buffer.getvalue())
    for path, reason in refused:
        print(f"refused: {path}: {reason}", file=sys.stderr)
    converted = sum(1 for r in rows if r["converted"])
    summary = f"{len(rows)} of {len(files)} files classified"
    if args.out is not None:
        summary += f" (written to {args.out})"
    if converted:
        summary += f"; {converted} converted (see the 'converted' column)"
    if refused:
        summary += f"; {len(refused)} refused (named above)"
    print(summary, file=sys.stderr)
    return 2 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
