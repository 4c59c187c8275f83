"""python -m reproductions.portable export|train|import -- a paper's profile
on any Keras 3 backend (JAX, PyTorch, TensorFlow), where TensorFlow need not
be installed.

  export PAPER --profile P --out BUNDLE   (TensorFlow machine) the paper's
      prepared splits as a bundle: uint8 images, labels, split ids, hashes,
      provenance (a folder: arrays.npz + manifest.json).
  train BUNDLE                            (any backend: KERAS_BACKEND=jax|torch)
      the profile's runs from the bundle, with the paper's models and
      augmentation; results.json, README and figures as the paper's command
      writes them, each run marked with its backend and device.
  import RUNS                             the runs of a train folder into
      results/<paper>/portable_<profile>/, apart from the TensorFlow runs.

Papers: super_xception, dri. See reproductions/portable/NOTES.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reproductions.common import cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reproductions.portable",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write a paper's prepared splits as a bundle "
                                 "(needs TensorFlow)")
    export.add_argument("paper", help="super_xception or dri")
    export.add_argument("--profile", default="paper",
                        help="the profile whose data to export (default: paper)")
    export.add_argument("--out", type=Path, required=True, help="the bundle folder to write")
    export.add_argument("--data", default="auto", choices=("auto", "real", "synthetic"),
                        help="as the paper's command: auto = --manual-dir, else "
                             "../shared/data, else the synthetic dataset")
    export.add_argument("--manual-dir", help="the dataset's folder (TFDS manual dir)")
    export.add_argument("--data-dir", help="TFDS data dir")

    train = commands.add_parser("train", help="run the profile from a bundle on this "
                                "process's Keras backend")
    train.add_argument("bundle", type=Path)
    train.add_argument("--profile", help="default: the profile the bundle was exported with; "
                       "another one with the same data settings may be named")
    train.add_argument("--rows", default="all", help="comma-separated rows (default all)")
    train.add_argument("--only-seeds", type=lambda s: tuple(int(x) for x in s.split(",")),
                       help="run only these of the profile's seeds")
    train.add_argument("--num-seeds", type=int, metavar="N",
                       help="run the multi-seed rows on N seeds, as the paper's command "
                            "(a departure from the profile)")
    train.add_argument("--seed", type=int,
                       help="first seed, as the paper's command: multi-seed rows use seed, "
                            "seed+1, ... (a departure from the profile: such runs cannot be "
                            "imported)")
    train.add_argument("--output-dir", type=Path,
                       help="default results/<paper>/portable_<profile>/_runs/<backend> "
                            "(ignored by git)")
    train.add_argument("--work-dir", type=Path, help="checkpoints; default "
                       "~/.cache/hep2repro/portable/<paper>/<profile>-<backend>-<bundle>")
    train.add_argument("--no-export", action="store_true",
                       help="save no inference.keras files")
    train.add_argument("--rerun", action="store_true", help="run stored runs again")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), help="Keras verbosity")

    imp = commands.add_parser("import", help="store the runs of a train folder in "
                              "results/<paper>/portable_<profile>/")
    imp.add_argument("runs", type=Path, help="the folder train wrote (its --output-dir)")
    imp.add_argument("--results-dir", type=Path,
                     help="the results root (default: the project's results/)")
    imp.add_argument("--force", action="store_true",
                     help="replace portable results of other settings (kept as .bak)")
    return parser


@cli.entry_point
def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "export":
        from reproductions.portable import exporter
        data = ["--data", args.data]
        data += ["--manual-dir", args.manual_dir] if args.manual_dir else []
        data += ["--data-dir", args.data_dir] if args.data_dir else []
        exporter.export(args.paper, args.profile, args.out, data)
        return 0
    if args.command == "train":
        from reproductions.portable import trainer
        return trainer.train(args.bundle, profile=args.profile, rows=args.rows,
                             only_seeds=args.only_seeds, output_dir=args.output_dir,
                             work_dir=args.work_dir, export=not args.no_export,
                             rerun=args.rerun, verbose=args.verbose, seed=args.seed,
                             num_seeds=args.num_seeds)
    from reproductions.portable import importer
    target = importer.import_runs(args.runs, args.results_dir, force=args.force)
    print(f"imported the portable runs of {args.runs} into {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
