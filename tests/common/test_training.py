"""common.training.train: the same run twice gives the same numbers, a run
killed with SIGKILL after epoch 1 resumes to exactly the uninterrupted result,
and a finished run is not trained again."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.common import _resume_script as script

SCRIPT = Path(script.__file__)
KILL_AFTER = 1


def _launch(run_dir, *extra):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, str(SCRIPT), str(run_dir), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A subprocess training run that kills itself after epoch 1; started
    first so that it overlaps the in-process runs."""
    run_dir = tmp_path_factory.mktemp("resume") / "run"
    proc = _launch(run_dir, "--kill-after-epoch", str(KILL_AFTER))
    yield run_dir, proc
    if proc.poll() is None:
        proc.kill()


@pytest.fixture(scope="module")
def reference(killed, tmp_path_factory):
    """The uninterrupted run, in-process."""
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    model, outcome = script.run(run_dir)
    return run_dir, model.get_weights(), outcome


# Float32 round-off, not bit-identity: the killed run trains in another process,
# concurrently with the in-process reference, and oneDNN's kernels (on:
# reproductions.common.tf_runtime.prefer_onednn) may then sum in another order
# (measured: val_loss 5.119026 vs 5.119024, one of 2,400 dense weights off by
# 2.3e-6 after Adam). A resume that lost a step, the optimiser's state or the
# random stream is off by about the learning rate (1e-2).
ROUND_OFF = dict(rtol=1e-5, atol=1e-5)


def _assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, **ROUND_OFF)


def _assert_same_history(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], err_msg=key, **ROUND_OFF)


def test_reference_run(reference):
    run_dir, _, outcome = reference
    assert outcome.epochs == script.EPOCHS
    assert len(outcome.history["val_loss"]) == script.EPOCHS
    assert outcome.best_epoch == int(np.argmin(outcome.history["val_loss"]))
    assert (run_dir / "done.json").exists() and (run_dir / "best.weights.h5").exists()
    assert not (run_dir / "backup").exists()  # cleaned up once finished
    assert outcome.wall_time_s > 0 and outcome.train_images_per_s > 0


def test_same_run_twice_is_identical(reference, tmp_path):
    _, weights, outcome = reference
    model, again = script.run(tmp_path / "run")
    np.testing.assert_equal(model.get_weights(), weights)  # bit-identical
    assert again.history == outcome.history
    assert again.best_epoch == outcome.best_epoch


def test_killed_run_resumes_to_the_uninterrupted_result(killed, reference):
    run_dir, proc = killed
    _, weights, outcome = reference
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, stderr
    # the kill left a half-finished run: 2 epochs logged, a backup, not done
    with open(run_dir / "history.csv") as f:
        assert len(f.read().strip().splitlines()) == 1 + KILL_AFTER + 1
    assert (run_dir / "backup").is_dir() and not (run_dir / "done.json").exists()
    best_before = json.loads((run_dir / "best.weights.json").read_text())
    assert best_before["best_epoch"] <= KILL_AFTER
    seconds_before = float((run_dir / "elapsed_seconds.txt").read_text())
    assert seconds_before > 0

    # the test is only meaningful if the true best epoch falls before the kill
    # and a later epoch is worse: a BestWeights that forgot its best on resume
    # would then keep a later epoch
    assert outcome.best_epoch <= KILL_AFTER
    assert max(outcome.history["val_loss"][KILL_AFTER + 1:]) > min(outcome.history["val_loss"])

    resumed = _launch(run_dir)  # the same command again
    stdout, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    result = json.loads((run_dir / "outcome.json").read_text())
    assert result["epochs"] == script.EPOCHS
    _assert_same_history(result["history"], outcome.history)
    assert result["best_epoch"] == outcome.best_epoch
    # the wall time counts the killed process's epochs too
    assert result["wall_time_s"] > seconds_before and result["wall_time_complete"]
    assert float((run_dir / "elapsed_seconds.txt").read_text()) > seconds_before
    with np.load(run_dir / "final_weights.npz") as final:
        _assert_same_weights([final[f"arr_{i}"] for i in range(len(final.files))], weights)
    done = json.loads((run_dir / "done.json").read_text())
    assert done["best_epoch"] == outcome.best_epoch
    assert not (run_dir / "backup").exists()
    # the backup comes after every other callback: the killed epoch was not
    # marked done, so it ran again and was logged twice (the last record wins)
    with open(run_dir / "history.csv") as f:
        logged = [int(line.split(",")[0]) for line in f.read().strip().splitlines()[1:]]
    assert logged == [*range(KILL_AFTER + 1), *range(KILL_AFTER, script.EPOCHS)]


@pytest.mark.filterwarnings("error:Skipping variable loading for optimizer")
def test_finished_run_is_not_trained_again(reference):
    run_dir, weights, outcome = reference
    history_csv = (run_dir / "history.csv").read_text()
    start = time.perf_counter()
    model, again = script.run(run_dir)
    elapsed = time.perf_counter() - start
    assert again.wall_time_s == 0.0  # the stored outcome, not a new fit
    assert elapsed < 30
    assert (run_dir / "history.csv").read_text() == history_csv
    np.testing.assert_equal(model.get_weights(), weights)
    assert again.history == outcome.history and again.best_epoch == outcome.best_epoch
    assert again.train_images_per_s == pytest.approx(outcome.train_images_per_s)


def test_recalibrate_batch_norm_averages_batch_statistics():
    import keras

    from reproductions.common import training

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization(momentum=0.99)(inputs))
    images = np.random.default_rng(0).normal(5.0, 2.0, (10, 3)).astype(np.float32)
    assert training.recalibrate_batch_norm(model, images, batch_size=4) == 1
    bn = model.layers[-1]
    batches = [images[0:4], images[4:8], images[8:10]]
    # every batch weighs the same: the cumulative mean of batch statistics
    np.testing.assert_allclose(bn.moving_mean.numpy(),
                               np.mean([b.mean(0) for b in batches], 0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(),
                               np.mean([b.var(0) for b in batches], 0), rtol=1e-4)
    assert bn.momentum == 0.99  # restored
    assert training.recalibrate_batch_norm(keras.Sequential([keras.Input((3,))]),
                                           images, 4) == 0


class _Model:
    """What BestWeights touches of a Keras model."""
    stop_training = False

    def save_weights(self, path):
        Path(path).write_text("weights")


def _epochs(callback, losses, start=0):
    model = _Model()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, loss in enumerate(losses, start):
        callback.on_epoch_end(epoch, {"val_loss": loss})
        if model.stop_training:
            return epoch
    return None


def test_early_stopping_counts_from_the_stored_best_epoch_across_a_resume(tmp_path):
    from reproductions.common import training
    losses = [3.0, 2.0, 2.5, 2.1, 2.2, 1.0]
    uninterrupted = training.BestWeights(tmp_path / "a" / "best.weights.h5", patience=2)
    (tmp_path / "a").mkdir()
    assert _epochs(uninterrupted, losses) == 3  # best at epoch 1, no better at 2 and 3
    assert uninterrupted.best_epoch == 1 and uninterrupted.stopped_epoch == 3
    (tmp_path / "b").mkdir()
    first = training.BestWeights(tmp_path / "b" / "best.weights.h5", patience=2)
    assert _epochs(first, losses[:3]) is None  # killed after epoch 2
    resumed = training.BestWeights(tmp_path / "b" / "best.weights.h5", patience=2)
    assert _epochs(resumed, losses[3:], start=3) == 3  # a fresh counter would run on
    assert resumed.best_epoch == 1
    assert training.BestWeights(tmp_path / "c.weights.h5", patience=None).patience is None


def test_elapsed_time_adds_the_earlier_processes_seconds(tmp_path):
    from reproductions.common.training import ElapsedTime

    path = tmp_path / "elapsed_seconds.txt"
    first = ElapsedTime(path)
    assert first.before == 0.0
    time.sleep(0.05)
    first.on_epoch_end(0)
    spent = float(path.read_text())
    assert spent >= 0.05
    second = ElapsedTime(path)  # a resumed process
    assert second.before == spent
    time.sleep(0.05)
    second.on_epoch_end(1)
    assert float(path.read_text()) >= spent + 0.05
    assert first.complete and second.complete
    # epochs logged by code that kept no such file: their time is unknown
    legacy = ElapsedTime(tmp_path / "missing.txt", resumed=True)
    assert legacy.before == 0.0 and not legacy.complete


def test_stop_reason_says_what_ended_the_run():
    from reproductions.common import training
    assert training.stop_reason(4, 50, 1, 2) == (
        "early stopping: no val_loss improvement in 2 epochs after the best epoch 2 "
        "(of at most 50)")
    assert training.stop_reason(50, 50, 48, 5) == "epoch cap: 50 epochs (best epoch 49)"
    assert training.stop_reason(3, 3, 2, None) == "epoch cap: 3 epochs (best epoch 3)"
    # the READMEs' table of capped runs recognises exactly the runs the cap ended
    from reproductions.common import results
    history = {"val_loss": [2.0, 1.0, 0.5, 0.4]}
    assert results.capped_run_trend(
        {"stopped_by": training.stop_reason(4, 4, 3, 2), "history": history}) is not None
    assert results.capped_run_trend(
        {"stopped_by": training.stop_reason(4, 50, 3, 2), "history": history}) is None


@pytest.mark.parametrize("n", [1, 7, 16, 21])
def test_predict_proba_pads_the_last_batch_and_traces_once(n):
    import keras

    from reproductions.common import data as data_lib, training

    rng = np.random.default_rng(n)
    images = rng.random((n, 6, 6, 1), dtype=np.float32)
    split = data_lib.ArraySplit(images, np.zeros(n, np.int64), np.arange(n).astype(str),
                                ("a", "b", "c"))
    inputs = keras.Input((6, 6, 1))
    x = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, [x, 2 * x])  # a multi-output model
    outputs = training.predict_proba(model, split, batch_size=8)
    expected = model(images, training=False)
    assert isinstance(outputs, list) and len(outputs) == 2
    for got, want in zip(outputs, expected):
        assert got.shape == (n, 3)
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    assert model.predict_function.experimental_get_tracing_count() == 1
