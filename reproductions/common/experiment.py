"""The skeleton every ``python -m reproductions.<paper>`` shares:
arguments -> profile -> data source -> prepared dataset -> results store,
then one run per (row, seed) that is not stored yet, then tables and figures.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

from reproductions.common import cli, provenance, results
from reproductions.common.paper import PaperSpec
from reproductions.common.profiles import Profile

SYNTHETIC_BANNER = """\
============================================================================
 SYNTHETIC DATA: running on the embedded procedurally generated dataset
 `{name}`. Every number is marked "{mark}".
 For the real reproduction pass --manual-dir <folder of the {real} dataset>.
============================================================================"""


@dataclasses.dataclass
class Context:
    paper: PaperSpec
    args: object
    profile: Profile
    source: object  # reproductions.common.data.DataSource
    builder: object
    store: results.ResultsStore
    output_dir: Path
    work_dir: Path
    rows: list[str]
    verbose: int

    @property
    def synthetic(self) -> bool:
        return self.source.synthetic

    def run_dir(self, row: str, seed: int, variant: str = "") -> Path:
        return self.work_dir / f"{row}{'-' + variant if variant else ''}-seed{seed}"

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup(paper: PaperSpec, profiles: Mapping[str, Profile], rows: Sequence[str],
          argv, description: str, *, real_config: str | None = None,
          synthetic_config: str | None = None,
          add_arguments: Callable | None = None,
          adjust_profile: Callable | None = None) -> Context:
    """Parses ``argv`` and gets everything ready; raises ``UserError`` on bad input.

    ``add_arguments(parser)`` adds paper options; ``adjust_profile(args,
    profile) -> profile`` applies those that change the protocol (recorded in
    the profile, so results of different settings are never mixed).
    """
    parser = cli.build_parser(paper.key, description, profiles, rows)
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    provenance.git_commit()  # pin the code version this process runs
    from reproductions.common import data as data_lib  # TensorFlow: after --help
    profile = cli.resolve_profile(args, profiles)
    if adjust_profile is not None:  # paper-specific options that change the protocol
        profile = adjust_profile(args, profile)
    chosen_rows = cli.parse_rows(args.rows, rows)
    source = data_lib.resolve_source(
        paper.dataset, paper.synthetic_dataset, data=args.data, manual_dir=args.manual_dir,
        real_config=real_config, synthetic_config=synthetic_config)
    output_dir, work_dir = cli.default_dirs(paper.key, profile, source.synthetic, args)
    ctx_log = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", flush=True)  # noqa: E731
    if source.synthetic:
        print(SYNTHETIC_BANNER.format(name=source.name, mark=results.SYNTHETIC_MARK,
                                      real=paper.dataset), flush=True)
    ctx_log(f"{paper.title}: profile {profile.name}, rows {', '.join(chosen_rows)}")
    ctx_log(f"data: {source.describe()}; preparing the TFDS dataset (first time only)")
    builder = data_lib.prepare(source, args.data_dir)
    splits = {name: info.num_examples for name, info in builder.info.splits.items()}
    dataset = {"name": source.name, "config": source.config,
               "version": str(builder.info.version), "splits": splits,
               "manual_dir": None if source.manual_dir is None else source.manual_dir.name}
    store = results.ResultsStore(output_dir, paper, profile, dataset, source.synthetic,
                                 force=args.force)
    ctx_log(f"results -> {output_dir}; checkpoints and resume state -> {work_dir}")
    return Context(paper, args, profile, source, builder, store, output_dir, work_dir,
                   chosen_rows, cli.keras_verbosity(args))


def run_all(ctx: Context, jobs: Sequence[tuple[str, int, str]],
            run_one: Callable[[str, int, str], dict]) -> None:
    """Runs each ``(row, seed, variant)`` not yet stored, saving as it goes."""
    todo = [job for job in jobs if ctx.store.find_run(*job) is None]
    done = len(jobs) - len(todo)
    if done:
        ctx.log(f"{done} of {len(jobs)} runs already stored in {ctx.store.path}; "
                "running the rest")
    for i, (row, seed, variant) in enumerate(todo, 1):
        ctx.log(f"run {i}/{len(todo)}: {row}{' (' + variant + ')' if variant else ''}, "
                f"seed {seed}")
        record = run_one(row, seed, variant)
        ctx.store.add_run(record)
        results.write_readme(ctx.store)  # partial tables are readable at once
        ctx.log(f"stored {row} seed {seed}: " + ", ".join(
            f"{t}/{r} " + ", ".join(f"{m}={v:.2f}" for m, v in vals.items())
            for t, rs in record["values"].items() for r, vals in rs.items()))


def finish(ctx: Context, notes: str = "") -> None:
    path = results.write_readme(ctx.store, notes)
    print()
    print(results.markdown_tables(ctx.paper, ctx.store.data["runs"], ctx.profile.name,
                                  ctx.synthetic))
    print()
    ctx.log(f"wrote {ctx.store.path} and {path}")
    if ctx.synthetic:
        print(f"\n(These numbers are {results.SYNTHETIC_MARK}.)", file=sys.stdout)
