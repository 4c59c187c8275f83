"""The generator behind ``synthetic_hep2``: HEp-2 cells that look like the
I3A Task 1 crops. Plain numpy / OpenCV; the builder is a thin wrapper around
:func:`hep2_examples`.

The cell machinery is shared with ``synthetic_snphep2``: a cell is a
:class:`CellGeometry` (an irregular rotated ellipse), filled by a staining
pattern (one function per pattern in :data:`PATTERNS`, see
:func:`speckled` for the parametrised one) and photographed by
:func:`draw_cell` with the image sizes and intensity levels of a
:class:`CellLook`.

Public API
----------
- :data:`HEP2_CLASSES`, :data:`HEP2_INTENSITIES`
- :func:`render_cell` -- one HEp-2 cell image + mask (I3A Task 1 look-alike).
- :func:`hep2_examples` -- the example stream used by the builder (numpy
  arrays, 2-D images).
- :class:`CellLook`, :data:`I3A_LOOK`, :class:`CellGeometry`,
  :data:`PATTERNS`, :func:`speckled`, :func:`draw_cell` -- the pieces, for
  other cell datasets.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Iterator

import cv2
import numpy as np

from tfds_builders.synthetic_base import example_rng, smooth_noise, splat

__all__ = [
    "HEP2_CLASSES",
    "HEP2_INTENSITIES",
    "CellLook",
    "I3A_LOOK",
    "CellGeometry",
    "Stain",
    "PATTERNS",
    "speckled",
    "draw_cell",
    "class_index",
    "balanced_examples",
    "render_cell",
    "hep2_examples",
]

# Same names / order as the i3a_task1 builder.
HEP2_CLASSES = ("homogeneous", "speckled", "nucleolar", "centromere", "numem",
                "golgi")
HEP2_INTENSITIES = ("positive", "intermediate")


@dataclasses.dataclass(frozen=True)
class CellLook:
    """Class-independent appearance of a cell dataset's crops.

    ``semi_axis``: (mean, sd, min, max) of the long semi-axis in px (normal,
    clipped); ``crop``: (min, max) side of the crop in px; ``margin``: range
    of crop side / cell extent; ``neighbour``: probability of a neighbouring
    cell's fragment at a border; ``levels``: intensity -> ((background
    range), (signal amplitude range)) in grey levels.
    """

    semi_axis: tuple = (24.5, 4.0, 18.5, 37.0)
    crop: tuple = (54, 111)
    margin: tuple = (1.3, 1.55)
    neighbour: float = 0.35
    levels: tuple = (("positive", (14, 30), (35, 130)),
                     ("intermediate", (10, 20), (10, 24)))


I3A_LOOK = CellLook()


class CellGeometry:
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


class Stain:
    """What every staining pattern starts from, for one cell.

    ``rho`` is ``geom.rho`` on the image grid; ``soft`` the soft cell
    interior; ``scale`` the cell size relative to a 25 px semi-axis (spot
    sizes scale with it); ``area`` in px²; ``cloud`` and ``fine`` coarse and
    fine unit-std noise fields.
    """

    def __init__(self, rng, rho, geom: CellGeometry):
        self.rho, self.geom, self.shape = rho, geom, rho.shape
        self.soft = 1.0 / (1.0 + np.exp(np.clip((rho - 1.0) / 0.035, -30, 30)))
        self.scale = (geom.a + geom.b) / 50.0
        self.area = np.pi * geom.a * geom.b
        self.cloud = smooth_noise(rng, self.shape, 3.0 * self.scale)
        self.fine = smooth_noise(rng, self.shape, 0.8)


# A pattern: (rng, Stain) -> float32 field in ~[0, 1] (1 = brightest).
Pattern = Callable[[np.random.Generator, Stain], np.ndarray]


def homogeneous(rng, c: Stain):
    """Even, diffuse nuclear fill; a smooth, slightly cloudy texture."""
    del rng
    return c.soft * (0.85 + 0.09 * c.cloud + 0.04 * c.fine) * (1.0 - 0.12 * c.rho ** 2)


def speckled(rng, c: Stain, *, base=0.38, px_per_speckle=(9.0, 14.0),
             amp=(0.15, 0.6), sigma=0.9, holes=(2, 5)):
    """A fill covered by speckles of varying brightness; nucleoli spared.

    ``base``: fill level; one speckle per ``px_per_speckle`` px² of nucleus,
    of peak ``amp`` and size ``sigma`` (times the cell scale); ``holes``:
    range (end excluded) of the number of dark holes (spared nucleoli).
    The defaults are I3A's speckled.
    """
    g = c.geom
    f = c.soft * (base + 0.05 * c.cloud)
    n = int(c.area / rng.uniform(*px_per_speckle))
    xs, ys = g.sample(rng, n, rmax=0.95)
    f = f + c.soft * splat(c.shape, xs, ys, rng.uniform(*amp, n), sigma * c.scale)
    n_hole = rng.integers(*holes)
    hx, hy = g.sample(rng, n_hole, rmax=0.55)
    spared = splat(c.shape, hx, hy, np.ones(n_hole), rng.uniform(2.4, 3.4) * c.scale)
    return f * (1.0 - 0.75 * np.clip(spared, 0, 1))


def nucleolar(rng, c: Stain):
    """Dim nucleoplasm with a few large, bright, clumpy nucleoli."""
    base = c.soft * (0.13 + 0.04 * c.cloud)
    n_nuc = rng.integers(2, 7)
    cx, cy = c.geom.sample(rng, n_nuc, rmax=0.6)
    xs, ys, amps = [], [], []
    for x, y in zip(cx, cy):  # each nucleolus = a clump of 3 blobs
        k = 3
        xs.extend(x + rng.normal(0, 1.2 * c.scale, k))
        ys.extend(y + rng.normal(0, 1.2 * c.scale, k))
        amps.extend(rng.uniform(0.35, 0.55, k))
    blobs = splat(c.shape, xs, ys, amps, rng.uniform(1.8, 2.6) * c.scale)
    return base + np.minimum(blobs, 1.1)


def centromere(rng, c: Stain):
    """Dark nucleus with discrete, uniform, sharp bright dots (40-80)."""
    base = c.soft * (0.07 + 0.03 * c.cloud)
    n = int(rng.integers(40, 80) * np.clip(c.scale, 0.7, 1.4))
    xs, ys = c.geom.sample(rng, n, rmax=0.92)
    return base + splat(c.shape, xs, ys, rng.uniform(0.75, 1.0, n), 0.75 * c.scale)


def numem(rng, c: Stain):
    """Bright, beaded rim at the nuclear envelope, moderate interior."""
    width = rng.uniform(0.06, 0.09)
    rim = np.exp(-((c.rho - 0.96) / width) ** 2)
    rim = rim * np.clip(0.85 + 0.2 * c.fine + 0.1 * c.cloud, 0.3, 1.3)
    return c.soft * (0.28 + 0.06 * c.cloud + 0.03 * c.fine) + 0.9 * rim


def golgi(rng, c: Stain):
    """Dim nucleus plus an arc of elongated perinuclear granules on one side."""
    g, scale = c.geom, c.scale
    base = c.soft * (0.10 + 0.03 * c.cloud)
    phi0, span = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.8)
    n = int(rng.integers(6, 16))
    phi = phi0 + rng.uniform(-span, span, n)
    r = rng.uniform(0.78, 1.05, n)
    half = rng.uniform(1.0, 3.5, n) * scale
    amp = rng.uniform(0.35, 0.55, n)
    # elongated granule: a short chain of 4 spots along the tangent
    steps = np.linspace(-1.0, 1.0, 4)[None, :]
    xs, ys = g.to_xy(np.repeat(r, 4),
                     (phi[:, None] + steps * (half / (g.a * r))[:, None]).ravel())
    amps = np.repeat(amp, 4)
    f = base + np.minimum(splat(c.shape, xs, ys, amps, 0.9 * scale), 1.2)
    n_dot = rng.integers(0, 3)  # occasional faint nuclear dots
    if n_dot:
        dx, dy = g.sample(rng, n_dot, rmax=0.5)
        f = f + splat(c.shape, dx, dy, rng.uniform(0.2, 0.4, n_dot), 1.5 * scale)
    return f


PATTERNS: dict[str, Pattern] = {
    "homogeneous": homogeneous, "speckled": speckled, "nucleolar": nucleolar,
    "centromere": centromere, "numem": numem, "golgi": golgi}


def _pattern_field(rng, pattern: Pattern, rho, geom: CellGeometry):
    """Staining pattern of one cell, float32 in ~[0, 1] (1 = brightest)."""
    return np.clip(pattern(rng, Stain(rng, rho, geom)), 0.0, None).astype(np.float32)


def draw_cell(rng: np.random.Generator, pattern: Pattern, intensity: str,
              look: CellLook = I3A_LOOK, size=None):
    """Render one cell: geometry, staining ``pattern``, neighbour, camera.

    Args:
      rng: a numpy Generator (e.g. from :func:`example_rng`).
      pattern: a staining pattern, e.g. a value of :data:`PATTERNS`.
      intensity: a key of ``look.levels``.
      look: the dataset's class-independent appearance.
      size: optional ``(height, width)``; default: drawn from ``look``.

    Returns:
      ``(image, mask)``: two 2-D uint8 arrays of the same shape; ``mask`` is
      0/255 and covers only the centre cell (not neighbour fragments).
    """
    levels = {name: (bg, amp) for name, bg, amp in look.levels}
    if intensity not in levels:
        raise ValueError(f"intensity must be one of {tuple(levels)}")
    # Geometry: cell first, crop around it (like the real bounding boxes).
    theta = rng.uniform(0, np.pi)
    if size is None:
        mean, sd, lo, hi = look.semi_axis
        a = float(np.clip(rng.normal(mean, sd), lo, hi))
        b = a * rng.uniform(0.78, 1.0)
        ex = np.sqrt((a * np.cos(theta)) ** 2 + (b * np.sin(theta)) ** 2)
        ey = np.sqrt((a * np.sin(theta)) ** 2 + (b * np.cos(theta)) ** 2)
        margin = rng.uniform(*look.margin)
        w = int(np.clip(round(2 * ex * margin), *look.crop))
        h = int(np.clip(round(2 * ey * margin * rng.uniform(0.95, 1.05)), *look.crop))
    else:
        h, w = (int(s) for s in size)
        ratio = rng.uniform(0.78, 1.0)
        # semi-axes so that the rotated ellipse fits with the look's margin
        a = min(h, w) / (2 * rng.uniform(*look.margin))
        b = a * ratio
    cx = w / 2.0 + rng.normal(0, 0.03 * w)
    cy = h / 2.0 + rng.normal(0, 0.03 * h)
    geom = CellGeometry(rng, cx, cy, a, b, theta)
    shape = (h, w)

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rho = geom.rho(xx, yy)
    field = _pattern_field(rng, pattern, rho, geom)

    # Occasionally a neighbouring cell pokes in from a border (not in mask).
    if rng.uniform() < look.neighbour:
        ang = rng.uniform(0, 2 * np.pi)
        dist = rng.uniform(1.85, 2.3) * max(a, b)
        ngeom = CellGeometry(rng, cx + dist * np.cos(ang), cy + dist * np.sin(ang),
                             a * rng.uniform(0.8, 1.1), b * rng.uniform(0.8, 1.1),
                             rng.uniform(0, np.pi))
        field = field + 0.8 * _pattern_field(rng, pattern, ngeom.rho(xx, yy), ngeom)

    mask = rho <= 1.0

    # Optics + camera: PSF blur, background, gain, shot/read noise.
    field = cv2.GaussianBlur(field, (0, 0), rng.uniform(0.5, 0.9))
    bg_range, amp_range = levels[intensity]
    bg, amp = rng.uniform(*bg_range), rng.uniform(*amp_range)
    gradient = smooth_noise(rng, shape, 12.0)
    signal = bg * (1.0 + 0.04 * gradient) + amp * field
    noise = rng.standard_normal(shape, dtype=np.float32)
    img = signal + noise * np.sqrt(0.6 + 0.12 * signal)
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return image, mask.astype(np.uint8) * 255


def class_index(pattern, classes) -> int:
    """``pattern`` (index or name) as an index into ``classes``, checked."""
    if isinstance(pattern, str):
        pattern = classes.index(pattern)
    pattern = int(pattern)
    if not 0 <= pattern < len(classes):
        raise ValueError(f"pattern must be in 0..{len(classes) - 1}, got {pattern}")
    return pattern


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
    name = HEP2_CLASSES[class_index(pattern, HEP2_CLASSES)]
    if intensity is None:
        intensity = HEP2_INTENSITIES[int(rng.integers(0, 2))]
    return draw_cell(rng, PATTERNS[name], intensity, I3A_LOOK, size)


def balanced_examples(seed: int, split: str, num_per_class: int, classes,
                      intensities, indices=None) -> Iterator[tuple]:
    """Yields ``(i, rng, label, intensity)`` of a class-balanced cell split.

    Example ``i`` has label ``i % len(classes)``, draws its intensity first
    from ``example_rng(seed, split, i)`` and is then rendered from the same
    generator. ``indices``: only these examples (default: all).
    """
    n = int(num_per_class) * len(classes)
    for i in range(n) if indices is None else indices:
        rng = example_rng(seed, split, i)
        yield i, rng, i % len(classes), intensities[int(rng.integers(0, 2))]


def hep2_examples(seed: int, split: str, num_per_class: int) -> Iterator[tuple]:
    """Yields ``(key, example)`` for a class-balanced synthetic HEp-2 split.

    Example ``i`` has label ``i % 6`` and is rendered from
    ``example_rng(seed, split, i)``.  ``example`` holds ``image`` and ``mask``
    (2-D uint8), ``label`` (int), ``intensity`` (str) and ``id`` (str).
    """
    for i, rng, label, intensity in balanced_examples(
            seed, split, num_per_class, HEP2_CLASSES, HEP2_INTENSITIES):
        image, mask = render_cell(rng, label, intensity=intensity)
        ex_id = f"synth-{split}-{i + 1:05d}"
        yield ex_id, {"image": image, "mask": mask, "label": label,
                      "intensity": intensity, "id": ex_id}
