"""Presets (issue #33): the committed ones, and the machinery on a tiny one.

Every committed preset (``reproductions/presets/<name>/``) is loaded, its file
checked against its sha256, its card checked for the required fields and
regenerated from its metadata, and one image predicted. The machinery is
tested on a tiny untrained network packaged in ``tmp_path``: make -> load ->
hash check -> a tampered file refused -> evaluate through predict on a
generated image folder -> card fields; float16 storage against float32.
"""
import json
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import layers as L
from reproductions import predict, presets
from reproductions.common import data as data_lib
from reproductions.common import export
from reproductions.presets import __main__ as presets_cli
from reproductions.presets import card as card_lib
from reproductions.presets import evaluate as eval_lib
from reproductions.presets import make as make_lib
from reproductions.presets import precision as precision_lib

CLASSES = ("horizontal", "vertical")


def tiny_inference_model(path, classes=CLASSES, size=16, seed=0):
    """An untrained tiny classifier behind the HEp-2 preprocessing layer."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 1))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="tiny_conv")(inputs)
    x = keras.layers.BatchNormalization(name="tiny_bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="tiny_pool")(x)
    x = keras.layers.Dense(len(classes), activation="softmax", name="tiny_head")(x)
    classifier = keras.Model(inputs, x, name="tiny")
    return export.save_inference_model(classifier, L.PerImageMinMaxResize(size), classes,
                                       path)


def stripes(kind: str, rng, size=None) -> np.ndarray:
    """A bright striped cell on a black border: horizontal or vertical stripes."""
    h, w = size or tuple(int(v) for v in rng.integers(18, 30, size=2))
    period = int(rng.integers(3, 6))
    rows, cols = np.mgrid[:h, :w]
    coord = rows if kind == "horizontal" else cols
    image = np.where(coord % period < period / 2, 200, 60) + rng.integers(0, 30, (h, w))
    image[:2], image[-2:], image[:, :2], image[:, -2:] = 0, 0, 0, 0
    return image.astype(np.uint8)[..., None]


def write_folder(root, per_class=10, seed=0, classes=CLASSES):
    """ROOT/<class>/<image>.png (the class layout: split 64/16/20 by the reader)."""
    rng = np.random.default_rng(seed)
    for kind in classes:
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            (root / kind / f"{kind}_{i}.png").write_bytes(
                tf.io.encode_png(stripes(kind, rng)).numpy())
    return root


def folder_builder(root, seed=0):
    source = data_lib.resolve_source("image_folder", "image_folder", image_folder=root)
    return data_lib.prepare(source, channels=1, seed=seed)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A tiny preset made from a fresh inference model, measured on the test
    split of a generated folder; returns (preset folder, source, image root)."""
    base = tmp_path_factory.mktemp("presets")
    source = tiny_inference_model(base / "tiny" / "cpu-0000abcd" / "tiny-seed0"
                                  / export.FILE_NAME)
    root = write_folder(base / "cells")
    dest = make_lib.make_preset(
        source, "tiny_stripes", dest_root=base / "zoo", paper="tiny", profile="smoke",
        test_data=(folder_builder(root), "image_folder", None),
        test_command=f"python -m reproductions.presets evaluate tiny_stripes "
                     f"--image-folder {root}", log=lambda *a: None)
    return dest, source, root


# --- the committed presets ----------------------------------------------------

def _one_image(meta) -> np.ndarray:
    size = meta["input"]["size"]
    size = int(size) if isinstance(size, int) else 64
    image = np.zeros((size + 7, size + 3, meta["input"]["channels"]), np.uint8)
    image[3:-3, 2:-2] = 180
    return image


@pytest.mark.parametrize("name", presets.list_presets())
def test_committed_preset(name):
    model_file = presets.check(name)  # sha256
    meta = presets.metadata(name)
    assert meta["name"] == name
    assert card_lib.missing_fields(meta) == []
    assert meta["metrics"], "every preset ships with measured test metrics"
    assert (presets.folder(name) / presets.CARD_FILE).read_text() == card_lib.render_card(meta)
    assert model_file.stat().st_size == meta["file"]["bytes"]
    model = presets.load(name)
    assert export.class_names(model) == meta["classes"]
    probs = np.asarray(model(_one_image(meta)[None], training=False))[0]
    assert probs.shape == (len(meta["classes"]),)
    assert abs(probs.sum() - 1) < 1e-4


def test_committed_presets_fit_the_budget():
    total = make_lib.total_size(presets.PRESETS_DIR)
    assert total <= presets.SIZE_BUDGET_BYTES, f"{total / 2**20:.1f} MiB of presets"


def test_setup_installs_the_preset_files():
    """setup.cfg ships every file a preset folder holds."""
    import configparser

    from reproductions.common import provenance

    cfg = configparser.ConfigParser()
    cfg.read(provenance.project_root() / "setup.cfg")
    patterns = cfg["options.package_data"]["reproductions.presets"]
    for pattern in ("*/*.keras", "*/*.json", "*/*.md"):
        assert pattern in patterns


# --- the machinery, on a tiny preset ---------------------------------------------

def test_make_writes_a_complete_card(made):
    dest, source, root = made
    meta = json.loads((dest / presets.METADATA_FILE).read_text())
    assert card_lib.missing_fields(meta) == []
    assert meta["classes"] == list(CLASSES)
    assert meta["protocol"]["work_tag"] == "cpu-0000abcd"  # read from the source path
    assert meta["protocol"]["row"] == "tiny" and meta["protocol"]["seed"] == 0
    assert meta["file"]["sha256"] == presets.sha256_file(dest / presets.MODEL_FILE)
    assert meta["input"]["size"] == 16 and meta["input"]["channels"] == 1
    (metric,) = meta["metrics"]
    assert metric["n"] == 4 and metric["model_sha256"] == meta["file"]["sha256"]
    assert set(metric["per_class_recall"]) == set(CLASSES)
    card = (dest / presets.CARD_FILE).read_text()
    assert card == card_lib.render_card(meta)
    for needed in ("Not for diagnosis", "Specimen shift", meta["file"]["sha256"],
                   metric["command"], "tiny_stripes"):
        assert needed in card
    # the card's checker notices a missing field and a metric of another file
    broken = json.loads(json.dumps(meta))
    del broken["input"]["polarity"]
    broken["metrics"][0]["model_sha256"] = "0" * 64
    missing = card_lib.missing_fields(broken)
    assert "input.polarity" in missing and any("another file" in m for m in missing)


def test_precision_is_measured_and_chosen(made):
    dest, _, _ = made
    meta = presets.metadata(dest)
    prec = meta["precision"]
    assert prec["stored"] == meta["file"]["weights_dtype"]
    assert prec["max_abs_probability_difference"] <= precision_lib.PROBABILITY_TOLERANCE
    free = precision_lib.float16_is_free(prec["float32"], prec["float16"])
    assert prec["stored"] == ("float16" if free else "float32")
    stored = precision_lib.weights_dtypes(dest / presets.MODEL_FILE)
    assert set(stored) == {prec["stored"]}


def test_float16_storage_computes_in_float32(tmp_path):
    source = tiny_inference_model(tmp_path / "a.keras", seed=3)
    counts = precision_lib.store_float16(source, tmp_path / "b.keras")
    assert counts["float16"] > 0 and counts["kept"] == 0
    assert precision_lib.weights_dtypes(tmp_path / "b.keras") == {"float16": counts["float16"]}
    full, half = (predict.load_model(tmp_path / f) for f in ("a.keras", "b.keras"))
    assert all(w.dtype == "float32" for w in half.weights)
    rng = np.random.default_rng(0)
    images = np.stack([stripes(k, rng, (20, 20)) for k in CLASSES * 4])
    p32, p16 = np.asarray(full(images)), np.asarray(half(images))
    assert np.abs(p32 - p16).max() <= precision_lib.PROBABILITY_TOLERANCE
    assert not np.array_equal(p32, p16)  # the weights really were rounded
    assert (tmp_path / "b.keras").stat().st_size < (tmp_path / "a.keras").stat().st_size


def test_load_checks_the_hash_and_refuses_a_tampered_file(made, tmp_path):
    dest, _, _ = made
    model = presets.load(dest)
    assert export.class_names(model) == list(CLASSES)
    copy = tmp_path / "tampered"
    shutil.copytree(dest, copy)
    data = bytearray((copy / presets.MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / presets.MODEL_FILE).write_bytes(bytes(data))
    expected = presets.metadata(dest)["file"]["sha256"]
    with pytest.raises(presets.PresetError) as info:
        presets.load(copy)
    assert expected in str(info.value)
    assert presets.sha256_file(copy / presets.MODEL_FILE) in str(info.value)
    # predict refuses it too, naming the preset
    assert predict.main(["--model", str(copy), str(copy)]) == 2


def test_unknown_preset_is_named():
    with pytest.raises(presets.PresetError, match="no preset 'no_such_preset'"):
        presets.load("no_such_preset")


def test_predict_resolves_a_preset_name(made, monkeypatch, tmp_path, capsys):
    dest, _, root = made
    monkeypatch.setattr(presets, "PRESETS_DIR", dest.parent)
    assert presets.list_presets() == ["tiny_stripes"]
    out = tmp_path / "p.csv"
    assert predict.main(["--model", "tiny_stripes", str(root / "vertical"),
                         "--out", str(out)]) == 0
    rows = out.read_text().splitlines()
    assert len(rows) == 11 and rows[0].startswith("path,predicted")
    assert presets_cli.main([]) == 0
    listed = capsys.readouterr().out
    assert "tiny_stripes" in listed and "accuracy" in listed


def test_evaluate_reruns_the_card_measurement(made, capsys):
    dest, _, root = made
    meta = presets.metadata(dest)
    code = presets_cli.main(["evaluate", str(dest), "--image-folder", str(root), "--check"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"accuracy {100 * meta['metrics'][0]['accuracy']:.2f} %" in out
    # --check fails when the card says otherwise
    moved = dest.parent / "moved"
    shutil.copytree(dest, moved)
    other = presets.metadata(moved)
    other["metrics"][0]["accuracy"] = 1.0 - other["metrics"][0]["accuracy"] + 0.25
    make_lib.write_metadata(moved, other)
    assert presets_cli.main(["evaluate", str(moved), "--image-folder", str(root),
                             "--check"]) == 1


def test_export_split_writes_the_examples_as_png(made, tmp_path):
    _, _, root = made
    builder = folder_builder(root)
    labels = eval_lib.export_split(builder, "test", tmp_path / "out")
    assert len(labels) == 4
    for relative, label in labels.items():
        assert relative.startswith(label + "/")  # the example's id keeps its folders
        written = tf.io.decode_png((tmp_path / "out" / relative).read_bytes()).numpy()
        original = tf.io.decode_png((root / relative).read_bytes()).numpy()
        np.testing.assert_array_equal(written, original)


def test_metrics_from_predictions():
    m = eval_lib.metrics_from_predictions(["a", "a", "a", "b"], ["a", "a", "b", "a"],
                                          ["a", "b", "c"])
    assert m["accuracy"] == 0.5
    assert m["per_class_recall"] == {"a": 2 / 3, "b": 0.0}
    assert m["mca"] == pytest.approx(1 / 3)
    assert m["support"] == {"a": 3, "b": 1, "c": 0}


def test_make_refuses_over_budget_and_bad_names(made, tmp_path, monkeypatch):
    _, source, _ = made
    monkeypatch.setattr(presets, "PRESETS_DIR", tmp_path / "zoo")
    shutil.copytree(made[0], tmp_path / "zoo" / "tiny_stripes")
    budget = make_lib.total_size(tmp_path / "zoo") + 1000  # room for no other file
    with pytest.raises(presets.PresetError, match="over the budget"):
        make_lib.make_preset(source, "big", dest_root=tmp_path / "zoo", budget_bytes=budget,
                             log=lambda *a: None)
    assert not (tmp_path / "zoo" / "big").exists()
    with pytest.raises(presets.PresetError, match="preset name"):
        make_lib.make_preset(source, "Bad Name", dest_root=tmp_path, log=lambda *a: None)


def test_make_reads_the_run_record(made, tmp_path):
    _, source, _ = made
    record = {"paper": "tiny", "profile": {"name": "cpu"},
              "datasets": {"data": {"name": "snphep2", "config": "full", "version": "1.0.0",
                                    "split_ids_sha256": {"test": "ab"}}},
              "runs": [{"row": "tiny", "variant": "", "seed": 0, "parameters": 123,
                        "metrics": {"aca": 0.5, "mca": 0.4, "n": 4}, "epochs": 3,
                        "provenance": {"commit": "c0ffee", "dirty": False,
                                       "packages": {"tensorflow": "2.x", "keras": "3.x"},
                                       "profile": {"name": "cpu", "protocol_sha256": "p"},
                                       "command": "python -m reproductions.tiny"}}]}
    results = tmp_path / "results.json"
    results.write_text(json.dumps(record))
    dest = make_lib.make_preset(source, "from_record", dest_root=tmp_path / "zoo",
                                results_file=results, log=lambda *a: None)
    meta = presets.metadata(dest)
    assert meta["dataset"]["name"] == "snphep2" and meta["dataset"]["config"] == "full"
    assert meta["test"]["cells"] == "cells of held-out specimens"
    assert meta["commit"]["training"] == "c0ffee" and meta["parameters"] == 123
    assert meta["table_row"]["value"] == 0.5
    assert meta["protocol"]["profile"] == "cpu"
    assert meta["file"]["weights_dtype"] == "float32"  # nothing to measure float16 on
    assert card_lib.missing_fields(meta) == ["metrics"]
    with pytest.raises(presets.PresetError, match="no run of row 'other'"):
        make_lib.make_preset(source, "x", dest_root=tmp_path / "zoo", row="other",
                             results_file=results, log=lambda *a: None)


def test_builders_take_a_preset_name_as_weights(made, monkeypatch):
    """``weights="<preset>"``: the builders' ``load_weights`` takes the preset's
    (hash-checked) classifier into a model of the same architecture."""
    from reproductions.common import weight_loading

    dest, _, _ = made
    monkeypatch.setattr(presets, "PRESETS_DIR", dest.parent)
    assert weight_loading.check_weights("tiny_stripes") == dest / presets.MODEL_FILE
    keras.utils.set_random_seed(9)
    inputs = keras.Input((16, 16, 1))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="tiny_conv")(inputs)
    x = keras.layers.BatchNormalization(name="tiny_bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="tiny_pool")(x)
    x = keras.layers.Dense(2, activation="softmax", name="tiny_head")(x)
    model = weight_loading.load_weights(keras.Model(inputs, x), "tiny_stripes")
    shipped = presets.classifier("tiny_stripes")
    for name in ("tiny_conv", "tiny_bn", "tiny_head"):
        for mine, theirs in zip(model.get_layer(name).weights, shipped.get_layer(name).weights):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="name of a preset"):
        weight_loading.check_weights("no_such_preset")
