"""A real labelling loop on your own images (beyond the paper).

::

    python -m reproductions.active_transfer query --model SAVED.keras --pool DIR --n 200
    (an expert fills in the `label` column of to_label.csv)
    python -m reproductions.active_transfer update --model SAVED.keras --labels to_label.csv

``query`` scores every image under ``DIR`` (any depth; PNG, JPEG, BMP, TIFF,
8 or 16 bit, grey or colour, converted as ``--image-folder`` converts) that
the model has not been trained on, and writes the ``n`` most uncertain to
``--out`` (default ``to_label.csv``):
``rank, path, predicted, uncertainty, label`` (``label`` empty, for the
expert). ``update`` fine-tunes the model on everything labelled so far -- the
earlier rounds' cells and the new CSV -- with early stopping on a stratified
20 % of them, and saves the next model (``SAVED-round1.keras``,
``-round2`` ...). Each model has a ``.json`` beside it with its class names
and the labelled images, so the next ``query`` skips them.

Starting points: the reproduction saves its initial-learning network
(``initial.keras``, SNPHEp-2's five classes) and its first-seed IN-AL
network (``final.keras``, the target's six) in its work folder. To start a
task with other classes, ``update --classes a,b,c`` replaces the head as the
paper's transfer does (new random head, layers before the second residual
block frozen).

A CSV with problems (an unknown class, a missing or unreadable file, a path
listed twice or labelled in an earlier round, a row without a label) is
refused as a whole, every problem named, exit status 2; nothing is written.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from reproductions.active_transfer.profiles import SETTINGS as PROFILE_SETTINGS
from reproductions.common import cli
from reproductions.common.errors import UserError

PROG = "python -m reproductions.active_transfer"
MAX_LISTED = 20  # problems named in one error; the rest are counted
IGNORED = {"__MACOSX", "Thumbs.db", "desktop.ini"}


# --- models with their class list -------------------------------------------
def sidecar(path: Path) -> Path:
    """``model.keras`` -> ``model.json`` (class names, labelled images)."""
    return Path(path).with_suffix(".json")


def save_model(model, path, *, classes: Sequence[str], labelled: Sequence[dict] = (),
               parent: Path | None = None, round_: int = 0, note: str = "") -> Path:
    """Saves ``model`` as ``path`` (``.keras``) with its sidecar."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    sidecar(path).write_text(json.dumps(
        {"classes": list(classes), "round": round_,
         "parent": None if parent is None else str(parent), "note": note,
         "labelled": list(labelled)}, indent=1) + "\n")
    return path


def open_preset(name) -> tuple:
    """``(classifier, sidecar dict)`` of a preset (its name or folder): the
    trained network behind the preset's preprocessing layer, which must be
    the active-transfer preprocessing (:class:`layers.PerImageMinMaxResize`
    at the classifier's input size, what :func:`load_images` applies), and
    the class names the preset carries; nothing labelled yet (round 0)."""
    import layers as L
    from reproductions import presets
    from reproductions.common import export

    try:
        model = presets.load(name)
    except presets.PresetError as exc:
        raise UserError(str(exc)) from None
    classifier = presets.nested_classifier(model)
    prep = export.preprocess_layer(model)
    size = int(classifier.input_shape[1])
    same = (isinstance(prep, L.PerImageMinMaxResize) and int(prep.size) == size
            and (prep.method, prep.clip, prep.antialias, prep.pad_to_square)
            == ("bicubic", True, False, False))
    if not same:
        raise UserError(
            f"preset {name!r} preprocesses with {type(prep).__name__} "
            f"({prep.get_config()}), not the per-image min-max resize to {size} px that "
            "this labelling loop applies: use a HEp-2 preset of the active-transfer "
            "paper (python -m reproductions.presets lists them).")
    meta = presets.metadata(name)
    return classifier, {
        "classes": export.class_names(model), "round": 0, "labelled": [],
        "parent": f"preset {meta.get('name', name)} (sha256 {meta['file']['sha256']})",
        "note": f"the preset {meta.get('name', name)}, as shipped"}


def preset_name(path) -> str | None:
    """The preset that ``--model`` names, or ``None`` when it is a file."""
    from reproductions import presets

    candidate = Path(path).expanduser()
    if candidate.is_file() or not presets.is_preset(path):
        return None
    return presets.metadata(path).get("name", candidate.name)


def open_model(path) -> tuple:
    """``(model, sidecar dict)`` of a model saved by this command, or of a
    preset (:func:`open_preset`); a ``UserError`` saying what is wrong."""
    import keras

    if preset_name(path) is not None:
        return open_preset(path)
    path = Path(path).expanduser()
    if path.suffix != ".keras" or not path.is_file():
        raise UserError(f"--model {path} is not a .keras file or a preset. Use a model "
                        "saved by this command (the reproduction's initial.keras / "
                        "final.keras, or the output of `update`) or a preset's name "
                        "(python -m reproductions.presets lists them).")
    meta_path = sidecar(path)
    if not meta_path.is_file():
        raise UserError(f"{path} has no {meta_path.name} beside it (its class names and "
                        "labelled images): use a model saved by this command.")
    meta = json.loads(meta_path.read_text())
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(f"{path} cannot be loaded as a Keras model ({exc}).") from None
    if model.output_shape[-1] != len(meta["classes"]):
        raise UserError(f"{path} has {model.output_shape[-1]} outputs but {meta_path.name} "
                        f"names {len(meta['classes'])} classes.")
    return model, meta


# --- images -----------------------------------------------------------------
def _hidden(name: str) -> bool:
    return name.startswith(".") or name in IGNORED


def pool_images(folder, exclude: set[str] = frozenset()) -> list[Path]:
    """Image files under ``folder`` (any depth, sorted), less ``exclude``
    (resolved paths)."""
    from reproductions.common.image_folder import IMAGE_EXTENSIONS

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"--pool {folder} does not exist or is not a folder.")
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        found += [Path(root, f).resolve() for f in files
                  if not _hidden(f) and Path(f).suffix.lower() in IMAGE_EXTENSIONS]
    if not found:
        raise UserError(f"--pool {folder} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
    return sorted(p for p in found if str(p) not in exclude)


def read_image(path: Path) -> np.ndarray:
    """One grey uint8 ``(H, W, 1)`` image, converted as ``--image-folder``
    converts (colour to grey, 16 to 8 bits, alpha dropped); ``ValueError``
    with the reason when the file cannot be read."""
    from reproductions.common import image_folder

    return image_folder.read_image(path, channels=1)


def _refuse(where: str, problems: list[str], hint: str = "") -> None:
    if problems:
        listed = "\n".join(f"  {p}" for p in problems[:MAX_LISTED])
        more = (f"\n  ... and {len(problems) - MAX_LISTED} more"
                if len(problems) > MAX_LISTED else "")
        raise UserError(f"{where}: {len(problems)} problem(s); nothing was changed.\n"
                        f"{listed}{more}" + (f"\n{hint}" if hint else ""))


def load_images(paths: Sequence[Path], image_size: int, where: str) -> np.ndarray:
    """The images as the network's input ``(N, size, size, 1)``; every
    unreadable file named in one ``UserError``."""
    from reproductions.active_transfer.data import preprocess_image

    images, problems = [], []
    for path in paths:
        try:
            images.append(preprocess_image(read_image(path), image_size).numpy())
        except ValueError as exc:
            problems.append(f"{path}: {exc}")
    _refuse(where, problems)
    return np.stack(images) if images else np.zeros((0, image_size, image_size, 1), np.float32)


def _input_size(model) -> int:
    return int(model.input_shape[1])


# --- query --------------------------------------------------------------------
def query(model_path, pool_dir, n: int, out, *, criterion: str = "entropy",
          batch_size: int = 64, seed: int = 0) -> list[dict]:
    """Writes the ``n`` most uncertain images of ``pool_dir`` to ``out``;
    returns the rows."""
    from reproductions.active_transfer import active

    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}.")
    model, meta = open_model(model_path)
    done = {item["path"] for item in meta["labelled"]}
    paths = pool_images(pool_dir, done)
    if not paths:
        raise UserError(f"every image under {pool_dir} is labelled already.")
    images = load_images(paths, _input_size(model), f"--pool {pool_dir}")
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    scores = active.uncertainty(probabilities, criterion)
    chosen = active.most_uncertain(scores, n, np.random.default_rng(seed))
    rows = [{"rank": rank, "path": str(paths[i]),
             "predicted": meta["classes"][int(np.argmax(probabilities[i]))],
             "uncertainty": f"{scores[i]:.6f}", "label": ""}
            for rank, i in enumerate(chosen, start=1)]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["rank", "path", "predicted", "uncertainty",
                                               "label"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


# --- update -------------------------------------------------------------------
def read_labels(csv_path, classes: Sequence[str], labelled: Sequence[dict]) -> list[dict]:
    """``[{"path", "label"}]`` of a labelled CSV (columns ``path`` and
    ``label``; other columns ignored; relative paths are relative to the
    CSV's folder; class names in any letter case). Every problem is named
    in one ``UserError``."""
    csv_path = Path(csv_path).expanduser()
    if not csv_path.is_file():
        raise UserError(f"--labels {csv_path} does not exist.")
    try:
        with open(csv_path, newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"--labels {csv_path} is not a CSV file ({exc}).") from None
    if "path" not in columns or "label" not in columns:
        raise UserError(f"--labels {csv_path} needs the columns path and label (it has "
                        f"{', '.join(columns) or 'none'}); `query` writes such a file.")
    by_lower = {c.lower(): c for c in classes}
    earlier = {item["path"]: item["label"] for item in labelled}
    seen: dict[str, int] = {}
    out, problems = [], []
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        raw, label = row.get("path", ""), row.get("label", "")
        where = f"line {line}"
        if not raw:
            problems.append(f"{where}: no path")
            continue
        path = Path(raw).expanduser()
        path = (path if path.is_absolute() else csv_path.parent / path).resolve()
        key = str(path)
        if key in seen:
            problems.append(f"{where}: {raw} is listed twice (also line {seen[key]})")
            continue
        seen[key] = line
        if not label:
            problems.append(f"{where}: {raw} has no label (label it, or remove the line)")
        elif label.lower() not in by_lower:
            problems.append(f"{where}: unknown class {label!r} for {raw} (the model's "
                            f"classes: {', '.join(classes)})")
        if key in earlier:
            problems.append(f"{where}: {raw} is labelled already ({earlier[key]!r}, in an "
                            "earlier round)")
        if not path.is_file():
            problems.append(f"{where}: {raw}: no such file")
        else:
            try:
                read_image(path)
            except ValueError as exc:
                problems.append(f"{where}: {raw} {exc}")
        out.append({"path": key, "label": by_lower.get(label.lower(), label)})
    if not rows:
        problems.append("no labelled rows")
    _refuse(f"--labels {csv_path}", problems)
    return out


def next_model_path(model_path: Path) -> Path:
    """``x.keras`` -> ``x-round1.keras``; ``x-round3.keras`` -> ``x-round4.keras``;
    a preset ``NAME`` -> ``NAME-round1.keras`` in the working directory."""
    name = preset_name(model_path)
    if name is not None:
        return Path.cwd() / f"{name}-round1.keras"
    match = re.fullmatch(r"(.*)-round(\d+)", model_path.stem)
    stem = f"{match[1]}-round{int(match[2]) + 1}" if match else f"{model_path.stem}-round1"
    return model_path.with_name(stem + ".keras")


def update(model_path, labels_csv, out=None, *, classes: Sequence[str] | None = None,
           epochs: int = 50, patience: int = 5, batch_size: int = 32,
           learning_rate: float = 1e-3, validation_fraction: float = 0.2, seed: int = 0,
           verbose: int = 0) -> Path:
    """Fine-tunes the model on every labelled image so far and saves the next one."""
    import keras

    from reproductions.active_transfer import data, models
    from reproductions.common import training
    from reproductions.common.data import ArraySplit

    model, meta = open_model(model_path)
    model_path = Path(model_path).expanduser()
    out = next_model_path(model_path) if out is None else Path(out).expanduser()
    if out.exists() or sidecar(out).exists():
        raise UserError(f"{out} exists; pass another --out (models are never overwritten).")
    earlier = meta["labelled"]
    if classes:  # a new task: the paper's transfer to a new head
        if len(set(classes)) != len(classes) or len(classes) < 2:
            raise UserError(f"--classes needs at least two distinct names, got {classes}.")
        earlier = []
    new = read_labels(labels_csv, classes or meta["classes"], earlier)
    class_names = tuple(classes or meta["classes"])
    items = list(earlier) + new
    images = load_images([Path(i["path"]) for i in items], _input_size(model),
                         f"--labels {labels_csv}")
    labelled = ArraySplit(images, np.array([class_names.index(i["label"]) for i in items]),
                          np.array([i["path"] for i in items]), class_names)
    if len(labelled) >= 5:
        train, validation = data.hold_out(labelled, validation_fraction)
    else:  # too few to hold any out: the labelled images decide when to stop
        train, validation = labelled, labelled
    training.set_determinism(seed)
    if classes:
        model = models.transfer(model, len(class_names))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with tempfile.TemporaryDirectory() as run_dir:
        outcome = training.train(model, train, validation, run_dir=Path(run_dir),
                                 epochs=epochs, batch_size=batch_size, seed=seed,
                                 early_stopping_patience=patience, tensorboard=False,
                                 verbose=verbose, bn_recalibration_images=(
                                     PROFILE_SETTINGS.bn_recalibration_images))
    save_model(model, out, classes=class_names, labelled=items,
               parent=meta["parent"] if preset_name(model_path) else model_path,
               round_=int(meta.get("round", 0)) + 1,
               note=f"fine-tuned on {len(items)} labelled images ({len(new)} new): "
                    f"{outcome.stopped_by}")
    return out


# --- benchmark ----------------------------------------------------------------
def benchmark(sizes: Sequence[int], *, batches: int = 6, batch_size: int = 128) -> list[str]:
    """Training (all layers / early layers frozen) and prediction images per
    CPU-second and per wall-clock second at each input size (the
    measurement in ``profiles.py``)."""
    import keras

    from reproductions.active_transfer import models
    from reproductions.common.benchmark import images_per_second

    cores = os.cpu_count() or 1
    lines = [f"{cores} CPU cores, load average {os.getloadavg()[0]:.2f}"]
    for size in sizes:
        rng = np.random.default_rng(0)
        x = rng.random((batch_size, size, size, 1), dtype=np.float32)
        y = rng.integers(0, 6, batch_size)
        for label, frozen in (("all layers", False), ("frozen early", True)):
            keras.utils.set_random_seed(0)
            model = models.ParallelWaveletResNet(input_shape=(size, size, 1), classes=6,
                                                 bn_momentum=0.9)
            if frozen:
                models.freeze_early_layers(model)
            model.compile(optimizer=keras.optimizers.Adam(1e-3),
                          loss="sparse_categorical_crossentropy")
            wall, per_core = images_per_second(lambda: model.train_on_batch(x, y),
                                                batches=batches, batch_size=batch_size)
            lines.append(f"{size} px, train {label}: {per_core / cores:7.1f} images per "
                         f"CPU-second, {wall:7.1f} images/s wall clock")
        wall, per_core = images_per_second(lambda: model.predict_on_batch(x),
                                            batches=batches, batch_size=batch_size)
        lines.append(f"{size} px, predict: {per_core / cores:7.1f} images per CPU-second, "
                     f"{wall:7.1f} images/s wall clock")
    return lines


# --- command line ---------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from reproductions.active_transfer.active import CRITERIA

    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("query", help="write the n most uncertain images of a folder")
    q.add_argument("--model", required=True, type=Path, help="a .keras model saved by this "
                   "command (with its .json beside it)")
    q.add_argument("--pool", required=True, type=Path, help="folder of unlabelled images")
    q.add_argument("--n", type=int, default=200, help="images to label (default 200)")
    q.add_argument("--out", type=Path, default=Path("to_label.csv"))
    q.add_argument("--criterion", choices=list(CRITERIA), default="entropy",
                   help="uncertainty (default: entropy, the paper's)")
    q.add_argument("--batch-size", type=int, default=64)
    u = sub.add_parser("update", help="fine-tune on the expert's labels, save the next model")
    u.add_argument("--model", required=True, type=Path)
    u.add_argument("--labels", required=True, type=Path,
                   help="CSV with columns path and label (e.g. query's output, filled in)")
    u.add_argument("--out", type=Path, help="the next model (default: MODEL-round<k+1>.keras)")
    u.add_argument("--classes", help="comma-separated classes of a new task: replaces the "
                   "head (transfer as in the paper; earlier labels are not used)")
    u.add_argument("--epochs", type=int, default=50, help="at most (default 50)")
    u.add_argument("--patience", type=int, default=5,
                   help="early stopping on the validation loss (default 5, the paper's)")
    u.add_argument("--batch-size", type=int, default=32)
    u.add_argument("--learning-rate", type=float, default=1e-3)
    u.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("benchmark", help="training speed behind the cpu profile")
    b.add_argument("--sizes", default="64,112", help="input sizes (default 64,112)")
    b.add_argument("--batches", type=int, default=6)
    b.add_argument("--batch-size", type=int, default=128)
    return parser


@cli.entry_point
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "query":
        rows = query(args.model, args.pool, args.n, args.out, criterion=args.criterion,
                     batch_size=args.batch_size)
        print(f"wrote the {len(rows)} most uncertain images ({args.criterion}) to {args.out}; "
              "fill in its label column, then run `update --labels` with it")
    elif args.command == "update":
        classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
        out = update(args.model, args.labels, args.out, classes=classes, epochs=args.epochs,
                     patience=args.patience, batch_size=args.batch_size,
                     learning_rate=args.learning_rate, seed=args.seed)
        print(f"saved the next model to {out} (and {sidecar(out).name})")
    else:
        for line in benchmark([int(s) for s in args.sizes.split(",")],
                              batches=args.batches, batch_size=args.batch_size):
            print(line, flush=True)
    return 0
