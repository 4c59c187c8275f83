"""Lineage by content: hashes that name a network by its weights and the
code that trains it, so that a cached training is reused only for what it
was trained from, never for whatever now carries the same seed.

- :func:`weights_sha256` -- the weights a training starts from;
- :func:`code_sha256` -- the source text of the modules that train it.

A cache key built from both (and from the data the training sees) changes
when a network is retrained differently (its checkpoint lost, another CPU,
another seed) or when the training code changes.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

import numpy as np


def weights_sha256(model) -> str:
    """sha256 (hex) of every weight array of ``model``, in ``model.weights``
    order (trainable and not: batch-norm statistics too, not the optimizer's):
    each variable's name, shape, dtype and bytes.

    Documented choice: the name is the variable's own (``kernel``,
    ``moving_mean``), not its path: Keras numbers unnamed layers per process
    (``conv2d_7``), so the path of the same network differs between processes
    while its weights do not. The order of the weights fixes which is which.
    """
    digest = hashlib.sha256()
    for variable, array in zip(model.weights, model.get_weights()):
        array = np.ascontiguousarray(array)
        digest.update(f"{variable.name}|{array.shape}|{array.dtype.str}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def code_sha256(paths: Iterable[str | Path], root: Path | None = None) -> str:
    """sha256 (hex) of the source text of ``paths`` (relative to ``root``,
    by default the folder holding the ``reproductions`` package: the
    repository, or site-packages when installed), each hashed with its
    relative path, in the order given.

    Documented choice: whole files, as checked out, comments and docstrings
    included -- a change that cannot alter a training still renames what it
    trains (a retraining, never a wrong reuse).
    """
    if root is None:
        root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in paths:
        text = (Path(root) / path).read_bytes()
        digest.update(f"{Path(path).as_posix()}|{len(text)}|".encode())
        digest.update(text)
    return digest.hexdigest()
