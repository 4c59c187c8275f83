"""README sections computed from the stored runs: our confusion matrix in
the layout of the paper's Figure 2 (with the check of the inferred class
names), the per-fold accuracies, the linear probe, held-out cells of the
training specimens vs the test's unseen specimens, the parameter counts."""
from __future__ import annotations

import numpy as np

from reproductions.dcae import protocol
from reproductions.dcae.features import CV_FOLDS
from reproductions.dcae.figures import first_dcae_run
from reproductions.dcae.paper import (DISCUSSED_CONFUSIONS, FIGURE2, FIGURE2_CLASSES,
                                      FIGURE2_LABELS, PAPER)


def _label(name: str) -> str:
    return FIGURE2_LABELS[FIGURE2_CLASSES.index(name)]


def cell_level(store) -> bool:
    """Whether the folder holds a cell-level profile's runs (issue #34)."""
    return store.profile.get("extra", {}).get("split") == "cell_level"


def _split_name(store) -> str:
    return "cell-level split" if cell_level(store) else "official split"


def figure2_section(store) -> str:
    run = first_dcae_run(store.runs, store.profile["seeds"][0])
    if run is None or not set(FIGURE2_CLASSES) <= set(run["metrics"]["per_class"]):
        return ""
    m = run["metrics"]
    ours = protocol.figure2_layout(m["confusion_matrix"], list(m["per_class"]), FIGURE2_CLASSES)
    paper = np.asarray(FIGURE2)
    n = len(FIGURE2_CLASSES)
    lines = ["", f"## Figure 2: confusion matrix of DCAE features + ANN ("
             + ("cell-level test split" if cell_level(store) else "official test split")
             + f", seed {run['seed']})", "",
             "Rows = output class, columns = target class, in % of the target class (each "
             "column sums to 100), as in the paper: `reproduced [paper]`. "
             "`confusion_figure2.png` draws both.", "",
             "| output \\ target | " + " | ".join(FIGURE2_LABELS) + " |",
             "|---|" + "---:|" * n]
    for i, label in enumerate(FIGURE2_LABELS):
        lines.append(f"| {label} | " + " | ".join(
            f"{ours[i, j]:.2f} [{paper[i, j]:.2f}]" for j in range(n)) + " |")
    printed = PAPER.table("table2").row("dcae").values["aca"]
    lines += ["", f"Mean of the diagonal (the MCA): reproduced {np.trace(ours) / n:.2f}, "
              f"paper {np.trace(paper) / n:.2f} (computed from Figure 2; the paper quotes the "
              f"accuracy, {printed:.2f}, reproduced {100 * m['aca']:.2f}).", "",
              "The confusions §3 discusses (% of the target class predicted as the output "
              "class):", "", "| target → output | paper | reproduced |", "|---|---:|---:|"]
    for target, output in DISCUSSED_CONFUSIONS:
        i, j = FIGURE2_CLASSES.index(output), FIGURE2_CLASSES.index(target)
        lines.append(f"| {_label(target)} → {_label(output)} | {paper[i, j]:.2f} | "
                     f"{ours[i, j]:.2f} |")
    check = protocol.naming_check(ours, paper, FIGURE2_CLASSES)
    fine, homo = FIGURE2_CLASSES.index("fine_speckled"), FIGURE2_CLASSES.index("homogeneous")
    renamed = ", ".join(f"our {k.replace('_', ' ')} as {v.replace('_', ' ')}"
                        for k, v in check["best_assignment"].items())
    lines += ["", "**Check of the inferred class names.** SNPHEp-2 numbers its classes; the "
              "names are inferred from the images. Of the "
              f"{check['assignments']} ways to give the paper's five names to our five "
              f"classes, the inferred names rank **{check['rank_of_inferred_names']}** by the "
              "Pearson correlation of the 20 off-diagonal cells with Figure 2 "
              f"(r = {check['r_inferred_names']:.2f}; the best assignment has "
              f"r = {check['best_r']:.2f}"
              + (f", reading {renamed}" if renamed else ", the inferred names themselves")
              + "). The check is weak for the uncertain pair: swapping fine speckled and "
              "homogeneous changes the pattern only through the asymmetry of their mutual "
              f"confusions ({paper[homo, fine]:.2f} vs {paper[fine, homo]:.2f} in the paper) "
              "and their diagonal cells."]
    return "\n".join(lines) + "\n"


def folds_section(store) -> str:
    per_row: dict[str, dict[str, float]] = {}
    for run in store.runs:
        for row, values in run["values"].get("folds", {}).items():
            per_row.setdefault(row, {})[run["variant"]] = values["aca"]
    if not per_row:
        return ""
    folds = sorted({v for values in per_row.values() for v in values})
    labels = {r.key: r.label for r in PAPER.table("folds").rows}
    lines = ["", "## Accuracy (%) on each official fold", "",
             "| method | " + " | ".join(f.replace("split_", "Split-50-") for f in folds) + " |",
             "|---|" + "---:|" * len(folds)]
    for row in (r.key for r in PAPER.table("folds").rows if r.key in per_row):
        lines.append(f"| {labels[row]} | " + " | ".join(
            f"{per_row[row][f]:.2f}" if f in per_row[row] else "—" for f in folds) + " |")
    return "\n".join(lines) + "\n"


def probe_section(store) -> str:
    runs = sorted((r for r in store.runs if r["row"] == "dcae" and not r.get("variant")
                   and "linear_probe" in r), key=lambda r: r["seed"])
    if not runs:
        return ""
    lines = ["", f"## Linear probe per seed ({_split_name(store)})", "",
             "Accuracy (%) of the two classifiers on the same features of each seed's "
             "autoencoder, and their difference.", "",
             "| seed | ANN | logistic regression | ANN − probe | chosen C | probe fit time |",
             "|---:|---:|---:|---:|---|---:|"]
    gaps = []
    for r in runs:
        probe = r["linear_probe"]
        ann, linear = 100 * r["metrics"]["aca"], 100 * probe["metrics"]["aca"]
        gaps.append(ann - linear)
        lines.append(f"| {r['seed']} | {ann:.2f} | {linear:.2f} | {ann - linear:+.2f} | "
                     + ", ".join(f"{k.split('__')[-1]}={v:g}"
                                 for k, v in probe["hyperparameters"].items())
                     + f" | {probe['fit_time_s']:.1f} s |")
    if len(gaps) > 1:
        lines += ["", f"ANN − probe over {len(gaps)} seeds: {np.mean(gaps):+.2f} ± "
                  f"{np.std(gaps, ddof=1):.2f} points (std with n − 1)."]
    dead = [100 * r["dead_latent_fraction"] for r in runs if "dead_latent_fraction" in r]
    if dead:
        lines += ["", "Latent units that are zero on every training cell (ReLUs that never "
                  "fire; the features are the others), per seed: "
                  + ", ".join(f"{d:.1f} %" for d in dead) + "."]
    return "\n".join(lines) + "\n"


def held_out_accuracy(run: dict) -> tuple[str, float] | None:
    """``(what, accuracy %)`` on held-out cells of the *training* specimens:
    a network's validation accuracy at its best epoch, or a scikit-learn
    search's cross-validated accuracy; ``None`` when the run stored neither."""
    if "cv_accuracy" in run:
        return f"{CV_FOLDS}-fold CV", 100 * run["cv_accuracy"]
    history, best = run.get("history", {}), run.get("best_epoch")  # best: from 0
    if best is not None and len(history.get("val_accuracy", ())) > best:
        return f"validation, epoch {best + 1}", 100 * history["val_accuracy"][best]
    return None


def specimens_section(store) -> str:
    """Accuracy on held-out cells of the training specimens next to the test
    accuracy (unseen specimens), per run of the official split."""
    if cell_level(store):  # validation and test cells share specimens there
        return ""
    order = [r.key for r in PAPER.table("table2").rows]
    lines = []
    for r in sorted((r for r in store.runs if not r.get("variant") and r["row"] in order),
                    key=lambda r: (order.index(r["row"]), r["seed"])):
        label = PAPER.label(r["row"])
        for name, run in ((label, r), (f"{label}: linear probe", r.get("linear_probe"))):
            held = held_out_accuracy(run) if run else None
            if held is not None:
                test = 100 * run["metrics"]["aca"]
                lines.append(f"| {name} | {r['seed']} | {held[1]:.2f} ({held[0]}) | "
                             f"{test:.2f} | {test - held[1]:+.2f} |")
    if not lines:
        return ""
    return ("\n## Cells of the training specimens vs unseen specimens\n\n"
            "SNPHEp-2's test cells come from 20 specimens the training split does not have. "
            "The validation cells and the cross-validation folds are drawn from the training "
            "split, so they share specimens with the cells a model is fitted on (this copy of "
            "SNPHEp-2 has no specimen IDs to keep them apart). The difference is what a "
            "cell-level split would add to a reported accuracy.\n\n"
            "| method | seed | held-out training-specimen cells (%) | test, unseen specimens "
            "(%) | test − held-out |\n|---|---:|---:|---:|---:|\n" + "\n".join(lines) + "\n")


def parameters_section(store) -> str:
    found = {}
    for r in store.runs:
        if r.get("variant"):
            continue
        if r["row"] == "dcae_autoencoder" and "parameters" in r:
            found.setdefault("DCAE autoencoder (Table I as run)", r["parameters"])
        elif r["row"] == "dcae" and "parameters" in r:
            found.setdefault("DCAE encoder (Conv1-Conv5)", r["encoder_parameters"])
            found.setdefault(f"ANN {r['latent_dim']}-250-50-{len(r['metrics']['per_class'])} "
                             "(incl. the standardisation's mean and variance)", r["parameters"])
        elif r["row"] == "gao_cnn" and "parameters" in r:
            found.setdefault("Gao et al.'s CNN", r["parameters"])
        elif "feature_dim" in r:
            found.setdefault(f"{PAPER.label(r['row'])}: features per cell", r["feature_dim"])
    if not found:
        return ""
    return ("\n## Sizes\n\n| model | count |\n|---|---:|\n"
            + "".join(f"| {k} | {v:,} |\n" for k, v in found.items()))


PARTS = ("train", "validation", "test")


def cells_section(store) -> str:
    info = store.datasets.get("data", {})
    if "used" not in info:
        return ""
    lines = ["", "## Cells used", "",
             f"Validation: {info.get('validation', 'the dataset’s own validation split')}.", ""]
    if "cell_level" in info:
        lines += ["Each seed's cell-level split: its parts, how many of each part's cells "
                  "come from the official test set (its specimens), and the sha256 of the "
                  "part's ids and labels (first 12 hex digits).", "",
                  "| seed | train | validation | test | official test cells in train / "
                  "validation / test | ids sha256 train / validation / test |",
                  "|---:|---:|---:|---:|---|---|"]
        for seed, cells in sorted(info["cell_level"].items(), key=lambda kv: int(kv[0])):
            mixed = cells.get("official_test_cells", {})
            lines.append(f"| {seed} | {cells['train']} | {cells['validation']} | "
                         f"{cells['test']} | "
                         + " / ".join(str(mixed.get(p, "—")) for p in PARTS) + " | "
                         + " / ".join(cells["ids_sha256"][p][:12] for p in PARTS) + " |")
        return "\n".join(lines) + "\n"
    lines += ["| split | train | validation | test |", "|---|---:|---:|---:|"]
    for name, sizes in [("official", info["used"])] + sorted(info.get("folds", {}).items()):
        lines.append(f"| {name.replace('split_', 'Split-50-')} | {sizes['train']} | "
                     f"{sizes['validation']} | {sizes['test']} |")
    return "\n".join(lines) + "\n"


def sections(store) -> str:
    return "".join((figure2_section(store), folds_section(store), probe_section(store),
                    specimens_section(store), cells_section(store), parameters_section(store)))
