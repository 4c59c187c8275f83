"""Procedural generators behind the ``synthetic_hep2`` and
``synthetic_chromosomes`` TFDS datasets.

Plain numpy / OpenCV, no TensorFlow: tests and notebooks can call these
functions directly, and the TFDS builders are thin wrappers around
:func:`hep2_examples` and :func:`chromosome_examples`.

Everything is deterministic: an example is a pure function of
``(seed, split, index)`` through :func:`example_rng`, so two runs (or two
``download_and_prepare`` calls) give byte-identical examples, and a larger
config contains the smaller ones as prefixes (same seed).

Public API
----------
- :data:`HEP2_CLASSES`, :data:`CHROMOSOME_CLASSES`, :data:`SPLITS`
- :func:`example_rng` -- the seeding scheme.
- :func:`render_cell` -- one HEp-2 cell image + mask (I3A Task 1 look-alike).
- :func:`render_chromosome` -- one banded chromosome (BioImLab look-alike).
- :func:`sample_karyotype_style` -- per-karyotype scale/width/brightness.
- :func:`hep2_examples`, :func:`chromosome_examples` -- the example streams
  used by the builders (numpy arrays, 2-D images).
- :func:`chromosome_class_profile` -- the fixed per-class parameters.
- :func:`karyotype_classes`, :func:`is_male_karyotype` -- karyotype makeup.
- :func:`png_bytes` -- the deterministic PNG encoding the builders store.
"""
from __future__ import annotations

import functools
from typing import Iterator

import cv2
import numpy as np

__all__ = [
    "HEP2_CLASSES",
    "HEP2_INTENSITIES",
    "CHROMOSOME_CLASSES",
    "CHROMOSOME_RELATIVE_LENGTH",
    "CHROMOSOME_CENTROMERE_INDEX",
    "SPLITS",
    "example_rng",
    "render_cell",
    "render_chromosome",
    "sample_karyotype_style",
    "chromosome_class_profile",
    "karyotype_classes",
    "is_male_karyotype",
    "hep2_examples",
    "chromosome_examples",
    "png_bytes",
]

# Same names / order as the i3a_task1 builder.
HEP2_CLASSES = ("homogeneous", "speckled", "nucleolar", "centromere", "numem",
                "golgi")
HEP2_INTENSITIES = ("positive", "intermediate")

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

SPLITS = ("train", "validation", "test")
_SPLIT_CODE = {"train": 0, "validation": 1, "test": 2}


# --------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------
def example_rng(seed: int, split: str, *index: int) -> np.random.Generator:
    """Independent, reproducible generator for one example.

    Seeded from ``(seed, split, *index)`` via ``np.random.SeedSequence``
    (no use of Python's randomised ``hash``), so it is stable across
    processes, platforms and numpy versions that keep PCG64.
    """
    if split not in _SPLIT_CODE:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    entropy = [int(seed), _SPLIT_CODE[split]] + [int(i) for i in index]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
def _smooth_noise(rng, shape, sigma):
    """Zero-mean, unit-std smooth random field."""
    field = rng.standard_normal(shape, dtype=np.float32)
    field = cv2.GaussianBlur(field, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    std = float(field.std())
    return field / std if std > 0 else field


def _splat(shape, xs, ys, amps, sigma):
    """Sum of isotropic Gaussian spots with peak height ``amps``.

    Bilinear splat of (sub-pixel) impulses followed by one Gaussian blur:
    O(pixels), independent of the number of spots.
    """
    h, w = shape
    acc = np.zeros((h + 2, w + 2), np.float32)
    xs = np.asarray(xs, np.float32) + 1.0
    ys = np.asarray(ys, np.float32) + 1.0
    amps = np.asarray(amps, np.float32)
    keep = (xs >= 0) & (xs < w + 1) & (ys >= 0) & (ys < h + 1)
    xs, ys, amps = xs[keep], ys[keep], amps[keep]
    x0 = np.floor(xs).astype(int)
    y0 = np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dy, dx, wgt in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                        (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(acc, (np.minimum(y0 + dy, h + 1), np.minimum(x0 + dx, w + 1)),
                  amps * wgt)
    acc = acc[1:-1, 1:-1]
    out = cv2.GaussianBlur(acc, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    return out * np.float32(2.0 * np.pi * sigma * sigma)


class _CellGeometry:
    """A slightly irregular, rotated ellipse; maps normalised polar coords."""

    def __init__(self, rng, cx, cy, a, b, theta):
        self.cx, self.cy, self.a, self.b, self.theta = cx, cy, a, b, theta
        # Low-order boundary harmonics: irregular outline.
        self.harm = [(k, rng.normal(0.0, 0.025), rng.uniform(0, 2 * np.pi))
                     for k in (2, 3, 4, 5)]

    def _radius(self, phi):
        r = np.ones_like(phi)
        for k, c, ph in self.harm:
            r += np.float32(c) * np.cos(np.float32(k) * phi + np.float32(ph))
        return r

    def rho(self, xx, yy):
        """Normalised radius: < 1 inside the cell, 1 on the boundary."""
        c, s = np.float32(np.cos(self.theta)), np.float32(np.sin(self.theta))
        dx, dy = xx - np.float32(self.cx), yy - np.float32(self.cy)
        u = (c * dx + s * dy) / np.float32(self.a)
        v = (-s * dx + c * dy) / np.float32(self.b)
        return np.sqrt(u * u + v * v) / self._radius(np.arctan2(v, u))

    def to_xy(self, r, phi):
        """Image coordinates of normalised polar points inside the cell."""
        r = r * self._radius(phi)
        u, v = r * np.cos(phi) * self.a, r * np.sin(phi) * self.b
        c, s = np.cos(self.theta), np.sin(self.theta)
        return self.cx + c * u - s * v, self.cy + s * u + c * v

    def sample(self, rng, n, rmax=0.9, rmin=0.0):
        """``n`` points roughly uniform over the annulus rmin..rmax."""
        r = np.sqrt(rng.uniform(rmin ** 2, rmax ** 2, n))
        phi = rng.uniform(0, 2 * np.pi, n)
        return self.to_xy(r, phi)


def _pattern_field(rng, pattern: int, rho, geom: _CellGeometry):
    """Staining pattern of one cell, float32 in ~[0, 1] (1 = brightest).

    ``rho`` is ``geom.rho`` evaluated on the image grid.
    """
    shape = rho.shape
    soft = 1.0 / (1.0 + np.exp(np.clip((rho - 1.0) / 0.035, -30, 30)))
    scale = (geom.a + geom.b) / 50.0  # spot sizes scale with cell size
    area = np.pi * geom.a * geom.b
    cloud = _smooth_noise(rng, shape, 3.0 * scale)
    fine = _smooth_noise(rng, shape, 0.8)
    name = HEP2_CLASSES[pattern]

    if name == "homogeneous":
        # Even, diffuse nuclear fill; a smooth, slightly cloudy texture.
        f = soft * (0.85 + 0.09 * cloud + 0.04 * fine) * (1.0 - 0.12 * rho ** 2)
    elif name == "speckled":
        # Medium fill densely covered by fine speckles of varying brightness;
        # nucleoli are spared (dark holes).
        base = soft * (0.38 + 0.05 * cloud)
        n = int(area / rng.uniform(9.0, 14.0))
        xs, ys = geom.sample(rng, n, rmax=0.95)
        spk = _splat(shape, xs, ys, rng.uniform(0.15, 0.6, n), 0.9 * scale)
        f = base + soft * spk
        n_hole = rng.integers(2, 5)
        hx, hy = geom.sample(rng, n_hole, rmax=0.55)
        holes = _splat(shape, hx, hy, np.ones(n_hole), rng.uniform(2.4, 3.4) * scale)
        f = f * (1.0 - 0.75 * np.clip(holes, 0, 1))
    elif name == "nucleolar":
        # Dim nucleoplasm with a few large, bright, clumpy nucleoli.
        base = soft * (0.13 + 0.04 * cloud)
        n_nuc = rng.integers(2, 7)
        cx, cy = geom.sample(rng, n_nuc, rmax=0.6)
        xs, ys, amps = [], [], []
        for x, y in zip(cx, cy):  # each nucleolus = a clump of 3 blobs
            k = 3
            xs.extend(x + rng.normal(0, 1.2 * scale, k))
            ys.extend(y + rng.normal(0, 1.2 * scale, k))
            amps.extend(rng.uniform(0.35, 0.55, k))
        blobs = _splat(shape, xs, ys, amps, rng.uniform(1.8, 2.6) * scale)
        f = base + np.minimum(blobs, 1.1)
    elif name == "centromere":
        # Dark nucleus with discrete, uniform, sharp bright dots (40-80).
        base = soft * (0.07 + 0.03 * cloud)
        n = int(rng.integers(40, 80) * np.clip(scale, 0.7, 1.4))
        xs, ys = geom.sample(rng, n, rmax=0.92)
        f = base + _splat(shape, xs, ys, rng.uniform(0.75, 1.0, n), 0.75 * scale)
    elif name == "numem":
        # Bright, beaded rim at the nuclear envelope, moderate interior.
        width = rng.uniform(0.06, 0.09)
        rim = np.exp(-((rho - 0.96) / width) ** 2)
        rim = rim * np.clip(0.85 + 0.2 * fine + 0.1 * cloud, 0.3, 1.3)
        f = soft * (0.28 + 0.06 * cloud + 0.03 * fine) + 0.9 * rim
    elif name == "golgi":
        # Dim nucleus plus an arc of elongated perinuclear granules on one side.
        base = soft * (0.10 + 0.03 * cloud)
        phi0, span = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.8)
        n = int(rng.integers(6, 16))
        phi = phi0 + rng.uniform(-span, span, n)
        r = rng.uniform(0.78, 1.05, n)
        half = rng.uniform(1.0, 3.5, n) * scale
        amp = rng.uniform(0.35, 0.55, n)
        # elongated granule: a short chain of 4 spots along the tangent
        steps = np.linspace(-1.0, 1.0, 4)[None, :]
        xs, ys = geom.to_xy(np.repeat(r, 4),
                            (phi[:, None] + steps * (half / (geom.a * r))[:, None]).ravel())
        amps = np.repeat(amp, 4)
        f = base + np.minimum(_splat(shape, xs, ys, amps, 0.9 * scale), 1.2)
        n_dot = rng.integers(0, 3)  # occasional faint nuclear dots
        if n_dot:
            dx, dy = geom.sample(rng, n_dot, rmax=0.5)
            f = f + _splat(shape, dx, dy, rng.uniform(0.2, 0.4, n_dot), 1.5 * scale)
    else:  # pragma: no cover
        raise ValueError(pattern)
    return np.clip(f, 0.0, None).astype(np.float32)


def render_cell(rng: np.random.Generator, pattern, size=None, intensity=None):
    """Render one HEp-2 cell in the style of the I3A Task 1 images.

    Args:
      rng: a numpy Generator (e.g. from :func:`example_rng`).
      pattern: class index (0..5) or name from :data:`HEP2_CLASSES`.
      size: optional ``(height, width)``; default: drawn so the crops are
        ~54-111 px like the real set, the cell covering ~35-45 % of the crop.
      intensity: ``"positive"``, ``"intermediate"`` or None (random).

    Returns:
      ``(image, mask)``: two 2-D uint8 arrays of the same shape.  ``image``
      has the real set's low dynamic range (background ~10-30, cell peak
      ~25-40 for intermediate, up to ~200 for positive cells); ``mask`` is
      0/255 and covers only the centre cell (not neighbour fragments).
    """
    if isinstance(pattern, str):
        pattern = HEP2_CLASSES.index(pattern)
    pattern = int(pattern)
    if not 0 <= pattern < len(HEP2_CLASSES):
        raise ValueError(f"pattern must be in 0..5, got {pattern}")
    if intensity is None:
        intensity = HEP2_INTENSITIES[int(rng.integers(0, 2))]
    if intensity not in HEP2_INTENSITIES:
        raise ValueError(f"intensity must be one of {HEP2_INTENSITIES}")

    # Geometry: cell first, crop around it (like the real bounding boxes).
    theta = rng.uniform(0, np.pi)
    if size is None:
        a = float(np.clip(rng.normal(24.5, 4.0), 18.5, 37.0))
        b = a * rng.uniform(0.78, 1.0)
        ex = np.sqrt((a * np.cos(theta)) ** 2 + (b * np.sin(theta)) ** 2)
        ey = np.sqrt((a * np.sin(theta)) ** 2 + (b * np.cos(theta)) ** 2)
        margin = rng.uniform(1.3, 1.55)
        w = int(np.clip(round(2 * ex * margin), 54, 111))
        h = int(np.clip(round(2 * ey * margin * rng.uniform(0.95, 1.05)), 54, 111))
    else:
        h, w = (int(s) for s in size)
        ratio = rng.uniform(0.78, 1.0)
        # semi-axes so that the rotated ellipse fits with ~1.4x margin
        a = min(h, w) / (2 * rng.uniform(1.3, 1.55))
        b = a * ratio
    cx = w / 2.0 + rng.normal(0, 0.03 * w)
    cy = h / 2.0 + rng.normal(0, 0.03 * h)
    geom = _CellGeometry(rng, cx, cy, a, b, theta)
    shape = (h, w)

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rho = geom.rho(xx, yy)
    field = _pattern_field(rng, pattern, rho, geom)

    # Occasionally a neighbouring cell pokes in from a border (not in mask).
    if rng.uniform() < 0.35:
        ang = rng.uniform(0, 2 * np.pi)
        dist = rng.uniform(1.85, 2.3) * max(a, b)
        ngeom = _CellGeometry(rng, cx + dist * np.cos(ang), cy + dist * np.sin(ang),
                              a * rng.uniform(0.8, 1.1), b * rng.uniform(0.8, 1.1),
                              rng.uniform(0, np.pi))
        field = field + 0.8 * _pattern_field(rng, pattern, ngeom.rho(xx, yy), ngeom)

    mask = rho <= 1.0

    # Optics + camera: PSF blur, background, gain, shot/read noise.
    field = cv2.GaussianBlur(field, (0, 0), rng.uniform(0.5, 0.9))
    if intensity == "positive":
        bg, amp = rng.uniform(14, 30), rng.uniform(35, 130)
    else:
        bg, amp = rng.uniform(10, 20), rng.uniform(10, 24)
    gradient = _smooth_noise(rng, shape, 12.0)
    signal = bg * (1.0 + 0.04 * gradient) + amp * field
    noise = rng.standard_normal(shape, dtype=np.float32)
    img = signal + noise * np.sqrt(0.6 + 0.12 * signal)
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return image, mask.astype(np.uint8) * 255


# --------------------------------------------------------------------------
# Chromosomes
# --------------------------------------------------------------------------
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
    body = body * (1.0 + 0.06 * _smooth_noise(rng, (h, w), 1.2))

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


# --------------------------------------------------------------------------
# Example streams used by the TFDS builders
# --------------------------------------------------------------------------
def png_bytes(image: np.ndarray) -> bytes:
    """Lossless 8-bit grayscale PNG of a 2-D uint8 array (deterministic).

    The builders hand TFDS encoded PNGs: encoding with OpenCV is several times
    faster than letting ``tfds.features.Image`` encode through TensorFlow.
    """
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image, np.uint8),
                           [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # pragma: no cover
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def hep2_examples(seed: int, split: str, num_per_class: int) -> Iterator[tuple]:
    """Yields ``(key, example)`` for a class-balanced synthetic HEp-2 split.

    Example ``i`` has label ``i % 6`` and is rendered from
    ``example_rng(seed, split, i)``.  ``example`` holds ``image`` and ``mask``
    (2-D uint8), ``label`` (int), ``intensity`` (str) and ``id`` (str).
    """
    n = int(num_per_class) * len(HEP2_CLASSES)
    for i in range(n):
        rng = example_rng(seed, split, i)
        label = i % len(HEP2_CLASSES)
        intensity = HEP2_INTENSITIES[int(rng.integers(0, 2))]
        image, mask = render_cell(rng, label, intensity=intensity)
        ex_id = f"synth-{split}-{i + 1:05d}"
        yield ex_id, {"image": image, "mask": mask, "label": label,
                      "intensity": intensity, "id": ex_id}


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
