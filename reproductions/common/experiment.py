"""The skeleton every ``python -m reproductions.<paper>`` shares, written once.

A paper module describes its reproduction as a :class:`Reproduction` (data:
the paper, profiles, notes; and a few functions: load the data, run one
job -- one function, or one per row) and gets ``main`` from it::

    REPRODUCTION = experiment.Reproduction(PAPER, PROFILES, __doc__, run=run_one,
                                           load=load, sections="report:sections")
    main = REPRODUCTION.main

The figures are drawn by the paper's ``figures.summary_figures(ctx)``; hooks
given as ``"module:function"`` strings are found by name in the paper's
package and imported only when called (``--help`` stays fast).

``main`` parses the arguments, resolves and prepares every dataset the paper
names (by role: ``--manual-dir ROLE=PATH``, ``--image-folder ROLE=ROOT``, the
developers' ``../shared/data`` or the synthetic stand-in), opens the results
store, plans the jobs (:func:`~reproductions.common.jobs.plan_jobs`: the first seed of every row first,
so that an interrupted command already has whole tables), runs each job that
is not stored yet, and after every run rewrites the README (with the paper's
notes) and the paired claims and throughput (:func:`measure`). A Keras job
is usually one call of :func:`~reproductions.common.jobs.fit_and_evaluate` (seed → build → compile →
train → predict → metrics → run record).
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from reproductions.common import cli, provenance, records, report, summary, tf_runtime
from reproductions.common import options as options_lib
from reproductions.common.store import ResultsStore, data_identity, protocol_fields
from reproductions.common.errors import UserError
# what a job is and how one is run, called as experiment.<name> by the papers
from reproductions.common.jobs import (  # noqa: F401
    Fitted, Job, SklearnFitted, fit_and_evaluate, fit_sklearn, only_seeds, plan_jobs)
from reproductions.common.options import RunOptions
from reproductions.common.paper import PaperSpec
from reproductions.common.profiles import Profile

SYNTHETIC_BANNER = """\
============================================================================
 SYNTHETIC DATA: running on the embedded procedurally generated dataset
 `{name}`. Every number is marked "{mark}".
 For the real reproduction pass --manual-dir <folder of the {real} dataset>.
============================================================================"""

USER_DATA_BANNER = """\
============================================================================
 USER DATA: the paper's protocol on your images ({where}).
 Results are marked "{mark}" and written to {output}.
============================================================================"""


@dataclasses.dataclass
class Dataset:
    """One role's data: where it comes from, and its prepared builder."""

    source: Any   # reproductions.common.data.DataSource
    builder: Any  # a TFDS builder, or an image folder read the same way


@dataclasses.dataclass
class Context:
    """Everything a paper's functions get about the run: its paper, profile
    (``profile.settings``: the paper's own settings), command-line options
    (``options``: :class:`~reproductions.common.options.RunOptions`),
    datasets, results store and folders."""

    paper: PaperSpec
    options: RunOptions
    profile: Profile
    datasets: dict[str, Dataset]
    store: ResultsStore
    output_dir: Path
    work_dir: Path
    rows: list[str]
    verbose: int
    state: dict = dataclasses.field(default_factory=dict)  # what ``load`` prepared
    strategy: Any = None  # tf.distribute strategy (--strategy)
    #: ``training.train``'s ``pipeline`` (``None``: ``tf.data``); the portable
    #: runs' NumPy batches (``reproductions.portable.pipeline``)
    pipeline: Any = None

    @property
    def synthetic(self) -> bool:
        return any(d.source.synthetic for d in self.datasets.values())

    @property
    def user_data(self) -> bool:
        return any(d.source.user_folder for d in self.datasets.values())

    @property
    def builder(self):
        """The primary dataset's builder (the paper's first role)."""
        return self.datasets[self.paper.roles[0]].builder

    def run_dir(self, job: Job) -> Path:
        return self.work_dir / f"{job.row}{'-' + job.variant if job.variant else ''}-seed{job.seed}"

    def log(self, message: str) -> None:
        log(message)

    def save_inference_model(self, folder: Path, classifier, preprocess, class_names, *,
                             heads: int = 1, note: str = "") -> Path | None:
        """``folder/inference.keras`` for ``python -m reproductions.predict``
        (:func:`reproductions.common.export.save_inference_model`), logged with
        ``note`` appended; nothing with ``--no-export``."""
        if not self.options.export:
            return None
        from reproductions.common import export
        path = export.save_inference_model(classifier, preprocess, class_names,
                                           Path(folder) / export.FILE_NAME, heads=heads)
        self.log(f"saved the inference model (raw image -> probabilities) to {path}{note}")
        return path


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclasses.dataclass
class Reproduction:
    """What a paper module declares; :meth:`main` runs it.

    Attributes:
      paper, profiles, description: the paper's tables, its profiles, the
        command's ``--help`` text (the module docstring).
      run: ``run(ctx, job) -> run record`` (:func:`fit_and_evaluate` +
        ``Fitted.record``, or ``records.sklearn_record``), or ``{row: run}``
        with a function for every row of the paper.
      load: ``load(ctx)`` before the first job: read the splits into
        ``ctx.state`` and record their sizes with ``ctx.store.set_dataset_info``.
      extra_jobs: ``extra_jobs(ctx) -> [Job]``, ablations run after the
        first seed of every row.
      figures: ``figures(ctx)`` draws the figures from the stored runs, after
        every run (draws only: numbers belong in the runs); by default the
        paper's ``figures.summary_figures``.
      sections: ``sections(store) -> markdown`` computed from the stored runs,
        appended to ``notes`` in the README.
      readme: ``readme(store) -> path`` writes the README instead of
        :func:`reproductions.common.report.write_readme` (a command whose
        README is not a paper's tables, the leaderboard).
      figures, sections, readme (and ``load``, ``extra_jobs``) may be given as
        ``"module:function"`` of the paper's package (:func:`hook`).
      throughput_rows: rows whose training speed is summarised per seed
        (two rows: also their ratio).
      options: the paper's own command-line options, a frozen dataclass of
        :func:`~reproductions.common.options.switch_off` fields; the run reads
        an instance as ``ctx.options.paper``.
      adjust_profile: ``adjust_profile(options, profile) -> profile`` applies
        the options that change the protocol to the profile (so runs of
        other settings are never mixed).
      adjust_paper: ``adjust_paper(profile, paper) -> paper``: the tables
        (titles, notes) that a profile's results folder is written with, for a
        profile whose protocol changes what a table measures (the DCAE's
        cell-level split); the row and table keys, and so the claims, stay.
      default_profile: the profile run without ``--profile`` (``smoke``, or a
        paper's ``demo``).
    """

    paper: PaperSpec
    profiles: Mapping[str, Profile]
    description: str
    run: Callable[[Context, Job], dict] | Mapping[str, Callable[[Context, Job], dict]]
    load: Callable[[Context], None] | str | None = None
    notes: str = ""
    extra_jobs: Callable[[Context], Sequence[Job]] | str | None = None
    figures: Callable[[Context], None] | str | None = "figures:summary_figures"
    sections: Callable[[ResultsStore], str] | str | None = None
    readme: Callable[[ResultsStore], Path] | str | None = None
    throughput_rows: Sequence[str] = ()
    options: type | None = None
    adjust_profile: Callable[[RunOptions, Profile], Profile] | None = None
    adjust_paper: Callable[[Profile, PaperSpec], PaperSpec] | None = None
    default_profile: str = "smoke"

    def __post_init__(self):
        if isinstance(self.run, Mapping):
            missing = [row for row in self.paper.rows if row not in self.run]
            if missing:
                raise ValueError(f"{self.paper.key}: no run function for row(s) "
                                 f"{', '.join(missing)}")

    def main(self, argv=None) -> int:
        return _main(self, argv)

    def hook(self, name: str):
        """The function of field ``name`` (``None`` when not given)."""
        return hook(self.paper.key, getattr(self, name))

    def run_job(self, ctx: Context, job: Job) -> dict:
        run = self.run[job.row] if isinstance(self.run, Mapping) else self.run
        return run(ctx, job)


def hook(paper_key: str, value):
    """``value`` itself, or for ``"module:function"`` a function that imports
    ``reproductions.<paper_key>.<module>`` when first called and calls its
    ``function``."""
    if value is None or callable(value):
        return value
    module, _, name = value.partition(":")

    def call(*args):
        return getattr(importlib.import_module(f"reproductions.{paper_key}.{module}"),
                       name)(*args)
    call.__name__ = call.__qualname__ = value
    return call


@cli.entry_point
def _main(spec: Reproduction, argv) -> int:
    ctx = setup(spec, argv)
    if ctx.options.report_only:
        if not ctx.store.runs:
            raise UserError(f"--report-only: no runs stored in {ctx.store.path}; run the "
                            "command without --report-only first (or pass the "
                            "--output-dir and --profile the runs were made with).")
        ctx.log(f"--report-only: {len(ctx.store.runs)} stored runs, nothing trained")
        finish(ctx, spec)
        return 0
    if spec.load is not None:
        ctx.log("loading and preprocessing the splits")
        spec.hook("load")(ctx)
    extra = (list(spec.hook("extra_jobs")(ctx))
             if spec.extra_jobs is not None and ctx.options.extra_runs else [])
    run_all(ctx, spec, only_seeds(plan_jobs(ctx.profile, ctx.rows, extra),
                                  ctx.options.only_seeds))
    finish(ctx, spec)
    return 0


def _work_tag(profile: Profile, datasets: Mapping[str, dict]) -> str:
    """A short hash of what a run computes (protocol + data): checkpoints of
    another protocol or another folder are never resumed by mistake."""
    key = json.dumps([protocol_fields(profile.to_json()),
                      data_identity(datasets)], sort_keys=True, default=str)
    return hashlib.sha1(key.encode()).hexdigest()[:8]


def setup(spec: Reproduction, argv) -> Context:
    """Parses ``argv`` and gets everything ready; raises ``UserError`` on bad input."""
    paper, profiles = spec.paper, spec.profiles
    parser = cli.build_parser(paper.key, spec.description, profiles, paper.rows,
                              default_profile=spec.default_profile, roles=paper.roles)
    if spec.options is not None:
        options_lib.add_arguments(parser, spec.options)
    args = parser.parse_args(argv)
    options = RunOptions.from_args(args, spec.options)
    if args.report_only and args.force:
        # --force would set the stored runs aside before the report found none
        raise UserError("--report-only rewrites the report from the runs stored in "
                        "--output-dir and never replaces them: drop --force (and pass the "
                        "--profile the runs were made with).")
    if args.rerun and (args.report_only or args.rows == "all"):
        raise UserError("--rerun runs stored rows again: name them with --rows (e.g. "
                        "--rows " + ",".join(paper.rows[:2]) + ") and drop --report-only.")
    provenance.git_commit()  # pin the code version this process runs
    import matplotlib
    matplotlib.use("Agg")  # figures go to files; no window, whatever the desktop
    tf_runtime.import_tensorflow()  # after --help; without the CPU-only start-up noise
    from reproductions.common import data as data_lib
    profile = cli.resolve_profile(args, profiles)
    if spec.adjust_profile is not None:
        profile = spec.adjust_profile(options, profile)
    if spec.adjust_paper is not None:
        paper = spec.adjust_paper(profile, paper)
    rows = cli.parse_rows(args.rows, paper.rows)
    manual = cli.role_paths(args.manual_dir, paper.roles, "--manual-dir")
    folders = cli.role_paths(args.image_folder, paper.roles, "--image-folder")
    sources = {role: data_lib.resolve_source(
        ds.name, ds.synthetic, data=args.data, manual_dir=manual.get(role),
        real_config=ds.config, synthetic_config=ds.synthetic_config,
        image_folder=folders.get(role)) for role, ds in paper.datasets.items()}
    log(f"{paper.title}: profile {profile.name}, rows {', '.join(rows)}")
    datasets, info = {}, {}
    for role, source in sources.items():
        tag = "" if len(sources) == 1 else f" ({role})"
        log(f"data{tag}: {source.describe()}; preparing it (first time only)")
        builder = data_lib.prepare(source, args.data_dir,
                                   channels=paper.datasets[role].channels,
                                   seed=profile.seeds[0])
        datasets[role] = Dataset(source, builder)
        info[role] = {"name": source.name, "config": source.config,
                      "version": str(builder.info.version),
                      "splits": {name: s.num_examples
                                 for name, s in builder.info.splits.items()},
                      "manual_dir": (None if source.manual_dir is None or source.user_folder
                                     else source.manual_dir.name),
                      "split_ids_sha256": data_lib.split_ids_sha256(builder)}
        if source.user_folder:
            info[role]["root"] = str(source.manual_dir)
            info[role]["classes"] = list(builder.class_names)
            info[role]["converted"] = dict(getattr(builder, "converted", {}))
    synthetic = any(s.synthetic for s in sources.values())
    user_data = any(s.user_folder for s in sources.values())
    output_dir, work_dir = cli.default_dirs(paper.key, profile, synthetic, args, user_data)
    if args.work_dir is None:
        work_dir = work_dir.with_name(f"{work_dir.name}-{_work_tag(profile, info)}")
    if synthetic:
        names = ", ".join(s.name for s in sources.values() if s.synthetic)
        print(SYNTHETIC_BANNER.format(name=names, mark=records.SYNTHETIC_MARK,
                                      real=paper.dataset), flush=True)
    if user_data:
        where = "; ".join(f"{role}: {d.builder.describe()}" for role, d in datasets.items()
                          if d.source.user_folder)
        print(USER_DATA_BANNER.format(where=where, mark=records.USER_DATA_MARK,
                                      output=output_dir), flush=True)
    store = ResultsStore(output_dir, paper, profile, info, synthetic,
                         force=args.force, user_data=user_data)
    store.notes = spec.notes
    store.sections = spec.hook("sections")
    log(f"results -> {output_dir}; checkpoints and resume state -> {work_dir}")
    strategy = cli.distribution_strategy(args.strategy)
    if args.strategy != "default":
        log(f"{args.strategy} strategy: {strategy.num_replicas_in_sync} replicas, "
            f"global batch {profile.batch_size}")
    return Context(paper, options, profile, datasets, store, output_dir, work_dir, rows,
                   cli.keras_verbosity(args), strategy=strategy)


def run_all(ctx: Context, spec: Reproduction, jobs: Sequence[Job]) -> None:
    """Runs each job not yet stored (every job with ``--rerun``), saving as it goes."""
    rerun = ctx.options.rerun
    todo = [job for job in jobs if rerun or ctx.store.find_run(*job) is None]
    done = len(jobs) - len(todo)
    if done:
        ctx.log(f"{done} of {len(jobs)} runs already stored in {ctx.store.path}; "
                "running the rest")
    elif rerun:
        ctx.log(f"--rerun: running {len(todo)} runs again, replacing their stored records")
    for i, job in enumerate(todo, 1):
        ctx.store.reload()
        if not rerun and ctx.store.find_run(*job) is not None:
            ctx.log(f"run {i}/{len(todo)}: {job.describe()} was stored meanwhile by another "
                    "process; skipped")
            continue
        ctx.log(f"run {i}/{len(todo)}: {job.describe()}")
        sessions = provenance.log_session(ctx.run_dir(job))
        record = spec.run_job(ctx, job)
        profile_json = ctx.store.profile
        record["provenance"].update(provenance.run_fields(
            sessions, ctx.store.datasets, profile_json, protocol_fields(profile_json)))
        ctx.store.add_run(record)
        refresh(ctx, spec)  # partial tables are readable at once
        ctx.log(f"stored {job.describe()}: " + ", ".join(
            f"{t}/{r} " + ", ".join(_fmt_metric(m, v) for m, v in vals.items())
            for t, rs in record["values"].items() for r, vals in rs.items()))


def _fmt_metric(metric: str, value) -> str:
    if isinstance(value, dict):  # a curve: its points
        return f"{metric}=[" + ", ".join(f"{x}: {v:.2f}" for x, v in value.items()) + "]"
    return f"{metric}={value:.2f}"


def measure(store: ResultsStore, throughput_rows: Sequence[str] = ()) -> None:
    """Recomputes the paper's paired claims and the throughput summary from
    the stored runs."""
    for claim in store.paper.claims:
        gap = summary.paired_gap(store.paper, store.runs, claim.table, claim.baseline,
                                 claim.proposed, claim.metric)
        if gap is not None:
            store.set_extra(claim.key, gap)
    if throughput_rows:
        speed = summary.throughput(store.runs, throughput_rows)
        if speed is not None:
            store.set_extra("throughput", speed)


def refresh(ctx: Context, spec: Reproduction) -> Path:
    """Measurements, figures and README from what is stored now (including
    runs another process stored in the same folder)."""
    from reproductions.common import plots

    ctx.store.reload()
    measure(ctx.store, spec.throughput_rows)
    plots.curve_tables(ctx.paper, ctx.store.runs, ctx.output_dir)
    plots.run_curves(ctx.store.runs, ctx.output_dir / "run_curves.png",
                     f"Every run: loss per epoch (profile {ctx.profile.name})")
    if spec.figures is not None:
        spec.hook("figures")(ctx)
    return (spec.hook("readme") or report.write_readme)(ctx.store)


def finish(ctx: Context, spec: Reproduction) -> None:
    path = refresh(ctx, spec)
    print()
    print(report.markdown_tables(ctx.paper, ctx.store.runs, ctx.profile.name,
                                 ctx.synthetic, ctx.user_data))
    print()
    ctx.log(f"wrote {ctx.store.path} and {path}")
    if ctx.synthetic:
        print(f"\n(These numbers are {records.SYNTHETIC_MARK}.)", file=sys.stdout)
    if ctx.user_data:
        print(f"\n(These numbers are {records.USER_DATA_MARK}.)", file=sys.stdout)
