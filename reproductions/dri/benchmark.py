"""Training throughput of the four variants on random data (a few batches),
the measurement behind the ``cpu`` profile's budget::

    python -m reproductions.dri.benchmark [--batches 10] [--batch-size 24]

Prints train images/s per variant (after two warm-up steps, which pay for
tracing), measured on the wall clock and, because the development machine is
shared, also from this process's CPU time: ``images / (CPU seconds / cores)``
is what the loop would reach alone on the machine if it kept every core busy
(an upper bound; compare the two on an idle machine). Nothing is stored.
"""
from __future__ import annotations

import argparse
import os

from reproductions.common import tf_runtime
from reproductions.common.benchmark import images_per_second


def _model_and_batch(variant, batch_size, image_size, classes, seed):
    """One network and a random batch (and the generator, for labels)."""
    import numpy as np

    from reproductions.dri import models

    model = models.DRI(variant, input_shape=(image_size, image_size, 1), classes=classes)
    rng = np.random.default_rng(seed)
    return model, rng.random((batch_size, image_size, image_size, 1), dtype=np.float32), rng


def measure(variant: str, *, batches: int = 10, batch_size: int = 24, image_size: int = 76,
            classes: int = 6, seed: int = 0) -> tuple[float, float]:
    """Train images per second of one ``model.train_on_batch`` loop:
    ``(wall clock, CPU time / cores)``."""
    from reproductions.dri import protocol

    model, x, rng = _model_and_batch(variant, batch_size, image_size, classes, seed)
    protocol.compile_model(model, steps_per_decay=10_000)
    targets = protocol.head_targets(x, rng.integers(0, classes, batch_size))
    return images_per_second(lambda: model.train_on_batch(x, targets),
                              batches=batches, batch_size=batch_size)


def measure_inference(variant: str, *, batches: int = 10, batch_size: int = 24,
                      image_size: int = 76, classes: int = 6, seed: int = 0):
    """Like :func:`measure` for ``model.predict_on_batch`` (validation, test)."""
    model, x, _ = _model_and_batch(variant, batch_size, image_size, classes, seed)
    return images_per_second(lambda: model.predict_on_batch(x),
                              batches=batches, batch_size=batch_size)


def main(argv=None) -> int:
    from reproductions.dri.models import VARIANTS
    parser = argparse.ArgumentParser(prog="python -m reproductions.dri.benchmark",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--image-size", type=int, default=76)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--inference", action="store_true",
                        help="also measure predict_on_batch (validation / test cost)")
    args = parser.parse_args(argv)
    tf_runtime.import_tensorflow()  # the commands' environment: oneDNN on
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f}")
    for variant in args.variants.split(","):
        wall, cpu = measure(variant, batches=args.batches, batch_size=args.batch_size,
                            image_size=args.image_size)
        print(f"{variant:18s} {wall:7.1f} train images/s wall clock "
              f"({1000 / wall:.1f} ms/image); {cpu:7.1f} from CPU time "
              f"(load average now {os.getloadavg()[0]:.2f})", flush=True)
        if args.inference:
            wall, cpu = measure_inference(variant, batches=args.batches,
                                          batch_size=args.batch_size,
                                          image_size=args.image_size)
            print(f"{'':18s} {wall:7.1f} inference images/s wall clock; {cpu:7.1f} from "
                  "CPU time", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
