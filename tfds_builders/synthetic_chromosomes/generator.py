"""The generator behind ``synthetic_chromosomes``: Q-banded chromosomes that
look like the BioImLab crops. Plain numpy / OpenCV; the builder is a thin
wrapper around :func:`chromosome_examples`.

Public API
----------
- :data:`CHROMOSOME_CLASSES`, :data:`CHROMOSOME_RELATIVE_LENGTH`,
  :data:`CHROMOSOME_CENTROMERE_INDEX`
- :func:`render_chromosome` -- one banded chromosome (BioImLab look-alike).
- :func:`sample_karyotype_style` -- per-karyotype scale/width/brightness.
- :func:`chromosome_class_profile` -- the fixed per-class parameters.
- :func:`karyotype_classes`, :func:`is_male_karyotype` -- karyotype makeup.
- :func:`chromosome_examples` -- the example stream used by the builder
  (numpy arrays, 2-D images).
"""
from __future__ import annotations

import functools
from typing import Iterator

import cv2
import numpy as np

from tfds_builders.synthetic_base import example_rng, smooth_noise

__all__ = [
    "CHROMOSOME_CLASSES",
    "CHROMOSOME_RELATIVE_LENGTH",
    "CHROMOSOME_CENTROMERE_INDEX",
    "render_chromosome",
    "sample_karyotype_style",
    "chromosome_class_profile",
    "karyotype_classes",
    "is_male_karyotype",
    "chromosome_examples",
]

# Same names / order as the bioimlab_chromosomes builder.
CHROMOSOME_CLASSES = tuple([str(i) for i in range(1, 23)] + ["X", "Y"])

# Approximate relative lengths of the human chromosomes (chromosome 1 = 1.0)
# and centromere index p / (p + q), rounded textbook values (ISCN-style
# idiograms).  21 is shorter than 22, as in real karyotypes.
CHROMOSOME_RELATIVE_LENGTH = (
    1.00, 0.95, 0.81, 0.75, 0.72, 0.70, 0.64, 0.58, 0.57, 0.54, 0.55, 0.55,
    0.44, 0.42, 0.41, 0.40, 0.38, 0.35, 0.32, 0.30, 0.23, 0.24, 0.61, 0.26)
CHROMOSOME_CENTROMERE_INDEX = (
    0.48, 0.39, 0.47, 0.29, 0.29, 0.39, 0.39, 0.34, 0.35, 0.32, 0.40, 0.30,
    0.17, 0.18, 0.19, 0.41, 0.34, 0.31, 0.46, 0.45, 0.27, 0.28, 0.40, 0.28)
_ACROCENTRIC = frozenset({12, 13, 14, 20, 21})  # 0-based: 13, 14, 15, 21, 22


@functools.lru_cache(maxsize=None)
def chromosome_class_profile(class_index: int):
    """Fixed per-class parameters: ``(relative_length, centromere_index,
    bands)`` where ``bands`` is a read-only float32 array of band intensities
    sampled at 256 points from the p-terminal (0) to the q-terminal (1).

    Band patterns are drawn once from a class-specific constant seed, so they
    are identical in every split, config and run.
    """
    k = int(class_index)
    if not 0 <= k < len(CHROMOSOME_CLASSES):
        raise ValueError(f"class_index must be in 0..23, got {class_index}")
    rel_len = CHROMOSOME_RELATIVE_LENGTH[k]
    ci = CHROMOSOME_CENTROMERE_INDEX[k]
    rng = np.random.default_rng(104729 + 7 * k)
    n_bands = int(round(4 + 10 * rel_len))
    # Band boundaries with a minimum spacing, alternating bright/dark.
    cuts = np.sort(rng.uniform(0, 1, n_bands - 1))
    cuts = np.concatenate([[0.0], cuts, [1.0]])
    widths = np.diff(cuts) + 0.6 / n_bands
    cuts = np.concatenate([[0.0], np.cumsum(widths) / widths.sum()])
    start_bright = rng.uniform() < 0.5
    level = []
    for i in range(n_bands):
        bright = (i % 2 == 0) == start_bright
        level.append(rng.uniform(0.8, 1.0) if bright else rng.uniform(0.25, 0.5))
    t = (np.arange(256) + 0.5) / 256
    idx = np.clip(np.searchsorted(cuts, t, side="right") - 1, 0, n_bands - 1)
    bands = np.asarray(level, np.float32)[idx]
    # Centromere region is dim in Q-banding.
    bands = bands * (1.0 - 0.25 * np.exp(-((t - ci) / 0.035) ** 2))
    if k in _ACROCENTRIC:
        # bright satellite / stalk region at the tip of the short arm
        bands = np.where(t < 0.06, 1.1, bands)
    if CHROMOSOME_CLASSES[k] == "Y":
        # Yq12 heterochromatin: the distal long arm fluoresces brilliantly.
        bands = np.where(t > 0.55, 1.3, bands)
    bands = bands.astype(np.float32)
    bands.setflags(write=False)
    return rel_len, ci, bands


def sample_karyotype_style(rng: np.random.Generator) -> dict:
    """Per-karyotype (per-patient / per-slide) appearance.

    ``scale``: condensation -> chromosome 1 is ~``78 * scale`` px long;
    ``half_width``: half-width in px; ``brightness``: peak grey value
    (the real set is brightness-scaled per karyotype); ``blur``: optics;
    ``noise``: grey-level noise sd.
    """
    scale = float(rng.uniform(0.5, 1.3))
    return {
        "scale": scale,
        "half_width": float(rng.uniform(4.6, 6.0) * np.sqrt(scale)),
        "brightness": float(rng.uniform(100, 225)),
        "blur": float(rng.uniform(0.5, 0.9)),
        "noise": float(rng.uniform(2.0, 6.0)),
    }


def _centerline(rng, length, step=0.5):
    """Bent centreline, p-arm end first, as (N, 2) float32 (x, y)."""
    n = max(int(np.ceil(length / step)) + 1, 2)
    s = np.linspace(0.0, length, n)
    # Smooth random curvature + (sometimes) one sharp bend.
    kappa = rng.normal(0, 0.006) + rng.normal(0, 0.004) * np.sin(
        2 * np.pi * s / max(length, 1) * rng.uniform(0.5, 1.5) + rng.uniform(0, 6.3))
    if rng.uniform() < 0.35 and length > 20:
        pos = rng.uniform(0.25, 0.75) * length
        angle = np.deg2rad(rng.uniform(20, 75)) * rng.choice([-1, 1])
        width = rng.uniform(2.0, 5.0)
        bump = np.exp(-0.5 * ((s - pos) / width) ** 2)
        kappa = kappa + angle * bump / (bump.sum() * step)
    tilt = rng.normal(0, np.deg2rad(28))  # karyogram rows: roughly upright
    heading = np.pi / 2 + tilt + (np.cumsum(kappa) - kappa[0]) * step
    pts = np.zeros((n, 2), np.float64)
    pts[1:, 0] = np.cumsum(np.cos(heading[:-1]) * step)
    pts[1:, 1] = np.cumsum(np.sin(heading[:-1]) * step)
    return s.astype(np.float32), pts.astype(np.float32)


def render_chromosome(rng: np.random.Generator, class_index, style=None):
    """Render one Q-banded chromosome in the style of the BioImLab crops.

    Args:
      rng: numpy Generator (e.g. from :func:`example_rng`).
      class_index: 0..23 (``"1".."22", "X", "Y"``) or the class name.
      style: dict from :func:`sample_karyotype_style` (shared by all
        chromosomes of one karyotype); default: a fresh random style.

    Returns:
      2-D uint8 image, bright chromosome on a black (0) background, cropped
      tight to the object (one pixel of black margin).
    """
    if isinstance(class_index, str):
        class_index = CHROMOSOME_CLASSES.index(class_index)
    k = int(class_index)
    rel_len, ci, bands = chromosome_class_profile(k)
    if style is None:
        style = sample_karyotype_style(rng)

    length = 78.0 * style["scale"] * rel_len * rng.uniform(0.92, 1.08)
    hw = style["half_width"] * rng.uniform(0.9, 1.1)
    core = max(length - 2 * hw, 1.0)  # centreline between the rounded caps
    s, pts = _centerline(rng, core)
    if rng.uniform() < 0.5:  # mirror image
        pts[:, 0] = -pts[:, 0]

    pad = hw + 4.0
    x0, y0 = pts.min(axis=0) - pad
    x1, y1 = pts.max(axis=0) + pad
    w, h = int(np.ceil(x1 - x0)) + 1, int(np.ceil(y1 - y0)) + 1
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    px = pts - np.array([x0, y0], np.float32)

    # Nearest centreline sample for every pixel (brute force; images are small).
    d2 = (xx.reshape(-1, 1) - px[None, :, 0]) ** 2 + (yy.reshape(-1, 1) - px[None, :, 1]) ** 2
    nearest = np.argmin(d2, axis=1)
    dist = np.sqrt(d2[np.arange(d2.shape[0]), nearest]).reshape(h, w)
    s_pix = s[nearest].reshape(h, w)

    # Position along the whole chromosome, 0 = p terminal, 1 = q terminal:
    # in the rounded caps, continue along the end tangents.
    along = s_pix.copy()
    for end, sign in ((0, -1.0), (len(s) - 1, 1.0)):
        nb = end + (1 if sign < 0 else -1)
        tangent = (px[end] - px[nb]) / max(float(np.linalg.norm(px[end] - px[nb])), 1e-6)
        at_end = (nearest == end).reshape(h, w)
        proj = (xx - px[end, 0]) * tangent[0] + (yy - px[end, 1]) * tangent[1]
        along = np.where(at_end, s[end] + sign * np.maximum(proj, 0), along)
    t_len = np.clip((along + hw) / (core + 2 * hw), 0.0, 1.0)
    # Half-width profile: centromeric constriction + slightly tapered ends.
    cen = ci * (core + 2 * hw) - hw
    depth = rng.uniform(0.28, 0.42)
    width = hw * (1.0 - depth * np.exp(-((s_pix - cen) / (0.9 * hw)) ** 2))
    width = width * (1.0 - 0.12 * np.exp(-(s_pix / hw) ** 2)
                     - 0.12 * np.exp(-((core - s_pix) / hw) ** 2))
    edge = 1.0 / (1.0 + np.exp(np.clip((dist - width) / 0.55, -30, 30)))
    cross = 0.8 + 0.2 * np.clip(1.0 - (dist / np.maximum(width, 1e-3)) ** 2, 0, 1)

    # Banding: class pattern, with per-example jitter of positions and contrast.
    warp = 0.012 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * np.linspace(0, 1, 256)
                          + rng.uniform(0, 6.3))
    prof = np.interp(np.linspace(0, 1, 256) + warp, np.linspace(0, 1, 256), bands)
    band_blur = rng.uniform(0.6, 1.3) * 256 / max(length, 1.0)
    prof = cv2.GaussianBlur(prof.astype(np.float32).reshape(1, -1), (0, 0), band_blur,
                            borderType=cv2.BORDER_REPLICATE).ravel()
    contrast = rng.uniform(0.75, 1.1)
    prof = 1.0 - contrast * (1.0 - prof)
    ti = np.clip((t_len * 255).astype(int), 0, 255)
    body = prof[ti]
    body = body * (1.0 + 0.06 * smooth_noise(rng, (h, w), 1.2))

    val = style["brightness"] * rng.uniform(0.88, 1.05) * body * cross * edge
    val = val + rng.standard_normal((h, w), dtype=np.float32) * style["noise"] * edge
    val = cv2.GaussianBlur(val.astype(np.float32), (0, 0), style["blur"])
    img = np.clip(np.rint(val), 0, 255).astype(np.uint8)
    img[img < 4] = 0  # black background, as in the real crops

    ys, xs = np.nonzero(img)
    if len(ys) == 0:  # pragma: no cover - cannot happen with sane styles
        return np.zeros((3, 3), np.uint8)
    return np.ascontiguousarray(
        np.pad(img[ys.min():ys.max() + 1, xs.min():xs.max() + 1], 1))


def karyotype_classes(male: bool):
    """``(class_index, copy)`` pairs of one karyotype (46 chromosomes).

    Mirrors BioImLab file naming: autosomes (and female X) come in copies
    ``"a"``/``"b"``; the male X and Y have no copy letter (``""``).
    """
    pairs = [(k, c) for k in range(22) for c in ("a", "b")]
    if male:
        pairs += [(22, ""), (23, "")]
    else:
        pairs += [(22, "a"), (22, "b")]
    return pairs


def is_male_karyotype(index: int) -> bool:
    """Deterministic sex assignment: 2 in 5 karyotypes are male (real: 45/119)."""
    return index % 5 in (1, 3)


def chromosome_examples(seed: int, split: str, num_karyotypes: int) -> Iterator[tuple]:
    """Yields ``(key, example)`` for ``num_karyotypes`` synthetic karyotypes.

    Karyotype ``j`` of ``split`` gets its style from
    ``example_rng(seed, split, j, 0)`` and each chromosome from
    ``example_rng(seed, split, j, 1 + position)``; karyotypes are never shared
    between splits.  ``example`` holds ``image`` (2-D uint8), ``label`` (int),
    ``karyotype``, ``copy`` and ``id`` (str, like the real set's
    ``"<karyotype>/<karyotype> <class><copy>"``, e.g.
    ``"synth-train-003/synth-train-003 7a"``).
    """
    for j in range(int(num_karyotypes)):
        karyotype = f"synth-{split}-{j + 1:03d}"
        style = sample_karyotype_style(example_rng(seed, split, j, 0))
        for pos, (k, copy) in enumerate(karyotype_classes(is_male_karyotype(j))):
            rng = example_rng(seed, split, j, 1 + pos)
            image = render_chromosome(rng, k, style)
            ex_id = f"{karyotype}/{karyotype} {CHROMOSOME_CLASSES[k]}{copy}"
            yield ex_id, {"image": image, "label": k, "karyotype": karyotype,
                          "copy": copy, "id": ex_id}
