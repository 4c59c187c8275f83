"""Figures of the DCAE results folder. They draw what they are given or what
the runs stored; the numbers are computed in ``protocol.py`` / the runs."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from reproductions.common import plots  # noqa: F401 - selects the Agg backend
from reproductions.dcae import protocol
from reproductions.dcae.paper import FIGURE2, FIGURE2_CLASSES, FIGURE2_LABELS, PAPER


def _save(fig, path: Path, **kwargs) -> Path:
    import matplotlib.pyplot as plt
    fig.savefig(path, **kwargs)
    plt.close(fig)
    return path


def first_dcae_run(runs: Sequence[dict], seed: int) -> dict | None:
    """The DCAE run of ``seed`` on the official split (the one Figure 2 shows)."""
    return next((r for r in runs if r["row"] == "dcae" and r["seed"] == seed
                 and not r.get("variant")), None)


def reconstructions(split, recon: np.ndarray, path: Path, title: str,
                    per_class: int = 3) -> Path | None:
    """Input / reconstruction pairs of the first ``per_class`` cells of each
    class of ``split`` (one row per class)."""
    import matplotlib.pyplot as plt

    picks = [np.flatnonzero(split.labels == c)[:per_class]
             for c in range(len(split.class_names))]
    if not any(len(p) for p in picks):
        return None
    fig, axes = plt.subplots(len(picks), 2 * per_class, squeeze=False,
                             figsize=(1.6 * 2 * per_class, 1.7 * len(picks)))
    for r, index in enumerate(picks):
        for j in range(per_class):
            for k, (image, kind) in enumerate(((split.images, "input"), (recon, "output"))):
                ax = axes[r][2 * j + k]
                ax.set_xticks([])
                ax.set_yticks([])
                if j < len(index):
                    ax.imshow(image[index[j], ..., 0], cmap="gray", vmin=0, vmax=1)
                    psnr = protocol.psnr(split.images[index[j]][None], recon[index[j]][None])[0]
                    ax.set_title(kind if k == 0 else f"{kind}, {psnr:.1f} dB", fontsize=7)
                else:
                    ax.axis("off")
        axes[r][0].set_ylabel(split.class_names[r].replace("_", " "), fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path, dpi=100)


def figure2(ours: np.ndarray, path: Path, title: str) -> Path:
    """Our column-normalised confusion matrix beside the paper's Figure 2
    (rows = output class, columns = target class, %)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6), gridspec_kw={"wspace": 0.35})
    for ax, matrix, name in ((axes[0], ours, "reproduced"),
                             (axes[1], np.asarray(FIGURE2), "paper (Figure 2)")):
        im = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=100)
        n = len(FIGURE2_LABELS)
        ax.set_xticks(range(n), FIGURE2_LABELS)
        ax.set_yticks(range(n), FIGURE2_LABELS)
        ax.set_xlabel("target class")
        ax.set_ylabel("output class")
        ax.set_title(f"{name}; diagonal mean {np.trace(matrix) / n:.2f}", fontsize=9)
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > 50 else "black")
    fig.colorbar(im, ax=list(axes), fraction=0.025, pad=0.02, label="% of the target class")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path, dpi=110, bbox_inches="tight")


def tsne(tsne_record: dict, class_names: Sequence[str], path: Path, title: str) -> Path:
    """The stored t-SNE coordinates, one colour per class."""
    import matplotlib.pyplot as plt

    x, y = np.asarray(tsne_record["x"]), np.asarray(tsne_record["y"])
    labels = np.asarray(tsne_record["labels"])
    fig, ax = plt.subplots(figsize=(6.0, 5.0))
    for c, name in enumerate(class_names):
        keep = labels == c
        ax.scatter(x[keep], y[keep], s=8, alpha=0.7, label=name.replace("_", " "))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=7, markerscale=2)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path, dpi=110)


def summary_figures(ctx) -> None:
    """Figure 2 beside ours and the t-SNE of the latent features, from the
    first seed's DCAE run on the official split."""
    first = ctx.profile.seeds[0]
    run = first_dcae_run(ctx.store.runs, first)
    if run is None:
        return
    m = run["metrics"]
    names = list(m["per_class"])
    if set(FIGURE2_CLASSES) <= set(names):
        figure2(protocol.figure2_layout(m["confusion_matrix"], names, FIGURE2_CLASSES),
                ctx.output_dir / "confusion_figure2.png",
                f"DCAE features + ANN, test split (seed {first}, profile {ctx.profile.name}): "
                f"accuracy {100 * m['aca']:.2f} % "
                f"(paper {PAPER.table('table2').row('dcae').values['aca']:.2f} %)")
    if "tsne" in run:
        tsne(run["tsne"], names, ctx.output_dir / "tsne_latent.png",
             f"t-SNE of the DCAE latent features (Conv5), test cells, seed {first}")
