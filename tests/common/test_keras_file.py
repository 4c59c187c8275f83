"""reproductions.common.keras_file: the one rewriter of saved .keras files."""
import io
import json
import zipfile

import h5py
import numpy as np
import pytest

from reproductions.common import keras_file


def _keras_zip(path, weights: dict, config: dict) -> None:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for name, array in weights.items():
            f.create_dataset(name, data=array)
        f["layers/dense/vars/0"].attrs["note"] = "kept"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", b'{"keras_version": "3"}')
        archive.writestr(keras_file.CONFIG_ENTRY, json.dumps(config))
        archive.writestr(keras_file.WEIGHTS_ENTRY, buffer.getvalue())


def test_rewrite_changes_only_what_it_is_asked_to(tmp_path):
    source, target = tmp_path / "a.keras", tmp_path / "b.keras"
    _keras_zip(source, {"layers/dense/vars/0": np.arange(4, dtype="float32"),
                        "optimizer/vars/0": np.ones(3, "float32")}, {"x": 1})
    keras_file.rewrite(source, target, config=lambda c: {**c, "y": 2},
                       weights=lambda s, d: keras_file.copy_h5(
                           s, d, keep_group=lambda g: g.name != "/optimizer",
                           convert=lambda a: a * 2))
    entries = {info.filename: data for info, data in keras_file.read_entries(target)}
    assert json.loads(entries[keras_file.CONFIG_ENTRY]) == {"x": 1, "y": 2}
    assert entries["metadata.json"] == b'{"keras_version": "3"}'
    with h5py.File(io.BytesIO(entries[keras_file.WEIGHTS_ENTRY]), "r") as f:
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], [0, 2, 4, 6])
        assert f["layers/dense/vars/0"].attrs["note"] == "kept"
        assert "optimizer" not in f


def test_fixed_date_gives_the_same_bytes_and_a_non_keras_file_is_refused(tmp_path):
    source = tmp_path / "a.keras"
    _keras_zip(source, {"layers/dense/vars/0": np.zeros(2, "float32")}, {})
    keras_file.rewrite(source, tmp_path / "1.keras", fixed_date=True)
    keras_file.rewrite(source, tmp_path / "2.keras", fixed_date=True)
    assert (tmp_path / "1.keras").read_bytes() == (tmp_path / "2.keras").read_bytes()
    with zipfile.ZipFile(tmp_path / "notkeras.zip", "w") as archive:
        archive.writestr("other.txt", b"x")
    with pytest.raises(ValueError, match="has no config.json; is it a .keras file"):
        keras_file.rewrite(tmp_path / "notkeras.zip", tmp_path / "x.keras", config=dict)
