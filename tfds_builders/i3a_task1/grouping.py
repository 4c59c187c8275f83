"""Split logic of the ``i3a_task1`` builder that keeps related cells together.

Pure functions (no file access), used by the builder and unit-tested alone:

* **pixel duplicates** -- :func:`pixel_digest`, :func:`find_duplicates` and
  :func:`keep_duplicates_together` (the cell-level configs ``dri`` / ``ap80``);
* **specimen blocks** -- :func:`change_points`, :func:`specimen_blocks` and
  :func:`assign_blocks` (the ``dri_blocks`` config).

Image ids are numeric strings (``"00001"``) and are ordered as numbers. The
module docstring of the builder and its README say why and with what
measurements these rules were chosen.
"""

from __future__ import annotations

import hashlib
from typing import Mapping, Sequence

import numpy as np

from tfds_builders import _common


def _by_id(ids) -> list[str]:
    return sorted(ids, key=int)


def _split_targets(n: int, fractions: Sequence[tuple[str, float]]) -> dict[str, int]:
    """Cells per split, as ``_common.stratified_assignment`` counts them."""
    targets, start = {}, 0
    for name, frac in fractions[:-1]:
        targets[name] = min(_common.round_half_up(frac * n), n - start)
        start += targets[name]
    targets[fractions[-1][0]] = n - start
    return targets


# ------------------------------------------------------------------ duplicates
def pixel_digest(image: np.ndarray, mask: np.ndarray) -> str:
    """sha256 of the decoded pixels (and shapes) of a cell image and its mask.

    Equal for two cells exactly when image and mask are pixel-identical,
    whatever their files' metadata (PNG chunks, compression) say.
    """
    h = hashlib.sha256()
    for px in (image, mask):
        px = np.ascontiguousarray(px, dtype=np.uint8)
        h.update(repr(px.shape).encode("ascii"))
        h.update(px.tobytes())
    return h.hexdigest()


def find_duplicates(digests: Mapping[str, str]) -> list[list[str]]:
    """Groups of ids with equal :func:`pixel_digest`.

    Returns:
      the groups of two or more ids, each in id order (its first id is the
      *original*, the others are its *copies*), ordered by their original.
    """
    groups: dict[str, list[str]] = {}
    for image_id, digest in digests.items():
        groups.setdefault(digest, []).append(image_id)
    dups = [_by_id(g) for g in groups.values() if len(g) > 1]
    return sorted(dups, key=lambda g: int(g[0]))


def keep_duplicates_together(
    splits: Mapping[str, Sequence[str]],
    labels: Mapping[str, str],
    duplicates: Sequence[Sequence[str]],
    salt: str,
) -> dict[str, list[str]]:
    """Moves every copy into its original's split, keeping per-class counts.

    For each duplicate group (in order) and each copy that is not in the split
    of the group's original, the copy changes places with a cell of the copy's
    class in that split: the first, in the order of
    ``sha256("<salt>:<class>:<id>")``, that belongs to no duplicate group and
    has not been moved yet. Each split keeps its number of cells of every class.

    Args:
      splits: split name -> ids (every id in exactly one split).
      labels: id -> class.
      duplicates: groups from :func:`find_duplicates`.
      salt: salt of the partner order.

    Returns:
      split name -> ids in id order.

    Raises:
      DatasetError: the original's split holds no cell of the copy's class
        that could change places with it.
    """
    split_of = {i: name for name, ids in splits.items() for i in ids}
    grouped = {i for group in duplicates for i in group}
    moved: set[str] = set()
    orders: dict[str, list[str]] = {}
    for group in duplicates:
        target = split_of[group[0]]
        for copy in group[1:]:
            if split_of[copy] == target:
                continue
            label = labels[copy]
            if label not in orders:
                orders[label] = _common.hash_order(
                    [i for i, lab in labels.items() if lab == label], f"{salt}:{label}")
            partner = next((i for i in orders[label] if split_of[i] == target
                            and i not in grouped and i not in moved), None)
            if partner is None:
                raise _common.DatasetError(
                    f"cannot keep pixel duplicate {copy} in the {target!r} split of "
                    f"its original {group[0]}: that split holds no other {label!r} "
                    "cell to change places with.")
            split_of[partner], split_of[copy] = split_of[copy], target
            moved.add(partner)
    out: dict[str, list[str]] = {name: [] for name in splits}
    for image_id, name in split_of.items():
        out[name].append(image_id)
    return {name: _by_id(ids) for name, ids in out.items()}


# ------------------------------------------------------------- specimen blocks
def change_points(x: Sequence[float], window: int, threshold: float) -> list[int]:
    """Positions where the level of the series ``x`` jumps.

    The jump at position ``t`` (between ``x[t-1]`` and ``x[t]``) is
    ``|median(x[t:t+window]) - median(x[t-window:t])| / sigma``, where
    ``sigma = 1.4826 * median(|x[i+1] - x[i]|) / sqrt(2)`` is a robust estimate
    of the noise between neighbours. Positions are taken by decreasing jump
    (ties: the lower position first) while the jump is ``>= threshold`` and the
    position is at least ``window`` away from the ends and from every position
    already taken, so no block is shorter than ``window``.

    Returns:
      the positions, ascending (``[]`` for series shorter than ``2 * window``).
    """
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if window < 1:
        raise ValueError(f"change_points: window must be at least 1, got {window}")
    if n < 2 * window:
        return []
    sigma = 1.4826 * np.median(np.abs(np.diff(x))) / np.sqrt(2)
    medians = np.median(np.lib.stride_tricks.sliding_window_view(x, window), axis=1)
    positions = np.arange(window, n - window + 1)
    jumps = np.abs(medians[positions] - medians[positions - window])
    jumps = jumps / max(sigma, np.finfo(np.float64).tiny)
    cuts: list[int] = []
    for k in np.argsort(-jumps, kind="stable"):
        if jumps[k] < threshold:
            break
        t = int(positions[k])
        if all(abs(t - c) >= window for c in cuts):
            cuts.append(t)
    return sorted(cuts)


def specimen_blocks(
    ids_by_label: Mapping[str, Sequence[str]],
    intensity: Mapping[str, float],
    duplicates: Sequence[Sequence[str]],
    window: int,
    threshold: float,
) -> dict[str, list[list[str]]]:
    """Cuts each class's id sequence into blocks of consecutive ids (specimens).

    Within each class the ids that are not copies (see :func:`find_duplicates`)
    are put in id order and cut at the :func:`change_points` of
    ``log(1 + mean intensity)``. Every copy then joins its original's block.

    Returns:
      class -> blocks (each a list of ids in id order), in id order.
    """
    copy_of = {c: group[0] for group in duplicates for c in group[1:]}
    blocks: dict[str, list[list[str]]] = {}
    block_of: dict[str, list[str]] = {}
    for label in sorted(ids_by_label):
        ids = _by_id(i for i in ids_by_label[label] if i not in copy_of)
        x = np.log1p([intensity[i] for i in ids])
        cuts = change_points(x, window, threshold)
        blocks[label] = [ids[a:b] for a, b in zip([0] + cuts, cuts + [len(ids)]) if b > a]
        for block in blocks[label]:
            block_of.update((i, block) for i in block)
    for copy, original in copy_of.items():
        block_of[original].append(copy)
    return {label: [_by_id(b) for b in bl] for label, bl in blocks.items()}


def assign_blocks(
    blocks_by_label: Mapping[str, Sequence[Sequence[str]]],
    fractions: Sequence[tuple[str, float]],
    salt: str,
    tolerance: float = 0.02,
    candidates: int = 1000,
) -> dict[str, list[str]]:
    """Stratified split of whole blocks, close to ``fractions`` in every class.

    Per class, the target counts are those of
    ``_common.stratified_assignment``. Candidate ``k`` (0, 1, ...) takes the
    blocks in the order of ``sha256("<salt>:<k>:<class>:<first id>")`` and puts
    each in the split furthest below its target (ties: the earlier split). The
    first candidate whose every split is within ``tolerance`` (a fraction of
    the class) of its target is kept; if none of ``candidates`` is, the closest
    (the earliest of equals).

    Returns:
      split name -> ids in id order.

    Raises:
      DatasetError: a class has too few blocks to give every split a cell.
    """
    names = [name for name, _ in fractions]
    out: dict[str, list[str]] = {name: [] for name in names}
    for label in sorted(blocks_by_label):
        by_first = {b[0]: b for b in blocks_by_label[label]}
        n = sum(len(b) for b in by_first.values())
        targets = _split_targets(n, fractions)
        best = None
        for k in range(candidates):
            counts = dict.fromkeys(names, 0)
            chosen: dict[str, list[str]] = {name: [] for name in names}
            for first in _common.hash_order(by_first, f"{salt}:{k}:{label}"):
                name = max(names, key=lambda s: targets[s] - counts[s])
                counts[name] += len(by_first[first])
                chosen[name].extend(by_first[first])
            error = max(abs(counts[s] - targets[s]) for s in names) / n
            if best is None or error < best[0]:
                best = (error, counts, chosen)
            if error <= tolerance:
                break
        _, counts, chosen = best
        empty = [s for s in names if targets[s] and not counts[s]]
        if empty:
            raise _common.DatasetError(
                f"class {label!r} has {len(by_first)} specimen block(s) of "
                f"{sorted(len(b) for b in by_first.values())} cells: too few to "
                f"give split(s) {empty} any cell.")
        for name in names:
            out[name].extend(chosen[name])
    return {name: _by_id(ids) for name, ids in out.items()}
