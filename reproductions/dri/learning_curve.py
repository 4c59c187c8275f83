"""How many iterations does DRI need here? The measurements behind the cpu
profile's budget (issue: "measure the DRI budget before setting it") and
behind the cpu_schedule profile's N (issue #34)::

    python -m reproductions.dri.learning_curve [--profile cpu] [--iterations 10000] [--every 500]
    python -m reproductions.dri.learning_curve --profile cpu_schedule

Trains one DRI (seed 0) on the real I3A cells with a profile's settings
(SGD momentum 0.9, learning rate 0.001 with the profile's step schedule,
batch 24, class-balanced rotation set, joint loss) and, every ``--every``
iterations, scores the *whole* validation split (2,176 cells): validation
loss, MCA and ACA of the summed heads. The test split is never looked at.

* ``cpu`` (default): the learning rate stays at 0.001 up to 10,000
  iterations, so the curve shows how far a constant rate gets
  (``results/dri/learning_curve/``).
* ``cpu_schedule``: the paper's 29 steps of 0.79 placed over 14,500
  iterations (one every 500), run to the end; the README also gives the
  iterations N that the protocol's rule reads off the validation losses
  (:func:`read_iterations`; protocol in ``reproductions/dri/NOTES.md``),
  in ``results/dri/cpu_schedule/learning_curve/``.

Writes ``curve.csv``, ``curve.png`` and ``README.md`` with provenance (and,
for a schedule, ``loss.png``). Interrupt it at any time: the same command
resumes at the last finished evaluation; a work folder holding another
profile's or settings' curve is refused.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Sequence

from reproductions.common import cli
from reproductions.common.errors import UserError
from reproductions.common.provenance import REPO_ROOT
from reproductions.dri import profiles as dri_profiles

RESULTS = REPO_ROOT / "results" / "dri"
CACHE = Path.home() / ".cache" / "hep2repro" / "dri"


@dataclasses.dataclass(frozen=True)
class Curve:
    """One profile's learning curve: its default length and folders, the
    sentence of the README that describes it (``{step}``: the profile's
    iterations per learning-rate step, ``{n_max}``: 29 of them), and whether
    the protocol's rule reads N off it (then ``lr`` is recorded and
    ``loss.png`` drawn)."""

    iterations: int
    output_dir: Path
    work_dir: Path
    description: str
    reads_n: bool = False


CURVES = {
    "cpu": Curve(
        10_000, RESULTS / "learning_curve", CACHE / "learning_curve",
        "Trains one DRI (seed 0) on the real I3A cells with the paper's settings (SGD "
        "momentum 0.9, learning rate 0.001, batch 24, class-balanced rotation set, joint "
        "loss) and, every ``--every`` iterations, scores the *whole* validation split "
        "(2,176 cells, not the cpu profile's 360-cell subset, so that the curve is not "
        "drowned in selection noise): validation loss, MCA and ACA of the summed heads. "
        "The test split is never looked at. The learning rate stays at 0.001 up to 10,000 "
        "iterations (the first step of the paper's schedule, as we read it), so the curve "
        "shows how far a constant rate gets."),
    "cpu_schedule": Curve(
        dri_profiles.SCHEDULE_MAX_ITERATIONS, RESULTS / "cpu_schedule" / "learning_curve",
        CACHE / "learning_curve-cpu_schedule",
        "Trains one DRI (seed 0) on the real I3A cells with the cpu_schedule profile's "
        "settings (SGD momentum 0.9, batch 24, class-balanced rotation set, joint loss; "
        "learning rate 0.001 · 0.79^floor(iteration / {step}), the paper's 29 steps "
        "placed proportionally over {n_max:,} iterations) and, every ``--every`` "
        "iterations, scores the *whole* validation split (2,176 cells): validation loss, "
        "MCA and ACA of the summed heads. The test split is never looked at. The "
        "iterations N of the cpu_schedule table are read off the validation losses by the "
        "rule fixed in reproductions/dri/NOTES.md (issue #34).", reads_n=True),
}


@dataclasses.dataclass(frozen=True)
class Reading:
    """What :func:`read_iterations` reads off a curve: ``n`` (``None`` while
    the curve is too short to decide), the smoothed validation losses by
    iteration, and why."""

    n: int | None
    smoothed: dict
    reason: str


def read_iterations(iterations: Sequence[int], val_losses: Sequence[float], *, n_max: int,
                    window: int = dri_profiles.RULE_WINDOW,
                    horizon: int = dri_profiles.RULE_HORIZON,
                    min_gain: float = dri_profiles.RULE_MIN_GAIN,
                    floor: int = dri_profiles.RULE_FLOOR) -> Reading:
    """The protocol's rule (reproductions/dri/NOTES.md, issue #34): ``s`` =
    the mean validation loss of ``window`` consecutive points, ending at each
    point; N is the first point at or after ``floor`` iterations such that
    none of the smoothed values over the next ``horizon`` iterations is more
    than ``min_gain`` (relative) below its own. No such point on a curve that
    reached ``n_max``: N = ``n_max`` (the budget, not the curve, decides)."""
    its, losses = list(iterations), [float(v) for v in val_losses]
    if len(its) != len(losses) or not its:
        raise ValueError("one validation loss per iteration, at least one point")
    every = its[0]
    if any(b - a != every for a, b in zip([0] + its, its)):
        raise ValueError(f"points must be evenly spaced from 0: {its}")
    if horizon % every:
        raise ValueError(f"the horizon ({horizon}) is not a whole number of points of {every}")
    ahead = horizon // every
    smoothed = {its[k]: sum(losses[k - window + 1:k + 1]) / window
                for k in range(window - 1, len(its))}
    for k in range(window - 1, len(its) - ahead):
        if its[k] < floor:
            continue
        s = smoothed[its[k]]
        best_ahead = min(smoothed[i] for i in its[k + 1:k + 1 + ahead])
        if best_ahead >= s * (1 - min_gain):
            return Reading(its[k], smoothed,
                           f"the smoothed validation loss at {its[k]:,} iterations "
                           f"({s:.4f}) improves by less than {100 * min_gain:g} % over the "
                           f"next {horizon:,} (lowest {best_ahead:.4f})")
    if its[-1] >= n_max:
        return Reading(n_max, smoothed,
                       f"the smoothed validation loss still improved by {100 * min_gain:g} % "
                       f"or more within {horizon:,} iterations at every point from "
                       f"{floor:,} on: N is the curve's end, N_max (the budget, not the "
                       "curve, set it)")
    return Reading(None, smoothed, f"no N yet: the curve ends at {its[-1]:,} of {n_max:,} "
                   "iterations")


def _or_dash(x: float, spec: str) -> str:
    """``x`` formatted by ``spec``, or "—" for NaN (a value not recorded)."""
    return "—" if math.isnan(x) else format(x, spec)


def curve_points(points_path: Path, history: dict, *, every: int, lr_at) -> list[dict]:
    """The curve's points, one per epoch of ``history`` (``training.read_history``).

    An epoch's point is written by the evaluation callback. Runs before the
    backup was made the last callback (``training.train``) could be killed
    between an epoch's backup and its evaluation; the resumed run then never
    evaluated that epoch. Such a point is rebuilt from the history (training
    and validation loss: all the rule reads) with ``lr_at(iteration)``; its
    validation MCA and ACA are NaN ("not recorded" in the README)."""
    points = {}
    if points_path.exists():
        for line in points_path.read_text().splitlines():
            p = json.loads(line)
            points[p["iteration"]] = p  # a resumed epoch logged twice: the last wins
    for epoch, (loss, val_loss) in enumerate(zip(history.get("loss", []),
                                                  history.get("val_loss", []))):
        iteration = (epoch + 1) * every
        if iteration not in points:
            points[iteration] = {"iteration": iteration, "val_loss": val_loss, "loss": loss,
                                 "val_mca": math.nan, "val_aca": math.nan,
                                 "lr": lr_at(iteration), "from_history": True}
    return [points[k] for k in sorted(points)]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m reproductions.dri.learning_curve",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=list(CURVES),
                        help="whose settings and learning-rate schedule (default: %(default)s)")
    parser.add_argument("--manual-dir", type=Path,
                        help="the I3A Task 1 folder (default: ../shared/data/i3a_task1)")
    parser.add_argument("--data", default="real", choices=["real", "synthetic"],
                        help="synthetic: the embedded synthetic cells, to check the command "
                        "(the README says so); not a measurement")
    parser.add_argument("--data-dir", type=Path,
                        help="TFDS data dir for the prepared dataset (default: TFDS's)")
    parser.add_argument("--iterations", type=int,
                        help="default: 10,000 for cpu, the whole schedule (14,500) for "
                        "cpu_schedule")
    parser.add_argument("--every", type=int, default=500,
                        help="iterations between two evaluations (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", type=Path,
                        help="default: results/dri/learning_curve for cpu, "
                        "results/dri/<profile>/learning_curve otherwise")
    parser.add_argument("--work-dir", type=Path,
                        help="default: ~/.cache/hep2repro/dri/learning_curve for cpu, "
                        "~/.cache/hep2repro/dri/learning_curve-<profile> otherwise")
    return parser.parse_args(argv)


def check_settings(run_dir: Path, settings: dict) -> None:
    """Refuses to resume a curve of other settings in ``run_dir``; records them
    for a new one (and for a curve started before they were recorded)."""
    path = run_dir / "curve.json"
    if path.exists():
        stored = json.loads(path.read_text())
        if stored != settings:
            changed = sorted(k for k in settings.keys() | stored.keys()
                             if stored.get(k) != settings.get(k))
            raise UserError(f"{run_dir} holds a learning curve of other settings "
                            f"({', '.join(changed)}: {json.dumps(stored)}); give another "
                            "--work-dir or delete that folder.")
    run_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, sort_keys=True) + "\n")


@cli.entry_point
def main(argv=None) -> int:
    args = parse_args(argv)
    curve = CURVES[args.profile]
    iterations = args.iterations or curve.iterations
    if args.every < 1 or iterations < args.every:
        raise UserError("--every must be at least 1 and at most --iterations.")
    from reproductions.common import provenance
    provenance.git_commit()
    from reproductions.common import tf_runtime
    tf_runtime.import_tensorflow()
    import keras
    import numpy as np

    from reproductions.common import data as data_lib, metrics, plots, training
    from reproductions.dri import data, models, protocol
    from reproductions.dri.profiles import PROFILES

    source = data_lib.resolve_source("i3a_task1", "synthetic_hep2", data=args.data,
                                     manual_dir=args.manual_dir, real_config="dri",
                                     synthetic_config="default")
    builder = data_lib.prepare(source, args.data_dir)
    profile = PROFILES[args.profile]
    settings = profile.settings
    rotations = data.rotation_set(builder, profile)
    split = rotations["split"]
    class_names = split["train"].class_names
    batch = profile.batch_size
    epochs = iterations // args.every
    step = settings.steps_per_decay or protocol.step_length(iterations)
    schedule = protocol.learning_rate_schedule(step, settings.base_lr)

    def lr_at(iteration: int) -> float:
        """The rate of the ``iteration``-th (1-based) iteration."""
        return float(schedule(iteration - 1))
    work_dir = args.work_dir or curve.work_dir
    run_dir = work_dir / f"dri-seed{args.seed}"
    points_path = run_dir / "points.jsonl"
    check_settings(run_dir, {"profile": profile.name, "data": args.data, "seed": args.seed,
                             "every": args.every, "batch_size": batch,
                             "steps_per_decay": step, "base_lr": settings.base_lr,
                             "bn_momentum": settings.bn_momentum})

    class Evaluate(keras.callbacks.Callback):
        """Validation MCA / ACA of the summed heads after each epoch."""

        def on_epoch_end(self, epoch, logs=None):
            outputs = training.predict_proba(self.model, split["validation"], batch)
            m = metrics.classification_metrics(
                split["validation"].labels,
                np.argmax(protocol.summed_predictions(outputs, models.HEADS), -1),
                class_names)
            done = int(self.model.optimizer.iterations.numpy())
            point = {"iteration": (epoch + 1) * args.every, "val_loss": logs.get("val_loss"),
                     "loss": logs.get("loss"), "val_mca": 100 * m["mca"],
                     "val_aca": 100 * m["aca"], "lr": lr_at(done),
                     "time": time.time()}
            with open(points_path, "a") as f:
                f.write(json.dumps(point) + "\n")
            print(f"iteration {point['iteration']}: val MCA {point['val_mca']:.2f}, "
                  f"val loss {point['val_loss']:.4f}, lr {point['lr']:.3g}", flush=True)

    training.set_determinism(args.seed)
    model = models.DRI("dri", input_shape=(profile.image_size, profile.image_size, 1),
                       classes=len(class_names), bn_momentum=settings.bn_momentum)
    protocol.compile_model(model, steps_per_decay=step, base_lr=settings.base_lr,
                           run_eagerly=settings.run_eagerly)
    outcome = training.train(
        model, split["train"], split["validation"], run_dir=run_dir, epochs=epochs,
        batch_size=batch, seed=args.seed, augment=rotations["augment"],
        repeats=rotations["repeats"],
        samples_per_epoch=args.every * batch, targets=protocol.head_targets,
        verbose=2, tensorboard=False, extra_callbacks=[Evaluate()])

    rows = curve_points(points_path, outcome.history, every=args.every,
                        lr_at=lr_at)
    its = [p["iteration"] for p in rows]
    unscored = [p["iteration"] for p in rows if math.isnan(p["val_mca"])]
    out = args.output_dir or curve.output_dir
    out.mkdir(parents=True, exist_ok=True)
    columns = ["iteration", "loss", "val_loss", "val_mca", "val_aca"]
    if curve.reads_n:
        reading = read_iterations(its, [p["val_loss"] for p in rows], n_max=iterations)
        for p in rows:
            p["smoothed_val_loss"] = reading.smoothed.get(p["iteration"], math.nan)
        columns += ["smoothed_val_loss", "lr"]
    with open(out / "curve.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    seed_title = f"DRI, seed {args.seed}" if curve.reads_n else "DRI, seed 0"
    plots.series({"validation MCA (%)": [p["val_mca"] for p in rows],
                  "validation ACA (%)": [p["val_aca"] for p in rows]}, its,
                 out / "curve.png", title=f"{seed_title}: whole I3A validation split",
                 xlabel="iteration (batches of 24)")
    prov = provenance.collect()
    title = "# DRI learning curve on the I3A validation split"
    header = "| iteration | train loss | val loss | val MCA (%) | val ACA (%) |"
    if curve.reads_n:
        plots.series({"training loss": [p["loss"] for p in rows],
                      "validation loss": [p["val_loss"] for p in rows],
                      f"validation loss, mean of {dri_profiles.RULE_WINDOW} points":
                          [p["smoothed_val_loss"] for p in rows]}, its,
                     out / "loss.png", title=f"{seed_title}: joint loss ({profile.name})",
                     xlabel="iteration (batches of 24)")
        title += f" ({profile.name} profile)"
        header += " smoothed val loss | learning rate |"
    lines = [title, ""]
    if source.synthetic:
        lines += ["**Synthetic cells: a check of the command, not a measurement.**", ""]
    lines += ["Written by `python -m reproductions.dri.learning_curve` "
              f"({' '.join(sys.argv[1:] if argv is None else argv) or 'defaults'}). "
              + curve.description.format(step=step, n_max=protocol.DECAYS * step),
              "", header, "|---:|---:|---:|---:|---:|" + "---:|---:|" * curve.reads_n]
    for p in rows:
        line = (f"| {p['iteration']} | {p['loss']:.4f} | {p['val_loss']:.4f} | "
                f"{_or_dash(p['val_mca'], '.2f')} | {_or_dash(p['val_aca'], '.2f')} |")
        if curve.reads_n:
            s = p["smoothed_val_loss"]
            line += f" {_or_dash(s, '.4f')} | {p['lr']:.3g} |"
        lines.append(line)
    best = rows[outcome.best_epoch]["iteration"] if outcome.best_epoch is not None else "—"
    lines += ["", f"Lowest validation loss at iteration {best}. A run interrupted by the end "
              "of a session resumes from its last point, so the points may come from "
              "several commits of the same code; the commit below is the last one."]
    if unscored:
        lines += ["", "Validation MCA and ACA not recorded (—) at iteration"
                  f"{'s' if len(unscored) > 1 else ''} {', '.join(f'{i:,}' for i in unscored)}: "
                  "a session ended after that epoch's checkpoint and before its evaluation, "
                  "and the resumed run went on from the next epoch. The losses there come "
                  "from the training history (the rule reads only the validation loss)."]
    if curve.reads_n:
        lines += ["", f"**N by the protocol's rule: {reading.n:,} iterations**"
                  if reading.n is not None else "**N by the protocol's rule: not yet**",
                  f"({reading.reason}; the rule: reproductions/dri/NOTES.md, "
                  "*Verdict experiment: the paper's schedule*)."]
    lines += ["",
              f"- Code: commit {prov['commit'][:10]}{'+dirty' if prov['dirty'] else ''}",
              f"- Hardware: {prov['hardware']['cpu']} × {prov['hardware']['cpu_count']}",
              f"- Packages: {json.dumps(prov['packages'])}",
              f"- Split: `{'synthetic_hep2' if source.synthetic else 'i3a_task1/dri'}` "
              f"{len(split['train'])} / {len(split['validation'])} / {len(split['test'])} "
              "(test not used)",
              "", "![curve](curve.png)"]
    if curve.reads_n:
        lines += ["", "![loss](loss.png)"]
    (out / "README.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    if curve.reads_n:
        print(f"N by the protocol's rule: {reading.n} ({reading.reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
