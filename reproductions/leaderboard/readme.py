"""``results/leaderboard/``: README.md, leaderboard.csv, leaderboard.png and inflation.png,
all written from ``results.json`` (every number in them is computed here from
the stored runs; the prose without numbers comes from NOTES.md). No TensorFlow.
"""
from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path

from reproductions.common import claims, report
from reproductions.common.records import SYNTHETIC_MARK
from reproductions.common.store import atomic_write
from reproductions.common.summary import aggregate
from reproductions.leaderboard import scoring
from reproductions.leaderboard.spec import (ANCHORS, CROSS_LAB_CLASSES, INFLATION, LEADERBOARD,
                                            NETWORKS, NOT_COMPARABLE, SETTINGS, TARGET)

CSV_FILE = "leaderboard.csv"
FIGURE_FILE = "leaderboard.png"
INFLATION_FILE = "inflation.png"
SHORT = {"i3a_cells": "I3A cell-level", "i3a_blocks": "I3A specimen blocks",
         "snphep2": "SNPHEp-2 official", "cross_lab": "I3A → SNPHEp-2 (4 classes)"}
ENTRY = "Suite's entry (chosen on validation)"


def _fmt(agg: dict | None) -> str:
    """``report.format_value``, with ``(n=1)`` too: every cell says its seeds."""
    if not agg or agg.get("std") is not None:
        return report.format_value(agg)
    return f"{report.format_value(agg)} (n={agg['n']})"


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def costs(runs: list[dict]) -> dict:
    """Network -> parameters, median training CPU-minutes per run (complete
    measurements only), median inference images/s, median seconds per epoch."""
    out = {}
    for net in NETWORKS:
        mine = [r for r in runs if r["row"] == net.key]
        if not mine:
            continue
        cpu = [r["train_cpu_s"] / 60 for r in mine
               if r.get("train_cpu_s") is not None and r.get("train_cpu_complete")]
        epoch = [r["wall_time_s"] / r["epochs"] for r in mine
                 if r.get("epochs") and r["wall_time_s"] > 0]
        out[net.key] = {"parameters": next((r.get("parameters") or r.get("support_vectors")
                                            for r in mine), None),
                        "parameter_kind": "support vectors" if net.kind == "sklearn"
                        else "weights",
                        "train_cpu_min": _median(cpu),
                        "inference_images_per_s": _median(
                            [r.get("inference_images_per_s") for r in mine]),
                        "wall_s_per_epoch": _median(epoch)}
    return out


def entry_summary(extra: dict) -> dict:
    """Setting -> the entry's test metrics over seeds (mean, std, n) and its choices."""
    out = {}
    for key, by_seed in extra.get("suite_entry", {}).items():
        tests = [e["test"] for e in by_seed.values()]
        out[key] = {m: {"mean": statistics.fmean(t[m] for t in tests),
                        "std": statistics.stdev(t[m] for t in tests) if len(tests) > 1 else None,
                        "n": len(tests)} for m in ("mca", "aca", "f1")}
        out[key]["choices"] = {seed: (e["members"], e["tta"], e["validation_mca"],
                                      len(e.get("networks", ())))
                               for seed, e in by_seed.items()}
    return out


def matrix_markdown(data: dict) -> str:
    """The matrix: MCA per network and setting, inflation, costs; the entry last."""
    runs = data["runs"]
    agg = aggregate(LEADERBOARD, runs)
    infl = scoring.inflation(runs)
    cost = costs(runs)
    entry = entry_summary(data.get("extra", {}))
    head = ["network", "from", SHORT["i3a_cells"], SHORT["i3a_blocks"],
            "inflation (cells − blocks)", SHORT["snphep2"], SHORT["cross_lab"], "parameters",
            "training CPU-min per run", "inference images/s"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for net in NETWORKS:
        c = cost.get(net.key, {})
        cells = [_fmt(agg[s].get(net.key, {}).get("mca")) for s in
                 ("i3a_cells", "i3a_blocks")]
        i = infl.get(net.key)
        cells.append("—" if i is None else f"{i['points']:+.2f}".replace("-", "−"))
        cells += [_fmt(agg[s].get(net.key, {}).get("mca")) for s in ("snphep2", "cross_lab")]
        params = c.get("parameters")
        cells.append("—" if params is None else
                     f"{params:,}" + (" SV" if c["parameter_kind"] != "weights" else ""))
        cells.append("—" if c.get("train_cpu_min") is None else f"{c['train_cpu_min']:.1f}")
        cells.append("—" if c.get("inference_images_per_s") is None
                     else f"{c['inference_images_per_s']:.0f}")
        lines.append(f"| {net.label} | {net.source} | " + " | ".join(cells) + " |")
    if entry:
        row = ["—", _fmt(entry.get("i3a_blocks", {}).get("mca")), "—",
               _fmt(entry.get("snphep2", {}).get("mca")), "—", "—", "—", "—"]
        lines.append(f"| **{ENTRY}** | this suite | " + " | ".join(row) + " |")
    return "\n".join(lines)


def inflation_sentence(runs: list[dict]) -> str | None:
    """The inflation column as one paired claim over the networks."""
    claim = scoring.inflation_claim(runs)
    if not claim["rows"]:
        return None
    labels = {n.key: n.label for n in NETWORKS}
    return (claims.claim_sentence(claim, "Cell-level", "specimen blocks", "mca", "I3A",
                                  unit="network")
            + f" Networks in the order of the points: "
            f"{', '.join(labels[row] for row in claim['rows'])}.")


def _anchors_markdown() -> list[str]:
    lines = [f"Published contest results on the contests' own private test sets of unseen "
             f"specimens: **{NOT_COMPARABLE}** with any column above.", "",
             "| contest | value | metric | source |", "|---|---:|---|---|"]
    lines += [f"| {a.contest} | {a.value} | {a.metric} | {a.source} |" for a in ANCHORS]
    return lines


def _aca_f1_markdown(runs) -> list[str]:
    agg = aggregate(LEADERBOARD, runs)
    keys = [s.key for s in SETTINGS]
    lines = ["| network | " + " | ".join(f"{SHORT[k]} ACA | {SHORT[k]} macro F1" for k in keys)
             + " |", "|---|" + "---:|" * (2 * len(keys))]
    for net in NETWORKS:
        cells = [_fmt(agg[k].get(net.key, {}).get(m)) for k in keys for m in ("aca", "f1")]
        lines.append(f"| {net.label} | " + " | ".join(cells) + " |")
    return lines


def ranking_sentence(rank: dict, what: str, against: str) -> str:
    labels = {n.key: n.label for n in NETWORKS}
    text = (f"{what} against {against}, MCA, {len(rank['rows'])} networks: "
            f"{claims.tau_text(rank)}")
    if rank["pairs"]:
        text += f"; {len(rank['flips'])} of {rank['pairs']} pairs change order"
    if rank["flips"]:
        text += " (" + "; ".join(f"{labels[a]} above {labels[b]}" for a, b in rank["flips"]) + ")"
    return text + "."


def _rankings_markdown(runs) -> list[str]:
    pairs = (("i3a_blocks", "i3a_cells", "The order on unseen specimens (I3A blocks)",
              "the order on the cell-level split"),
             ("snphep2", "i3a_cells", "The order on SNPHEp-2 (specimen-disjoint)",
              "the order on the I3A cell-level split"),
             ("cross_lab", "i3a_blocks", "The order on SNPHEp-2's cells (trained on I3A)",
              "the order on I3A specimen blocks"))
    out = []
    for table, against, what, other in pairs:
        rank = scoring.ranking(runs, table, against)
        if len(rank["rows"]) >= 2:
            out.append("- " + ranking_sentence(rank, what, other))
    return out


def _entry_markdown(extra: dict) -> list[str]:
    labels = {n.key: n.label for n in NETWORKS}
    out = []
    for key, e in entry_summary(extra).items():
        mca = e["mca"]
        spread = f" ± {mca['std']:.2f}" if mca["std"] is not None else ""
        choices = "; ".join(
            f"seed {seed}: {' + '.join(labels.get(m, m) for m in members)}"
            f"{' with TTA' if tta else ''} (validation MCA {val:.2f}"
            f"{f', chosen among {among} networks' if among else ''})"
            for seed, (members, tta, val, among) in e["choices"].items())
        text = (f"- {SHORT[key]}: test MCA {mca['mean']:.2f}{spread} over {mca['n']} "
                f"seed{'s' if mca['n'] != 1 else ''} ({choices})")
        if key == "i3a_blocks":
            gap = mca["mean"] - TARGET
            text += (f"; {abs(gap):.2f} points {'above' if gap >= 0 else 'below'} the ICPR "
                     f"2014 best entry's {TARGET} % ({NOT_COMPARABLE})")
        out.append(text + ".")
    return out


def _runs_markdown(runs) -> list[str]:
    lines = ["| network | setting | seed | epochs | best epoch | ended by | wall time | "
             "s per epoch | training CPU-min | train images/s | inference images/s | "
             "commits | CPU |", "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---|"]
    for r in sorted(runs, key=lambda r: (r.get("variant", ""), r["row"], r["seed"])):
        keras = r.get("kind", "keras") == "keras"
        epochs = r.get("epochs") if keras else None
        cpu = r.get("train_cpu_s")
        cells = [r["row"], r.get("variant"), r["seed"], epochs or "—",
                 report._best_epoch(r) if keras else "—", r.get("stopped_by") or "—",
                 report._wall_time(r),
                 f"{r['wall_time_s'] / epochs:.1f}" if epochs and r["wall_time_s"] else "—",
                 "—" if cpu is None else f"{cpu / 60:.1f}"
                 + ("" if r.get("train_cpu_complete", True) else " (last session)"),
                 f"{r['train_images_per_s']:.1f}" if keras else "—",
                 f"{r.get('inference_images_per_s', 0):.0f}", report.commits_cell(r),
                 report.cpus_cell(r)]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines


def _recipe_markdown(profile: dict) -> list[str]:
    lines = [f"- Profile **{profile['name']}**: {profile['description']}",
             f"- Input {profile['image_size']}×{profile['image_size']}, batch "
             f"{profile['batch_size']}, at most {profile['epochs'].get('*')} epochs, early "
             f"stopping patience {profile.get('patience') or 'none'} (validation loss), seeds "
             f"{', '.join(map(str, profile['seeds']))}",
             "- Recipe (`profile.settings`, the same for every network; why: "
             "`reproductions/leaderboard/NOTES.md`): "
             + "; ".join(f"{k} = {report._fmt_value(v)}" for k, v in profile["extra"].items())]
    if profile.get("reductions"):
        lines += ["- Departures from the papers' own protocols:"]
        lines += [f"  - {r}" for r in profile["reductions"]]
    return lines


def write_readme(store) -> Path:
    data = store.data
    runs = data["runs"]
    lines = [f"# {LEADERBOARD.title}", ""]
    if data["synthetic"]:
        lines += [f"> **{SYNTHETIC_MARK.upper()}.** These numbers come from the embedded "
                  "synthetic cells; they only show that the code runs.", ""]
    lines += ["Everything below is written by `python -m reproductions.leaderboard` from "
              "`results.json`; the class mapping, settings and contest anchors are data in "
              "`reproductions/leaderboard/spec.py`.", "",
              "## MCA (%), mean ± std over seeds", "",
              "`inflation` = mean cell-level MCA − mean specimen-block MCA on I3A. Training "
              "CPU-minutes and images/s are medians over a network's runs.", "",
              matrix_markdown(data), ""]
    inflated = inflation_sentence(runs)
    if inflated:
        lines += ["### Inflation over the networks", "",
                  "Each network's inflation is one paired point; the claim is that test cells "
                  "of the training specimens score higher (`reproductions/common/claims.py`: "
                  "established only when the paired t-test and the exact sign test both give "
                  "p < 0.05).", "", inflated, "",
                  f"![Each network's MCA on I3A specimen blocks and on the cell-level split]"
                  f"({INFLATION_FILE})", ""]
    lines += ["### Contest anchors", "", *_anchors_markdown(), ""]
    rankings = _rankings_markdown(runs)
    if rankings:
        lines += ["## Rankings", "", "Kendall's τ by `reproductions/common/claims.py` over the "
                  "networks both settings have (mean MCA).", "", *rankings, ""]
    entry = _entry_markdown(data.get("extra", {}))
    if entry:
        lines += ["## The suite's entry", "", "Every network alone and the ensembles of the "
                  "networks best on validation, each with and without test-time augmentation, "
                  "scored on the validation split; the best is scored on the test split once. "
                  "The Keras networks are the candidates (the SVM row keeps no "
                  "probabilities).",
                  "", *entry, ""]
    lines += ["## ACA and macro F1 (%)", "", *_aca_f1_markdown(runs), "",
              "## Cross-dataset class mapping", "",
              "| shared class | I3A class | SNPHEp-2 classes |", "|---|---|---|"]
    lines += [f"| {k} | {src} | {', '.join(dst)} |" for k, (src, dst) in CROSS_LAB_CLASSES.items()]
    lines += ["", "## How these numbers were made", "", *_recipe_markdown(data["profile"])]
    lines += [report._dataset_line(role, d, False) for role, d in data["datasets"].items()]
    if runs:
        lines += ["", "### Runs", "", *_runs_markdown(runs)]
    if store.notes:
        lines += ["", store.notes.strip()]
    lines += ["", "## Figures", "", f"![{FIGURE_FILE}]({FIGURE_FILE})"]
    path = store.dir / "README.md"
    atomic_write(path, "\n".join(lines) + "\n")
    return path


def csv_text(data: dict) -> str:
    runs = data["runs"]
    agg = aggregate(LEADERBOARD, runs)
    cost = costs(runs)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["network", "setting", "n", "mca_mean", "mca_std", "aca_mean", "aca_std",
                     "f1_mean", "f1_std", "parameters", "train_cpu_min",
                     "inference_images_per_s"])

    def num(x):
        return "" if x is None else f"{x:.4f}" if isinstance(x, float) else x

    for net in NETWORKS:
        c = cost.get(net.key, {})
        for s in SETTINGS:
            a = agg[s.key].get(net.key)
            if not a:
                continue
            writer.writerow([net.key, s.key, a["mca"]["n"]]
                            + [num(a[m].get(k)) for m in ("mca", "aca", "f1")
                               for k in ("mean", "std")]
                            + [num(c.get("parameters")), num(c.get("train_cpu_min")),
                               num(c.get("inference_images_per_s"))])
    cells, blocks = INFLATION
    for row, i in scoring.inflation(runs).items():
        writer.writerow([row, f"inflation:{cells}-{blocks}", min(i["n_cells"], i["n_blocks"]),
                         num(i["points"])] + [""] * 8)
    for key, e in entry_summary(data.get("extra", {})).items():
        writer.writerow(["suite_entry", key, e["mca"]["n"]]
                        + [num(e[m].get(k)) for m in ("mca", "aca", "f1")
                           for k in ("mean", "std")] + ["", "", ""])
    return out.getvalue()


def figures(ctx) -> None:
    """leaderboard.csv and leaderboard.png (MCA per network and setting)."""
    import matplotlib.pyplot as plt
    import numpy as np

    data = ctx.store.data
    atomic_write(ctx.output_dir / CSV_FILE, csv_text(data))
    agg = aggregate(LEADERBOARD, data["runs"])
    entry = entry_summary(data.get("extra", {}))
    labels = [n.label for n in NETWORKS] + ([ENTRY] if entry else [])
    keys = [s.key for s in SETTINGS]
    y = np.arange(len(labels))
    height = 0.8 / len(keys)
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(labels) + 1.5))
    for i, key in enumerate(keys):
        vals = [agg[key].get(n.key, {}).get("mca") for n in NETWORKS]
        if entry:
            vals.append(entry.get(key, {}).get("mca"))
        mean = [np.nan if v is None else v["mean"] for v in vals]
        err = [0 if v is None or v.get("std") is None else v["std"] for v in vals]
        ax.barh(y + (i - (len(keys) - 1) / 2) * height, mean, height, xerr=err,
                label=SHORT[key], capsize=2)
    ax.axvline(TARGET, color="k", linestyle="--", linewidth=1,
               label=f"ICPR 2014 best entry, {TARGET} % ({NOT_COMPARABLE})")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("MCA (%), mean ± std over seeds")
    ax.set_xlim(0, 100)
    title = "HEp-2 leaderboard, one recipe" + (" (synthetic data)" if data["synthetic"] else "")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(ctx.output_dir / FIGURE_FILE, dpi=120)
    plt.close(fig)
    inflation_figure(data["runs"], ctx.output_dir / INFLATION_FILE, data["synthetic"])


def inflation_figure(runs: list[dict], path: Path, synthetic: bool) -> bool:
    """Per network, its mean MCA on I3A specimen blocks and on the cell-level
    split joined by a line (the inflation), seeds as small dots; False (and
    no file) when no network has both."""
    import matplotlib.pyplot as plt

    agg = aggregate(LEADERBOARD, runs)
    cells, blocks = INFLATION
    nets = [n for n in NETWORKS if "mca" in agg[cells].get(n.key, {})
            and "mca" in agg[blocks].get(n.key, {})]
    if not nets:
        return False
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(nets) + 1.5))
    for y, net in enumerate(nets):
        lo, hi = (agg[k][net.key]["mca"]["mean"] for k in (blocks, cells))
        ax.plot([lo, hi], [y, y], color="0.6", zorder=1)
        for key, colour in ((blocks, "tab:blue"), (cells, "tab:orange")):
            seeds = [r["values"][key][net.key]["mca"] for r in runs
                     if net.key in r["values"].get(key, {})]
            ax.scatter(seeds, [y] * len(seeds), s=10, color=colour, alpha=0.5, zorder=2)
            ax.scatter([agg[key][net.key]["mca"]["mean"]], [y], s=50, color=colour, zorder=3,
                       label=SHORT[key] if y == 0 else None)
    ax.set_yticks(range(len(nets)), [n.label for n in nets])
    ax.set_ylim(len(nets) - 0.4, -1.2)  # network order top-down, room for the legend
    ax.set_xlabel("MCA (%): large dots the mean, small dots the seeds")
    ax.set_title("Inflation: test cells of the training specimens"
                 + (" (synthetic data)" if synthetic else ""))
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
