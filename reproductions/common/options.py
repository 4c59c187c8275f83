"""What a command asks of its run beyond the profile, typed.

:func:`reproductions.common.experiment.setup` reads the command line once
and gives the run a :class:`RunOptions` (``ctx.options``); paper code reads
its attributes, never the ``argparse`` namespace.

A paper's own options are a frozen dataclass of :func:`switch_off` fields,
declared next to its command and named by ``Reproduction(options=...)``::

    @dataclasses.dataclass(frozen=True)
    class Options:
        ablation: bool = options.switch_off("--no-ablation", "skip the ablation run")

The command then takes ``--no-ablation`` and the run reads
``ctx.options.paper.ablation``. Options that change the protocol are applied
to the profile by the paper's ``adjust_profile(options, profile)``, so runs of
other settings are never mixed.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The command-line options a run reads (the common ones, and the paper's).

    Attributes:
      export: save trained models as ``.keras`` files (``--no-export``: no).
      tensorboard: write TensorBoard logs (``--no-tensorboard``: no).
      report_only: rewrite the report from the stored runs, train nothing.
      rerun: run stored jobs again, replacing their records.
      only_seeds: run only these of the profile's seeds (``None``: all).
      extra_runs: run the paper's extra jobs (ablations, the criteria
        comparison) too (``--no-extra-runs``: leave them for a later call).
      data_dir: TFDS data dir for the prepared datasets (``None``: TFDS's).
      image_folder: a dataset comes from ``--image-folder`` (the user's images).
      paper: the paper's own options (an instance of its ``options`` class;
        ``None`` when it declares none).
    """

    export: bool = True
    tensorboard: bool = True
    report_only: bool = False
    rerun: bool = False
    only_seeds: tuple[int, ...] | None = None
    extra_runs: bool = True
    data_dir: Path | None = None
    image_folder: bool = False
    paper: Any = None

    @classmethod
    def from_args(cls, args, paper_options: type | None = None) -> RunOptions:
        """The options of a parsed command line (``experiment.setup`` only)."""
        return cls(export=not args.no_export, tensorboard=not args.no_tensorboard,
                   report_only=args.report_only, rerun=args.rerun,
                   only_seeds=args.only_seeds, extra_runs=not args.no_extra_runs,
                   data_dir=args.data_dir,
                   image_folder=bool(args.image_folder),
                   paper=None if paper_options is None else paper_options(**{
                       field.name: getattr(args, field.name)
                       for field in dataclasses.fields(paper_options)}))


def switch_off(flag: str, help: str) -> Any:
    """A paper option that is on unless the command is given ``flag``
    (``--no-...``; ``help`` is its ``--help`` line)."""
    return dataclasses.field(default=True, metadata={"flag": flag, "help": help})


def add_arguments(parser, paper_options: type) -> None:
    """``parser`` takes the flags of ``paper_options``' fields."""
    for field in dataclasses.fields(paper_options):
        parser.add_argument(field.metadata["flag"], dest=field.name, action="store_false",
                            help=field.metadata["help"])
