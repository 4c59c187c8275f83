"""Figures of the Super-Xception results folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from reproductions.common import plots, results
from reproductions.super_xception.paper import PAPER


def super_resolution_examples(model, split, path: Path, per_class_examples=(0, 5, 10, 15, 20, 22)):
    """For a few test chromosomes: the 50×50 input, the bicubic upsampling,
    the SR output and the learned residual (SR − bicubic)."""
    import keras
    import matplotlib.pyplot as plt

    probe = keras.Model(model.input, [model.get_layer("bicubic_upsample").output,
                                      model.get_layer("super_resolution").output])
    picks = []
    for c in per_class_examples:
        idx = np.flatnonzero(split.labels == c)
        if idx.size:
            picks.append(int(idx[0]))
    if not picks:
        return None
    images = split.images[picks]
    bicubic, sr = probe.predict(images, verbose=0)
    residual = sr - bicubic
    fig, axes = plt.subplots(len(picks), 4, figsize=(8, 2.1 * len(picks)), squeeze=False)
    titles = ("50×50 input", f"bicubic {bicubic.shape[1]}×{bicubic.shape[2]}",
              "SR output", "residual (SR − bicubic)")
    for r, i in enumerate(picks):
        lim = max(float(np.abs(residual[r]).max()), 1e-6)
        panels = (images[r, ..., 0], bicubic[r, ..., 0], sr[r, ..., 0], residual[r, ..., 0])
        for c, panel in enumerate(panels):
            ax = axes[r][c]
            if c == 3:
                im = ax.imshow(panel, cmap="RdBu_r", vmin=-lim, vmax=lim)
                fig.colorbar(im, ax=ax, fraction=0.046)
            else:
                ax.imshow(panel, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=9)
        axes[r][0].set_ylabel(f"class {split.class_names[split.labels[i]]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def summary_figures(ctx, class_names) -> None:
    """Confusion matrix of Super-Xception (first seed), training curves of
    every row (first seed), and the Super-Xception / Xception throughput ratio."""
    runs = ctx.store.data["runs"]
    first = ctx.profile.seeds[0]
    main = [r for r in runs if r["seed"] == first and not r.get("variant")]
    sx = next((r for r in main if r["row"] == "super_xception"), None)
    if sx is not None:
        plots.confusion_matrix(sx["metrics"]["confusion_matrix"], class_names,
                               ctx.output_dir / "confusion_super_xception.png",
                               f"Super-Xception, test split (seed {first}, "
                               f"accuracy {100 * sx['metrics']['aca']:.1f} %)")
    if main:
        plots.training_curves({r["row"]: r["history"] for r in main},
                              ctx.output_dir / "training_curves.png",
                              f"Training curves (seed {first}, profile {ctx.profile.name})",
                              keys=("loss", "val_loss", "accuracy", "val_accuracy"))
    speed = throughput(runs)
    if speed is not None:
        ctx.store.set_extra("throughput", speed)
    gap = results.paired_gap(PAPER, runs, "table1", "xception", "super_xception", "aca")
    if gap is not None:
        ctx.store.set_extra("super_xception_minus_xception", gap)


def throughput(runs: list[dict]) -> dict | None:
    """Super-Xception vs Xception training throughput, paired by seed.

    Both networks of a seed train in the same command with the same data and
    batch size, so the per-seed ratio compares like with like; the median
    over seeds is the headline (another process on the 2 cores during one run
    skews that seed's ratio, and the median resists one such seed). Ablation
    variants and runs restored from an earlier process (wall time 0) are left
    out.
    """
    speed = {row: results.per_seed(runs, row, lambda r: r["train_images_per_s"],
                                   measured_only=True)
             for row in ("xception", "super_xception")}
    seeds = sorted(set(speed["xception"]) & set(speed["super_xception"]))
    if not seeds:
        return None
    ratios = [speed["super_xception"][k] / speed["xception"][k] for k in seeds]
    return {
        "seeds": seeds,
        "xception_images_per_s": [speed["xception"][k] for k in seeds],
        "super_xception_images_per_s": [speed["super_xception"][k] for k in seeds],
        "super_xception_over_xception": ratios,
        "median_super_xception_over_xception": float(np.median(ratios)),
        "note": "training images/s per seed, both networks of a seed trained in "
                "this command; the median ratio is the headline"}
