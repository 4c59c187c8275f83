"""Importing TensorFlow without its start-up chatter on a CPU-only machine.

TensorFlow's C++ runtime writes a few lines to the process's standard error
while it loads, before its logging is set up, so ``TF_CPP_MIN_LOG_LEVEL``
does not silence them: a notice that oneDNN is on, "Could not find cuda
drivers on your machine" and, when the devices are first listed, "failed call
to cuInit: ... CUDA error". On a machine without a GPU they are expected, but
they read like failures to someone running a first command. The commands
therefore import TensorFlow through :func:`import_tensorflow`, which captures
the standard error of the import and of the device probe and writes back every
line except those known, harmless ones (:data:`BENIGN`). Anything else —
a real error, a GPU that was found — still reaches the terminal.
``HEP2REPRO_TF_LOGS=1`` (or ``TF_CPP_MIN_LOG_LEVEL=0``) shows everything.

Importing a module of the suite changes nothing in the process environment:
what a command needs there (:func:`command_environment`) it sets itself, when
it starts (``cli.entry_point``) or imports TensorFlow (:func:`import_tensorflow`).
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

BENIGN = tuple(re.compile(p) for p in (
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"\] oneDNN custom operations are on\.",
    r"cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine",
    r"cuda_platform\.cc:\d+\] failed call to cuInit: .*CUDA error",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"TF-TRT Warning: Could not find TensorRT",
    r"computation placer already registered",
))


def is_benign(line: str) -> bool:
    return any(p.search(line) for p in BENIGN)


@contextlib.contextmanager
def filtered_stderr():
    """Captures file descriptor 2 (C++ and Python alike) and writes back every
    line that :func:`is_benign` does not recognise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines(keepends=True) if not is_benign(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


#: TensorFlow's switch for its oneDNN kernels (``"1"`` on, ``"0"`` off; unset:
#: its own choice by CPU).
ONEDNN = "TF_ENABLE_ONEDNN_OPTS"


def prefer_onednn() -> None:
    """Turns TensorFlow's oneDNN CPU kernels on unless the user chose
    (``TF_ENABLE_ONEDNN_OPTS`` set, to ``0`` or ``1``); must run before
    TensorFlow is imported, which every command does
    (:func:`command_environment`) and the tests' ``conftest.py``.

    Left to itself, TensorFlow enables oneDNN only on CPUs with AVX-512 VNNI
    or newer (an Intel Xeon of our development machines: on), not on an
    AVX2-only one (an AMD EPYC of the same machines: off). Measured on such an
    AMD EPYC, 2 cores, by ``python -m reproductions.drsn_dc.benchmark --sizes
    64`` (train images/s): ResNet50 14.0 off -> 34.0 on, DRSN-DC 9.0 -> 17.5,
    inference 171 -> 185 and 62 -> 92. With it on everywhere the speed
    difference between our machines shrinks, and runs on them use the same
    kernels (the floating-point round-off of oneDNN's summation order, which
    TensorFlow's start-up notice mentions, is then common to both). The value
    in force is recorded in every run's provenance."""
    os.environ.setdefault(ONEDNN, "1")


def command_environment() -> None:
    """What a command sets in its own environment before TensorFlow loads:
    oneDNN on (:func:`prefer_onednn`) and TensorFlow's C++ INFO notices off
    (``TF_CPP_MIN_LOG_LEVEL=2``), each unless the user set it. Called by the
    commands (``cli.entry_point``, :func:`import_tensorflow`), never on import."""
    prefer_onednn()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # INFO notices once logging is up


def import_tensorflow():
    """``import tensorflow`` (and its device probe) with the benign start-up
    lines removed, in the :func:`command_environment`; a no-op when
    TensorFlow is already imported."""
    verbose = (os.environ.get("HEP2REPRO_TF_LOGS") == "1"
               or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0")
    command_environment()
    if "tensorflow" in sys.modules or verbose:
        import tensorflow as tf
        return tf
    with filtered_stderr():
        import tensorflow as tf
        tf.config.list_physical_devices()
    return tf
