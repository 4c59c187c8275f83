"""Figures and extra measurements of the DRI results folder."""
from __future__ import annotations

import numpy as np

from reproductions.common import plots
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
    train = [r["train_images_per_s"] for r in ctx.store.data["runs"]
             if r["row"] == "dri" and r["wall_time_s"] > 0]
    pipeline = [r["pipeline_images_per_s"] for r in ctx.store.data["runs"]
                if r.get("pipeline_images_per_s")]
    if train and pipeline:
        t, p = float(np.mean(train)), float(np.mean(pipeline))
        ctx.store.set_extra("throughput", {
            "dri_train_images_per_s": t, "input_pipeline_images_per_s": p,
            "pipeline_over_training": p / t,
            "note": "DRI training images/s (mean over seeds) and the training tf.data "
                    "pipeline alone (decode-free in-memory arrays + rotation + batching, "
                    "no model), measured in the same process after DRI's first seed"})


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
