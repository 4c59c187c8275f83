"""The leaderboard's numbers from predictions and stored runs: cross-lab
scores over the shared classes, test-time augmentation, the suite's entry
(chosen on validation only), inflation and rankings. NumPy only (no
TensorFlow), so the report and the tests read it cheaply.
"""
from __future__ import annotations

import itertools
import statistics
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from reproductions.common import claims, metrics
from reproductions.common.summary import aggregate
from reproductions.leaderboard.spec import CROSS_LAB_CLASSES, INFLATION, LEADERBOARD


def pct(m: Mapping) -> dict:
    """MCA, ACA and macro F1 of ``classification_metrics``, in %."""
    return {"mca": 100 * m["mca"], "aca": 100 * m["aca"], "f1": 100 * m["macro"]["f1"]}


# -- cross-lab -----------------------------------------------------------------
def cross_lab_mapping(source_classes: Sequence[str], target_classes: Sequence[str],
                      mapping=CROSS_LAB_CLASSES) -> dict:
    """``{"shared", "source_columns", "target_to_shared"}``: the shared
    classes in order, the source (I3A) column of each, and each target
    (SNPHEp-2) label's shared index. Raises when a class of the mapping is
    missing from either side (a dataset whose names changed)."""
    shared = list(mapping)
    missing = ([s for s, _ in mapping.values() if s not in source_classes]
               + [t for _, ts in mapping.values() for t in ts if t not in target_classes])
    if missing:
        raise ValueError(f"cross-lab mapping: classes {missing} not found in "
                         f"{list(source_classes)} / {list(target_classes)}")
    unmapped = [t for t in target_classes
                if not any(t in ts for _, ts in mapping.values())]
    if unmapped:
        raise ValueError(f"cross-lab mapping: target classes {unmapped} have no shared class")
    return {"shared": shared,
            "source_columns": [list(source_classes).index(s) for s, _ in mapping.values()],
            "target_to_shared": [next(i for i, (_, ts) in enumerate(mapping.values()) if t in ts)
                                 for t in target_classes]}


def cross_lab_scores(scores: np.ndarray, target_labels: np.ndarray,
                     source_classes: Sequence[str], target_classes: Sequence[str]) -> dict:
    """Metrics of source-class ``scores`` (N, source classes) on target cells:
    argmax over the shared source classes only, against the target labels
    mapped to the shared classes; also the share of cells whose unrestricted
    argmax is a class the target lacks (``outside_shared``, %)."""
    m = cross_lab_mapping(source_classes, target_classes)
    cols = m["source_columns"]
    predicted = np.argmax(np.asarray(scores)[:, cols], axis=-1)
    truth = np.asarray(m["target_to_shared"])[np.asarray(target_labels)]
    result = metrics.classification_metrics(truth, predicted, m["shared"])
    outside = float(np.mean(~np.isin(np.argmax(scores, -1), cols))) * 100
    return {**pct(result), "outside_shared": outside, "metrics": result}


# -- test-time augmentation ----------------------------------------------------
def dihedral_views(images: np.ndarray, views: int = 8) -> list[np.ndarray]:
    """The first ``views`` of a batch's 8 dihedral transforms (identity first;
    rotations by 90° and their mirror images, as ``predict --tta``)."""
    out = []
    for k in range(4):
        turned = np.rot90(images, k, axes=(1, 2))
        out += [turned, turned[:, :, ::-1]]
    return [np.ascontiguousarray(v) for v in out[:views]]


def tta_proba(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray,
              views: int) -> np.ndarray:
    """Mean of ``predict`` over the dihedral views of ``images``."""
    return np.mean([predict(v) for v in dihedral_views(images, views)], axis=0)


# -- the suite's entry -------------------------------------------------------
PROBS_FILE = "probabilities.npz"


def save_probabilities(folder: Path, **arrays) -> None:
    """What the entry reads later: validation/test labels and probabilities
    (plain and TTA) of one run, beside its checkpoints."""
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / PROBS_FILE, **arrays)


def choose_entry(candidates: Mapping[str, dict], class_names: Sequence[str],
                 ensemble_sizes: Sequence[int]) -> dict | None:
    """The suite's entry of one setting and seed.

    ``candidates``: network -> ``{"val", "val_tta", "test", "test_tta"}``
    probabilities (TTA keys optional) and ``"val_labels"``, ``"test_labels"``.
    Every single network and every ensemble of the ``k`` networks best on
    validation MCA, each with and without TTA, is scored on validation; the
    best validation MCA wins (ties: fewer members, then no TTA). Only then is
    its test split scored. ``None`` with no candidate."""
    if not candidates:
        return None
    first = next(iter(candidates.values()))
    val_labels, test_labels = first["val_labels"], first["test_labels"]

    def score(probs, labels):
        return metrics.classification_metrics(labels, np.argmax(probs, -1), class_names)

    single = {k: score(c["val"], val_labels)["mca"] for k, c in candidates.items()}
    ranked = sorted(single, key=lambda k: (-single[k], k))
    options = [(k,) for k in ranked] + [tuple(ranked[:n]) for n in ensemble_sizes
                                         if 1 < n <= len(ranked)]
    tried = []
    for members, tta in itertools.product(options, (False, True)):
        key = "val_tta" if tta else "val"
        if not all(key in candidates[m] for m in members):
            continue
        probs = np.mean([candidates[m][key] for m in members], axis=0)
        tried.append((score(probs, val_labels)["mca"], -len(members), not tta, members, tta))
    best = max(tried, key=lambda t: t[:3])
    _, _, _, members, tta = best
    test_key = "test_tta" if tta else "test"
    test = score(np.mean([candidates[m][test_key] for m in members], axis=0), test_labels)
    return {"members": list(members), "tta": tta, "validation_mca": 100 * best[0],
            "candidates": len(tried), "networks": sorted(candidates), "test": pct(test)}


# -- the plan's extra seeds -----------------------------------------------------
def extra_seed_rows(runs, rows, networks, first_seed: int, gap: float, settings) -> dict:
    """Setting -> those of ``rows`` that get the other seeds there: on seed
    ``first_seed``, a network within ``gap`` MCA points of its neighbour in
    the setting's order (both of the pair).

    The order is that of every one of ``networks`` (not only of ``rows``:
    two processes may run disjoint ``--rows`` into one folder), and a setting
    is decided only once each of them has its ``first_seed`` run there: a
    network not yet stored could fall between two others. Until then the
    setting gets no extra seeds (an empty list)."""
    out = {}
    for key in settings:
        mca = {r["row"]: r["values"][key][r["row"]]["mca"] for r in runs
               if r["seed"] == first_seed and r["row"] in networks and key in r["values"]
               and r.get("variant") == key}
        if set(networks) - set(mca):
            out[key] = []
            continue
        order = sorted(mca, key=mca.get)
        close = {row for a, b in zip(order, order[1:]) if mca[b] - mca[a] < gap
                 for row in (a, b)}
        out[key] = [row for row in rows if row in close]
    return out


# -- inflation and rankings ------------------------------------------------------
def means(runs: Sequence[dict], table: str, metric: str = "mca") -> dict:
    """Network -> mean of ``metric`` on ``table`` over the stored runs."""
    agg = aggregate(LEADERBOARD, runs)[table]
    return {row: v[metric]["mean"] for row, v in agg.items() if metric in v}


def inflation(runs: Sequence[dict], metric: str = "mca") -> dict:
    """Per network: cell-level minus specimen-disjoint ``metric`` (I3A),
    the difference of the two means, and the per-seed differences of the
    seeds both settings have."""
    cells, blocks = INFLATION
    per = {table: {} for table in INFLATION}
    for run in runs:
        for table in INFLATION:
            for row, v in run["values"].get(table, {}).items():
                per[table].setdefault(row, {})[run["seed"]] = v[metric]
    out = {}
    for row in per[cells]:
        if row not in per[blocks]:
            continue
        a, b = per[cells][row], per[blocks][row]
        seeds = sorted(set(a) & set(b))
        out[row] = {"points": statistics.fmean(a.values()) - statistics.fmean(b.values()),
                    "per_seed": {str(s): a[s] - b[s] for s in seeds},
                    "n_cells": len(a), "n_blocks": len(b)}
    return out


def inflation_claim(runs: Sequence[dict], metric: str = "mca") -> dict:
    """The claim "cell-level test cells inflate the score", over the networks: each
    network's inflation (:func:`inflation`) is one paired point (the same
    network on both I3A splits), tested with ``claims.paired_test`` (paired
    t-test and exact sign test; established only when both reject). Points
    in the matrix's network order; ``rows`` names them."""
    per = inflation(runs, metric)
    rows = [n.key for n in LEADERBOARD.tables[0].rows if n.key in per]
    points = [per[row]["points"] for row in rows]
    return {"rows": rows, "points": points, **claims.paired_test(points)}


def ranking(runs: Sequence[dict], table: str, against: str, metric: str = "mca") -> dict:
    """The order of the networks on ``table`` against their order on
    ``against`` (``claims.ranking``: Kendall's τ, flipped pairs), over the
    networks both have."""
    order = [n.key for n in LEADERBOARD.tables[0].rows]
    return claims.ranking(means(runs, table, metric), means(runs, against, metric), order)
