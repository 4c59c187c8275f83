"""Figures and extra measurements of the DRI results folder."""
from __future__ import annotations

import numpy as np

from reproductions.common import plots, results
from reproductions.dri.paper import PAPER
from reproductions.dri.models import HEADS

LABELS = {"shallow_inception": "Shallow Inception", "sri": "SRI", "inception": "Inception",
          "dri": "DRI"}


def first_runs(ctx) -> dict:
    """Row -> the stored run of the profile's first seed."""
    first = ctx.profile.seeds[0]
    return {r["row"]: r for r in ctx.store.data["runs"]
            if r["seed"] == first and not r.get("variant")}


def head_histories(history: dict) -> dict:
    """Keras multi-output history -> ``{"FC1": {"loss", "val_loss",
    "accuracy", "val_accuracy"}, ...}`` (one line per head)."""
    out = {}
    for head in HEADS:
        curves = {}
        for key in ("loss", "accuracy"):
            for prefix in ("", "val_"):
                name = f"{prefix}{head}_{key}"
                if name in history:
                    curves[prefix + key] = history[name]
        out[head.upper()] = curves
    return out


def summary_figures(ctx, class_names) -> None:
    """Confusion matrix and head training curves of DRI (first seed),
    per-class accuracy of every row (first seed), and the throughput of DRI
    training next to the input pipeline's (``extra["throughput"]``)."""
    runs = first_runs(ctx)
    first = ctx.profile.seeds[0]
    dri = runs.get("dri")
    if dri is not None:
        m = dri["metrics"]
        plots.confusion_matrix(m["confusion_matrix"], class_names,
                               ctx.output_dir / "confusion_dri.png",
                               f"DRI (FC1+FC2+FC3), test split, seed {first}: "
                               f"MCA {100 * m['mca']:.1f} %, ACA {100 * m['aca']:.1f} %")
        plots.training_curves(head_histories(dri["history"]),
                              ctx.output_dir / "training_curves_dri_heads.png",
                              f"DRI heads (seed {first}, profile {ctx.profile.name}; "
                              "loss per head, unweighted)",
                              keys=("loss", "val_loss", "accuracy", "val_accuracy"))
    if runs:
        plots.per_class_accuracy(
            {LABELS.get(row, row): [100 * r["metrics"]["per_class"][c]["recall"]
                                    for c in class_names] for row, r in runs.items()},
            class_names, ctx.output_dir / "per_class_accuracy.png",
            f"Per-class accuracy on the test split (seed {first}, FC1+FC2+FC3)")
    speed = throughput(ctx.store.data["runs"])
    if speed is not None:
        ctx.store.set_extra("throughput", speed)
    gap = results.paired_gap(PAPER, ctx.store.data["runs"], "table3a", "inception", "dri", "mca")
    if gap is not None:
        ctx.store.set_extra("dri_minus_inception", gap)


def throughput(runs: list[dict]) -> dict | None:
    """DRI training images/s per seed (median as the headline: a seed that
    shared the 2 cores with another process is an outlier) next to the
    training input pipeline alone, measured in the same process right after
    DRI's first seed."""
    train = results.per_seed(runs, "dri", lambda r: r["train_images_per_s"],
                             measured_only=True)
    pipeline = [r["pipeline_images_per_s"] for r in runs
                if r["row"] == "dri" and r.get("pipeline_images_per_s")]
    if not train or not pipeline:
        return None
    seeds = sorted(train)
    t, p = float(np.median([train[k] for k in seeds])), float(np.mean(pipeline))
    return {
        "dri_train_images_per_s": t, "seeds": seeds,
        "dri_train_images_per_s_per_seed": [train[k] for k in seeds],
        "input_pipeline_images_per_s": p, "pipeline_over_training": p / t,
        "note": "DRI training images/s (median over seeds) and the training tf.data "
                "pipeline alone (in-memory arrays + rotation + batching, no model), "
                "measured in the same process after DRI's first seed"}


def per_class_table(ctx, class_names) -> str:
    """Markdown: per-class accuracy (%) of each row's first seed."""
    runs = first_runs(ctx)
    if not runs:
        return ""
    lines = ["| class | " + " | ".join(LABELS.get(r, r) for r in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for c in class_names:
        lines.append(f"| {c} | " + " | ".join(
            f"{100 * run['metrics']['per_class'][c]['recall']:.2f}"
            for run in runs.values()) + " |")
    return "\n".join(lines)


def head_table(ctx) -> str:
    """Markdown: test MCA (%) of each head and sum of heads, per row (first
    seed) -- Table 3(b) for every network."""
    runs = {row: r for row, r in first_runs(ctx).items() if "head_metrics" in r}
    if not runs:
        return ""
    combos = list(next(iter(runs.values()))["head_metrics"])
    lines = ["| prediction | " + " | ".join(LABELS.get(r, r) for r in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for combo in combos:
        lines.append(f"| {combo.upper()} | " + " | ".join(
            f"{100 * run['head_metrics'][combo]['mca']:.2f}" for run in runs.values()) + " |")
    return "\n".join(lines)
