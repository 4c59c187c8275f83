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

``--summary ROOT`` reads every such folder under ``ROOT`` (one per folder
size) and writes ``ROOT/README.md`` and ``ROOT/finetune_vs_scratch.png``:
fine-tuned and scratch MCA against the labelled cells per class, with every
seed's point and each size's paired test (a run or ``--report-only`` in a
folder under such a ``ROOT`` rewrites it too)::

    python -m reproductions.finetune_compare --summary results/finetune
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


def save_run(path: Path, results: dict, run: dict | None = None) -> dict:
    """Stores ``run`` (and ``results``' setup) in ``path`` and returns what
    the file now holds.

    Several processes may run seeds of one folder at once (``--seeds 0,1,2``
    and ``--seeds 3,4,5``): under a lock on the folder, the file is read
    again, runs the others stored since are taken in, and the whole is
    written atomically. A (mode, seed) already in the file is not stored
    twice (the first one stays). The setup, with the command the README
    shows, is the last writer's: afterwards, the command over every seed
    stores nothing new but records itself."""
    from reproductions.common.store import atomic_write, locked

    with locked(path.parent):
        on_disk = load_results(path)
        merged = {**results, "runs": list(on_disk.get("runs", []))}
        keys = {(r["mode"], r["seed"]) for r in merged["runs"]}
        for r in results.get("runs", []) + ([run] if run else []):
            if (r["mode"], r["seed"]) not in keys:
                merged["runs"].append(r)
                keys.add((r["mode"], r["seed"]))
        merged["runs"].sort(key=lambda r: (r["seed"], MODES.index(r["mode"])))
        atomic_write(path, json.dumps(merged, indent=1) + "\n")
    return merged


def points(results: dict, metric: str) -> tuple[list[int], list[float]]:
    """Seeds with both modes stored, and their ``finetuned − scratch``
    differences of ``metric`` in points."""
    by = {(r["mode"], r["seed"]): r for r in results.get("runs", [])}
    seeds = sorted(s for (m, s) in by if m == MODES[0] and (MODES[1], s) in by)
    return seeds, [100 * (by[(MODES[0], s)]["metrics"][metric]
                          - by[(MODES[1], s)]["metrics"][metric]) for s in seeds]


def _relative(command: str) -> str:
    """The command with this checkout's absolute path dropped (``--output-dir
    results/...`` as a user would type it from the repository)."""
    from reproductions.common.provenance import REPO_ROOT

    return command.replace(f"{REPO_ROOT.as_posix()}/", "")


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
        f"    {_relative(setup['command'])}",
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


# --- the summary over folder sizes -------------------------------------------
SUMMARY_FIGURE = "finetune_vs_scratch.png"
#: Setup fields that may differ between the folders of one summary section
#: (the size itself, and what only describes a run).
_SIZE_FIELDS = ("per_class", "command", "test_images")


def _protocol(setup: dict) -> str:
    """A section's key: the setup without the folder size."""
    rest = {k: v for k, v in setup.items() if k not in _SIZE_FIELDS}
    rest["validation_per_class"] = setup["per_class"]["validation"]
    return json.dumps(rest, sort_keys=True)


def collect(root: Path) -> list[list[tuple[str, dict]]]:
    """The compare folders directly under ``root`` (a ``results.json`` with
    ``setup`` and ``runs``), grouped into sections of one protocol (preset,
    dataset, validation size, epochs, patience, learning rates) and sorted
    by training images per class: ``[[(folder name, results), ...], ...]``.
    ``ValueError`` when there is none, or when two folders of a section
    have the same size."""
    sections: dict[str, list[tuple[str, dict]]] = {}
    for path in sorted(Path(root).glob("*/results.json")):
        results = load_results(path)
        if not isinstance(results.get("setup"), dict) or "runs" not in results:
            continue  # another command's results folder
        sections.setdefault(_protocol(results["setup"]), []).append((path.parent.name, results))
    if not sections:
        raise ValueError(f"{root} holds no folder written by `python -m "
                         "reproductions.finetune_compare` (<folder>/results.json)")
    out = []
    for folders in sections.values():
        folders.sort(key=lambda f: f[1]["setup"]["per_class"]["train"])
        sizes = [f[1]["setup"]["per_class"]["train"] for f in folders]
        if len(set(sizes)) != len(sizes):
            raise ValueError(f"{root}: two folders of one protocol with the same size "
                             f"({', '.join(name for name, _ in folders)}); keep one")
        out.append(folders)
    return out


def _mean_std(values: Sequence[float], signed: bool = False) -> str:
    if not values:
        return "—"
    std = f" ± {np.std(values, ddof=1):.2f}" if len(values) > 1 else ""
    mean = f"{np.mean(values):+.2f}".replace("-", "−") if signed else f"{np.mean(values):.2f}"
    return mean + std


def _paired(results: dict, metric: str) -> tuple[list[int], dict[str, list[float]], dict]:
    """Paired seeds, each mode's ``metric`` in % on them, and the test of
    their differences."""
    from reproductions.common import claims

    seeds, diffs = points(results, metric)
    by = {(r["mode"], r["seed"]): r for r in results["runs"]}
    values = {m: [100 * by[(m, s)]["metrics"][metric] for s in seeds] for m in MODES}
    return seeds, values, {**claims.paired_test(diffs), "points": diffs}


def render_summary(sections: list[list[tuple[str, dict]]], root_name: str) -> str:
    from reproductions.common import claims

    lines = [
        SUMMARY_TITLE,
        "",
        "Generated by `python -m reproductions.finetune_compare --summary "
        f"{root_name}` from the `results.json` of each folder below (do not edit by "
        "hand). Each folder's README has its runs and command; the protocol of the "
        "sizes is in `reproductions/presets/NOTES.md`. MCA and accuracy in % on the "
        "whole test split, mean ± std over the seeds whose two modes are both stored; "
        "the difference is paired by seed (same labelled folder). A difference is "
        "*established* when the paired t-test and the sign test both give p < 0.05.",
        "",
        f"![fine-tuned and scratch MCA against the labelled cells per class]({SUMMARY_FIGURE})",
        "",
    ]
    for folders in sections:
        setup = folders[0][1]["setup"]
        lines += [
            f"## Preset `{setup['preset']}` on `{setup['dataset']}`",
            "",
            f"{setup['per_class']['validation']} validation images per class; at most "
            f"{setup['epochs']} epochs, patience {setup['patience']}; learning rate "
            f"{setup['learning_rates']['finetuned']} fine-tuned / "
            f"{setup['learning_rates']['scratch']} from scratch.",
            "",
            "| training images per class | folder | seeds | fine-tuned MCA | scratch MCA | "
            "fine-tuned − scratch, MCA | t-test p | sign test p | accuracy: fine-tuned − "
            "scratch | fine-tunings at the epoch cap |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        sentences = []
        for name, results in folders:
            seeds, values, gap = _paired(results, "mca")
            _, _, acc = _paired(results, "accuracy")
            tuned = [r for r in results["runs"] if r["mode"] == MODES[0]]
            capped = sum(r["epochs_run"] >= results["setup"]["epochs"] for r in tuned)
            diff = (f"{_mean_std(gap['points'], signed=True)} ({gap['ahead']} of {gap['n']} ahead)"
                    if seeds else "—")
            lines.append(
                f"| {results['setup']['per_class']['train']} | [{name}]({name}/README.md) | "
                f"{len(seeds)} | {_mean_std(values[MODES[0]])} | {_mean_std(values[MODES[1]])} | "
                f"{diff} | {claims.fmt_p(gap['t_test_p'])} | {claims.fmt_p(gap['sign_test_p'])} | "
                f"{_mean_std(acc['points'], signed=True)} | {capped} of {len(tuned)} |")
            if seeds:
                sentences.append(
                    f"- {results['setup']['per_class']['train']} per class: " +
                    claims.claim_sentence(gap, "Fine-tuned", "from scratch", "mca"))
        lines += [""] + sentences + [""]
    return "\n".join(lines)


def summary_figure(sections: list[list[tuple[str, dict]]], path: Path) -> Path:
    """Left: each mode's MCA against the training images per class (every
    seed a dot, the mean a line); right: the paired differences per seed
    with their mean. One row of panels per section."""
    import matplotlib.pyplot as plt

    from reproductions.common import plots

    fig, axes = plt.subplots(len(sections), 2, figsize=(10, 3.8 * len(sections)),
                             squeeze=False)
    for (left, right), folders in zip(axes, sections):
        sizes = [f[1]["setup"]["per_class"]["train"] for f in folders]
        paired = [_paired(results, "mca") for _, results in folders]
        for mode, colour in zip(MODES, ("tab:blue", "tab:orange")):
            means = [np.mean(v[mode]) if v[mode] else np.nan for _, v, _ in paired]
            left.plot(sizes, means, color=colour, marker="o", label=mode)
            for size, (_, v, _) in zip(sizes, paired):
                left.scatter([size] * len(v[mode]), v[mode], color=colour, alpha=0.4, s=12)
        for size, (_, _, gap) in zip(sizes, paired):
            right.scatter([size] * len(gap["points"]), gap["points"], color="tab:green",
                          alpha=0.5, s=14)
            if gap["points"]:
                right.errorbar([size], [gap["mean"]], yerr=[gap["std"] or 0.0],
                               color="black", marker="_", markersize=14, capsize=4)
        right.axhline(0.0, color="grey", linewidth=0.8)
        setup = folders[0][1]["setup"]
        left.set_title(f"{setup['preset']} → {setup['dataset']}", fontsize=9)
        right.set_title("fine-tuned − scratch (per seed; mean ± std)", fontsize=9)
        for ax, label in ((left, "test MCA (%)"), (right, "MCA difference (points)")):
            ax.set_xscale("log")
            ax.set_xticks(sizes, [str(s) for s in sizes])
            ax.minorticks_off()
            ax.margins(x=0.15)
            ax.set_xlabel("training images per class")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        left.legend(fontsize=8)
    return plots.save(fig, path, "Fine-tuning a preset vs training from scratch")


def write_summary(root: Path) -> Path:
    """``root/README.md`` and the figure over the compare folders under ``root``."""
    import matplotlib

    matplotlib.use("Agg")
    sections = collect(root)
    summary_figure(sections, Path(root) / SUMMARY_FIGURE)
    readme = Path(root) / "README.md"
    readme.write_text(render_summary(sections, Path(root).as_posix()))
    return readme


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
                results = save_run(results_file, results, {
                    "mode": mode, "seed": seed, "train_images": len(ids["train"]),
                    "validation_images": len(ids["validation"]),
                    "ids_sha256": provenance.sha256_json(ids),
                    "epochs_run": made["finetune"]["epochs_run"],
                    "best_epoch": made["finetune"]["best_epoch"],
                    "seconds": round(time.time() - start, 1),
                    "metrics": {k: metric[k] for k in ("n", "accuracy", "mca",
                                                       "per_class_recall")},
                    "provenance": provenance.collect(sys.argv)})
    results = save_run(results_file, results)  # this command, and the others' runs
    (output_dir / "README.md").write_text(render_readme(results))
    refresh_summary(output_dir.parent)
    return results


SUMMARY_TITLE = "# Fine-tuning a preset vs training from scratch: every folder size"


def refresh_summary(root: Path) -> bool:
    """Rewrites ``root``'s summary (``--summary``) if ``root`` has one, so
    that it never lags its folders; whether it did."""
    readme = Path(root) / "README.md"
    if not readme.is_file() or not readme.read_text().startswith(SUMMARY_TITLE):
        return False
    write_summary(root)
    return True


def main(argv=None) -> int:
    tf_runtime.command_environment()
    parser = argparse.ArgumentParser(prog="python -m reproductions.finetune_compare",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--summary", type=Path, metavar="ROOT", default=None,
                        help="write ROOT/README.md and a figure over the folders of this "
                        "command under ROOT (one per size), and train nothing")
    parser.add_argument("--preset")
    parser.add_argument("--dataset", help="NAME/CONFIG, e.g. i3a_task1/dri_blocks")
    parser.add_argument("--manual-dir", type=Path, default=None)
    parser.add_argument("--data", choices=("real", "synthetic"), default="real",
                        help="synthetic: --dataset names an embedded synthetic dataset")
    parser.add_argument("--data-dir", type=Path, default=None, help="TFDS data folder")
    parser.add_argument("--output-dir", type=Path)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--per-class", type=int, default=20,
                        help="training images per class (default 20)")
    parser.add_argument("--validation-per-class", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    if args.summary is not None:
        try:
            readme = write_summary(args.summary)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {readme} and {args.summary / SUMMARY_FIGURE}")
        return 0
    missing = [f"--{n.replace('_', '-')}" for n in ("preset", "dataset", "output_dir")
               if getattr(args, n) is None and not (args.report_only and n != "output_dir")]
    if missing:
        parser.error(f"{', '.join(missing)} required (or --summary ROOT)")
    from reproductions import presets
    from reproductions.common import data as data_lib
    from reproductions.common.errors import UserError

    if args.report_only:
        results = load_results(args.output_dir / "results.json")
        if not results:
            print(f"error: {args.output_dir / 'results.json'} does not exist", file=sys.stderr)
            return 2
        (args.output_dir / "README.md").write_text(render_readme(results))
        refresh_summary(args.output_dir.parent)
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
