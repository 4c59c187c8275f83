"""``results/<paper>/results.json`` and ``results/<paper>/README.md``.

A reproduction records one *run* per trained model and seed. A run carries
its own provenance (commit, hardware, wall time, throughput) and the values it
produced for one or more table rows (one trained DRI gives all of Table 3(b)).
Tables are aggregated from the runs (mean ± std over seeds) and set beside
the paper's values, which come from ``reproductions/<paper>/paper.py``.

Runs are saved as they finish, so an interrupted table resumes with the runs
it still lacks.
"""
from __future__ import annotations

import json
import math
import os
import statistics
from pathlib import Path
from typing import Iterable

from reproductions.common import provenance
from reproductions.common.errors import UserError
from reproductions.common.paper import METRIC_LABELS, PaperSpec
from reproductions.common.profiles import Profile

SCHEMA_VERSION = 1
SYNTHETIC_MARK = "synthetic — not comparable to the paper"
# What every stored run must say about itself (checked by compare --check).
REQUIRED_RUN_FIELDS = ("row", "seed", "values", "provenance", "wall_time_s",
                       "train_images_per_s", "epochs")
REQUIRED_PROVENANCE_FIELDS = ("commit", "packages", "hardware", "command", "time")
REQUIRED_TOP_FIELDS = ("paper", "profile", "dataset", "synthetic", "runs")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# Profile fields that are prose about the protocol rather than the protocol:
# rewording them must not invalidate stored runs (every override made on the
# command line also changes a protocol field, e.g. ``epochs``).
PROSE_PROFILE_FIELDS = ("description", "reductions")


def _protocol(profile: dict) -> dict:
    """The settings of a profile that change what a run computes, as JSON
    stores them (tuples become lists)."""
    return json.loads(json.dumps({k: v for k, v in profile.items()
                                  if k not in PROSE_PROFILE_FIELDS}))


class ResultsStore:
    """Reads and writes one paper's results folder.

    Refuses (``UserError``) to mix results of another profile or another
    dataset into an existing folder unless ``force`` is set, in which case
    the old ``results.json`` is kept as ``results.json.bak``. Profiles are
    compared on their protocol fields: a reworded description or list of
    reductions keeps the stored runs and takes the new wording.
    """

    def __init__(self, output_dir: Path, paper: PaperSpec, profile: Profile,
                 dataset: dict, synthetic: bool, force: bool = False):
        self.dir = Path(output_dir)
        self.paper = paper
        self.path = self.dir / "results.json"
        self.data = {
            "schema_version": SCHEMA_VERSION,
            "paper": paper.key,
            "title": paper.title,
            "profile": profile.to_json(),
            "dataset": dataset,
            "synthetic": synthetic,
            "note": SYNTHETIC_MARK if synthetic else "",
            "runs": [],
            "extra": {},
        }
        if self.path.exists():
            old = json.loads(self.path.read_text())
            same = (old.get("profile", {}).get("name") == profile.name
                    and old.get("synthetic") == synthetic
                    and old.get("dataset", {}).get("name") == dataset.get("name")
                    and old.get("dataset", {}).get("config") == dataset.get("config"))
            if (same and _protocol(old.get("profile", {})) == _protocol(self.data["profile"])
                    and not force):
                self.data["runs"] = old.get("runs", [])
                self.data["extra"] = old.get("extra", {})
            elif not force:
                raise UserError(
                    f"{self.path} holds results of profile "
                    f"{old.get('profile', {}).get('name')!r} on "
                    f"{old.get('dataset', {}).get('name')!r}"
                    f"{' (synthetic)' if old.get('synthetic') else ''} with other "
                    f"settings than this run (profile {profile.name!r} on "
                    f"{dataset.get('name')!r}). Results are not overwritten: pass "
                    "--output-dir to write elsewhere, or --force to replace them "
                    "(the old file is kept as results.json.bak).")
            else:
                _atomic_write(self.path.with_name("results.json.bak"),
                              self.path.read_text())

    # -- runs ---------------------------------------------------------------
    def find_run(self, row: str, seed: int, variant: str = "") -> dict | None:
        for run in self.data["runs"]:
            if run["row"] == row and run["seed"] == seed and run.get("variant", "") == variant:
                return run
        return None

    def add_run(self, run: dict) -> None:
        """Stores one finished run (replacing an older one with the same key)."""
        missing = [f for f in REQUIRED_RUN_FIELDS if f not in run]
        if missing:
            raise ValueError(f"run record lacks {missing}")
        self.data["runs"] = [r for r in self.data["runs"]
                             if not (r["row"] == run["row"] and r["seed"] == run["seed"]
                                     and r.get("variant", "") == run.get("variant", ""))]
        self.data["runs"].append(run)
        self.save()

    def set_extra(self, key: str, value) -> None:
        self.data["extra"][key] = value
        self.save()

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=False) + "\n")

    # -- tables -------------------------------------------------------------
    def table_rows(self) -> dict:
        return aggregate(self.paper, self.data["runs"])


def aggregate(paper: PaperSpec, runs: Iterable[dict]) -> dict:
    """``{table: {row: {metric: {"mean", "std", "n", "values"}}}}`` over runs."""
    out: dict = {}
    runs = list(runs)
    for table in paper.tables:
        rows = {}
        for row in table.rows:
            per_metric = {}
            for metric in table.metrics:
                vals = [run["values"][table.key][row.key][metric] for run in runs
                        if row.key in run["values"].get(table.key, {})
                        and metric in run["values"][table.key][row.key]]
                if vals:
                    per_metric[metric] = {
                        "mean": statistics.fmean(vals),
                        "std": statistics.stdev(vals) if len(vals) > 1 else None,
                        "n": len(vals), "values": vals}
            if per_metric:
                rows[row.key] = per_metric
        out[table.key] = rows
    return out


def format_value(agg: dict | None) -> str:
    """``92.36``, ``92.36 ± 0.40 (n=3)``, or ``—``; values are percent."""
    if not agg:
        return "—"
    text = f"{agg['mean']:.2f}"
    if agg.get("std") is not None:
        text += f" ± {agg['std']:.2f} (n={agg['n']})"
    return text


def comparison_rows(paper: PaperSpec, runs: list[dict], profile_name: str | None):
    """Yields ``(table, row, metric, paper_value, agg, delta)`` for every cell."""
    agg = aggregate(paper, runs)
    for table in paper.tables:
        for row in table.rows:
            for metric in table.metrics:
                paper_value = row.values.get(metric)
                a = agg[table.key].get(row.key, {}).get(metric)
                delta = (a["mean"] - paper_value
                         if a is not None and paper_value is not None else None)
                yield table, row, metric, paper_value, a, delta


def markdown_tables(paper: PaperSpec, runs: list[dict], profile_name: str,
                    synthetic: bool) -> str:
    lines = []
    profile_cell = profile_name + (" (synthetic)" if synthetic else "")
    current = None
    for table, row, metric, paper_value, agg, delta in comparison_rows(
            paper, runs, profile_name):
        if table.key != current:
            current = table.key
            lines += ["", f"### {table.title}", ""]
            if table.note:
                lines += [table.note, ""]
            lines += ["| model | metric | paper | reproduced | delta | profile |",
                      "|---|---|---:|---:|---:|---|"]
        reproduced = format_value(agg) if row.reproduced else "not reproduced"
        lines.append(
            f"| {row.label} | {METRIC_LABELS.get(metric, metric)} | "
            f"{'—' if paper_value is None else f'{paper_value:.2f}'} | {reproduced} | "
            f"{'—' if delta is None else f'{delta:+.2f}'} | "
            f"{profile_cell if row.reproduced else '—'} |")
    return "\n".join(lines)


def _fmt_seconds(s: float) -> str:
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return "—"
    return f"{s / 60:.1f} min" if s >= 90 else f"{s:.0f} s"


def write_readme(store: ResultsStore, notes: str = "") -> Path:
    """Writes ``README.md`` next to ``results.json`` from what is stored."""
    data = store.data
    paper = store.paper
    profile = data["profile"]
    runs = data["runs"]
    lines = [f"# {paper.title} — reproduction results", ""]
    if data["synthetic"]:
        lines += [f"> **{SYNTHETIC_MARK.upper()}.** These numbers come from the "
                  "embedded procedurally generated dataset "
                  f"`{data['dataset'].get('name')}`; they only show that the code runs.",
                  ""]
    lines += [
        f"Paper: {paper.citation}",
        "",
        "Everything below is written by the command from `results.json`; "
        "paper values come from `reproductions/" + paper.key + "/paper.py`.",
        "",
        "## Tables: paper vs reproduction",
        "",
        "`delta` = reproduced mean − paper. `± std (n)` over seeds where a row was "
        "run with several seeds.",
        markdown_tables(paper, runs, profile["name"], data["synthetic"]),
        "",
        "## How these numbers were made",
        "",
        f"- Profile **{profile['name']}**: {profile['description']}",
        f"- Dataset: `{data['dataset'].get('name')}`"
        + (f" (config `{data['dataset'].get('config')}`)" if data['dataset'].get('config') else "")
        + ", examples per split: "
        + ", ".join(f"{k} {v}" for k, v in data["dataset"].get("splits", {}).items()),
    ]
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
        lines += [f"- Code: commit(s) {', '.join(commits)}",
                  f"- Hardware: {'; '.join(hw)}",
                  f"- Total training + evaluation wall time: {_fmt_seconds(total)}",
                  "", "### Runs", "",
                  "| row | variant | seed | epochs | best epoch | wall time | train images/s | commit |",
                  "|---|---|---:|---:|---:|---:|---:|---|"]
        for r in runs:
            lines.append(
                f"| {r['row']} | {r.get('variant') or '—'} | {r['seed']} | {r['epochs']} | "
                f"{r.get('best_epoch', '—')} | {_fmt_seconds(r['wall_time_s'])} | "
                f"{r['train_images_per_s']:.1f} | {r['provenance']['commit'][:10]} |")
    if data.get("extra"):
        lines += ["", "## Other measurements", ""]
        for key, value in data["extra"].items():
            if isinstance(value, dict):
                lines.append(f"- **{key}**: " + "; ".join(
                    f"{k} = {_fmt_value(v)}" for k, v in value.items()))
            else:
                lines.append(f"- **{key}**: {value}")
    if notes:
        lines += ["", notes.strip()]
    figures = sorted(p.name for p in store.dir.glob("*.png"))
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{name}]({name})" for name in figures]
    path = store.dir / "README.md"
    _atomic_write(path, "\n".join(lines) + "\n")
    return path


def per_seed(runs: Iterable[dict], row: str, key, measured_only: bool = False) -> dict:
    """``{seed: key(run)}`` over the runs of ``row``, ablation variants left
    out; ``measured_only`` also leaves out runs restored from an earlier
    process (wall time 0: their speed was not measured here)."""
    return {r["seed"]: key(r) for r in runs
            if r["row"] == row and not r.get("variant")
            and (r["wall_time_s"] > 0 or not measured_only)}


def paired_gap(paper: PaperSpec, runs: Iterable[dict], table: str, baseline: str,
               proposed: str, metric: str) -> dict | None:
    """``proposed − baseline`` on ``table``/``metric`` (points), per seed.

    Both rows of a seed see the same split, batch order and augmentation, so
    the per-seed difference measures a paper's "X beats Y" claim together
    with its spread across seeds. ``None`` until some seed has both rows.
    """
    scored = [r for r in runs if r["row"] in r["values"].get(table, {})]
    by_seed = {row: per_seed(scored, row, lambda r: r["values"][table][r["row"]][metric])
               for row in (baseline, proposed)}
    seeds = sorted(set(by_seed[baseline]) & set(by_seed[proposed]))
    if not seeds:
        return None
    diffs = [by_seed[proposed][k] - by_seed[baseline][k] for k in seeds]
    printed = {r.key: r.values.get(metric) for r in paper.table(table).rows}
    claim = (printed[proposed] - printed[baseline]
             if None not in (printed.get(proposed), printed.get(baseline)) else None)
    return {"seeds": seeds, "points": diffs, "mean": statistics.fmean(diffs),
            "std": statistics.stdev(diffs) if len(diffs) > 1 else 0.0,
            f"seeds_where_{proposed}_is_better": sum(d > 0 for d in diffs),
            "paper": claim,
            "note": f"{proposed} − {baseline}, {metric.upper()} points on {table}, "
                    "paired by seed (std with n − 1)"}


def _fmt_value(value) -> str:
    """Floats to 3 significant digits, also inside lists."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt_value(v) for v in value) + "]"
    return str(value)


def run_record(row: str, seed: int, values: dict, *, epochs: int, wall_time_s: float,
               train_images_per_s: float, variant: str = "", **extra) -> dict:
    """One run's entry for ``results.json`` with this process's provenance."""
    return {"row": row, "variant": variant, "seed": seed, "values": values,
            "epochs": epochs, "wall_time_s": wall_time_s,
            "train_images_per_s": train_images_per_s,
            "provenance": provenance.collect(), **extra}


def check(results_json: Path) -> list[str]:
    """Problems that make a stored result unusable (missing provenance)."""
    try:
        data = json.loads(Path(results_json).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{results_json}: unreadable ({exc})"]
    problems = [f"{results_json}: missing top-level field {f!r}"
                for f in REQUIRED_TOP_FIELDS if f not in data]
    for i, run in enumerate(data.get("runs", [])):
        where = f"{results_json}: run {i} ({run.get('row')}, seed {run.get('seed')})"
        problems += [f"{where}: missing {f!r}" for f in REQUIRED_RUN_FIELDS if f not in run]
        prov = run.get("provenance", {})
        problems += [f"{where}: provenance lacks {f!r}"
                     for f in REQUIRED_PROVENANCE_FIELDS if f not in prov]
    if "profile" in data and "name" not in data["profile"]:
        problems.append(f"{results_json}: profile has no name")
    return problems
