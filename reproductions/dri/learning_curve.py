"""How many iterations does DRI need here? The measurement behind the cpu
profile's budget (issue: "measure the DRI budget before setting it")::

    python -m reproductions.dri.learning_curve [--iterations 10000] [--every 500]

Trains one DRI (seed 0) on the real I3A cells with the paper's settings
(SGD momentum 0.9, learning rate 0.001, batch 24, class-balanced rotation
set, joint loss) and, every ``--every`` iterations, scores the *whole*
validation split (2,176 cells, not the cpu profile's 360-cell subset, so
that the curve is not drowned in selection noise): validation loss, MCA and
ACA of the summed heads. The test split is never looked at. The learning
rate stays at 0.001 up to 10,000 iterations (the first step of the paper's
schedule, as we read it), so the curve shows how far a constant rate gets.

Writes ``results/dri/learning_curve/`` (``curve.csv``, ``curve.png``,
``README.md`` with provenance). Interrupt it at any time: the same command
resumes at the last finished evaluation.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
import time
from pathlib import Path

from reproductions.common import cli
from reproductions.common.errors import UserError
from reproductions.common.provenance import REPO_ROOT


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m reproductions.dri.learning_curve",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manual-dir", type=Path,
                        help="the I3A Task 1 folder (default: ../shared/data/i3a_task1)")
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=500,
                        help="iterations between two evaluations (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", type=Path,
                        default=REPO_ROOT / "results" / "dri" / "learning_curve")
    parser.add_argument("--work-dir", type=Path,
                        default=Path.home() / ".cache" / "hep2repro" / "dri" / "learning_curve")
    return parser.parse_args(argv)


@cli.entry_point
def main(argv=None) -> int:
    args = parse_args(argv)
    if args.every < 1 or args.iterations < args.every:
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

    source = data_lib.resolve_source("i3a_task1", "synthetic_hep2", data="real",
                                     manual_dir=args.manual_dir, real_config="dri")
    builder = data_lib.prepare(source)
    profile = dataclasses.replace(PROFILES["cpu"], subset={})
    rotations = data.rotation_set(builder, profile)
    split = rotations["split"]
    class_names = split["train"].class_names
    batch = profile.batch_size
    epochs = args.iterations // args.every
    run_dir = args.work_dir / f"dri-seed{args.seed}"
    points_path = run_dir / "points.jsonl"

    class Evaluate(keras.callbacks.Callback):
        """Validation MCA / ACA of the summed heads after each epoch."""

        def on_epoch_end(self, epoch, logs=None):
            outputs = training.predict_proba(self.model, split["validation"], batch)
            m = metrics.classification_metrics(
                split["validation"].labels,
                np.argmax(protocol.summed_predictions(outputs, models.HEADS), -1),
                class_names)
            point = {"iteration": (epoch + 1) * args.every, "val_loss": logs.get("val_loss"),
                     "loss": logs.get("loss"), "val_mca": 100 * m["mca"],
                     "val_aca": 100 * m["aca"], "time": time.time()}
            with open(points_path, "a") as f:
                f.write(json.dumps(point) + "\n")
            print(f"iteration {point['iteration']}: val MCA {point['val_mca']:.2f}, "
                  f"val loss {point['val_loss']:.4f}", flush=True)

    training.set_determinism(args.seed)
    model = models.DRI("dri", input_shape=(profile.image_size, profile.image_size, 1),
                       classes=len(class_names), bn_momentum=profile.settings.bn_momentum)
    protocol.compile_model(model, steps_per_decay=protocol.PAPER_STEP,
                           base_lr=profile.settings.base_lr)
    run_dir.mkdir(parents=True, exist_ok=True)
    outcome = training.train(
        model, split["train"], split["validation"], run_dir=run_dir, epochs=epochs,
        batch_size=batch, seed=args.seed, augment=rotations["augment"],
        repeats=rotations["repeats"],
        samples_per_epoch=args.every * batch, targets=protocol.head_targets,
        verbose=2, tensorboard=False, extra_callbacks=[Evaluate()])

    points = {}
    for line in points_path.read_text().splitlines():
        p = json.loads(line)
        points[p["iteration"]] = p  # a resumed epoch logged twice: the last wins
    rows = [points[k] for k in sorted(points)]
    out = args.output_dir
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "curve.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["iteration", "loss", "val_loss", "val_mca", "val_aca"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    its = [p["iteration"] for p in rows]
    plots.series({"validation MCA (%)": [p["val_mca"] for p in rows],
                  "validation ACA (%)": [p["val_aca"] for p in rows]}, its,
                 out / "curve.png", title="DRI, seed 0: whole I3A validation split",
                 xlabel="iteration (batches of 24)")
    prov = provenance.collect()
    lines = ["# DRI learning curve on the I3A validation split", "",
             "Written by `python -m reproductions.dri.learning_curve` "
             f"({' '.join(sys.argv[1:]) or 'defaults'}). {' '.join(__doc__.split(chr(10) + chr(10))[2].split())}",
             "", "| iteration | train loss | val loss | val MCA (%) | val ACA (%) |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {p['iteration']} | {p['loss']:.4f} | {p['val_loss']:.4f} | "
              f"{p['val_mca']:.2f} | {p['val_aca']:.2f} |" for p in rows]
    best = rows[outcome.best_epoch]["iteration"] if outcome.best_epoch is not None else "—"
    lines += ["", f"Lowest validation loss at iteration {best}. A run interrupted by the end "
              "of a session resumes from its last point, so the points may come from "
              "several commits of the same code; the commit below is the last one.", "",
              f"- Code: commit {prov['commit'][:10]}{'+dirty' if prov['dirty'] else ''}",
              f"- Hardware: {prov['hardware']['cpu']} × {prov['hardware']['cpu_count']}",
              f"- Packages: {json.dumps(prov['packages'])}",
              f"- Split: `i3a_task1/dri` {len(split['train'])} / "
              f"{len(split['validation'])} / {len(split['test'])} (test not used)",
              "", "![curve](curve.png)"]
    (out / "README.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
