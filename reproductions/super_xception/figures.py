"""Figures of the Super-Xception results folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from reproductions.common import plots


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


def summary_figures(ctx) -> None:
    """Confusion matrix of Super-Xception (first seed) and training curves of
    every row (first seed), from the stored runs."""
    first = ctx.profile.seeds[0]
    main = [r for r in ctx.store.runs if r["seed"] == first and not r.get("variant")]
    sx = next((r for r in main if r["row"] == "super_xception"), None)
    if sx is not None:
        plots.confusion_matrix(sx["metrics"]["confusion_matrix"],
                               list(sx["metrics"]["per_class"]),
                               ctx.output_dir / "confusion_super_xception.png",
                               f"Super-Xception, test split (seed {first}, "
                               f"accuracy {100 * sx['metrics']['aca']:.1f} %)")
    if main:
        plots.training_curves({r["row"]: r["history"] for r in main},
                              ctx.output_dir / "training_curves.png",
                              f"Training curves (seed {first}, profile {ctx.profile.name})",
                              keys=("loss", "val_loss", "accuracy", "val_accuracy"))
