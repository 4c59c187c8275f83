"""The command line every reproduction shares.

``python -m reproductions.<paper> --help`` shows these options plus the
paper's own. Bad input ends with a one-paragraph message and exit status 2.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

from reproductions.common import tf_runtime
from reproductions.common.errors import UserError
from reproductions.common.profiles import Profile, seed_range, select
from reproductions.common.provenance import project_root


def build_parser(paper_key: str, description: str, profiles: Mapping[str, Profile],
                 rows: Sequence[str], default_profile: str = "smoke",
                 roles: Sequence[str] = ("data",)) -> argparse.ArgumentParser:
    profile_help = "; ".join(f"{p.name}: {p.description}" for p in profiles.values())
    parser = argparse.ArgumentParser(
        prog=f"python -m reproductions.{paper_key}", description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=default_profile, choices=list(profiles),
                        help=f"how much to run (default: %(default)s). {profile_help}")
    parser.add_argument("--data", default="auto", choices=["auto", "real", "synthetic"],
                        help="auto (default): the real dataset from --manual-dir, or "
                        "../shared/data when present, else the embedded synthetic one")
    role_form = "PATH" if len(roles) == 1 else f"ROLE=PATH (ROLE: {', '.join(roles)})"
    parser.add_argument("--manual-dir", action="append", default=[], metavar=role_form,
                        help="folder holding the raw dataset as distributed "
                        "(TFDS manual download dir); repeat it for each role")
    parser.add_argument("--image-folder", action="append", default=[],
                        metavar=role_form.replace("PATH", "ROOT"),
                        help="run the paper's protocol on your own labelled images instead: "
                        "ROOT/<class>/<image> (split here, stratified, seeded) or "
                        "ROOT/<split>/<class>/<image>; the classifier gets one output per "
                        "class folder. Results are marked 'user data' and go to their "
                        "own folder")
    parser.add_argument("--data-dir", type=Path,
                        help="TFDS data dir for the prepared dataset "
                        "(default: TFDS's, ~/tensorflow_datasets)")
    parser.add_argument("--output-dir", type=Path,
                        help=f"where tables and figures go (default: results/{paper_key}/ for "
                        f"the cpu profile on real data, else results/{paper_key}/<profile>/ "
                        f"or results/{paper_key}/synthetic-<profile>/)")
    parser.add_argument("--work-dir", type=Path,
                        help="checkpoints, logs and resume state (default: "
                        f"~/.cache/hep2repro/{paper_key}/<profile>)")
    parser.add_argument("--rows", default="all",
                        help=f"comma-separated rows to run (default: all): {','.join(rows)}")
    parser.add_argument("--seed", type=int,
                        help="first seed; multi-seed rows use seed, seed+1, ...")
    parser.add_argument("--num-seeds", type=int, metavar="N",
                        help="run the multi-seed rows on N seeds (from --seed or the "
                        "profile's first): a departure, e.g. 6, the fewest with which a "
                        "paired claim's sign test can reach p < 0.05")
    parser.add_argument("--only-seeds", type=_seed_list, metavar="S[,S...]",
                        help="run only these of the profile's seeds (e.g. 2 to rerun one "
                        "seed with --rerun); the protocol and the results folder stay the "
                        "profile's")
    parser.add_argument("--no-extra-runs", action="store_true",
                        help="run only the rows' own runs, not the paper's extra ones "
                        "(ablations, the criteria comparison), which stay planned for a "
                        "later call; the protocol and the results folder stay the profile's")
    parser.add_argument("--epochs", type=int, help="override the profile's epochs for every row")
    parser.add_argument("--batch-size", type=int, help="override the profile's batch size")
    parser.add_argument("--image-size", type=int, help="override the profile's input size")
    parser.add_argument("--force", action="store_true",
                        help="replace results of another profile/dataset in --output-dir")
    parser.add_argument("--rerun", action="store_true",
                        help="run the rows named by --rows again although they are stored, "
                        "replacing their records (e.g. to record a measurement added to the "
                        "code); a network whose finished checkpoint is still in --work-dir "
                        "is evaluated again, not retrained")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: rewrite the README, tables and figures in "
                        "--output-dir from the runs already stored there (e.g. after "
                        "updating the code's notes)")
    parser.add_argument("--no-tensorboard", action="store_true",
                        help="do not write TensorBoard logs")
    parser.add_argument("--no-export", action="store_true",
                        help="do not save trained models as .keras files (each row's "
                        "<work-dir>/<row>-seed<seed>/inference.keras, which python -m "
                        "reproductions.predict loads, and the paper's own exports)")
    parser.add_argument("--strategy", default="default",
                        choices=["default", "mirrored", "multiworker"],
                        help="tf.distribute strategy: default (one device), mirrored (every "
                        "GPU of this machine), multiworker (several machines, set TF_CONFIG). "
                        "The profile's batch size is the global batch, split over the "
                        "replicas")
    parser.add_argument("--verbose", type=int, default=None, choices=[0, 1, 2],
                        help="Keras progress output (default: bar on a terminal, "
                        "one line per epoch otherwise)")
    return parser


def _seed_list(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        seeds = ()
    if not seeds:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of seeds "
                                         "(e.g. 2 or 1,2)")
    return seeds


def parse_rows(text: str, rows: Sequence[str]) -> list[str]:
    if text == "all":
        return list(rows)
    chosen = [r.strip() for r in text.split(",") if r.strip()]
    unknown = [r for r in chosen if r not in rows]
    if unknown or not chosen:
        raise UserError(f"Unknown row(s) {', '.join(unknown) or '(none given)'} in --rows. "
                        f"Choose from: {', '.join(rows)} (comma-separated), or all.")
    return [r for r in rows if r in chosen]


def role_paths(values: Sequence[str], roles: Sequence[str], option: str) -> dict[str, Path]:
    """``["PATH"]`` or ``["ROLE=PATH", ...]`` -> ``{role: Path}``.

    The bare form names the paper's only dataset; with several roles each
    value must start with one of them.
    """
    out: dict[str, Path] = {}
    for value in values:
        role, sep, path = value.partition("=")
        if not (sep and role in roles):
            if len(roles) > 1:
                raise UserError(
                    f"{option} {value}: this paper reads several datasets; say which "
                    f"one as ROLE=PATH with ROLE one of {', '.join(roles)} "
                    f"(e.g. {option} {roles[0]}={value}).")
            role, path = roles[0], value
        if role in out:
            raise UserError(f"{option} names the {role} dataset twice "
                            f"({out[role]} and {path}); give it once.")
        out[role] = Path(path)
    return out


def resolve_profile(args, profiles: Mapping[str, Profile]) -> Profile:
    seeds = None
    if args.profile in profiles:  # else select() says which profiles there are
        seeds = seed_range(profiles[args.profile].seeds, args.seed, args.num_seeds)
    return select(profiles, args.profile, epochs=args.epochs, batch_size=args.batch_size,
                  image_size=args.image_size, seeds=seeds)


def default_dirs(paper_key: str, profile: Profile, synthetic: bool, args,
                 user_data: bool = False) -> tuple[Path, Path]:
    """``(output_dir, work_dir)`` after applying the defaults.

    ``results/`` is the source tree's, or ``./results`` when the package is
    installed (see :func:`reproductions.common.provenance.project_root`).
    """
    tag = (f"user-{profile.name}" if user_data else
           f"synthetic-{profile.name}" if synthetic else profile.name)
    # results/<paper>/ itself holds the committed cpu-profile results on the
    # real data; every other kind of run gets its own sub-folder.
    default = project_root() / "results" / paper_key
    if tag != "cpu":
        default = default / tag
    output = args.output_dir or default
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    work = args.work_dir or cache / "hep2repro" / paper_key / tag
    return Path(output), Path(work)


def distribution_strategy(name: str):
    """The ``tf.distribute`` strategy named on the command line."""
    import tensorflow as tf
    if name == "mirrored":
        # every GPU; on a machine without one, every logical CPU device (one,
        # unless the process split the CPU with set_logical_device_configuration)
        devices = (tf.config.list_logical_devices("GPU")
                   or tf.config.list_logical_devices("CPU"))
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def keras_verbosity(args) -> int:
    if args.verbose is not None:
        return args.verbose
    return 1 if sys.stdout.isatty() else 2


def entry_point(main: Callable[[Sequence[str] | None], int]):
    """Wraps a ``main(argv)`` so that it runs in the command's environment
    (:func:`tf_runtime.command_environment`: oneDNN on, TensorFlow's C++
    start-up chatter off, unless the user chose) and a :class:`UserError` ends
    with its message and exit status 2 instead of a traceback."""
    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        tf_runtime.command_environment()
        try:
            return main(*args, **kwargs)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("\ninterrupted: finished runs are saved; run the same command again "
                  "to resume where it stopped.", file=sys.stderr)
            return 130
    return wrapper
