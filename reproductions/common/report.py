"""The Markdown of the results: the paper-vs-reproduction tables
(:func:`markdown_tables`, also printed by ``compare``), the *Claims* and
*Runs* sections, and ``results/<paper>/README.md`` (:func:`write_readme`),
all written from what a ``ResultsStore`` holds; the numbers come from
``common.summary``. Paper values come from ``reproductions/<paper>/paper.py``.
"""
from __future__ import annotations

import importlib.resources
import math
from pathlib import Path
from typing import Mapping

from reproductions.common import claims, provenance
from reproductions.common.paper import METRIC_LABELS, PaperSpec, format_x
from reproductions.common.records import SYNTHETIC_MARK, USER_DATA_MARK
from reproductions.common.store import ResultsStore, atomic_write
from reproductions.common.summary import (CAP_WINDOW, aggregate, capped_run_trend,
                                          comparison_rows, paired_gap, table_ranking)


#: Where the results README's part of a ``NOTES.md`` ends: what follows this
#: line is lab notes kept beside the paper's code (measurements behind a
#: profile, say), not rendered.
README_NOTES_END = "<!-- end of the results README's notes -->"


def package_notes(package: str) -> str:
    """The Markdown of ``<package>/NOTES.md`` (package data) that goes into the
    results README (``Reproduction.notes``): the text before
    :data:`README_NOTES_END`, ending in one newline, so that the paper's
    reading and the story of its results are edited as Markdown, not code."""
    text = importlib.resources.files(package).joinpath("NOTES.md").read_text(encoding="utf-8")
    return text.partition(README_NOTES_END)[0].rstrip("\n") + "\n"


def format_value(agg: dict | None) -> str:
    """``92.36``, ``92.36 ± 0.40 (n=3)``, or ``—``; values are percent."""
    if not agg:
        return "—"
    text = f"{agg['mean']:.2f}"
    if agg.get("std") is not None:
        text += f" ± {agg['std']:.2f} (n={agg['n']})"
    return text


def metric_label(metric: str) -> str:
    """``mca`` -> ``MCA (%)``; a curve point ``mca@20`` -> ``MCA (%) at 20``."""
    name, _, x = metric.partition("@")
    label = METRIC_LABELS.get(name, name)
    return f"{label} at {x}" if x else label


def _curve_markdown(table, paper: PaperSpec, runs: list[dict], profile_cell: str) -> list[str]:
    """One line per (row, metric), one column per x: ``reproduced [paper]``."""
    agg = aggregate(paper, runs)[table.key]
    xs = [format_x(x) for x in table.x]
    lines = [f"| model | metric | {' | '.join(f'{table.x_label} {x}' for x in xs)} | profile |",
             "|---|---|" + "---:|" * len(xs) + "---|"]
    for row in table.rows:
        for metric in table.metrics:
            printed = {format_x(x): v for x, v in row.values.get(metric, {}).items()}
            cells = []
            for x in xs:
                a = agg.get(row.key, {}).get(metric, {}).get(x)
                text = (format_value(a) if row.reproduced else "not reproduced") if (
                    a or not row.reproduced) else "—"
                if x in printed:
                    text += f" [paper {printed[x]:.2f}]"
                cells.append(text)
            lines.append(f"| {row.label} | {METRIC_LABELS.get(metric, metric)} | "
                         f"{' | '.join(cells)} | {profile_cell if row.reproduced else '—'} |")
    return lines


def markdown_tables(paper: PaperSpec, runs: list[dict], profile_name: str,
                    synthetic: bool, user_data: bool = False) -> str:
    lines = []
    profile_cell = profile_name + (" (synthetic)" if synthetic else
                                   " (user data)" if user_data else "")
    cells = list(comparison_rows(paper, runs, profile_name))
    for table in paper.tables:
        lines += ["", f"### {table.title}", ""]
        if table.note:
            lines += [table.note, ""]
        if table.is_curve:
            lines += _curve_markdown(table, paper, runs, profile_cell)
            continue
        lines += ["| model | metric | paper | reproduced | delta | profile |",
                  "|---|---|---:|---:|---:|---|"]
        for _, row, metric, paper_value, agg, delta in (c for c in cells if c[0] is table):
            reproduced = format_value(agg) if row.reproduced else "not reproduced"
            lines.append(
                f"| {row.label} | {metric_label(metric)} | "
                f"{'—' if paper_value is None else f'{paper_value:.2f}'} | {reproduced} | "
                f"{'—' if delta is None else f'{delta:+.2f}'} | "
                f"{profile_cell if row.reproduced else '—'} |")
    return "\n".join(lines)


def _fmt_seconds(s: float) -> str:
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return "—"
    return f"{s / 60:.1f} min" if s >= 90 else f"{s:.0f} s"


def _dataset_line(role: str, d: dict, single: bool) -> str:
    return (f"- Dataset{'' if single else f' ({role})'}: `{d.get('name')}`"
            + (f" (config `{d.get('config')}`)" if d.get("config") else "")
            + (f" from `{d.get('root')}`" if d.get("root") else "")
            + ", examples per split: "
            + ", ".join(f"{k} {v}" for k, v in d.get("splits", {}).items()))


def _best_epoch(run: dict) -> str:
    """The tested epoch, counted from 1, for the READMEs' tables."""
    return "—" if run.get("best_epoch") is None else str(run["best_epoch"] + 1)


def _capped_runs_markdown(keras_runs: list[dict]) -> list[str]:
    """Below the *Runs* table: did the runs that reached the epoch cap still
    improve when it stopped them?"""
    rows = [(r, t) for r in keras_runs if (t := capped_run_trend(r)) is not None]
    if not rows:
        return []
    lines = ["", f"Runs that reached the epoch cap, and how much their lowest validation loss "
                 f"fell over their last epochs (the last quarter of the run, at most "
                 f"{CAP_WINDOW}): a steady fall means the cap ended a run that was still "
                 f"improving; on a noisy curve (`run_curves.png`) one good epoch can make a "
                 f"large fall.", "",
             "| row | variant | seed | epochs | best epoch | lowest val loss | change over the "
             "last epochs |", "|---|---|---:|---:|---:|---:|---|"]
    for r, (w, change) in rows:
        lines.append(f"| {r['row']} | {r.get('variant') or '—'} | {r['seed']} | {r['epochs']} | "
                     f"{_best_epoch(r)} | {min(r['history']['val_loss']):.4g} | "
                     f"{change:+.2f} % over {w} |")
    return lines


def commits_cell(run: dict) -> str:
    """The commits a run trained under: one, or first → last (``?`` where
    the first was not recorded), with "code changed" when the training code
    differs between them."""
    prov = run["provenance"]
    span = prov.get("commit_span") or {"first": provenance.UNKNOWN, "last": prov["commit"],
                                       "training_code_changed": provenance.UNKNOWN}
    first, last = (c if c == provenance.UNKNOWN else c[:10]
                   for c in (span["first"], span["last"]))
    if first == last:
        return last
    changed = {True: ", code changed", False: ", same code"}.get(
        span["training_code_changed"], "")
    return f"{'?' if first == provenance.UNKNOWN else first} → {last}{changed}"


def cpus_cell(run: dict) -> str:
    """The CPU model of each session the run trained in (``≥`` when only
    the last session was recorded)."""
    sessions = run["provenance"].get("sessions") or []
    names = list(dict.fromkeys(s.get("cpu", provenance.UNKNOWN) for s in sessions))
    partial = any("recorded" in s for s in sessions)
    return ("… " if partial else "") + (", ".join(names) or provenance.UNKNOWN)


def _runs_markdown(runs: list[dict]) -> list[str]:
    """The *Runs* tables: Keras training runs, then scikit-learn fits."""
    lines = []
    keras_runs = [r for r in runs if r.get("kind", "keras") == "keras"]
    fits = [r for r in runs if r.get("kind") == "sklearn"]
    if keras_runs:
        lines += ["", "### Runs", "",
                  "Epochs count from 1 (`best epoch` = the weights tested); `ended by`: "
                  "early stopping on the validation loss or the epoch cap; `wall time`: the "
                  "run's training, over every session it was resumed in (`≥`: a run stored "
                  "before that was counted, whose time is only its last session's; 0 when "
                  "its finished checkpoint was read back); `commits`: the commit it trained under, "
                  "first → last when it was resumed under another (`?`: not recorded, a run "
                  "stored before sessions were logged); `CPU`: each session's processor "
                  "(`…`: only the last session's is known). The curve of every run is in "
                  "`run_curves.png`.", "",
                  "| row | variant | seed | epochs | best epoch | ended by | wall time | "
                  "train images/s | commits | CPU |",
                  "|---|---|---:|---:|---:|---|---:|---:|---|---|"]
        for r in keras_runs:
            lines.append(
                f"| {r['row']} | {r.get('variant') or '—'} | {r['seed']} | {r['epochs']} | "
                f"{_best_epoch(r)} | {r.get('stopped_by') or '—'} | "
                f"{_wall_time(r)} | "
                f"{r['train_images_per_s']:.1f} | {commits_cell(r)} | {cpus_cell(r)} |")
        lines += _capped_runs_markdown(keras_runs)
    if fits:
        lines += ["", "### scikit-learn fits", "",
                  "| row | variant | seed | fit time | features/s | chosen hyper-parameters "
                  "| commits | CPU |",
                  "|---|---|---:|---:|---:|---|---|---|"]
        for r in fits:
            params = ", ".join(f"{k}={_fmt_value(v)}" for k, v in r["hyperparameters"].items())
            lines.append(
                f"| {r['row']} | {r.get('variant') or '—'} | {r['seed']} | "
                f"{_fmt_seconds(r['fit_time_s'])} | {r['features_per_s']:.0f} | "
                f"{params or '—'} | {commits_cell(r)} | {cpus_cell(r)} |")
    return lines


def write_readme(store: ResultsStore) -> Path:
    """Writes ``README.md`` next to ``results.json`` from what is stored,
    with the store's ``notes`` (the paper module's prose) and ``sections``
    (its tables computed from the stored runs), so that a README written
    after any run -- also of an interrupted command -- is complete."""
    data = store.data
    paper = store.paper
    profile = data["profile"]
    runs = data["runs"]
    datasets = data["datasets"]
    lines = [f"# {paper.title} — reproduction results", ""]
    if data["synthetic"]:
        names = ", ".join(f"`{d.get('name')}`" for d in datasets.values())
        lines += [f"> **{SYNTHETIC_MARK.upper()}.** These numbers come from the "
                  f"embedded procedurally generated dataset {names}; they only show "
                  "that the code runs.", ""]
    if data.get("user_data"):
        lines += [f"> **{USER_DATA_MARK.upper()}.** The paper's columns are the "
                  "paper's numbers on its own data, shown for orientation only.", ""]
    lines += [
        f"Paper: {paper.citation}",
        "",
        "Everything below is written by the command from `results.json`; "
        "paper values come from `reproductions/" + paper.key + "/paper.py`.",
        "",
        *claims_markdown(paper, runs),
        "## Tables: paper vs reproduction",
        "",
        "`delta` = reproduced mean − paper. `± std (n)` over seeds where a row was "
        "run with several seeds.",
        markdown_tables(paper, runs, profile["name"], data["synthetic"],
                        bool(data.get("user_data"))),
        "",
        "## How these numbers were made",
        "",
        f"- Profile **{profile['name']}**: {profile['description']}",
    ]
    lines += [_dataset_line(role, d, len(datasets) == 1) for role, d in datasets.items()]
    if profile.get("reductions"):
        lines += ["- Departures from the paper's protocol in this profile:"]
        lines += [f"  - {r}" for r in profile["reductions"]]
    if runs:
        commits = sorted({(r["provenance"]["commit"][:10]
                           + ("+dirty" if r["provenance"].get("dirty") else ""))
                          for r in runs})
        hw = sorted({f"{r['provenance']['hardware']['cpu']} × "
                     f"{r['provenance']['hardware']['cpu_count']} cores"
                     + (f", GPU {', '.join(r['provenance']['hardware']['gpu'])}"
                        if r['provenance']['hardware']['gpu'] else ", no GPU")
                     for r in runs})
        total = sum(r["wall_time_s"] for r in runs)
        partial = any(_time_is_partial(r) for r in runs)
        lines += [f"- Code: commit(s) {', '.join(commits)}",
                  f"- Hardware: {'; '.join(hw)}",
                  f"- Training wall time of the runs: {'≥ ' if partial else ''}"
                  f"{_fmt_seconds(total)}"
                  + (" (some runs stored before resumed sessions were counted: their "
                     "earlier sessions are missing)" if partial else "")]
        lines += _runs_markdown(runs)
    if data.get("extra"):
        lines += ["", "## Other measurements", ""]
        for key, value in data["extra"].items():
            if isinstance(value, dict):
                lines.append(f"- **{key}**: " + "; ".join(
                    f"{k} = {_fmt_value(v)}" for k, v in value.items()))
            else:
                lines.append(f"- **{key}**: {value}")
    notes = store.notes + ("" if store.sections is None else store.sections(store))
    if notes:
        lines += ["", notes.strip()]
    from reproductions.common.verdict import FIGURE as VERDICT_FIGURE

    figures = sorted(p.name for p in store.dir.glob("*.png")
                     if p.name != VERDICT_FIGURE)  # drawn in the verdict section
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{name}]({name})" for name in figures]
    lines += verdict_markdown(store)
    path = store.dir / "README.md"
    atomic_write(path, "\n".join(lines) + "\n")
    return path


def verdict_markdown(store: ResultsStore) -> list[str]:
    """The closing *Verdict* section (``common.verdict``) of a paper's own
    results folder (named after the paper, e.g. ``results/dri``) on its real
    data; nothing for an experiment's subfolder, synthetic or user data."""
    from reproductions.common import verdict

    data = store.data
    if store.dir.name != store.paper.key or data["synthetic"] or data.get("user_data"):
        return []
    result = verdict.evaluate(store.paper, store.dir)
    if result is None:
        return []
    verdict.figure(store.paper, result, store.dir / verdict.FIGURE)
    return ["", *verdict.markdown(store.paper, result)]


def per_class_table(runs: Mapping[str, dict], metric: str, label=str) -> str:
    """Markdown: one row per class, one column per run, the run's per-class
    ``metric`` ("recall", "f1", ...) in %; ``runs`` maps a key to a stored
    run (e.g. :meth:`ResultsStore.first_seed_runs`), ``label`` turns a key
    into a column header. Empty string when there are no runs."""
    if not runs:
        return ""
    class_names = list(next(iter(runs.values()))["metrics"]["per_class"])
    lines = ["| class | " + " | ".join(label(k) for k in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for c in class_names:
        lines.append(f"| {c} | " + " | ".join(
            f"{100 * r['metrics']['per_class'][c][metric]:.2f}" for r in runs.values()) + " |")
    return "\n".join(lines)


def claims_markdown(paper: PaperSpec, runs: list[dict]) -> list[str]:
    """The README's *Claims* section: every paired claim of the paper and the
    order of every table with paper values against the paper's, computed
    from the stored runs and worded by ``common.claims``."""
    lines = []
    for claim in paper.claims:
        gap = paired_gap(paper, runs, claim.table, claim.baseline, claim.proposed,
                         claim.metric)
        if gap is not None:
            lines.append("- " + claims.claim_sentence(
                gap, claims.short_label(paper.label(claim.proposed)),
                claims.short_label(paper.label(claim.baseline)), claim.metric,
                claims.table_name(paper.table(claim.table).title)))
    lines += ["- " + sentence for sentence in ranking_sentences(paper, runs)]
    if not lines:
        return []
    return ["## Claims", "",
            "Computed from the runs below by `reproductions/common/claims.py`: a paired claim "
            "is *established* only when a paired t-test and an exact sign test over the "
            "seeds both give p < 0.05 (two-sided), which the sign test cannot do with "
            "fewer than 6 seeds. A ranking compares each table's reproduced means (every "
            "row, however many seeds it has) with the paper's values.", "", *lines, ""]


def ranking_sentences(paper: PaperSpec, runs: list[dict], tables=None) -> list[str]:
    """One sentence per (table, summary metric) with paper values for at
    least 3 rows that were reproduced: Kendall's τ and the flipped pairs
    (per-class tables, whose metrics are classes, are not ranked)."""
    agg = aggregate(paper, runs)
    out = []
    for table in paper.tables:
        if table.is_curve or (tables is not None and table.key not in tables):
            continue
        for metric in (m for m in table.metrics if m in METRIC_LABELS):
            rank, reproduced, printed = table_ranking(table, agg, metric)
            if len(rank["rows"]) < 3:
                continue
            labels = {r.key: claims.short_label(r.label) for r in table.rows}
            out.append(claims.ranking_sentence(rank, claims.table_name(table.title), metric,
                                               labels, reproduced, printed))
    return out


def _fmt_value(value) -> str:
    """Floats to 3 significant digits, also inside lists."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt_value(v) for v in value) + "]"
    return str(value)


def _time_is_partial(run: dict) -> bool:
    """Whether a run's wall time may miss earlier sessions: a Keras run stored
    before runs recorded ``wall_time_across_resumes`` counted only its last."""
    return (run.get("kind", "keras") == "keras" and run["wall_time_s"] > 0
            and not run.get("wall_time_across_resumes"))


def _wall_time(run: dict) -> str:
    return ("≥ " if _time_is_partial(run) else "") + _fmt_seconds(run["wall_time_s"])
