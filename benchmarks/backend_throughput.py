"""Training throughput of two networks on each Keras backend (not a test).

Images per second of ``train_on_batch`` (SGD, sparse categorical
cross-entropy, batch 32, after two warm-up steps that compile), for

* the active-transfer parallel wavelet ResNet (paper widths) at 64 × 64 px,
  5 classes (the ``cpu`` profile's size);
* the DRI network at its registered small configuration (40 × 40 px, 3 classes);

under TensorFlow, JAX and PyTorch, each in a process of its own (Keras picks
its backend when imported). Also the CPU seconds per image (all threads): on
a shared machine the wall clock says more about the neighbours.

Usage::

    python benchmarks/backend_throughput.py [--steps 10] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
NETWORKS = {
    "active_transfer.parallel_wavelet_resnet@64": (
        "active_transfer.parallel_wavelet_resnet", dict(input_shape=(64, 64, 1), classes=5)),
    "dri.dri@small": ("dri.dri", None),
}
BATCH = 32


def measure(steps):
    """Runs in the child process: ``{network: {img_per_s, cpu_s_per_img}}``."""
    import keras
    import numpy as np

    from reproductions.common import registry

    results = {}
    for label, (key, kwargs) in NETWORKS.items():
        kwargs = dict(registry.model_entry(key).small if kwargs is None else kwargs)
        keras.utils.set_random_seed(0)
        model = registry.create_model(key, **kwargs)
        model.compile(optimizer=keras.optimizers.SGD(0.01),
                      loss=keras.losses.SparseCategoricalCrossentropy())
        rng = np.random.default_rng(0)
        x = rng.random((BATCH,) + tuple(kwargs["input_shape"]), dtype=np.float32)
        y = rng.integers(0, kwargs["classes"], BATCH)
        heads = len(model.outputs)
        targets = [y] * heads if heads > 1 else y
        for _ in range(2):  # compile / warm up
            model.train_on_batch(x, targets)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            model.train_on_batch(x, targets)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        results[label] = {"img_per_s": round(steps * BATCH / wall, 1),
                          "cpu_s_per_img": round(cpu / (steps * BATCH), 4)}
        keras.backend.clear_session()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.steps)))
        return
    table = {}
    for backend in BACKENDS:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
        done = subprocess.run([sys.executable, __file__, "--child", "--steps", str(args.steps)],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        table[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        print(backend, table[backend], flush=True)
    report = {"batch": BATCH, "steps": args.steps, "cpus": os.cpu_count(),
              "load_average": os.getloadavg(), "results": table}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
