"""Figures and per-network tables of the DRI results folder, drawn from
the stored runs."""
from __future__ import annotations

from reproductions.common import plots, report
from reproductions.dri.models import HEADS
from reproductions.dri.paper import PAPER


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


def summary_figures(ctx) -> None:
    """Confusion matrix and head training curves of DRI (first seed) and
    per-class accuracy of every row (first seed)."""
    runs = ctx.store.first_seed_runs()
    first = ctx.profile.seeds[0]
    dri = runs.get("dri")
    if dri is not None:
        m = dri["metrics"]
        plots.confusion_matrix(m["confusion_matrix"], list(m["per_class"]),
                               ctx.output_dir / "confusion_dri.png",
                               f"DRI (FC1+FC2+FC3), test split, seed {first}: "
                               f"MCA {100 * m['mca']:.1f} %, ACA {100 * m['aca']:.1f} %")
        plots.training_curves(head_histories(dri["history"]),
                              ctx.output_dir / "training_curves_dri_heads.png",
                              f"DRI heads (seed {first}, profile {ctx.profile.name}; "
                              "loss per head, unweighted)",
                              keys=("loss", "val_loss", "accuracy", "val_accuracy"))
    if runs:
        class_names = list(next(iter(runs.values()))["metrics"]["per_class"])
        plots.per_class_accuracy(
            {PAPER.label(row): [100 * r["metrics"]["per_class"][c]["recall"]
                                for c in class_names] for row, r in runs.items()},
            class_names, ctx.output_dir / "per_class_accuracy.png",
            f"Per-class accuracy on the test split (seed {first}, FC1+FC2+FC3)")


def per_class_table(store) -> str:
    """Markdown: per-class accuracy (%) of each row's first seed."""
    return report.per_class_table(store.first_seed_runs(), "recall", PAPER.label)


def head_table(store) -> str:
    """Markdown: test MCA (%) of each head and sum of heads, per row (first
    seed) -- Table 3(b) for every network."""
    runs = {row: r for row, r in store.first_seed_runs().items() if "head_metrics" in r}
    if not runs:
        return ""
    combos = list(next(iter(runs.values()))["head_metrics"])
    lines = ["| prediction | " + " | ".join(PAPER.label(r) for r in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for combo in combos:
        lines.append(f"| {combo.upper()} | " + " | ".join(
            f"{100 * run['head_metrics'][combo]['mca']:.2f}" for run in runs.values()) + " |")
    return "\n".join(lines)
