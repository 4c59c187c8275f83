"""Figures and per-network tables of the DRSN-DC results folder, drawn from
the stored runs (numbers belong in the runs; nothing is computed here that a
run did not store)."""
from __future__ import annotations

from reproductions.common import plots, report
from reproductions.drsn_dc import protocol
from reproductions.drsn_dc.paper import PAPER


def summary_figures(ctx) -> None:
    """DRSN-DC's confusion matrix, the error-rate curves (Fig. 7) and the
    per-class F1 (Fig. 8) of every network, first seed."""
    runs = ctx.store.first_seed_runs()
    first = ctx.profile.seeds[0]
    drsn = runs.get("drsn_dc")
    if drsn is not None:
        m = drsn["metrics"]
        plots.confusion_matrix(m["confusion_matrix"], list(m["per_class"]),
                               ctx.output_dir / "confusion_drsn_dc.png",
                               f"DRSN-DC, test split, seed {first}: macro F1 "
                               f"{100 * m['macro']['f1']:.1f} %")
    if not runs:
        return
    plots.training_curves({PAPER.label(k): protocol.error_curves(r["history"])
                           for k, r in runs.items()},
                          ctx.output_dir / "error_rate_curves.png",
                          f"Fig. 7: error rate (1 − accuracy) per epoch, seed {first}; "
                          "val_error on the validation split, not the test split",
                          keys=("error", "val_error"))
    class_names = list(next(iter(runs.values()))["metrics"]["per_class"])
    everything = ctx.store.first_seed_runs(variants=True)
    plots.per_class_grid({PAPER.label(k): [100 * r["metrics"]["per_class"][c]["f1"]
                                           for c in class_names]
                          for k, r in everything.items()}, class_names,
                         ctx.output_dir / "per_class_f1.png",
                         f"Fig. 8: per-class F1 on the test split (seed {first})",
                         label="F1 of the class (%)")


def per_class_table(store) -> str:
    """Markdown: per-class F1 (%) of every network (first seed)."""
    return report.per_class_table(store.first_seed_runs(variants=True), "f1", PAPER.label)


def parameters_table(store) -> str:
    """Markdown: parameters of every network trained (first seed)."""
    runs = store.first_seed_runs(variants=True)
    if not runs:
        return ""
    return "| network | parameters |\n|---|---:|\n" + "".join(
        f"| {PAPER.label(k)} | {r['parameters']:,} |\n" for k, r in runs.items()
        if "parameters" in r)
