"""Micro-benchmarks of the ``layers`` package (not a test; takes well under a minute on 2 CPU cores).

1. ``WaveletTransform2D`` throughput against ``pywt.dwt2`` called once per
   image on the same batch (and, for reference, one vectorised ``pywt.dwt2``
   call on the whole batch).
2. ``SoftThreshold`` overhead: a ResNet bottleneck stage (He et al. 2016:
   1x1 -> 3x3 -> 1x1 with BN/ReLU, identity shortcuts) with and without the
   DRSN shrinkage unit before each residual addition (Zhao et al. 2020 /
   DRSN-DC), timed for inference and for a training step; reported as a ratio.

Usage::

    python benchmarks/layers_benchmark.py            # defaults below
    python benchmarks/layers_benchmark.py --quick    # smaller, for a smoke run
    python benchmarks/layers_benchmark.py --json out.json
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pywt  # noqa: E402
import tensorflow as tf  # noqa: E402

import layers  # noqa: E402


def _best_seconds(fns, repeats, warmup=2):
    """Best-of-``repeats`` wall time of each callable, measured interleaved.

    The minimum (as ``timeit`` recommends) and the interleaving make the
    comparison robust to other processes sharing the CPU.
    """
    for fn in fns:
        for _ in range(warmup):
            fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def bench_wavelet(batch, size, repeats, configs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, size, size, 1)).astype("float32")
    x_tf = tf.constant(x)
    rows = []
    for wavelet, mode in configs:
        layer = layers.WaveletTransform2D(wavelet=wavelet, mode=mode)
        graph_fn = tf.function(lambda t, layer=layer: layer(t))

        def run_layer():
            [c.numpy() for c in graph_fn(x_tf)]  # include the copy back to NumPy

        def run_pywt_per_image():
            for img in x[..., 0]:
                pywt.dwt2(img, wavelet, mode=mode)

        def run_pywt_batched():
            pywt.dwt2(x[..., 0], wavelet, mode=mode, axes=(1, 2))

        t_layer, t_loop, t_batch = _best_seconds([run_layer, run_pywt_per_image, run_pywt_batched], repeats)
        rows.append(
            dict(
                wavelet=wavelet,
                mode=mode,
                batch=batch,
                size=size,
                layer_img_per_s=batch / t_layer,
                pywt_per_image_img_per_s=batch / t_loop,
                pywt_batched_img_per_s=batch / t_batch,
                speedup_vs_per_image=t_loop / t_layer,
            )
        )
    return rows


def _bottleneck_stage(input_shape, units, width, shrinkage):
    """A ResNet bottleneck stage at constant width (identity shortcuts only)."""
    inputs = keras.Input(input_shape)
    x = inputs
    channels = input_shape[-1]
    for i in range(units):
        y = keras.layers.Conv2D(width, 1, use_bias=False)(x)
        y = keras.layers.ReLU()(keras.layers.BatchNormalization()(y))
        y = keras.layers.Conv2D(width, 3, padding="same", use_bias=False)(y)
        y = keras.layers.ReLU()(keras.layers.BatchNormalization()(y))
        y = keras.layers.Conv2D(channels, 1, use_bias=False)(y)
        y = keras.layers.BatchNormalization()(y)
        if shrinkage:
            y = layers.SoftThreshold(name=f"shrink_{i}")(y)
        x = keras.layers.ReLU()(keras.layers.Add()([x, y]))
    return keras.Model(inputs, x)


def bench_soft_threshold(batch, size, channels, width, units, repeats):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, size, size, channels)).astype("float32"))
    target = tf.constant(rng.normal(size=(batch, size, size, channels)).astype("float32"))
    result = dict(batch=batch, size=size, channels=channels, width=width, units=units)
    infer, train = {}, {}
    for key, shrinkage in (("without", False), ("with", True)):
        keras.utils.set_random_seed(0)
        model = _bottleneck_stage((size, size, channels), units, width, shrinkage)
        optimizer = keras.optimizers.SGD(1e-3)
        optimizer.build(model.trainable_variables)

        @tf.function
        def infer_fn(t, model=model):
            return model(t, training=False)

        @tf.function
        def train_step(t, model=model, optimizer=optimizer):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((model(t, training=True) - target) ** 2)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(grads, model.trainable_variables)
            return loss

        result[f"params_{key}"] = model.count_params()
        infer[key] = lambda f=infer_fn: f(x).numpy()
        train[key] = lambda f=train_step: f(x).numpy()
    for name, fns in (("infer", infer), ("train", train)):
        without, with_ = _best_seconds([fns["without"], fns["with"]], repeats)
        result[f"{name}_ms_without"], result[f"{name}_ms_with"] = 1e3 * without, 1e3 * with_
    result["infer_ratio"] = result["infer_ms_with"] / result["infer_ms_without"]
    result["train_ratio"] = result["train_ms_with"] / result["train_ms_without"]
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64, help="images per wavelet batch (default 64)")
    parser.add_argument("--size", type=int, default=112, help="wavelet image size (default 112, as in the paper)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (best reported)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    if args.quick:
        args.batch, args.size, args.repeats = 8, 32, 2
        stage = dict(batch=2, size=8, channels=64, width=16, units=2)
    else:
        stage = dict(batch=8, size=28, channels=256, width=64, units=3)

    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, PyWavelets {pywt.__version__}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}")

    wavelet_rows = bench_wavelet(args.batch, args.size, args.repeats,
                                 [("haar", "periodization"), ("db4", "symmetric")])
    print(f"\nWaveletTransform2D vs pywt.dwt2, batch {args.batch} x {args.size}x{args.size}x1 (images/s, best of "
          f"{args.repeats})")
    print(f"{'wavelet/mode':<22}{'layer':>12}{'pywt/image':>14}{'pywt batched':>14}{'speed-up':>10}")
    for r in wavelet_rows:
        print(f"{r['wavelet'] + '/' + r['mode']:<22}{r['layer_img_per_s']:>12.0f}"
              f"{r['pywt_per_image_img_per_s']:>14.0f}{r['pywt_batched_img_per_s']:>14.0f}"
              f"{r['speedup_vs_per_image']:>9.1f}x")

    st = bench_soft_threshold(repeats=args.repeats, **stage)
    print(f"\nSoftThreshold overhead: bottleneck stage of {st['units']} units, {st['size']}x{st['size']}x"
          f"{st['channels']} (width {st['width']}), batch {st['batch']}")
    print(f"{'':<12}{'without':>12}{'with':>12}{'ratio':>8}")
    print(f"{'params':<12}{st['params_without']:>12,}{st['params_with']:>12,}"
          f"{st['params_with'] / st['params_without']:>8.3f}")
    print(f"{'infer ms':<12}{st['infer_ms_without']:>12.1f}{st['infer_ms_with']:>12.1f}{st['infer_ratio']:>8.2f}")
    print(f"{'train ms':<12}{st['train_ms_without']:>12.1f}{st['train_ms_with']:>12.1f}{st['train_ratio']:>8.2f}")

    if args.json:
        args.json.write_text(json.dumps(dict(wavelet=wavelet_rows, soft_threshold=st), indent=2))


if __name__ == "__main__":
    main()
