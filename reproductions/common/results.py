"""``results/<paper>/results.json`` and ``results/<paper>/README.md``.

A reproduction records one *run* per trained model and seed. A run carries
its own provenance (commit, hardware, wall time, throughput) and the values it
produced for one or more table rows (one trained DRI gives all of Table 3(b)).
Tables are aggregated from the runs (mean ± std over seeds) and set beside
the paper's values, which come from ``reproductions/<paper>/paper.py``.

Runs are saved as they finish, so an interrupted table resumes with the runs
it still lacks. Several processes may store runs of one paper in one folder
(different ``--rows`` at once): each save takes in, under a lock, what the
others stored since.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from reproductions.common import claims, provenance
from reproductions.common.errors import UserError
from reproductions.common.paper import METRIC_LABELS, PaperSpec, format_x
from reproductions.common.profiles import Profile

SCHEMA_VERSION = 2  # 2: datasets by role (1 had one "dataset"; read and converted)
SYNTHETIC_MARK = "synthetic — not comparable to the paper"
USER_DATA_MARK = "user data — the paper's protocol on your images, not the paper's data"
# What every stored run must say about itself (checked by compare --check), by
# kind of run: a Keras training run, or a scikit-learn fit (no epochs).
REQUIRED_RUN_FIELDS = ("row", "seed", "values", "provenance", "wall_time_s")
REQUIRED_KIND_FIELDS = {"keras": ("train_images_per_s", "epochs"),
                        "sklearn": ("fit_time_s", "features_per_s", "hyperparameters")}
REQUIRED_PROVENANCE_FIELDS = ("commit", "packages", "hardware", "command", "time")
REQUIRED_TOP_FIELDS = ("paper", "profile", "datasets", "synthetic", "runs")


def best_val_loss(history: Mapping) -> float | None:
    """The lowest validation loss of a history (``{metric: [per epoch]}``),
    or ``None`` when it has none."""
    losses = history.get("val_loss") or []
    return float(min(losses)) if losses else None


def missing_fields(run: dict) -> list[str]:
    """The fields a stored run lacks for its kind (``keras`` by default)."""
    kind = run.get("kind", "keras")
    if kind not in REQUIRED_KIND_FIELDS:
        return [f"kind ({kind!r} is not one of {', '.join(REQUIRED_KIND_FIELDS)})"]
    return [f for f in REQUIRED_RUN_FIELDS + REQUIRED_KIND_FIELDS[kind] if f not in run]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # one per process
    tmp.write_text(text)
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(folder: Path):
    """Holds an exclusive lock on ``folder`` (POSIX ``flock``; where there is
    none, e.g. Windows, no lock: run one process per results folder there)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def run_key(run: dict) -> tuple:
    """What identifies a stored run: its row, seed and ablation variant."""
    return run["row"], run["seed"], run.get("variant", "")


# Profile fields that are prose about the protocol rather than the protocol:
# rewording them must not invalidate stored runs (every override made on the
# command line also changes a protocol field, e.g. ``epochs``).
PROSE_PROFILE_FIELDS = ("description", "reductions")


def protocol_fields(profile: dict) -> dict:
    """The settings of a profile that change what a run computes, as JSON
    stores them (tuples become lists)."""
    return json.loads(json.dumps({k: v for k, v in profile.items()
                                  if k not in PROSE_PROFILE_FIELDS}))


class ResultsStore:
    """Reads and writes one paper's results folder.

    Refuses (``UserError``) to mix results of another profile or another
    dataset into an existing folder unless ``force`` is set, in which case
    the old ``results.json`` is kept as ``results.json.bak``; results of the
    same settings are always kept (a rerun resumes, ``force`` or not). Profiles are
    compared on their protocol fields: a reworded description or list of
    reductions keeps the stored runs and takes the new wording.
    """

    def __init__(self, output_dir: Path, paper: PaperSpec, profile: Profile,
                 datasets: dict, synthetic: bool, force: bool = False,
                 user_data: bool = False):
        """``datasets``: role -> ``{"name", "config", "version", "splits", ...}``."""
        self.dir = Path(output_dir)
        self.paper = paper
        self.path = self.dir / "results.json"
        self.notes = ""  # the README's prose; kept by every rewrite
        self.sections: Callable[[ResultsStore], str] | None = None
        self.data = {
            "schema_version": SCHEMA_VERSION,
            "paper": paper.key,
            "title": paper.title,
            "profile": profile.to_json(),
            "datasets": json.loads(json.dumps(datasets)),  # a copy: facts are added to it
            "synthetic": synthetic,
            "user_data": user_data,
            "note": (SYNTHETIC_MARK if synthetic else USER_DATA_MARK if user_data else ""),
            "runs": [],
            "extra": {},
        }
        # what this process stored: it wins over the file when saving (below)
        self._own_runs: set[tuple] = set()
        self._own_extra: set[str] = set()
        if self.path.exists():
            old = upgrade(json.loads(self.path.read_text()))
            # --force replaces results of *other* settings; the same settings
            # always resume (rerunning a long command with --force keeps its runs)
            if self._same_settings(old):
                self._take_in(old)
            elif not force:
                moved = ("" if same_splits(old.get("datasets", {}), datasets) else
                         "; its splits hold other examples than these (the dataset "
                         "builder changed)")
                raise UserError(
                    f"{self.path} holds results of profile "
                    f"{old.get('profile', {}).get('name')!r} on "
                    f"{_names(old.get('datasets', {}))}"
                    f"{' (synthetic)' if old.get('synthetic') else ''} with other "
                    f"settings than this run (profile {profile.name!r} on "
                    f"{_names(datasets)}{moved}). Results are not overwritten: pass "
                    "--output-dir to write elsewhere, or --force to replace them "
                    "(the old file is kept as results.json.bak).")
            else:
                _atomic_write(self.path.with_name("results.json.bak"),
                              self.path.read_text())

    def _same_settings(self, old: dict) -> bool:
        """Whether a stored results.json holds runs of this store's settings
        (profile, protocol, data), i.e. runs this store resumes and keeps."""
        mine = self.data
        return (old.get("profile", {}).get("name") == mine["profile"]["name"]
                and old.get("synthetic") == mine["synthetic"]
                and bool(old.get("user_data")) == mine["user_data"]
                and data_identity(old.get("datasets", {})) == data_identity(mine["datasets"])
                and protocol_fields(old.get("profile", {})) == protocol_fields(mine["profile"])
                and same_splits(old.get("datasets", {}), mine["datasets"]))

    def _take_in(self, stored: dict) -> None:
        """Merges a results.json of the same settings into this store: its runs
        and extras, except those this process stored itself (they are newer)."""
        runs = {run_key(r): r for r in stored.get("runs", [])}
        for run in self.data["runs"]:
            key = run_key(run)
            if key in self._own_runs or key not in runs:
                runs[key] = run
        self.data["runs"] = list(runs.values())
        self.data["extra"] = {**stored.get("extra", {}),
                              **{k: self.data["extra"][k] for k in self._own_extra}}
        # facts a stored run recorded about its data (e.g. the sizes of a split
        # only one variant uses) stay, unless this process states them anew
        for role, info in stored.get("datasets", {}).items():
            if role in self.data["datasets"]:
                self.data["datasets"][role] = {**info, **self.data["datasets"][role]}

    def _take_in_file(self) -> None:
        """:meth:`_take_in` of results.json if it holds runs of these settings
        (the caller holds the folder's lock)."""
        if self.path.exists():
            stored = upgrade(json.loads(self.path.read_text()))
            if self._same_settings(stored):
                self._take_in(stored)

    def reload(self) -> None:
        """Takes in the runs another process stored in the folder since."""
        if self.dir.exists():
            with _locked(self.dir):
                self._take_in_file()

    # -- runs ---------------------------------------------------------------
    def find_run(self, row: str, seed: int, variant: str = "") -> dict | None:
        for run in self.data["runs"]:
            if run_key(run) == (row, seed, variant):
                return run
        return None

    @property
    def runs(self) -> list[dict]:
        return self.data["runs"]

    @property
    def extra(self) -> dict:
        return self.data["extra"]

    @property
    def profile(self) -> dict:
        """The stored profile (as JSON: lists for tuples)."""
        return self.data["profile"]

    def first_seed_runs(self, variants: bool = False) -> dict:
        """Row -> the stored run of the profile's first seed (the runs a
        paper's figures show); with ``variants`` also the ablation variants,
        keyed by the variant's name."""
        first = self.profile["seeds"][0]
        return {(r.get("variant") or r["row"]): r for r in self.runs
                if r["seed"] == first and (variants or not r.get("variant"))}

    @property
    def datasets(self) -> dict:
        """Role -> what is stored about the data (name, splits, sizes used ...)."""
        return self.data["datasets"]

    def set_dataset_info(self, role: str, **info) -> None:
        """Adds facts about the data a role's runs used (sizes after
        subsetting, augmented counts ...) to ``datasets[role]``."""
        self.data["datasets"][role].update(info)
        self.save()

    def add_run(self, run: dict) -> None:
        """Stores one finished run (replacing an older one with the same key)."""
        missing = missing_fields(run)
        if missing:
            raise ValueError(f"run record lacks {missing}")
        key = run_key(run)
        self.data["runs"] = [r for r in self.data["runs"] if run_key(r) != key]
        self.data["runs"].append(run)
        self._own_runs.add(key)
        self.save()

    def set_extra(self, key: str, value) -> None:
        self.data["extra"][key] = value
        self._own_extra.add(key)
        self.save()

    def save(self) -> None:
        """Writes results.json, first taking in what other processes stored
        in it since (under a lock on the folder, so no run is lost)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.dir):
            self._take_in_file()
            _atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=False) + "\n")

    # -- tables -------------------------------------------------------------
    def table_rows(self) -> dict:
        return aggregate(self.paper, self.data["runs"])


def upgrade(data: dict) -> dict:
    """A results.json of an older schema in today's form (schema 1 had one
    ``dataset``, the paper's only one, under the role ``data``)."""
    if "datasets" not in data and "dataset" in data:
        data["datasets"] = {"data": data.pop("dataset")}
    data.setdefault("user_data", False)
    return data


def data_identity(datasets: dict) -> dict:
    """What makes two runs' data the same: name, config and (for a user's
    folder, whose content can change) version, per role."""
    return {role: (d.get("name"), d.get("config"),
                   d.get("version") if d.get("name") == "image_folder" else None)
            for role, d in datasets.items()}


def same_splits(old: dict, new: dict) -> bool:
    """Whether the splits' example ids are the same in both (where both
    recorded them): a builder change that moved cells between splits makes
    stored runs incomparable with new ones."""
    return all(old[role]["split_ids_sha256"] == d["split_ids_sha256"]
               for role, d in new.items()
               if "split_ids_sha256" in d and "split_ids_sha256" in old.get(role, {}))


def _names(datasets: dict) -> str:
    return ", ".join(f"{d.get('name')!r}" for d in datasets.values())


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
    figures = sorted(p.name for p in store.dir.glob("*.png"))
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{name}]({name})" for name in figures]
    path = store.dir / "README.md"
    _atomic_write(path, "\n".join(lines) + "\n")
    return path


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


def run_record(row: str, seed: int, values: dict, *, epochs: int, wall_time_s: float,
               train_images_per_s: float, variant: str = "",
               wall_time_across_resumes: bool = True, **extra) -> dict:
    """One Keras training run's entry for ``results.json`` with this
    process's provenance; ``wall_time_s`` covers every session the run was
    resumed in (``common.training.ElapsedTime``), unless
    ``wall_time_across_resumes`` is False."""
    return {"row": row, "variant": variant, "seed": seed, "kind": "keras",
            "values": values, "epochs": epochs, "wall_time_s": wall_time_s,
            "wall_time_across_resumes": wall_time_across_resumes,
            "train_images_per_s": train_images_per_s,
            "provenance": provenance.collect(), **extra}


def sklearn_record(row: str, seed: int, values: dict, *, fit_time_s: float,
                   features_per_s: float, hyperparameters: dict, wall_time_s: float,
                   variant: str = "", **extra) -> dict:
    """One scikit-learn row's entry (e.g. an SVM on hand-crafted features):
    its own provenance -- fit time, features/s through the feature
    extractor, the hyper-parameters cross-validation chose -- and no epochs."""
    return {"row": row, "variant": variant, "seed": seed, "kind": "sklearn",
            "values": values, "fit_time_s": fit_time_s, "features_per_s": features_per_s,
            "hyperparameters": hyperparameters, "wall_time_s": wall_time_s,
            "provenance": provenance.collect(), **extra}


def check(results_json: Path) -> list[str]:
    """Problems that make a stored result unusable (missing provenance)."""
    try:
        data = json.loads(Path(results_json).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{results_json}: unreadable ({exc})"]
    data = upgrade(data)
    problems = [f"{results_json}: missing top-level field {f!r}"
                for f in REQUIRED_TOP_FIELDS if f not in data]
    for i, run in enumerate(data.get("runs", [])):
        where = f"{results_json}: run {i} ({run.get('row')}, seed {run.get('seed')})"
        problems += [f"{where}: missing {f!r}" for f in missing_fields(run)]
        prov = run.get("provenance", {})
        problems += [f"{where}: provenance lacks {f!r}"
                     for f in REQUIRED_PROVENANCE_FIELDS if f not in prov]
        problems += [f"{where}: {p}" for p in provenance.run_problems(prov)]
        if prov.get("dirty"):
            problems.append(f"{where}: run from a dirty tree (commit "
                            f"{str(prov.get('commit'))[:10]} plus uncommitted changes): "
                            "its code cannot be recovered; commit and run it again")
    if "profile" in data and "name" not in data["profile"]:
        problems.append(f"{results_json}: profile has no name")
    return problems
