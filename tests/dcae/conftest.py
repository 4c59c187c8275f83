"""Fixtures shared by the DCAE tests: the smoke command, run once, with a
record of every Keras training it started."""
import contextlib
import io
import time

import pytest


def smoke_argv(dirs, *extra):
    return ["--profile", "smoke", "--data", "synthetic",
            "--output-dir", str(dirs["output"]), "--work-dir", str(dirs["work"]),
            "--data-dir", str(dirs["data"]), "--no-tensorboard", "--verbose", "0", *extra]


@contextlib.contextmanager
def recorded_trainings():
    """Wraps ``reproductions.common.training.train``: yields the list of
    ``{"model", "train_ids", "validation_ids", "resumed"}`` of every call
    (``resumed``: it returned a finished run without training)."""
    from reproductions.common import training

    calls, original = [], training.train

    def spy(model, train_split, val_split, **kwargs):
        outcome = original(model, train_split, val_split, **kwargs)
        calls.append({"model": model.name, "train_ids": set(train_split.ids),
                      "validation_ids": set(val_split.ids),
                      "resumed": outcome.wall_time_s == 0.0})
        return outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "train", spy)
        yield calls


def run_main(argv):
    """``(exit status, stdout, CPU seconds, trainings)`` of the command run
    in-process (CPU time of this process, all threads: unlike the wall clock
    it does not grow when other jobs share the cores)."""
    from reproductions.dcae.__main__ import main
    out = io.StringIO()
    start = time.process_time()
    with recorded_trainings() as calls, contextlib.redirect_stdout(out):
        status = main(argv)
    return status, out.getvalue(), time.process_time() - start, calls


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """``python -m reproductions.dcae`` (smoke profile, synthetic SNPHEp-2)
    end to end. The smoke profile compiles every Keras model with
    ``run_eagerly=True``: tracing the graphs would cost more than the few
    steps of each run; the graph-mode ``fit`` is tested in
    ``tests/common/test_training.py``."""
    root = tmp_path_factory.mktemp("dcae_smoke")
    dirs = {name: root / name for name in ("output", "work", "data")}
    status, stdout, cpu_seconds, calls = run_main(smoke_argv(dirs))
    return {"status": status, "stdout": stdout, "cpu_seconds": cpu_seconds, "trainings": calls,
            "root": root, **dirs}
