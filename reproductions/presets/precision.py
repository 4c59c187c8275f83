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
from pathlib import Path

import numpy as np

WEIGHTS_ENTRY = "model.weights.h5"
FLOAT16_MAX = float(np.finfo(np.float16).max)
#: The largest drop (fraction, 0.001 = 0.1 points) in accuracy or mean class
#: accuracy on the test split at which float16 still counts as free. Below
#: one test image on every test split of the suite (BioImLab: 736 images).
FREE_DROP = 0.001
#: The tests' bound on |p_float16 - p_float32| for any class probability.
PROBABILITY_TOLERANCE = 1e-2


def _convert(source, target, counts: dict) -> None:
    import h5py

    for key, value in source.attrs.items():
        target.attrs[key] = value
    for key, item in source.items():
        if isinstance(item, h5py.Group):
            _convert(item, target.create_group(key), counts)
            continue
        array = item[()]
        if (isinstance(array, np.ndarray) and array.dtype == np.float32 and array.size
                and np.all(np.isfinite(array)) and np.abs(array).max() < FLOAT16_MAX):
            array = array.astype(np.float16)
            counts["float16"] += array.size
        elif isinstance(array, np.ndarray) and array.dtype.kind == "f":
            counts["kept"] += array.size
        target.create_dataset(key, data=array)
        for attr, value in item.attrs.items():
            target[key].attrs[attr] = value


def store_float16(source, target) -> dict:
    """Writes ``target``: the ``.keras`` file ``source`` with its float32
    weights stored as float16. Returns ``{"float16": n, "kept": m}``, the
    numbers of values converted and of float values kept in their dtype."""
    import h5py

    with zipfile.ZipFile(source) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    counts = {"float16": 0, "kept": 0}
    converted = []
    for name, data in entries:
        if name == WEIGHTS_ENTRY:
            buffer = io.BytesIO()
            with h5py.File(io.BytesIO(data), "r") as src, h5py.File(buffer, "w") as dst:
                _convert(src, dst, counts)
            data = buffer.getvalue()
        converted.append((name, data))
    if not any(name == WEIGHTS_ENTRY for name, _ in entries):
        raise ValueError(f"{source} has no {WEIGHTS_ENTRY}; is it a .keras file?")
    _write_zip(target, converted)
    return counts


def store_float32(source, target) -> None:
    """Writes ``target``: ``source`` repacked compressed (same bytes inside)."""
    with zipfile.ZipFile(source) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    _write_zip(target, entries)


def _write_zip(target, entries) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # a fixed date: the same weights give the same bytes, hence the same sha256
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def weights_dtypes(file) -> dict[str, int]:
    """dtype -> number of values among the weights stored in a ``.keras`` file."""
    import h5py

    found: dict[str, int] = {}

    def visit(_, item):
        if isinstance(item, h5py.Dataset) and item.dtype.kind == "f":
            found[str(item.dtype)] = found.get(str(item.dtype), 0) + int(item.size)

    with zipfile.ZipFile(file) as archive:
        data = archive.read(WEIGHTS_ENTRY)
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(visit)
    return found


def float16_is_free(float32: dict, float16: dict, drop: float = FREE_DROP) -> bool:
    """Whether the float16 file's accuracy and mean class accuracy are within
    ``drop`` of (or above) the float32 file's, both measured through predict
    on the same test files."""
    return all(float16[k] >= float32[k] - drop for k in ("accuracy", "mca"))
