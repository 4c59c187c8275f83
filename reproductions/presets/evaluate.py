"""Test metrics of a model file, measured the way a user would: a dataset
split written out as image files, classified by ``python -m
reproductions.predict``, the predictions compared with the labels.

:func:`export_split` writes a split of a prepared TFDS builder (or of an
:class:`~reproductions.common.image_folder.ImageFolderDataset`) as 8-bit PNG
files, one per example, at ``<folder>/<id>.png`` (the example's id keeps its
sub-folders: a BioImLab chromosome lands in its karyotype's folder, a user's
image in its class folder) and returns the labels by file. PNG is lossless,
so predict reads exactly the pixels the builder holds.
:func:`evaluate_files` runs ``reproductions.predict.main`` on that folder (in
this process, with any extra predict arguments) and computes accuracy, mean
class accuracy (MCA, the mean over classes of the recall) and per-class recall.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Sequence

import numpy as np

def _safe(part: str) -> str:
    part = re.sub(r"[^A-Za-z0-9._\- ]", "_", part).strip() or "_"
    return "_" + part if part.startswith(".") else part


#: What ``export_split(..., invert=True)`` writes, in the card's words.
INVERTED = "inverted (255 - value: dark object on a white background)"


def export_split(builder, split: str, folder, invert: bool = False) -> dict[str, str]:
    """Writes ``split`` of ``builder`` as PNG files under ``folder``; returns
    ``{relative path: class name}``. ``invert``: each image as ``255 - x``,
    the opposite polarity (e.g. BioImLab's bright-on-black chromosomes as
    the dark-on-white of most G-banded karyotype images), to measure
    ``predict --background auto``."""
    import tensorflow as tf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(builder.info.features["label"].names)
    labels: dict[str, str] = {}
    for index, example in enumerate(builder.as_dataset(split=split, shuffle_files=False)):
        raw_id = example["id"].numpy().decode() if "id" in example else str(index)
        parts = [_safe(p) for p in raw_id.replace("\\", "/").split("/") if p]
        parts[-1] = Path(parts[-1]).stem or f"{index}"
        relative = "/".join(parts) + ".png"
        if relative in labels:
            relative = "/".join(parts) + f"_{index}.png"
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        image = example["image"]
        if image.dtype != tf.uint8:
            raise ValueError(f"{raw_id}: a {image.dtype.name} image; the export writes 8-bit "
                             "PNG files only")
        if invert:
            image = 255 - image
        target.write_bytes(tf.io.encode_png(image).numpy())
        labels[relative] = names[int(example["label"])]
    if not labels:
        raise ValueError(f"split {split!r} is empty")
    return labels


def write_labels(labels: dict[str, str], file) -> None:
    """``path,label`` rows (the file sits next to the image folder: predict
    reads every file inside it)."""
    with Path(file).open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["path", "label"])
        writer.writerows(sorted(labels.items()))


def metrics_from_predictions(truth: Sequence[str], predicted: Sequence[str],
                             class_names: Sequence[str]) -> dict:
    """accuracy, mca (mean over the classes present of their recall),
    per-class recall and support, n."""
    truth, predicted = np.asarray(truth, object), np.asarray(predicted, object)
    recall, support = {}, {}
    for name in class_names:
        mask = truth == name
        support[name] = int(mask.sum())
        if mask.any():
            recall[name] = float(np.mean(predicted[mask] == name))
    return {"n": int(len(truth)), "accuracy": float(np.mean(truth == predicted)),
            "mca": float(np.mean(list(recall.values()))),
            "per_class_recall": recall, "support": support}


def evaluate_files(model_file, folder, labels: dict[str, str],
                   predict_args: Sequence[str] = (), csv_out=None) -> dict:
    """Runs ``python -m reproductions.predict --model MODEL_FILE FOLDER``
    (in-process, plus ``predict_args``) and scores it against ``labels``
    (``{path relative to folder: class}``). Also returns ``predictions``:
    ``{relative path: {"predicted", "probabilities"}}``."""
    from reproductions import predict
    from reproductions.common import export

    folder = Path(folder).resolve()
    csv_out = Path(csv_out) if csv_out is not None else folder.parent / (folder.name + ".csv")
    code = predict.main(["--model", str(model_file), str(folder), "--out", str(csv_out),
                         *predict_args])
    if code != 0:
        raise RuntimeError(f"predict exited with status {code} on {folder} (see above)")
    with csv_out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    by_file = {}
    for row in rows:
        try:  # rows that are not files (a per-specimen summary) are not scored
            by_file[Path(row["path"]).relative_to(folder).as_posix()] = row
        except ValueError:
            continue
    missing = sorted(set(labels) - set(by_file))
    if missing:
        raise RuntimeError(f"predict gave no row for {len(missing)} files, e.g. {missing[:3]}")
    class_names = list(export.class_names(predict.load_model(model_file)))
    unknown = sorted(set(labels.values()) - set(class_names))
    if unknown:
        raise ValueError(f"the test labels {unknown} are not classes of the model "
                         f"({class_names})")
    keys = sorted(labels)
    result = metrics_from_predictions([labels[k] for k in keys],
                                      [by_file[k]["predicted"] for k in keys], class_names)
    result["predictions"] = {
        k: {"predicted": by_file[k]["predicted"],
            "probabilities": [float(by_file[k][f"p_{c}"]) for c in class_names]}
        for k in keys}
    return result


def compare_predictions(a: dict, b: dict) -> dict:
    """How two evaluations of the same files differ: the largest absolute
    difference of any class probability and the number of changed classes."""
    keys = sorted(a["predictions"])
    pa = np.array([a["predictions"][k]["probabilities"] for k in keys])
    pb = np.array([b["predictions"][k]["probabilities"] for k in keys])
    changed = sum(a["predictions"][k]["predicted"] != b["predictions"][k]["predicted"]
                  for k in keys)
    return {"max_abs_probability_difference": float(np.abs(pa - pb).max()),
            "changed_predictions": int(changed), "n": len(keys)}


def summary(result: dict) -> dict:
    """The stored part of an evaluation (without the per-file predictions)."""
    return {k: v for k, v in result.items() if k != "predictions"}
