"""Does fine-tuning a preset beat training its architecture from scratch on
a small labelled folder? The measurement behind ``python -m
reproductions.finetune``'s promise, rerun with one command::

    python -m reproductions.finetune_compare --preset snphep2_wavelet_resnet \\
        --dataset i3a_task1/dri_blocks --manual-dir ../shared/data/i3a_task1 \\
        --output-dir results/finetune/snphep2_to_i3a_blocks

For each seed it draws a small class-balanced labelled folder from the
dataset (``--per-class`` training and ``--validation-per-class`` validation
images per class, from the dataset's own train and validation splits), adds
the dataset's *whole* test split as the folder's test split (with
``dri_blocks``: cells of specimen blocks that no training cell comes from),
and runs :func:`reproductions.finetune.finetune` twice on the same folder:
from the preset, and ``--from-scratch`` (same architecture, same head,
random weights). Both are scored by ``predict`` on the test images, as
every preset is. The paired differences (fine-tuned − scratch) get a paired
t-test and a sign test (:func:`reproductions.common.claims.paired_test`).

Writes ``results.json`` (one record per seed and mode, with the folder's
image ids, the preset's sha256 and provenance) and ``README.md`` generated
from it. Seeds already stored are skipped; ``--report-only`` rewrites the
README from ``results.json``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from reproductions.common import tf_runtime

MODES = ("finetuned", "scratch")


def sample_ids(labels: Sequence[int], per_class: int, seed: int) -> list[int]:
    """Indices of ``per_class`` examples of every class (all of a class that
    has fewer), drawn without replacement with ``seed``; sorted."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        chosen += rng.choice(members, min(per_class, len(members)), replace=False).tolist()
    return sorted(int(i) for i in chosen)


def _examples(builder, split: str):
    import tensorflow as tf

    for index, example in enumerate(builder.as_dataset(split=split, shuffle_files=False)):
        image = example["image"]
        if image.dtype != tf.uint8:
            raise ValueError(f"{split}: {image.dtype.name} images; only 8-bit are written")
        raw_id = example["id"].numpy().decode() if "id" in example else str(index)
        yield index, raw_id, image, int(example["label"])


def write_folder(builder, root: Path, per_class: dict[str, int], seed: int,
                 test_folder: Path) -> dict[str, list[str]]:
    """``root/<split>/<class>/<n>.png``: ``per_class[split]`` images per class
    of the builder's train and validation splits (drawn with ``seed``), and
    the test images of ``test_folder`` copied as they are. Returns the ids
    written per split."""
    import tensorflow as tf

    names = list(builder.info.features["label"].names)
    written = {}
    for split, n in per_class.items():
        labels = [label for _, _, _, label in _examples(builder, split)]
        keep = set(sample_ids(labels, n, seed))
        written[split] = []
        for index, raw_id, image, label in _examples(builder, split):
            if index in keep:
                target = root / split / names[label] / f"{index:06d}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tf.io.encode_png(image).numpy())
                written[split].append(raw_id)
    shutil.copytree(test_folder, root / "test")
    return written


def write_test_folder(builder, folder: Path) -> int:
    """The builder's test split as ``folder/<class>/<n>.png``; its size."""
    import tensorflow as tf

    names = list(builder.info.features["label"].names)
    count = 0
    for index, _, image, label in _examples(builder, "test"):
        target = folder / names[label] / f"{index:06d}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(tf.io.encode_png(image).numpy())
        count += 1
    return count


# --- records and report ------------------------------------------------------
def load_results(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def points(results: dict, metric: str) -> tuple[list[int], list[float]]:
    """Seeds with both modes stored, and their ``finetuned − scratch``
    differences of ``metric`` in points."""
    by = {(r["mode"], r["seed"]): r for r in results.get("runs", [])}
    seeds = sorted(s for (m, s) in by if m == MODES[0] and (MODES[1], s) in by)
    return seeds, [100 * (by[(MODES[0], s)]["metrics"][metric]
                          - by[(MODES[1], s)]["metrics"][metric]) for s in seeds]


def render_readme(results: dict) -> str:
    from reproductions.common import claims

    setup = results["setup"]
    runs = sorted(results.get("runs", []), key=lambda r: (r["seed"], MODES.index(r["mode"])))
    lines = [
        "# Fine-tuning a preset vs training from scratch on a small folder",
        "",
        "Generated by `python -m reproductions.finetune_compare` from `results.json` (do not "
        "edit by hand). Command:",
        "",
        f"    {setup['command']}",
        "",
        f"Preset `{setup['preset']}` (sha256 `{setup['preset_sha256'][:16]}...`). Labelled "
        f"folder per seed: {setup['per_class']['train']} training and "
        f"{setup['per_class']['validation']} validation images per class drawn from "
        f"`{setup['dataset']}`'s train and validation splits; test: its whole test split "
        f"({setup['test_images']} images). Both modes train on the same folder "
        "(`reproductions.finetune`: Adam, learning rate "
        f"{setup['learning_rates']['finetuned']} fine-tuned / "
        f"{setup['learning_rates']['scratch']} from scratch, early stopping on the "
        "validation loss) and are scored through `predict` on the test images.",
        "",
        "| seed | mode | training images | epochs (best) | accuracy | MCA | minutes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r['seed']} | {r['mode']} | {r['train_images']} | "
                     f"{r['epochs_run']} ({r['best_epoch']}) | "
                     f"{100 * r['metrics']['accuracy']:.2f} % | "
                     f"{100 * r['metrics']['mca']:.2f} % | {r['seconds'] / 60:.1f} |")
    lines.append("")
    for metric in ("mca", "accuracy"):
        seeds, diffs = points(results, metric)
        if not seeds:
            continue
        gap = {**claims.paired_test(diffs), "points": diffs}
        lines.append("- " + claims.claim_sentence(gap, "Fine-tuned", "from scratch", metric))
    lines.append("")
    return "\n".join(lines)


def run(preset: str, builder, dataset: str, output_dir: Path, *, seeds: Sequence[int],
        per_class: int, validation_per_class: int, epochs: int, patience: int,
        command: str, log=print) -> dict:
    """Runs the missing (seed, mode) pairs; returns the results dict."""
    from reproductions import finetune, presets
    from reproductions.common import provenance

    output_dir.mkdir(parents=True, exist_ok=True)
    results_file = output_dir / "results.json"
    results = load_results(results_file)
    meta = presets.metadata(preset)
    setup = {"preset": meta["name"], "preset_sha256": meta["file"]["sha256"],
             "dataset": dataset, "per_class": {"train": per_class,
                                              "validation": validation_per_class},
             "epochs": epochs, "patience": patience,
             "learning_rates": {"finetuned": finetune.DEFAULT_LR["finetune"],
                                "scratch": finetune.DEFAULT_LR["scratch"]}}
    stored = {k: v for k, v in results.get("setup", {}).items()
              if k not in ("command", "test_images")}
    if stored and stored != setup:
        raise ValueError(f"{results_file} holds runs of another setup ({stored}); use "
                         "another --output-dir")
    results.setdefault("runs", [])
    done = {(r["mode"], r["seed"]) for r in results["runs"]}
    with tempfile.TemporaryDirectory(prefix="finetune-compare-") as tmp:
        test_folder = Path(tmp) / "test"
        test_images = write_test_folder(builder, test_folder)
        results["setup"] = {**setup, "command": command, "test_images": test_images}
        for seed in seeds:
            if all((mode, seed) in done for mode in MODES):
                log(f"seed {seed}: stored, skipped")
                continue
            root = Path(tmp) / f"seed{seed}"
            ids = write_folder(builder, root, {"train": per_class,
                                               "validation": validation_per_class},
                               seed, test_folder)
            for mode in MODES:
                if (mode, seed) in done:
                    continue
                log(f"seed {seed}: {mode} on {len(ids['train'])} training images")
                start = time.time()
                dest = finetune.finetune(preset, root, out=Path(tmp) / "out", name=f"{mode}{seed}",
                                         from_scratch=mode == "scratch", epochs=epochs,
                                         patience=patience, seed=seed, verbose=0, log=log)
                made = presets.metadata(dest)
                (metric,) = made["metrics"]
                results["runs"].append({
                    "mode": mode, "seed": seed, "train_images": len(ids["train"]),
                    "validation_images": len(ids["validation"]),
                    "ids_sha256": provenance.sha256_json(ids),
                    "epochs_run": made["finetune"]["epochs_run"],
                    "best_epoch": made["finetune"]["best_epoch"],
                    "seconds": round(time.time() - start, 1),
                    "metrics": {k: metric[k] for k in ("n", "accuracy", "mca",
                                                       "per_class_recall")},
                    "provenance": provenance.collect(sys.argv)})
                results_file.write_text(json.dumps(results, indent=1) + "\n")
    (output_dir / "README.md").write_text(render_readme(results))
    return results


def main(argv=None) -> int:
    tf_runtime.command_environment()
    parser = argparse.ArgumentParser(prog="python -m reproductions.finetune_compare",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", required=True)
    parser.add_argument("--dataset", required=True, help="NAME/CONFIG, e.g. i3a_task1/dri_blocks")
    parser.add_argument("--manual-dir", type=Path, default=None)
    parser.add_argument("--data", choices=("real", "synthetic"), default="real",
                        help="synthetic: --dataset names an embedded synthetic dataset")
    parser.add_argument("--data-dir", type=Path, default=None, help="TFDS data folder")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--per-class", type=int, default=20,
                        help="training images per class (default 20)")
    parser.add_argument("--validation-per-class", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    from reproductions import presets
    from reproductions.common import data as data_lib
    from reproductions.common.errors import UserError

    if args.report_only:
        results = load_results(args.output_dir / "results.json")
        if not results:
            print(f"error: {args.output_dir / 'results.json'} does not exist", file=sys.stderr)
            return 2
        (args.output_dir / "README.md").write_text(render_readme(results))
        return 0
    try:
        meta = presets.metadata(args.preset)
        name, _, config = args.dataset.partition("/")
        if args.data == "synthetic":  # --dataset names a synthetic dataset
            source = data_lib.DataSource(name, config or None, True, None)
        elif name not in data_lib.REAL_DATASETS:
            raise ValueError(f"--dataset {name!r} is not one of the real datasets "
                             f"({', '.join(data_lib.REAL_DATASETS)}); with --data "
                             "synthetic, name a synthetic one (e.g. synthetic_hep2/tiny)")
        else:
            source = data_lib.resolve_source(name, name, data="real",
                                             manual_dir=args.manual_dir,
                                             real_config=config or None)
        builder = data_lib.prepare(source, args.data_dir,
                                   channels=int(meta["input"]["channels"]))
        command = "python -m reproductions.finetune_compare " + " ".join(
            a for a in (argv if argv is not None else sys.argv[1:]))
        run(args.preset, builder, args.dataset, args.output_dir,
            seeds=[int(s) for s in args.seeds.split(",")], per_class=args.per_class,
            validation_per_class=args.validation_per_class, epochs=args.epochs,
            patience=args.patience, command=command)
    except (presets.PresetError, UserError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output_dir / 'results.json'} and {args.output_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
