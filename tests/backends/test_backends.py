"""Every layer case and every registered builder on TensorFlow, JAX and PyTorch.

Keras picks its backend when it is imported, so each backend runs
``tests/backends/run_cases.py`` in a process of its own (JAX and PyTorch as
on a machine without TensorFlow: ``--without-tensorflow``), from the same
weights and inputs, and these tests compare what they wrote:

* the outputs of every layer case (``tests/layers/cases.py``, every shape),
  and its weights after one SGD step, agree with TensorFlow's to float
  tolerance (:func:`assert_agree`);
* the heads and the backbone's feature map of every registered builder
  (``reproductions.common.registry``, small configuration) agree likewise;
* a ``.keras`` file saved on TensorFlow loads on JAX and PyTorch, and one
  saved on each of those loads here (TensorFlow), and computes there what
  the same model built there computes.

The processes run once per session (module-scoped fixture): TensorFlow's
first (JAX and PyTorch load its files), then JAX's and PyTorch's side by
side; each one's ``info.json`` holds the seconds its parts took.
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from reproductions.common import registry
from tests.layers.cases import CASES

from . import run_cases

ROOT = Path(__file__).resolve().parents[2]
OTHERS = ("jax", "torch")
BACKENDS = ("tensorflow",) + OTHERS
ENTRIES = registry.model_entries()
#: Largest difference allowed, relative to the largest magnitude of the output.
TOLERANCE = 1e-4
#: For the builders: deep networks of random weights (features up to ~400 in
#: DRSN) sum the backends' different float roundings over 50+ layers.
BUILDER_TOLERANCE = 1e-3
#: Seconds one process may take.
TIMEOUT = 900


def _missing(backend):
    return importlib.util.find_spec(backend) is None


def _command(backend, out, load=None, parts="layers,builders"):
    command = [sys.executable, "-m", "tests.backends.run_cases", str(out), "--parts", parts]
    if load is not None:
        command += ["--load", str(load)]
    if backend != "tensorflow":
        command.append("--without-tensorflow")
    return command


def _start(backend, out, **kwargs):
    env = {**os.environ, "KERAS_BACKEND": backend}
    log = open(out.with_suffix(".log"), "w")
    return subprocess.Popen(_command(backend, out, **kwargs), cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _finish(process, out):
    try:
        code = process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    log = out.with_suffix(".log").read_text(errors="replace")
    assert code == 0, f"{out.name} failed:\n{log[-5000:]}"


class Result:
    """What one backend's process wrote (``run_cases`` docstring)."""

    def __init__(self, folder):
        self.folder = folder
        self.info = json.loads((folder / "info.json").read_text())
        self.outputs = dict(np.load(folder / "outputs.npz"))
        loaded = folder / "loaded.npz"
        self.loaded = dict(np.load(loaded)) if loaded.exists() else {}

    def prefixed(self, prefix):
        return {k: v for k, v in self.outputs.items() if k.startswith(prefix)}

    def error(self, name):
        return self.info["errors"].get(name)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    missing = [b for b in OTHERS if _missing(b)]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (pip install -e '.[test]')")
    folder = tmp_path_factory.mktemp("backends")
    out = {backend: folder / backend for backend in BACKENDS}
    _finish(_start("tensorflow", out["tensorflow"]), out["tensorflow"])
    processes = {b: _start(b, out[b], load=out["tensorflow"]) for b in OTHERS}
    for backend, process in processes.items():
        _finish(process, out[backend])
    return {backend: Result(path) for backend, path in out.items()}


def assert_agree(got, want, what, tolerance=TOLERANCE):
    """Same shape; integers equal; floats within ``tolerance`` times the
    largest magnitude of ``want``."""
    assert got.shape == want.shape, f"{what}: shape {got.shape}, TensorFlow {want.shape}"
    if not np.issubdtype(want.dtype, np.floating):
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    assert np.all(np.isfinite(got)) and np.all(np.isfinite(want)), what
    scale = float(np.abs(want).max())
    assert scale > 0, f"{what}: all zeros, compares nothing"
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance * scale, err_msg=what)


def _assert_same_arrays(results, backend, prefix, failures, tolerance=TOLERANCE):
    reference, result = results["tensorflow"], results[backend]
    for name in failures:
        for r, where in ((reference, "tensorflow"), (result, backend)):
            assert r.error(name) is None, f"{name} failed on {where}:\n{r.error(name)}"
    want, got = reference.prefixed(prefix), result.prefixed(prefix)
    assert want, f"nothing written under {prefix}"
    assert sorted(got) == sorted(want)
    for key in want:
        assert_agree(got[key], want[key], f"{backend} {key}", tolerance)


def test_the_other_backends_ran_without_tensorflow(results):
    assert results["tensorflow"].info["backend"] == "tensorflow"
    for backend in OTHERS:
        info = results[backend].info
        assert info["backend"] == backend and info["tensorflow"] == "blocked"


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_layer_outputs_agree(results, backend, case):
    names = [f"layer/{case.id}/{i}" for i in range(len(case.shapes))]
    _assert_same_arrays(results, backend, f"layer/{case.id}/", names)


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_training_step_agrees(results, backend, case):
    """The weights after one SGD step agree (so do the gradients), and the
    step moved every trainable weight on both backends."""
    _assert_same_arrays(results, backend, f"step/{case.id}/", [f"step/{case.id}"])
    for where in ("tensorflow", backend):
        moved = results[where].outputs[f"moved/{case.id}"]
        assert moved.size and moved.all(), f"{where}: weights {np.flatnonzero(~moved)} unchanged"


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("entry", ENTRIES, ids=[e.key for e in ENTRIES])
def test_builder_outputs_agree(results, backend, entry):
    name = f"builder/{entry.key}"
    _assert_same_arrays(results, backend, f"{name}/", [name], BUILDER_TOLERANCE)
    _assert_same_arrays(results, backend, f"features/{entry.key}", [], BUILDER_TOLERANCE)
    heads = results["tensorflow"].prefixed(f"{name}/")
    for head in heads.values():  # softmax heads of the small configuration
        assert head.shape == (run_cases.BATCH, entry.small["classes"])


def _saved(results, backend):
    return sorted(p.stem for p in (results[backend].folder / "models").glob("*.keras"))


def test_every_small_model_is_saved(results):
    expected = {f"layer-{c.id}" for c in CASES} | {
        f"builder-{e.key}" for e in ENTRIES if max(e.counts) <= run_cases.SAVE_PARAMS}
    for backend in BACKENDS:
        assert set(_saved(results, backend)) == expected, backend
    assert any(name.startswith("builder-") for name in expected)


def _expected_outputs(result, name):
    """What the saved model ``name`` computed where it was saved, in order."""
    kind, _, rest = name.partition("-")
    prefix = f"layer/{rest}/0/" if kind == "layer" else f"builder/{rest}/"
    outputs = result.prefixed(prefix)
    return [outputs[f"{prefix}{k}"] for k in range(len(outputs))]


@pytest.mark.parametrize("backend", OTHERS)
def test_keras_files_saved_on_tensorflow_load_on(results, backend):
    """Loaded on ``backend``, the model computes what the same model built
    there computes (and that agrees with TensorFlow: the tests above)."""
    result = results[backend]
    for name in _saved(results, "tensorflow"):
        assert result.error(f"load/{name}") is None, result.error(f"load/{name}")
        want = _expected_outputs(result, name)
        got = [result.loaded[f"{name}/{k}"] for k in range(len(want))]
        assert f"{name}/{len(want)}" not in result.loaded
        for k, (g, w) in enumerate(zip(got, want)):
            assert_agree(g, w, f"{name} saved on tensorflow, loaded on {backend}, output {k}")


@pytest.mark.parametrize("backend", OTHERS)
def test_keras_files_saved_on_load_on_tensorflow(results, backend):
    reference = results["tensorflow"]
    for name in _saved(results, backend):
        model = keras.saving.load_model(results[backend].folder / "models" / f"{name}.keras")
        got = run_cases.predict(model, run_cases.model_input(name))
        want = _expected_outputs(reference, name)
        assert len(got) == len(want), name
        for k, (g, w) in enumerate(zip(got, want)):
            assert_agree(g, w, f"{name} saved on {backend}, loaded on tensorflow, output {k}")
        keras.backend.clear_session()
