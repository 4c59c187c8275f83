"""Fixtures shared by the Super-Xception tests."""
import contextlib
import io
import time
import warnings

import pytest


@pytest.fixture(scope="session")
def smoke_dirs(tmp_path_factory):
    """Output, work and TFDS data folders of the smoke run; the synthetic
    dataset is prepared once into ``data`` and reused by every run."""
    root = tmp_path_factory.mktemp("super_xception_smoke")
    return {name: root / name for name in ("output", "work", "data")}


def smoke_argv(dirs):
    return ["--profile", "smoke", "--data", "synthetic",
            "--rows", "deep_cnn,super_xception",
            "--output-dir", str(dirs["output"]), "--work-dir", str(dirs["work"]),
            "--data-dir", str(dirs["data"]), "--no-tensorboard", "--verbose", "0"]


def run_main(argv):
    """``(exit status, stdout, seconds)`` of the command run in-process."""
    from reproductions.super_xception.__main__ import main
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    return status, out.getvalue(), time.perf_counter() - start


@pytest.fixture(scope="session")
def smoke_run(smoke_dirs):
    """The smoke profile end to end on the synthetic chromosomes, run once.

    Keras runs its train/test/predict steps eagerly here: tracing the
    Super-Xception graph costs more than the whole eager smoke run on 2 CPU
    cores (about 40 s per model). Graph-mode ``fit`` through the same
    ``common.training.train`` is tested in ``tests/common/test_training.py``.
    """
    import tensorflow as tf
    tf.config.run_functions_eagerly(True)
    try:
        with warnings.catch_warnings():  # "does not apply to tf.data functions": intended
            warnings.filterwarnings("ignore", message="Even though the `tf.config.experimental")
            status, stdout, seconds = run_main(smoke_argv(smoke_dirs))
    finally:
        tf.config.run_functions_eagerly(False)
    return {"status": status, "stdout": stdout, "seconds": seconds, **smoke_dirs}
