"""Training throughput of the Table 2 networks at candidate input sizes, the
measurement behind the ``cpu`` profile (written into ``NOTES.md``)::

    python -m reproductions.drsn_dc.benchmark --sizes 48,64,96 --models resnet50,drsn_dc

For every (model, size): ``train_on_batch`` on a random batch with the
profile's optimiser, after two warm-up steps (which pay for tracing), and
``predict_on_batch`` (validation, test), as train / inference images per
second on the wall clock and from this process's CPU time (the machine is
shared; see ``reproductions.dri.benchmark``). Nothing is stored.
"""
from __future__ import annotations

import argparse
import os

from reproductions.common import tf_runtime
from reproductions.common.benchmark import images_per_second


def measure(name: str, size: int, *, batches: int = 5, batch_size: int = 32,
            classes: int = 6, seed: int = 0, **build_kwargs) -> dict:
    """``{"train": (wall, cpu), "inference": (wall, cpu)}`` images/s of model
    ``name`` (``build_kwargs``: more arguments of its builder)."""
    import keras
    import numpy as np

    from reproductions.drsn_dc import models, protocol

    keras.utils.set_random_seed(seed)
    model = models.build(name, input_shape=(size, size, 1), classes=classes, **build_kwargs)
    protocol.compile_model(model)
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size, size, size, 1), dtype=np.float32)
    y = rng.integers(0, classes, batch_size)
    out = {"train": images_per_second(lambda: model.train_on_batch(x, y),
                                       batches=batches, batch_size=batch_size),
           "inference": images_per_second(lambda: model.predict_on_batch(x),
                                           batches=batches, batch_size=batch_size)}
    del model
    keras.backend.clear_session()
    return out


def main(argv=None) -> int:
    from reproductions.drsn_dc.models import ROWS
    parser = argparse.ArgumentParser(prog="python -m reproductions.drsn_dc.benchmark",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="64")
    parser.add_argument("--models", default=",".join(ROWS))
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    tf_runtime.import_tensorflow()  # the commands' environment: oneDNN on
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    for size in map(int, args.sizes.split(",")):
        for name in args.models.split(","):
            r = measure(name, size, batches=args.batches, batch_size=args.batch_size)
            print(f"{name:13s} {size:4d} px  train {r['train'][0]:6.1f} img/s wall, "
                  f"{r['train'][1]:6.1f} from CPU time; inference {r['inference'][0]:6.1f} / "
                  f"{r['inference'][1]:6.1f} (load average {os.getloadavg()[0]:.2f})",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
