"""Statistics over the stored runs of a paper: tables of mean ± std over
seeds (:func:`aggregate`) and their cells beside the paper's values
(:func:`comparison_rows`), paired per-seed gaps behind a paper's claims
(:func:`paired_gap`), rankings, training throughput, and whether a run the
epoch cap ended was still improving (:func:`capped_run_trend`).

Everything here reads run records (``common.records``) and returns plain
values; the wording and Markdown are ``common.report``'s.
"""
from __future__ import annotations

import statistics
from typing import Iterable, Mapping, Sequence

from reproductions.common import claims
from reproductions.common.paper import PaperSpec, format_x


def best_val_loss(history: Mapping) -> float | None:
    """The lowest validation loss of a history (``{metric: [per epoch]}``),
    or ``None`` when it has none."""
    losses = history.get("val_loss") or []
    return float(min(losses)) if losses else None


def _summary(vals: list[float]) -> dict:
    return {"mean": statistics.fmean(vals),
            "std": statistics.stdev(vals) if len(vals) > 1 else None,
            "n": len(vals), "values": vals}


def aggregate(paper: PaperSpec, runs: Iterable[dict]) -> dict:
    """``{table: {row: {metric: {"mean", "std", "n", "values"}}}}`` over runs;
    in a curve table one such summary per point: ``{metric: {x: {...}}}``."""
    out: dict = {}
    runs = list(runs)
    for table in paper.tables:
        rows = {}
        for row in table.rows:
            stored = [run["values"][table.key][row.key] for run in runs
                      if row.key in run["values"].get(table.key, {})]
            per_metric = {}
            for metric in table.metrics:
                vals = [v[metric] for v in stored if metric in v]
                if vals and table.is_curve:
                    per_metric[metric] = {
                        format_x(x): _summary([v[format_x(x)] for v in vals
                                               if format_x(x) in v])
                        for x in table.x if any(format_x(x) in v for v in vals)}
                elif vals:
                    per_metric[metric] = _summary(vals)
            if per_metric:
                rows[row.key] = per_metric
        out[table.key] = rows
    return out


def comparison_rows(paper: PaperSpec, runs: list[dict], profile_name: str | None):
    """Yields ``(table, row, metric, paper_value, agg, delta)`` for every cell.

    In a curve table, a cell is a point ``metric@x`` that the paper reports
    (the points it does not report are in the README's curve tables)."""
    agg = aggregate(paper, runs)
    for table in paper.tables:
        for row in table.rows:
            for metric in table.metrics:
                a = agg[table.key].get(row.key, {}).get(metric)
                if table.is_curve:
                    cells = [(f"{metric}@{format_x(x)}", value,
                              (a or {}).get(format_x(x)))
                             for x, value in sorted(row.values.get(metric, {}).items())]
                else:
                    cells = [(metric, row.values.get(metric), a)]
                for name, paper_value, a_cell in cells:
                    delta = (a_cell["mean"] - paper_value
                             if a_cell is not None and paper_value is not None else None)
                    yield table, row, name, paper_value, a_cell, delta


#: How ``training.stop_reason`` begins the ``stopped_by`` of a run that the
#: epoch cap ended (the READMEs recognise such runs by it).
STOPPED_AT_CAP = "epoch cap"
#: Epochs over which a run that reached its epoch cap is asked whether its
#: validation loss was still falling.
CAP_WINDOW = 10


def capped_run_trend(run: dict, window: int = CAP_WINDOW) -> tuple[int, float] | None:
    """For a run that ended at its epoch cap: ``(w, change)``, the relative
    change (%) of its lowest validation loss over its last ``w`` epochs
    (``w`` = ``window``, or the last quarter of a shorter run, at least one
    epoch: the first epochs' fall says nothing about convergence); negative
    while the loss was still falling. ``None`` for a run ended otherwise or
    without a validation-loss history."""
    history = (run.get("history") or {}).get("val_loss") or []
    if not (run.get("stopped_by") or "").startswith(STOPPED_AT_CAP) or len(history) < 2:
        return None
    w = min(window, max(1, len(history) // 4))
    before = min(history[:-w])
    if not before > 0:  # a loss of 0 (or NaN) has no relative change
        return None
    return w, 100.0 * (min(history) - before) / before


def per_seed(runs: Iterable[dict], row: str, key, measured_only: bool = False) -> dict:
    """``{seed: key(run)}`` over the runs of ``row``, ablation variants left
    out; ``measured_only`` also leaves out runs restored from an earlier
    process (wall time 0: their speed was not measured here)."""
    return {r["seed"]: key(r) for r in runs
            if r["row"] == row and not r.get("variant")
            and (r["wall_time_s"] > 0 or not measured_only)}


def paired_gap(paper: PaperSpec, runs: Iterable[dict], table: str, baseline: str,
               proposed: str, metric: str) -> dict | None:
    """``proposed − baseline`` on ``table``/``metric`` (points), per seed,
    with a paired t-test and a sign test (``common.claims.paired_test``).

    Both rows of a seed see the same split, batch order and augmentation, so
    the per-seed difference measures a paper's "X beats Y" claim together
    with its spread across seeds. A seed whose two runs started from
    different networks (``claims.starting_network``) is not paired: it is
    named in ``left_out`` with the reason. ``None`` until some seed has both
    rows.
    """
    scored = [r for r in runs if r["row"] in r["values"].get(table, {})]
    by_seed = {row: per_seed(scored, row, lambda r: r) for row in (baseline, proposed)}
    common = sorted(set(by_seed[baseline]) & set(by_seed[proposed]))
    if not common:
        return None
    left_out = {k: reason for k in common
                if (reason := claims.unpaired_reason(by_seed[baseline][k],
                                                     by_seed[proposed][k]))}
    seeds = [k for k in common if k not in left_out]
    value = lambda r: r["values"][table][r["row"]][metric]  # noqa: E731
    diffs = [value(by_seed[proposed][k]) - value(by_seed[baseline][k]) for k in seeds]
    test = claims.paired_test(diffs)
    printed = {r.key: r.values.get(metric) for r in paper.table(table).rows}
    claim = (printed[proposed] - printed[baseline]
             if None not in (printed.get(proposed), printed.get(baseline)) else None)
    return {"seeds": seeds, "points": diffs, "mean": test["mean"], "std": test["std"],
            f"seeds_where_{proposed}_is_better": test["ahead"],
            "paper": claim,
            "note": f"{proposed} − {baseline}, {metric.upper()} points on {table}, "
                    "paired by seed (std with n − 1)",
            "n": test["n"], "ahead": test["ahead"], "t_test_p": test["t_test_p"],
            "sign_test_p": test["sign_test_p"], "verdict": test["verdict"],
            "left_out": {str(k): v for k, v in left_out.items()}}


def table_ranking(table, agg: dict, metric: str) -> tuple[dict, dict, dict]:
    """``(claims.ranking(...), reproduced means, paper values)`` of one
    metric of a table; rows the suite does not reproduce are not ranked."""
    rows = [r for r in table.rows if r.reproduced]
    reproduced = {r.key: agg[table.key].get(r.key, {}).get(metric, {}).get("mean")
                  for r in rows}
    printed = {r.key: r.values.get(metric) for r in rows}
    return claims.ranking(reproduced, printed, [r.key for r in rows]), reproduced, printed


def throughput(runs: list[dict], rows: Sequence[str]) -> dict | None:
    """Training images/s of ``rows`` per seed, the median over seeds as the
    headline (a seed that shared the 2 cores with another process is an
    outlier the median resists); for two rows also their ratio, paired by
    seed (both networks of a seed train in the same command on the same data
    and batch size); and the training input pipeline alone when a run
    measured it (``pipeline_images_per_s``). Ablation variants and runs
    restored from an earlier process (wall time 0) are left out."""
    speed = {row: per_seed(runs, row, lambda r: r["train_images_per_s"], measured_only=True)
             for row in rows}
    seeds = sorted(set.intersection(*(set(s) for s in speed.values())))
    if not seeds:
        return None
    out: dict = {"seeds": seeds}
    for row in rows:
        out[f"{row}_images_per_s"] = [speed[row][k] for k in seeds]
        out[f"median_{row}_images_per_s"] = statistics.median(speed[row][k] for k in seeds)
    if len(rows) == 2:
        a, b = rows
        ratios = [speed[b][k] / speed[a][k] for k in seeds]
        out[f"{b}_over_{a}"] = ratios
        out[f"median_{b}_over_{a}"] = statistics.median(ratios)
    pipeline = [r["pipeline_images_per_s"] for r in runs if r.get("pipeline_images_per_s")]
    if pipeline:
        out["input_pipeline_images_per_s"] = statistics.fmean(pipeline)
        out["pipeline_over_training"] = (out["input_pipeline_images_per_s"]
                                         / out[f"median_{rows[0]}_images_per_s"])
    out["note"] = ("training images/s per seed, every network trained in this command; "
                   "the median is the headline"
                   + ("; the input pipeline alone (no model) measured in the same process"
                      if pipeline else ""))
    return out
