"""The generator behind ``synthetic_snphep2``: HEp-2 cells that look like the
SNPHEp-2 crops. Plain numpy / OpenCV; the builder is a thin wrapper around
:func:`snphep2_examples`.

The cells are drawn by the ``synthetic_hep2`` machinery
(:mod:`tfds_builders.synthetic_hep2.generator`): the same geometry, camera
and homogeneous / nucleolar / centromere patterns; I3A's speckled pattern
with finer, denser or coarser, sparser speckles makes the fine and coarse
speckled classes; the crops are sized like SNPHEp-2's (32-125 px, the cell
filling most of the crop).

Public API
----------
- :data:`SNPHEP2_CLASSES`, :data:`SNPHEP2_INTENSITIES`, :data:`SNPHEP2_LOOK`,
  :data:`PATTERNS`
- :func:`render_cell` -- one SNPHEp-2-like cell image.
- :func:`split_50_indices` -- the examples of a ``Split-50-k``-like half.
- :func:`snphep2_examples` -- the example stream used by the builder (numpy
  arrays, 2-D images).
"""
from __future__ import annotations

import functools
from typing import Iterator

import numpy as np

from tfds_builders import _common
from tfds_builders.snphep2.snphep2_dataset_builder import CLASS_NAMES
from tfds_builders.synthetic_hep2 import generator as cells

__all__ = [
    "SNPHEP2_CLASSES",
    "SNPHEP2_INTENSITIES",
    "SNPHEP2_LOOK",
    "PATTERNS",
    "render_cell",
    "split_50_indices",
    "snphep2_examples",
]

# Same names / order as the snphep2 builder (its class_index 1..5).
SNPHEP2_CLASSES = tuple(CLASS_NAMES)
# The intensities drawn (50 % each); the real set's third value, "unknown",
# is never drawn.
SNPHEP2_INTENSITIES = ("positive", "intermediate")

# Crops of 32-125 px (median ~70) in which the cell fills most of the image.
SNPHEP2_LOOK = cells.CellLook(semi_axis=(28.0, 7.0, 13.0, 52.0), crop=(32, 125),
                              margin=(1.1, 1.3), neighbour=0.2)

PATTERNS: dict[str, cells.Pattern] = {
    # Medium fill densely covered by small, grainy speckles; 3-5 spared nucleoli.
    "fine_speckled": functools.partial(
        cells.speckled, base=0.3, px_per_speckle=(5.0, 8.0), amp=(0.3, 0.6),
        sigma=0.9, holes=(3, 6)),
    # Dim fill with fewer, large, bright speckles; 2-4 spared nucleoli.
    "coarse_speckled": functools.partial(
        cells.speckled, base=0.12, px_per_speckle=(30.0, 45.0), amp=(0.6, 1.0),
        sigma=1.8),
    "homogeneous": cells.homogeneous,
    "nucleolar": cells.nucleolar,
    "centromere": cells.centromere,
}


def render_cell(rng: np.random.Generator, pattern, size=None, intensity=None):
    """Render one HEp-2 cell in the style of the SNPHEp-2 images.

    Args:
      rng: a numpy Generator (e.g. from
        :func:`tfds_builders.synthetic_base.example_rng`).
      pattern: class index (0..4) or name from :data:`SNPHEP2_CLASSES`.
      size: optional ``(height, width)``; default: drawn from
        :data:`SNPHEP2_LOOK` (32-125 px).
      intensity: ``"positive"``, ``"intermediate"`` or None (random).

    Returns:
      The 2-D uint8 image (SNPHEp-2 has no masks).
    """
    name = SNPHEP2_CLASSES[cells.class_index(pattern, SNPHEP2_CLASSES)]
    if intensity is None:
        intensity = SNPHEP2_INTENSITIES[int(rng.integers(0, 2))]
    return cells.draw_cell(rng, PATTERNS[name], intensity, SNPHEP2_LOOK, size)[0]


def _example_id(split: str, i: int) -> str:
    return f"synth-{split}-{i + 1:05d}"


def split_50_indices(seed: int, split: str, num_per_class: int, k: int) -> list[int]:
    """Indices of the examples in the ``Split-50-k``-like half of a split.

    Like the official ``Split-50-k`` lists, about half of each class of the
    full split (``round_half_up(n / 2)`` per class), a different half for
    every ``k``; chosen by :func:`tfds_builders._common.stratified_assignment`
    (sha256 ordering of the example ids), so it is stable across runs.
    """
    n_cls = len(SNPHEP2_CLASSES)
    groups = {c: [] for c in SNPHEP2_CLASSES}
    for i in range(int(num_per_class) * n_cls):
        groups[SNPHEP2_CLASSES[i % n_cls]].append(_example_id(split, i))
    half = _common.stratified_assignment(
        groups, [("in", 0.5), ("out", 0.5)], salt=f"synthetic_snphep2:{seed}:{k}")
    return sorted(int(ex_id.rsplit("-", 1)[1]) - 1 for ex_id in half["in"])


def snphep2_examples(seed: int, split: str, num_per_class: int,
                     split_index: int | None = None) -> Iterator[tuple]:
    """Yields ``(key, example)`` for a class-balanced synthetic SNPHEp-2 split.

    Example ``i`` has label ``i % 5`` and is rendered from
    ``example_rng(seed, split, i)``; with ``split_index`` k, only the examples
    of :func:`split_50_indices` (the same images as in the full split).
    ``example`` holds ``image`` (2-D uint8), ``label`` (int), ``intensity``
    (str) and ``id`` (str).
    """
    indices = (None if split_index is None else
               split_50_indices(seed, split, num_per_class, split_index))
    for i, rng, label, intensity in cells.balanced_examples(
            seed, split, num_per_class, SNPHEP2_CLASSES, SNPHEP2_INTENSITIES,
            indices):
        image = render_cell(rng, label, intensity=intensity)
        ex_id = _example_id(split, i)
        yield ex_id, {"image": image, "label": label, "intensity": intensity,
                      "id": ex_id}
