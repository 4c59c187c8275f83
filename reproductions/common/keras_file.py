"""Rewriting a saved ``.keras`` file without loading the model.

A ``.keras`` file is a zip of ``config.json``, ``metadata.json`` and
``model.weights.h5``. The suite edits saved files in three places: export
drops the optimizer state of a nested compiled classifier
(``export.strip_training_state``), presets store weights as float16
(``presets.precision``), and an older inference file gets a preprocessing
flag recorded in its config (``inference_prep.record_length_normalization``).
They share this module: :func:`rewrite` reads the entries, lets the caller
change the config and/or copy the weights (:func:`copy_h5`), and writes the
zip back; every other entry is copied byte for byte.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Callable

CONFIG_ENTRY = "config.json"
WEIGHTS_ENTRY = "model.weights.h5"
#: The date of every entry of a file written with ``fixed_date``: the same
#: content then gives the same bytes, hence the same sha256.
FIXED_DATE = (2020, 1, 1, 0, 0, 0)


def read_entries(path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """Every entry of the zip ``path``, in order."""
    with zipfile.ZipFile(path) as archive:
        return [(info, archive.read(info.filename)) for info in archive.infolist()]


def rewrite(source, target, *, config: Callable[[dict], dict] | None = None,
            weights: Callable | None = None, fixed_date: bool = False) -> None:
    """Writes ``target``: the ``.keras`` file ``source`` (which may be
    ``target``) with ``config(config_dict)`` as its config and the weights
    written by ``weights(source_h5, target_h5)`` (two open ``h5py.File``).
    ``fixed_date``: every entry compressed and dated :data:`FIXED_DATE`
    (otherwise each keeps its own zip header). ``ValueError`` when a part
    to change is missing: the file is then no ``.keras`` file."""
    entries = read_entries(source)
    names = {info.filename for info, _ in entries}
    for wanted, entry in ((config, CONFIG_ENTRY), (weights, WEIGHTS_ENTRY)):
        if wanted is not None and entry not in names:
            raise ValueError(f"{source} has no {entry}; is it a .keras file?")
    out = []
    for info, data in entries:
        if info.filename == CONFIG_ENTRY and config is not None:
            data = json.dumps(config(json.loads(data))).encode()
        elif info.filename == WEIGHTS_ENTRY and weights is not None:
            import h5py

            buffer = io.BytesIO()
            with h5py.File(io.BytesIO(data), "r") as src, h5py.File(buffer, "w") as dst:
                weights(src, dst)
            data = buffer.getvalue()
        if fixed_date:
            info = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
        out.append((info, data))
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED if fixed_date
                         else zipfile.ZIP_STORED) as archive:
        for info, data in out:
            archive.writestr(info, data)


def copy_h5(source, target, *, keep_group: Callable = lambda group: True,
            convert: Callable = lambda array: array) -> None:
    """Copies the h5 group ``source`` into ``target`` with its attributes,
    leaving out every subgroup for which ``keep_group(group)`` is false and
    storing ``convert(array)`` for every dataset."""
    import h5py

    for key, value in source.attrs.items():
        target.attrs[key] = value
    for key, item in source.items():
        if isinstance(item, h5py.Group):
            if keep_group(item):
                copy_h5(item, target.create_group(key), keep_group=keep_group,
                        convert=convert)
            continue
        target.create_dataset(key, data=convert(item[()]))
        for attr, value in item.attrs.items():
            target[key].attrs[attr] = value


def datasets(group) -> list:
    """Every h5 dataset under ``group``."""
    import h5py

    found = []
    group.visititems(lambda _, x: found.append(x) if isinstance(x, h5py.Dataset) else None)
    return found
