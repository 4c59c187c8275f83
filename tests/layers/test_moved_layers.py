"""Layers moved between modules keep their registered names, so ``.keras``
files saved before the move load without ``custom_objects``.

``InceptionBlock`` moved from ``layers.dri`` to ``layers.inception`` and
``Standardization`` from ``reproductions.dcae.models`` to
``layers.standardization`` (issue #32). A file saved before records the old
module next to the registered name; the test writes such a file (a model
saved now, its config given the old modules back) and loads it in a process
that imports ``layers`` only.
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np

import layers as L

ROOT = Path(__file__).resolve().parents[2]
#: class -> (registered name, module a file saved before the move names)
BEFORE = {"InceptionBlock": ("hep2repro>InceptionBlock", "layers.dri"),
          "Standardization": ("hep2repro_dcae>Standardization", "reproductions.dcae.models")}


def _layer_configs(node):
    if isinstance(node, dict):
        if node.get("class_name") in BEFORE:
            yield node
        for value in node.values():
            yield from _layer_configs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _layer_configs(value)


def test_registered_names_are_unchanged():
    for cls in (L.InceptionBlock, L.Standardization):
        assert keras.saving.get_registered_name(cls) == BEFORE[cls.__name__][0]
    from layers import dri
    assert dri.InceptionBlock is L.InceptionBlock  # the old import path


def test_a_file_saved_before_the_move_loads_without_custom_objects(tmp_path):
    inputs = keras.Input((6, 6, 2))
    x = L.InceptionBlock(2, 2, 3, 1, 2, 2, name="inception")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    norm = L.Standardization(name="feature_norm")
    outputs = norm(x)
    model = keras.Model(inputs, outputs)
    norm.adapt(np.random.default_rng(0).normal(3.0, 2.0, (16, 9)))
    model.save(tmp_path / "now.keras")

    with zipfile.ZipFile(tmp_path / "now.keras") as now:
        files = {name: now.read(name) for name in now.namelist()}
    config = json.loads(files["config.json"])
    moved = list(_layer_configs(config))
    assert sorted(c["class_name"] for c in moved) == sorted(BEFORE)
    for layer_config in moved:
        registered, module = BEFORE[layer_config["class_name"]]
        assert layer_config["registered_name"] == registered
        layer_config["module"] = module
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "before.keras", "w") as before:
        for name, data in files.items():
            before.writestr(name, data)

    x = np.random.default_rng(1).random((2, 6, 6, 2), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", keras.ops.convert_to_numpy(model(x)))
    code = ("import sys, numpy as np, keras, layers\n"
            "model = keras.models.load_model(sys.argv[1])\n"
            "assert not any(m.startswith('reproductions') for m in sys.modules), 'imported a paper'\n"
            "got = keras.ops.convert_to_numpy(model(np.load(sys.argv[2])))\n"
            "np.testing.assert_allclose(got, np.load(sys.argv[3]), rtol=1e-6, atol=1e-6)\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "before.keras"),
                    str(tmp_path / "x.npy"), str(tmp_path / "expected.npy")],
                   cwd=ROOT, env=env, check=True)
