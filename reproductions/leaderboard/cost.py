"""python -m reproductions.leaderboard.cost — what one epoch of each network
costs under a profile's recipe, measured before planning the runs.

Builds each Keras network of the leaderboard at the profile's input size
(6 classes, as I3A), compiles it with the recipe, trains ``--steps`` batches
of random images after ``--warmup`` batches (graph tracing), predicts the
same number of batches, and prints training and inference images/s, CPU
seconds per training image and the seconds one epoch of the recipe
(``epoch_images``) takes, with the total over the networks. Nothing is
stored: the numbers size the plan in reproductions/leaderboard/NOTES.md.
Measure on an otherwise idle machine; the CPU column is this process's
user + system time, which the load of other processes changes less.
"""
from __future__ import annotations

import argparse
import sys
import time

from reproductions.common import cli
from reproductions.leaderboard.profiles import PROFILES
from reproductions.leaderboard.spec import NETWORKS


def measure(net, profile, steps: int, warmup: int) -> dict:
    import numpy as np

    from reproductions.leaderboard.__main__ import _cpu_seconds, build_model, compile_model

    size, batch = profile.image_size, profile.batch_size
    model = build_model(net, profile, 6)
    compile_model(model, net.heads, profile.settings)
    rng = np.random.default_rng(0)
    x = rng.random((batch, size, size, 1), dtype=np.float32)
    y = rng.integers(0, 6, batch)
    target = tuple(y for _ in range(net.heads)) if net.heads > 1 else y
    for _ in range(warmup):
        model.train_on_batch(x, target)
    wall, cpu = time.perf_counter(), _cpu_seconds()
    for _ in range(steps):
        model.train_on_batch(x, target)
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    model.predict_on_batch(x)
    start = time.perf_counter()
    for _ in range(steps):
        model.predict_on_batch(x)
    infer = time.perf_counter() - start
    images = steps * batch
    return {"parameters": model.count_params(), "train_images_per_s": images / wall,
            "cpu_s_per_image": cpu / images, "inference_images_per_s": images / infer,
            "epoch_s": profile.settings.epoch_images * wall / images}


@cli.entry_point
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reproductions.leaderboard.cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="cpu", choices=list(PROFILES))
    parser.add_argument("--rows", default="all", help="networks, comma-separated")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    from reproductions.common import tf_runtime
    tf_runtime.import_tensorflow()
    profile = PROFILES[args.profile]
    nets = [n for n in NETWORKS if n.model and (args.rows == "all"
                                                 or n.key in args.rows.split(","))]
    print(f"profile {profile.name}: {profile.image_size} px, batch {profile.batch_size}, "
          f"epoch = {profile.settings.epoch_images:,} images")
    print("| network | parameters | train images/s | CPU s per image | inference images/s "
          "| s per epoch |\n|---|---:|---:|---:|---:|---:|")
    total = 0.0
    for net in nets:
        m = measure(net, profile, args.steps, args.warmup)
        total += m["epoch_s"]
        print(f"| {net.key} | {m['parameters']:,} | {m['train_images_per_s']:.1f} | "
              f"{m['cpu_s_per_image']:.4f} | {m['inference_images_per_s']:.1f} | "
              f"{m['epoch_s']:.0f} |", flush=True)
    print(f"one epoch of every network above: {total:.0f} s ({total / 3600:.2f} h), "
          "training only (validation, BatchNorm pass and TTA come on top)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
