"""Figures for the results folders (matplotlib, written as PNG)."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

# No backend is chosen here: the commands choose Agg (experiment.setup) and
# a notebook keeps its inline backend. Figures are only ever saved to files.


def _epoch_line(ax, values, **kwargs) -> None:
    """One per-epoch curve, epochs counted from 1 (markers on short ones)."""
    ax.plot(np.arange(1, len(values) + 1), values,
            marker="o" if len(values) < 12 else None, markersize=3, **kwargs)


def _epoch_axis(ax, fontsize=None) -> None:
    ax.set_xlabel("epoch", fontsize=fontsize)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)


def save(fig, path: Path, title: str, dpi: int = 110) -> Path:
    """Titles, lays out, writes and closes a figure; returns ``path``."""
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def confusion_matrix(cm: Sequence[Sequence[int]], class_names: Sequence[str], path: Path,
                     title: str) -> Path:
    """Row-normalised confusion matrix with counts; readable up to ~30 classes."""
    cm = np.asarray(cm)
    n = len(class_names)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.42 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names, rotation=90 if n > 8 else 45,
                  fontsize=8 if n > 12 else 10)
    ax.set_yticks(range(n), class_names, fontsize=8 if n > 12 else 10)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                        fontsize=6 if n > 12 else 9,
                        color="white" if norm[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def training_curves(histories: Mapping[str, Mapping[str, Sequence[float]]], path: Path,
                    title: str, keys: Sequence[str] = ("loss", "val_loss")) -> Path:
    """One panel per key (e.g. loss, val_loss, val_accuracy); one line per run."""
    keys = [k for k in keys if any(k in h for h in histories.values())]
    fig, axes = plt.subplots(1, max(len(keys), 1), figsize=(4.5 * max(len(keys), 1), 3.6),
                             squeeze=False)
    for ax, key in zip(axes[0], keys):
        for label, history in histories.items():
            if key in history:
                _epoch_line(ax, history[key], label=label)
        ax.set_title(key)
        _epoch_axis(ax)
    axes[0][0].legend(fontsize=7)
    return save(fig, path, title)


def per_class_accuracy(values: Mapping[str, Sequence[float]], class_names: Sequence[str],
                       path: Path, title: str) -> Path:
    """Grouped bars: per-class accuracy (recall, in %) of one or more models.

    ``values`` maps a model label to one value per class (``class_names``
    order); each bar is annotated with its value.
    """
    n, m = len(class_names), max(len(values), 1)
    width = 0.8 / m
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * n * m + 2.5), 3.8))
    x = np.arange(n)
    for i, (label, vals) in enumerate(values.items()):
        bars = ax.bar(x + (i - (m - 1) / 2) * width, vals, width, label=label)
        if m * n <= 40:
            ax.bar_label(bars, fmt="%.1f", fontsize=6, padding=1)
    ax.set_xticks(x, class_names, rotation=30 if n > 6 else 0)
    ax.set_ylabel("accuracy of the class (%)")
    lows = [v for vals in values.values() for v in vals]
    ax.set_ylim(max(0.0, min(lows, default=0.0) - 10.0) if lows else 0.0, 101.0)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the bars
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def per_class_grid(values: Mapping[str, Sequence[float]], class_names: Sequence[str],
                   path: Path, title: str, label: str = "accuracy of the class (%)") -> Path:
    """A models x classes heat map of a per-class score in % (e.g. F1), each
    cell annotated; ``values`` maps a model label to one value per class.
    Reads better than grouped bars once there are more than ~4 models."""
    grid = np.array(list(values.values()), dtype=float)
    fig, ax = plt.subplots(figsize=(1.1 * len(class_names) + 2.5, 0.5 * len(values) + 1.8))
    im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(class_names)), class_names, rotation=30, ha="right")
    ax.set_yticks(range(len(values)), list(values))
    for (i, j), v in np.ndenumerate(grid):
        ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=8,
                color="black" if v > 60 else "white")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=label)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def series(curves: Mapping[str, Sequence], x: Sequence[float], path: Path, title: str,
           xlabel: str, ylabel: str = "", paper_points: Mapping[str, Mapping[float, float]]
           | None = None) -> Path:
    """Metric against ``x`` (labelling budget, iterations ...), one line per
    curve.

    A curve is either one value per ``x`` or one list per seed (each with a
    value per ``x``): then the mean is drawn and the range over the seeds is
    shaded. ``paper_points`` (``{label: {x: value}}``) are drawn as markers
    in the colour of the curve with the same label.
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, values in curves.items():
        arr = np.asarray(values, dtype=float)  # NaN: a point a seed has not reached
        if arr.ndim == 2:
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                mean = np.nanmean(arr, axis=0)
                low, high = np.nanmin(arr, axis=0), np.nanmax(arr, axis=0)
            line, = ax.plot(x, mean, marker="o", markersize=3,
                            label=f"{label} (n={arr.shape[0]})")
            if arr.shape[0] > 1:
                ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2,
                                linewidth=0)
        else:
            line, = ax.plot(x, arr, marker="o", markersize=3, label=label)
        for px, py in (paper_points or {}).get(label, {}).items():
            ax.plot([px], [py], marker="*", markersize=11, color=line.get_color(),
                    markeredgecolor="black", linestyle="none")
    if paper_points:
        ax.plot([], [], marker="*", color="grey", markeredgecolor="black",
                linestyle="none", label="paper")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def curve_tables(paper, runs: Sequence[dict], output_dir: Path) -> list[Path]:
    """``<table>.png`` for every curve table of ``paper`` that has runs: one
    line per (row, metric) over the table's x, the range over seeds shaded,
    the paper's points as stars."""
    from reproductions.common.paper import format_x

    written = []
    for table in paper.tables:
        if not table.is_curve:
            continue
        curves, stars = {}, {}
        for row in table.rows:
            for metric in table.metrics:
                per_seed = [r["values"][table.key][row.key][metric] for r in runs
                            if metric in r["values"].get(table.key, {}).get(row.key, {})]
                if not per_seed:
                    continue
                label = row.label if len(table.metrics) == 1 else f"{row.label} {metric.upper()}"
                curves[label] = [[s.get(format_x(x), np.nan) for x in table.x]
                                 for s in per_seed]
                stars[label] = row.values.get(metric, {})
        if curves:
            written.append(series(curves, list(table.x), Path(output_dir) / f"{table.key}.png",
                                  table.title, table.x_label, "%", paper_points=stars))
    return written


def run_curves(runs: Sequence[dict], path: Path, title: str) -> Path | None:
    """One panel per Keras run: training and validation loss per epoch, the
    best epoch (the weights that were tested) marked, and what ended the run
    in the panel's title."""
    runs = [r for r in runs if r.get("history", {}).get("loss")]
    if not runs:
        return None
    cols = min(4, len(runs))
    rows = -(-len(runs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, run in zip(axes.flat, runs):
        history = run["history"]
        for key, style in (("loss", "-"), ("val_loss", "--")):
            if key in history:
                _epoch_line(ax, history[key], linestyle=style, label=key)
        if run.get("best_epoch") is not None:
            ax.axvline(run["best_epoch"] + 1, color="grey", linestyle=":", label="best")
        ended = (run.get("stopped_by") or "").split(":")[0]
        name = run["row"] + (f" ({run['variant']})" if run.get("variant") else "")
        ax.set_title(f"{name}, seed {run['seed']}" + (f"\n{ended}" if ended else ""),
                     fontsize=8)
        _epoch_axis(ax, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(runs):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=7)
    return save(fig, path, title, dpi=100)


def against_the_paper(groups: Sequence[tuple[str, Mapping[str, Mapping | None]]],
                      paper: Mapping[str, float | None], path: Path, title: str,
                      ylabel: str) -> Path:
    """One column per group (a setting), one marker per series (a row) with
    its mean and ± std (no bar for one seed); the paper's value of each
    series as a dashed line in its colour. ``groups``: ``[(label, {series:
    {"mean", "std", "n"} or None})]``."""
    names = list(paper)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.9 * len(groups) + 1.5), 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    width = 0.5 / max(1, len(names))
    for i, name in enumerate(names):
        colour = colours[i % len(colours)]
        offset = (i - (len(names) - 1) / 2) * width
        xs, ys, errs = [], [], []
        for g, (_, cells) in enumerate(groups):
            cell = cells.get(name)
            if cell is not None:
                xs.append(g + offset)
                ys.append(cell["mean"])
                errs.append(cell.get("std") or 0.0)
        ax.errorbar(xs, ys, yerr=errs, fmt="o", color=colour, capsize=4, label=name)
        if paper[name] is not None:
            ax.axhline(paper[name], color=colour, linestyle="--", linewidth=1,
                       label=f"{name}, paper")
    ax.set_xticks(range(len(groups)), [_wrap(label) for label, _ in groups], fontsize=7)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7, loc="best")
    return save(fig, path, title)


def _wrap(text: str, width: int = 22) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))

