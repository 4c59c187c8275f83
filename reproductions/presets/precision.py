"""float16 storage of a ``.keras`` file's weights, computed in float32.

A ``.keras`` file is a zip of ``config.json``, ``metadata.json`` and
``model.weights.h5``. :func:`store_float16` rewrites the weights file with
every float32 array as float16 (arrays whose values do not fit float16's
range stay float32) and zips it compressed; the model's config is unchanged,
so the layers still create float32 variables and Keras casts the stored
float16 values into them on load (``Variable.assign``). The loaded model
computes exactly as the original does, with weights rounded to float16
(relative error <= 2**-11). Whether that costs anything is measured, not
assumed: ``python -m reproductions.presets make`` runs both files through
``predict`` on the test split and keeps float16 only when accuracy and mean
class accuracy do not drop (see :func:`float16_is_free`).
"""
from __future__ import annotations

import io
import zipfile

import numpy as np

from reproductions.common import keras_file

FLOAT16_MAX = float(np.finfo(np.float16).max)
#: The largest drop (fraction, 0.001 = 0.1 points) in accuracy or mean class
#: accuracy on the test split at which float16 still counts as free. Below
#: one test image on every test split of the suite (BioImLab: 736 images).
FREE_DROP = 0.001
#: The tests' bound on |p_float16 - p_float32| for any class probability.
PROBABILITY_TOLERANCE = 1e-2


def store_float16(source, target) -> dict:
    """Writes ``target``: the ``.keras`` file ``source`` with its float32
    weights stored as float16. Returns ``{"float16": n, "kept": m}``, the
    numbers of values converted and of float values kept in their dtype."""
    counts = {"float16": 0, "kept": 0}

    def convert(array):
        if (isinstance(array, np.ndarray) and array.dtype == np.float32 and array.size
                and np.all(np.isfinite(array)) and np.abs(array).max() < FLOAT16_MAX):
            counts["float16"] += array.size
            return array.astype(np.float16)
        if isinstance(array, np.ndarray) and array.dtype.kind == "f":
            counts["kept"] += array.size
        return array

    keras_file.rewrite(source, target, fixed_date=True,
                       weights=lambda src, dst: keras_file.copy_h5(src, dst, convert=convert))
    return counts


def store_float32(source, target) -> None:
    """Writes ``target``: ``source`` repacked compressed (same bytes inside)."""
    keras_file.rewrite(source, target, fixed_date=True)


def weights_dtypes(file) -> dict[str, int]:
    """dtype -> number of values among the weights stored in a ``.keras`` file."""
    import h5py

    found: dict[str, int] = {}

    def visit(_, item):
        if isinstance(item, h5py.Dataset) and item.dtype.kind == "f":
            found[str(item.dtype)] = found.get(str(item.dtype), 0) + int(item.size)

    with zipfile.ZipFile(file) as archive:
        data = archive.read(keras_file.WEIGHTS_ENTRY)
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(visit)
    return found


def float16_is_free(float32: dict, float16: dict, drop: float = FREE_DROP) -> bool:
    """Whether the float16 file's accuracy and mean class accuracy are within
    ``drop`` of (or above) the float32 file's, both measured through predict
    on the same test files."""
    return all(float16[k] >= float32[k] - drop for k in ("accuracy", "mca"))
