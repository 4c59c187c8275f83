"""Packaging a trained inference model as a preset (``python -m
reproductions.presets make``).

:func:`make_preset`:

1. checks that the source is an inference model (``reproductions.predict``
   loads it);
2. writes a float32 and a float16 copy (:mod:`reproductions.presets.precision`);
3. when test data is given, writes the test split as image files once and
   runs both copies through ``predict`` on them; ``precision="auto"`` keeps
   float16 when it costs no accuracy and no mean class accuracy
   (:func:`~reproductions.presets.precision.float16_is_free`), float32
   otherwise (and float32 when there is nothing to measure on);
4. stores the chosen file as ``<dest>/model.keras``, refuses it when all
   presets together would exceed the size budget, and writes
   ``metadata.json`` (with what the run record ``results.json`` says about
   the run: protocol, commit, versions, the run's own test score) and
   ``MODEL_CARD.md``.
"""
from __future__ import annotations

import datetime
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from reproductions import presets
from reproductions.presets import card as card_lib
from reproductions.presets import evaluate as eval_lib
from reproductions.presets import precision as precision_lib

INTENDED_USE = (
    "A reproduction of a published research method, shipped so that its numbers can be "
    "checked and the network tried, compared or fine-tuned on other research images. It "
    "is not a medical device, was not validated clinically and must not be used to "
    "diagnose, screen or treat anyone.")
LIMITATIONS = [
    "Not for diagnosis: research use only.",
    "Specimen shift: trained on one public dataset from one lab (microscope, staining, "
    "dilution, imaging, cell segmentation); accuracy on other labs' images is unknown and "
    "usually lower. Check it on labelled images of your own before relying on it, or "
    "fine-tune (`python -m reproductions.finetune`).",
    "It classifies single cells / chromosomes; a patient-level answer needs many of them "
    "and a pathologist.",
    "Weights trained on a dataset whose licence allows research use only; the same terms "
    "apply to the network.",
]
#: What is known about each dataset (name, config) the suite's presets use.
DATASETS = {
    ("bioimlab_chromosomes", None): {
        "split_description": "Splits grouped by karyotype, no patient in two splits: 95 / 8 "
                             "/ 16 karyotypes = 4,370 / 368 / 736 chromosomes "
                             "(tfds_builders/bioimlab_chromosomes/README.md).",
        "train": "the train split: 4,370 chromosomes of 95 karyotypes",
        "validation": "the validation split: 368 chromosomes of 8 other karyotypes",
        "test": "the test split: 736 chromosomes of 16 held-out karyotypes",
        "cells": "chromosomes of held-out karyotypes (patients)",
        "polarity": "bright chromosome on a black background (Q-banded BioImLab crops, "
                    "background 0); predict's --background auto (the default) inverts "
                    "an image whose border is light (dark-on-white karyotype crops)",
        "limits": ["Q-banded chromosomes from one lab (BioImLab, Padova); G-banded images "
                   "differ in banding and polarity."],
    },
    ("snphep2", "full"): {
        "split_description": "The official training (905 cells) and test (979 cells) sets, "
                             "from disjoint specimens.",
        "train": "the official training cells minus a stratified validation set",
        "validation": "a stratified part of the official training cells (same specimens)",
        "test": "the official test set: 979 cells of specimens not in training",
        "cells": "cells of held-out specimens",
        "polarity": "bright (fluorescent) cell on a dark background",
        "limits": ["SNPHEp-2 stands in for the paper's source dataset; 5 classes only."],
    },
    ("i3a_task1", "ap80"): {
        "split_description": "A stratified cell-level 80 / 20 % train / test split (the "
                             "Sensors 2021 protocol); every specimen has cells in both "
                             "splits.",
        "train": "cells of the 80 % training split",
        "validation": "a stratified part of the training split (same specimens)",
        "test": "the 20 % test split: other cells of the training specimens",
        "cells": "cells of training specimens (cell-level split, no specimen held out: "
                 "an optimistic estimate for new specimens)",
        "polarity": "bright (fluorescent) cell on a dark background",
        "limits": ["I3A Task 1 stands in for the paper's LSHEp-2; its test cells come from "
                   "the training specimens, so the card's accuracy overestimates accuracy "
                   "on a new patient's cells."],
    },
}
_RUN_DIR = re.compile(r"^(?P<row>[A-Za-z0-9_]+)-seed(?P<seed>\d+)$")


def dataset_notes(name: str, config: str | None, builder=None) -> dict:
    """What is known about a dataset's splits, in words (``builder``: an
    image folder's, described from its counts)."""
    if name == "image_folder" and builder is not None and hasattr(builder, "counts"):
        sizes = {k: sum(v.values()) for k, v in builder.counts.items()}
        made = (f"; {', '.join(builder.generated_splits)} split here with seed {builder.seed}"
                if builder.generated_splits else "")
        return {
            "split_description": f"A labelled image folder ({builder.layout} layout{made}, "
                                 f"version {builder.version}): "
                                 + ", ".join(f"{k} {v}" for k, v in sizes.items())
                                 + " images.",
            "train": f"the folder's train split ({sizes.get('train', 0)} images)",
            "validation": f"the folder's validation split ({sizes.get('validation', 0)} "
                          "images)",
            "test": f"the folder's test split ({sizes.get('test', 0)} images)",
            "cells": "the folder's test images (whether they come from other specimens "
                     "depends on how the folder was split)",
        }
    return DATASETS.get((name, config), {})


def from_source_path(source: Path) -> dict:
    """paper, work tag, row, seed read from ``<paper>/<tag>/<row>-seed<k>/...``."""
    parts = source.resolve().parts
    for i in range(len(parts) - 1, 1, -1):
        m = _RUN_DIR.match(parts[i])
        if m:
            return {"paper": parts[i - 2], "work_tag": parts[i - 1], "row": m["row"],
                    "seed": int(m["seed"])}
    return {}


def run_record(results_file, row: str, seed: int, variant: str = "") -> tuple[dict, dict]:
    """``(results.json, the run record of row / variant / seed)``."""
    results = json.loads(Path(results_file).read_text())
    runs = [r for r in results.get("runs", []) if r.get("row") == row
            and int(r.get("seed", -1)) == seed and (r.get("variant") or "") == (variant or "")]
    if not runs:
        have = sorted({(r.get("row"), r.get("variant") or "", r.get("seed"))
                       for r in results.get("runs", [])})
        raise presets.PresetError(f"{results_file} has no run of row {row!r} variant "
                                  f"{variant!r} seed {seed}; it has {have}")
    return results, runs[-1]


def _record_dataset(results: dict, dataset: str | None) -> dict:
    found = list((results.get("datasets") or {}).values())
    if dataset:
        name, _, config = dataset.partition("/")
        found = [d for d in found if d.get("name") == name
                 and (d.get("config") or "") == (config or "")] or [
            {"name": name, "config": config or None}]
    if len(found) != 1:
        raise presets.PresetError("the run record reads several datasets; say which one the "
                                  "network was trained on with --dataset NAME[/CONFIG]")
    return found[0]


def _versions() -> dict:
    import platform

    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__}


def _head_commit() -> dict:
    from reproductions.common import provenance

    return provenance.git_commit()


def describe_input(model) -> dict:
    """size, channels, dtype and the preprocessing layer of an inference model."""
    layer = model.layers[1] if len(model.layers) > 1 else None
    config = layer.get_config() if layer is not None else {}
    size = config.get("size", config.get("low_res"))
    if isinstance(size, (list, tuple)):
        size = "x".join(str(s) for s in size)
    return {"size": size, "channels": int(model.inputs[0].shape[-1]),
            "dtype": str(model.inputs[0].dtype), "bit_depth": 8,
            "preprocessing_layer": {"class_name": type(layer).__name__,
                                    "config": {k: v for k, v in config.items()
                                               if k not in ("dtype", "trainable")}}}


def describe_preprocessing(model) -> str:
    import layers as L

    layer = model.layers[1]
    if isinstance(layer, L.CropPadDownsample):
        return (f"crop to the pixels above 0 (the object's bounding box), pad to a square "
                f"with 0, resize to {layer.low_res} px (the low-resolution input the "
                "super-resolution block upsamples). Trained with length normalisation "
                "(each chromosome on a canvas sized by the longest chromosome of its "
                "karyotype): apply predict to the chromosomes of one cell together where "
                "predict supports it; a chromosome alone is padded to its own square.")
    if isinstance(layer, L.PerImageMinMaxResize):
        extra = ", padded to a square" if layer.pad_to_square else ""
        return (f"per-image min-max scaling to [0, 1]{extra}, {layer.method} resizing to "
                f"{layer.size[0] if isinstance(layer.size, (list, tuple)) else layer.size} "
                "px (aspect ratio not kept)" + (", clipped to [0, 1]" if layer.clip else "")
                + "; no mask is used")
    return f"{type(layer).__name__} {layer.get_config()}"


def total_size(root: Path, exclude: str | None = None) -> int:
    """Bytes of every preset folder's files under ``root`` (but ``exclude``)."""
    total = 0
    for name in presets.list_presets(root):
        if name != exclude:
            total += sum(p.stat().st_size for p in (root / name).iterdir() if p.is_file())
    return total


def metric_entry(result: dict, *, dataset: str, config: str | None, split: str, cells: str,
                 command: str, model_sha256: str, predict_args: Sequence[str] = (),
                 images: str | None = None) -> dict:
    """One measured row of the card; ``images``: how the test images were
    changed before ``predict`` saw them (``None``: as in the dataset)."""
    return {"dataset": dataset, "config": config, "split": split, "cells": cells,
            **({"images": images} if images else {}),
            **{k: result[k] for k in ("n", "accuracy", "mca", "per_class_recall", "support")},
            "command": command, "predict_args": list(predict_args),
            "model_sha256": model_sha256,
            "measured": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds")}


def write_metadata(dest: Path, meta: dict) -> None:
    (dest / presets.METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    (dest / presets.CARD_FILE).write_text(card_lib.render_card(meta))


def make_preset(source, name: str, *, dest_root: Path | None = None, paper: str | None = None,
                row: str | None = None, seed: int | None = None, variant: str = "",
                work_tag: str | None = None, profile: str | None = None,
                results_file=None, dataset: str | None = None, title: str | None = None,
                test_data=None, test_split: str = "test", test_command: str | None = None,
                test_cells: str | None = None, train_split: str | None = None,
                validation_split: str | None = None, polarity: str | None = None,
                precision: str = "auto", predict_args: Sequence[str] = (),
                limitations: Sequence[str] = (), extra: dict | None = None,
                budget_bytes: int = presets.SIZE_BUDGET_BYTES, log=print) -> Path:
    """Packages the inference model ``source`` as preset ``name`` in
    ``dest_root`` (default: the committed presets). ``test_data``: ``(builder,
    dataset name, config)`` of the data to measure on (its ``test_split``);
    ``precision``: ``auto``, ``float16`` or ``float32``. Returns the folder."""
    from reproductions import predict

    source = Path(source)
    if not presets.NAME_PATTERN.match(name):
        raise presets.PresetError(f"preset name {name!r}: use lower-case letters, digits, "
                                  "'_' and '-' (at most 64)")
    if precision not in ("auto", "float16", "float32"):
        raise presets.PresetError(f"precision must be auto, float16 or float32, not "
                                  f"{precision!r}")
    model = predict.load_model(source)  # ValueError when it is no inference model
    from reproductions.common import export

    classes = export.class_names(model)
    guessed = from_source_path(source)
    paper = paper or guessed.get("paper")
    row = row or guessed.get("row")
    seed = guessed.get("seed", 0) if seed is None else seed
    work_tag = work_tag or guessed.get("work_tag")

    results, record, ds = {}, {}, {}
    if results_file is not None:
        results, record = run_record(results_file, row, seed, variant)
        ds = _record_dataset(results, dataset)
        paper = paper or results.get("paper")
    elif dataset:
        name_, _, config_ = dataset.partition("/")
        ds = {"name": name_, "config": config_ or None}
    if not ds and test_data is not None:
        ds = {"name": test_data[1], "config": test_data[2]}
    if test_data is not None and not ds.get("version"):  # the builder that was tested
        ds["version"] = str(getattr(test_data[0].info, "version", "")) or None
    notes = dataset_notes(ds.get("name"), ds.get("config"),
                          test_data[0] if test_data is not None else None)
    dest_root = Path(presets.PRESETS_DIR) if dest_root is None else Path(dest_root)
    dest = dest_root / name
    packaged = _head_commit()  # before the preset's own files make the tree dirty

    with tempfile.TemporaryDirectory(prefix="preset-") as tmp:
        tmp = Path(tmp)
        copies = {"float32": tmp / "float32.keras", "float16": tmp / "float16.keras"}
        stripped = tmp / "inference.keras"  # no optimizer state (files exported before it)
        dropped = export.strip_training_state(source, stripped)
        if dropped:
            log(f"left out {dropped:,} values of optimizer state that {source} carries")
        precision_lib.store_float32(stripped, copies["float32"])
        counts = precision_lib.store_float16(stripped, copies["float16"])
        measured, decision = {}, {}
        if test_data is not None:
            builder = test_data[0]
            folder = tmp / "test_images"
            labels = eval_lib.export_split(builder, test_split, folder)
            log(f"{len(labels)} {test_split} images written as PNG; classifying them with "
                "predict (float32 and float16 copies)")
            wanted = ("float32", "float16") if precision == "auto" else (precision,)
            for dtype in wanted:
                measured[dtype] = eval_lib.evaluate_files(
                    copies[dtype], folder, labels, predict_args, csv_out=tmp / f"{dtype}.csv")
                log(f"  {dtype}: accuracy {100 * measured[dtype]['accuracy']:.2f} %, MCA "
                    f"{100 * measured[dtype]['mca']:.2f} %")
        if precision == "auto":
            if "float16" in measured:
                diff = eval_lib.compare_predictions(measured["float32"], measured["float16"])
                free = precision_lib.float16_is_free(measured["float32"], measured["float16"])
                chosen = "float16" if free else "float32"
                decision = {
                    "rule": f"float16 when its accuracy and MCA on the {test_split} split are "
                            f"at most {100 * precision_lib.FREE_DROP:.1f} points below "
                            "float32's, both through predict",
                    "float32": eval_lib.summary(measured["float32"]),
                    "float16": eval_lib.summary(measured["float16"]), **diff,
                    "decision": (
                        f"{chosen}: float16 weights changed {diff['changed_predictions']} of "
                        f"{diff['n']} predicted classes and any probability by at most "
                        f"{diff['max_abs_probability_difference']:.2g}; accuracy "
                        f"{100 * measured['float32']['accuracy']:.2f} % (float32) vs "
                        f"{100 * measured['float16']['accuracy']:.2f} % (float16)")}
            else:
                chosen = "float32"
                decision = {"decision": "float32: no test data to measure float16's cost on"}
        else:
            chosen = precision
            decision = {"decision": f"{chosen}: chosen by --precision"}
            if len(measured) == 1:
                decision[chosen] = eval_lib.summary(measured[chosen])
        decision["stored"] = chosen
        decision["float16_values"] = counts["float16"]
        log(f"stored as {chosen} ({decision['decision']})")

        new_bytes = copies[chosen].stat().st_size
        # the budget is the repository's: a folder written elsewhere (a fine-tuned
        # network) is not counted
        others = (total_size(dest_root, exclude=name)
                  if dest_root.resolve() == Path(presets.PRESETS_DIR).resolve() else None)
        if others is not None and others + new_bytes > budget_bytes:
            raise presets.PresetError(
                f"preset {name!r} ({new_bytes / 2**20:.1f} MiB) would bring the presets to "
                f"{(others + new_bytes) / 2**20:.1f} MiB, over the budget of "
                f"{budget_bytes / 2**20:.0f} MiB; choose a smaller network or remove one")
        dest.mkdir(parents=True, exist_ok=True)
        model_file = dest / presets.MODEL_FILE
        shutil.copyfile(copies[chosen], model_file)
        sha = presets.sha256_file(model_file)
        shipped = measured.get(chosen)

    prov = record.get("provenance", {})
    dataset_name, config = ds.get("name"), ds.get("config")
    metrics = []
    if shipped is not None:
        command = test_command or (
            f"python -m reproductions.presets evaluate {name} --manual-dir "
            f"<{test_data[1]} folder>" + ("" if test_split == "test"
                                          else f" --split {test_split}")
            + "".join(f" {a}" for a in predict_args))
        metrics.append(metric_entry(
            shipped, dataset=test_data[1], config=test_data[2], split=test_split,
            cells=test_cells or notes.get("cells") or f"the {test_split} split",
            command=command, model_sha256=sha, predict_args=predict_args))
    meta = {
        "schema_version": card_lib.SCHEMA_VERSION,
        "name": name,
        "title": title or f"{row or 'network'} ({paper or 'paper'}) trained on "
                          f"{dataset_name or 'its dataset'}",
        "task": "image classification (one cell or chromosome per image)",
        "dataset": {"name": dataset_name, "config": config, "version": ds.get("version"),
                    "splits": ds.get("splits"), "used": ds.get("used"),
                    "split_ids_sha256": ds.get("split_ids_sha256"),
                    "split_description": notes.get("split_description", "")},
        "training": {"split": train_split or notes.get("train", ""),
                     "validation": validation_split or notes.get("validation", "")},
        "test": {"split": notes.get("test") or f"the {test_split} split",
                 "cells": test_cells or notes.get("cells") or f"the {test_split} split"},
        "classes": classes,
        "metrics": metrics,
        "table_row": ({"source": str(results_file), "metric": "aca",
                       "value": record.get("metrics", {}).get("aca"),
                       "mca": record.get("metrics", {}).get("mca"),
                       "n": record.get("metrics", {}).get("n"),
                       "epochs": record.get("epochs"), "best_epoch": record.get("best_epoch")}
                      if record else None),
        "protocol": {"paper": paper, "profile": profile or results.get("profile", {}).get(
                         "name") or prov.get("profile", {}).get("name"),
                     "protocol_sha256": prov.get("profile", {}).get("protocol_sha256"),
                     "row": row, "variant": variant, "seed": seed, "work_tag": work_tag,
                     "results": str(results_file) if results_file else None,
                     "command": prov.get("command"), "source_file": str(source)},
        "commit": {"training": prov.get("commit"), "training_dirty": prov.get("dirty"),
                   "packaged": packaged["commit"], "packaged_dirty": packaged["dirty"]},
        "versions": {**prov.get("packages", {}), **{f"{k} (packaged)": v
                                                     for k, v in _versions().items()}}
        if prov.get("packages") else _versions(),
        "parameters": int(record.get("parameters") or model.count_params()),
        "file": {"name": presets.MODEL_FILE, "bytes": model_file.stat().st_size,
                 "sha256": sha, "weights_dtype": chosen},
        "precision": decision,
        "input": {**describe_input(model),
                  "polarity": polarity or notes.get("polarity")
                  or "bright object on a dark background"},
        "preprocessing": describe_preprocessing(model),
        "intended_use": INTENDED_USE,
        "limitations": [*LIMITATIONS, *notes.get("limits", []), *limitations],
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **(extra or {}),
    }
    write_metadata(dest, meta)
    log(f"preset {name!r} written to {dest} ({model_file.stat().st_size / 2**20:.2f} MiB, "
        f"sha256 {sha[:12]}...)")
    return dest
