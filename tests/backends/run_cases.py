"""Runs every layer case and every registered builder under the Keras backend
of this process and writes what they compute, for ``test_backends.py``.

    KERAS_BACKEND=jax python -m tests.backends.run_cases OUT [--load FOLDER] [--without-tensorflow]

Keras picks its backend when it is imported, so each backend is a process of
its own. Everything starts from the same numbers on every backend: the
weights are set from NumPy (:func:`fixed_weights`, by position in
``model.weights``) and so are the inputs, seeded by the name of the case.

``--without-tensorflow`` runs as on a machine where TensorFlow is not
installed: ``import tensorflow`` fails (Keras then does without it), so
anything of the suite that still needs it fails its case.

Writes to ``OUT``:

* ``outputs.npz``: ``layer/<case>/<shape>/<k>``: the k-th output of the
  layer case (``tests/layers/cases.py``) at its shape; ``step/<case>/<k>``:
  its k-th weight after one SGD step on a fixed loss (a Conv2D in front of
  the weightless layers); ``moved/<case>``: whether that step changed each
  trainable weight; ``builder/<key>/<k>``: the k-th head of the
  registered model at its small configuration; ``features/<key>``: its
  backbone's feature map (more telling than softmaxes near uniform);
* ``models/<name>.keras``: the layer cases and the builders of at most
  :data:`SAVE_PARAMS` parameters, saved (their weights the fixed ones);
* ``loaded.npz``, with ``--load FOLDER``: ``<name>/<k>``: the outputs of each
  ``FOLDER/models/<name>.keras`` (saved on another backend) loaded here;
* ``info.json``: the backend, whether TensorFlow was blocked or imported,
  the seconds each part took, and the traceback of every case that failed
  (a failure does not stop the others).
"""
import sys

from reproductions.portable import no_tensorflow

if __name__ == "__main__" and "--without-tensorflow" in sys.argv:  # before Keras
    no_tensorflow.block()

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

BATCH = 2
#: Builders this small (parameters) are also saved and loaded across backends.
SAVE_PARAMS = 3_000_000
#: The learning rate of the SGD step.
LEARNING_RATE = 0.1


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def fixed_weights(model, name):
    """Sets every weight of ``model`` from NumPy, seeded by ``name``: kernels
    of He scale, positive variances, PReLU slopes and BN scales near their
    usual values; the same numbers on every backend."""
    generator = rng(name)
    values = []
    for w in model.weights:
        shape, kind = tuple(w.shape), w.path.rsplit("/", 1)[-1]
        u = generator.uniform(-1.0, 1.0, shape).astype("float32")
        if kind == "kernel":
            fan_in = max(int(np.prod(shape[:-1])), 1)
            values.append(u * np.float32(np.sqrt(6.0 / fan_in)))
        elif kind in ("gamma", "moving_variance", "variance"):
            values.append(1.0 + 0.5 * np.abs(u))
        elif kind == "alpha":
            values.append(0.25 + 0.1 * u)
        else:  # bias, beta, moving_mean, mean, ...
            values.append(0.1 * u)
    model.set_weights(values)


def numpy_initial_values():
    """On JAX, Keras draws each weight's initial values with a program that
    XLA compiles anew for every weight shape (about 0.25 s each: minutes for
    the builders). :func:`fixed_weights` replaces those values anyway, so
    here they are drawn with NumPy."""
    if keras.backend.backend() != "jax":
        return
    from keras.src.backend.jax import random  # what the initializers call

    generator = np.random.default_rng(0)

    def draw(shape, *args, dtype=None, **kwargs):
        values = generator.uniform(-0.05, 0.05, tuple(shape))
        return keras.ops.convert_to_tensor(values, dtype=dtype or keras.config.floatx())

    random.uniform = random.normal = random.truncated_normal = draw


def numpy(structure):
    return [keras.ops.convert_to_numpy(t) for t in keras.tree.flatten(structure)]


def predict(model, x):
    """The model's outputs on ``x``, flattened: ``predict_on_batch`` (one
    compiled function on JAX; op by op there takes minutes)."""
    return numpy(model.predict_on_batch(x))


def layer_model(case, input_shape, conv_in_front=False):
    inputs = keras.Input(input_shape)
    x = inputs
    if conv_in_front:
        x = keras.layers.Conv2D(input_shape[-1], 3, padding="same", name="front")(x)
    return keras.Model(inputs, case.apply(case.factory(), x))


def layer_input(name, input_shape):
    return rng(f"input/{name}").normal(size=(BATCH,) + tuple(input_shape)).astype("float32")


def sgd_step(model, x, name):
    """One SGD step on ``mean(sum_k <output_k, target_k>)`` (fixed random
    targets: a plain sum would cancel through batch normalisation)."""
    generator = rng(f"target/{name}")
    floats = [o for o in keras.tree.flatten(model.outputs)
              if keras.backend.is_float_dtype(o.dtype)]
    terms = []
    for o in floats:
        target = generator.normal(size=tuple(o.shape[1:])).astype("float32")
        terms.append(keras.ops.mean(keras.ops.reshape(o * target, (-1, int(np.prod(o.shape[1:])))),
                                    axis=1, keepdims=True))
    scalar = keras.Model(model.inputs, keras.ops.sum(keras.ops.concatenate(terms, axis=1), axis=1,
                                                     keepdims=True))
    scalar.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE),
                   loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    scalar.train_on_batch(x, np.zeros((len(x), 1), "float32"))
    return [keras.ops.convert_to_numpy(w) for w in model.weights]


class Run:
    """What one process computes: ``outputs`` (-> ``outputs.npz``), the
    models to save, the failures."""

    def __init__(self):
        self.outputs, self.loaded, self.errors = {}, {}, {}
        self.to_save = {}  # name -> model
        self.seconds = {}

    def attempt(self, name, function, *args):
        try:
            return function(*args)
        except Exception:
            self.errors[name] = traceback.format_exc()

    def timed(self, part, function, *args):
        start = time.perf_counter()
        function(*args)
        self.seconds[part] = round(time.perf_counter() - start, 2)


def layer_forward(run, case, index, input_shape):
    name = f"{case.id}/{index}"
    model = layer_model(case, input_shape)
    fixed_weights(model, name)
    for k, value in enumerate(predict(model, layer_input(name, input_shape))):
        run.outputs[f"layer/{name}/{k}"] = value
    if index == 0:
        run.to_save[f"layer-{case.id}"] = model


def layer_step(run, case):
    name, input_shape = f"{case.id}/step", case.shapes[0][0]
    model = layer_model(case, input_shape, conv_in_front=case.weightless)
    fixed_weights(model, name)
    before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    for k, value in enumerate(sgd_step(model, layer_input(name, input_shape), name)):
        run.outputs[f"step/{case.id}/{k}"] = value
    run.outputs[f"moved/{case.id}"] = np.array(
        [not np.array_equal(b, keras.ops.convert_to_numpy(w))
         for b, w in zip(before, model.trainable_weights)])


def run_layers(run):
    from tests.layers.cases import CASES

    for case in CASES:
        for index, (input_shape, _) in enumerate(case.shapes):
            run.attempt(f"layer/{case.id}/{index}", layer_forward, run, case, index, input_shape)


def run_steps(run):
    from tests.layers.cases import CASES

    for case in CASES:
        run.attempt(f"step/{case.id}", layer_step, run, case)


def builder_input(entry):
    return rng(f"input/{entry.key}").random((BATCH,) + tuple(entry.small["input_shape"]),
                                            dtype=np.float32)


def builder_forward(run, entry):
    from reproductions.common import builders

    model = entry.builder(**entry.small)
    fixed_weights(model, entry.key)
    # the heads and the backbone's feature map, in one compiled function
    (inputs,) = model.inputs
    both = keras.Model(inputs, list(model.outputs) + [builders.backbone(model)(inputs)])
    *heads, run.outputs[f"features/{entry.key}"] = predict(both, builder_input(entry))
    for k, value in enumerate(heads):
        run.outputs[f"builder/{entry.key}/{k}"] = value
    if model.count_params() <= SAVE_PARAMS:
        run.to_save[f"builder-{entry.key}"] = model


def run_builders(run, pattern="*"):
    from reproductions.common import registry

    for entry in map(registry.model_entry, registry.list_models(pattern)):
        run.attempt(f"builder/{entry.key}", builder_forward, run, entry)


def run_saves(run, folder):
    for name, model in run.to_save.items():
        run.attempt(f"save/{name}", model.save, folder / f"{name}.keras")


def model_input(name):
    """The input the model saved as ``name`` was run on."""
    kind, _, rest = name.partition("-")
    if kind == "layer":
        from tests.layers.cases import CASES

        (case,) = [c for c in CASES if c.id == rest]
        return layer_input(f"{rest}/0", case.shapes[0][0])
    from reproductions.common import registry

    return builder_input(registry.model_entry(rest))


def load_one(run, path):
    model = keras.saving.load_model(path)
    for k, value in enumerate(predict(model, model_input(path.stem))):
        run.loaded[f"{path.stem}/{k}"] = value


def run_loads(run, source):
    for path in sorted((source / "models").glob("*.keras")):
        run.attempt(f"load/{path.stem}", load_one, run, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--load", type=Path, help="a folder this command wrote on another backend")
    parser.add_argument("--parts", default="layers,builders",
                        help="comma-separated, of: layers, builders")
    parser.add_argument("--builders", default="*", help="the builders to run (a list_models pattern)")
    parser.add_argument("--without-tensorflow", action="store_true",
                        help="fail every import of TensorFlow, as where it is not installed")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    models = args.out / "models"
    models.mkdir(parents=True, exist_ok=True)
    numpy_initial_values()
    run = Run()
    if "layers" in parts:
        run.timed("layers", run_layers, run)
    if "builders" in parts:
        run.timed("builders", run_builders, run, args.builders)
    run.timed("save", run_saves, run, models)
    if "layers" in parts:
        run.timed("steps", run_steps, run)
    if args.load:
        run.timed("load", run_loads, run, args.load)
        np.savez(args.out / "loaded.npz", **run.loaded)
    np.savez(args.out / "outputs.npz", **run.outputs)
    info = {"backend": keras.backend.backend(), "keras": keras.__version__,
            "tensorflow": ("blocked" if args.without_tensorflow else
                           "imported" if sys.modules.get("tensorflow") else "not imported"),
            "seconds": run.seconds, "errors": run.errors}
    (args.out / "info.json").write_text(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
