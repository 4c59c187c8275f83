"""``python -m reproductions.predict`` on saved inference models (issue #15).

The models are built small and not trained: a fresh model saved through the
same helper the reproductions call (``export.save_inference_model``) tests the
wiring. The preprocessing layers are checked against the training pipelines'
``make_preprocess`` on a few images.
"""
import csv
import io
import zipfile

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

import layers as L
from reproductions import predict
from reproductions.common import export
from reproductions.dri import data as dri_data
from reproductions.dri import models as dri_models
from reproductions.super_xception import data as sx_data
from reproductions.super_xception import models as sx_models

CLASSES = ["homogeneous", "speckled", "golgi"]


def _images(rng):
    """A few raw uint8 grey cells of different sizes and contrast (some with
    a black border, as a chromosome crop has)."""
    out = []
    for h, w, lo, hi, border in [(30, 22, 10, 60, 0), (17, 41, 0, 255, 3), (25, 25, 40, 41, 5),
                                 (9, 13, 0, 0, 0), (50, 37, 5, 200, 7)]:
        image = np.zeros((h, w, 1), np.uint8)
        image[border:h - border, border:w - border] = rng.integers(
            lo, hi + 1, size=(h - 2 * border, w - 2 * border, 1), dtype=np.uint8)
        out.append(image)
    return out


def _dri_path(tmp_path_factory, size=40):
    path = tmp_path_factory.mktemp("dri") / export.FILE_NAME
    keras.utils.set_random_seed(1)
    model = dri_models.DRI("dri", input_shape=(size, size, 1), classes=len(CLASSES))
    export.save_inference_model(dri_models.inference_model(model),
                                L.PerImageMinMaxResize(size), CLASSES, path,
                                heads=len(dri_models.HEADS))
    return path


@pytest.fixture(scope="module")
def dri_model_path(tmp_path_factory):
    return _dri_path(tmp_path_factory)


@pytest.fixture(scope="module")
def sx_model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sx") / export.FILE_NAME
    keras.utils.set_random_seed(2)
    model = sx_models.build("super_xception", **sx_models.SMALL_CONFIGS["super_xception"])
    export.save_inference_model(model, L.CropPadDownsample(24), CLASSES, path)
    return path


@pytest.fixture
def files(tmp_path):
    """One file of every kind in a folder; returns (folder, {kind: path})."""
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, size=(33, 29), dtype=np.uint8)
    d = tmp_path / "images"
    d.mkdir()
    paths = {}

    def write(name, data):
        paths[name.split(".")[0]] = d / name
        (d / name).write_bytes(data)

    write("grey8.png", tf.io.encode_png(grey[..., None]).numpy())
    write("rgb.png", tf.io.encode_png(np.stack([grey, grey // 2, 255 - grey], -1)).numpy())
    write("grey16.png", tf.io.encode_png(tf.constant(grey[..., None].astype(np.uint16) * 257)).numpy())
    write("single.tif", cv2.imencode(".tiff", grey)[1].tobytes())
    write("multipage.tif", cv2.imencodemulti(".tiff", [grey, grey[::-1]])[1].tobytes())
    write("empty.png", b"")
    write("garbage.png", rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
    write("notes.txt", b"patient 12, slide 3\n")
    return d, paths


def _pipelines_and_layers():
    """(name, training-pipeline preprocess, the layer the paper saves)."""
    from reproductions.active_transfer import data as at_data
    from reproductions.dcae import data as dcae_data

    return [
        ("dri/drsn_dc", dri_data.make_preprocess(40), L.PerImageMinMaxResize(40)),
        ("super_xception (no length normalisation)",
         sx_data.make_preprocess(24, length_normalization=False, canvas={}),
         L.CropPadDownsample(24)),
        ("active_transfer", at_data.make_preprocess(32),
         L.PerImageMinMaxResize(32, method="bicubic", clip=True)),
        ("dcae", dcae_data.make_preprocess(28),
         L.PerImageMinMaxResize(28, pad_to_square=True, antialias=True)),
    ]


@pytest.mark.parametrize("index", range(4))
def test_preprocess_layers_equal_the_training_pipelines(index):
    name, pipeline, layer = _pipelines_and_layers()[index]
    for image in _images(np.random.default_rng(3)):
        want = pipeline({"image": tf.constant(image), "karyotype": tf.constant("k")}).numpy()
        got = layer(image[None]).numpy()[0]
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("which", ["dri", "sx"])
def test_saved_model_loads_without_custom_objects_and_matches(which, dri_model_path,
                                                              sx_model_path):
    path = dri_model_path if which == "dri" else sx_model_path
    with zipfile.ZipFile(path) as z:  # the class names travel in the file's config
        assert "golgi" in z.read("config.json").decode()
    model = keras.models.load_model(path)  # no custom_objects
    assert export.class_names(model) == CLASSES
    assert model.inputs[0].dtype == "uint8" and tuple(model.inputs[0].shape) == (None, None, None, 1)
    for image in _images(np.random.default_rng(4)):
        probs = np.asarray(model(image[None], training=False))[0]
        assert probs.shape == (3,) and abs(probs.sum() - 1) < 1e-4  # DRI: mean of 3 heads
        # same as the classifier on the training pipeline's preprocessing
        pre = export.preprocess_layer(model)(image[None])
        inner = model.layers[2](pre, training=False)
        inner = inner / 3 if which == "dri" else inner
        np.testing.assert_allclose(probs, np.asarray(inner)[0], atol=1e-5)


def test_predict_folder_of_every_kind(dri_model_path, files, tmp_path, capsys):
    folder, paths = files
    out = tmp_path / "out" / "predictions.csv"
    status = predict.main(["--model", str(dri_model_path), str(folder), "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 2
    rows = list(csv.DictReader(out.open()))
    assert [r["path"] for r in rows] == [str(paths[k]) for k in ("grey16", "grey8", "rgb", "single")]
    assert list(rows[0]) == ["path", "predicted", "probability", "converted",
                             *(f"p_{c}" for c in CLASSES)]
    by = {r["path"]: r for r in rows}
    assert by[str(paths["rgb"])]["converted"] == "colour->grey"
    assert by[str(paths["grey16"])]["converted"] == "16-bit->8-bit"
    assert by[str(paths["grey8"])]["converted"] == by[str(paths["single"])]["converted"] == ""
    for r in rows:
        probs = [float(r[f"p_{c}"]) for c in CLASSES]
        assert abs(sum(probs) - 1) < 1e-4
        assert r["predicted"] == CLASSES[int(np.argmax(probs))]
        assert float(r["probability"]) == max(probs)
    # the 16-bit copy (x257) is the 8-bit image after scaling, and the TIFF too
    for k in ("grey16", "single"):
        assert by[str(paths[k])]["p_golgi"] == by[str(paths["grey8"])]["p_golgi"]
    err = captured.err
    assert f"refused: {paths['multipage']}: a multi-page TIFF (2 pages)" in err
    assert f"refused: {paths['empty']}: an empty file" in err
    assert f"refused: {paths['garbage']}: cannot be decoded" in err
    assert f"refused: {paths['notes']}: cannot be decoded" in err
    assert "4 of 8 files classified" in err and "4 refused" in err and "2 converted" in err
    assert captured.out == ""


def test_predict_one_image_to_stdout(sx_model_path, files, capsys):
    _, paths = files
    assert predict.main(["--model", str(sx_model_path), str(paths["rgb"])]) == 0
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert len(rows) == 1 and rows[0]["converted"] == "colour->grey"
    assert rows[0]["predicted"] in CLASSES
    assert "1 of 1 files classified; 1 converted" in captured.err


def test_predict_refuses_a_model_that_is_not_an_inference_model(tmp_path, files, capsys):
    _, paths = files
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    plain.save(tmp_path / "plain.keras")
    assert predict.main(["--model", str(tmp_path / "plain.keras"), str(paths["grey8"])]) == 2
    assert "is not an inference model" in capsys.readouterr().err
    assert predict.main(["--model", str(tmp_path / "missing.keras"), str(paths["grey8"])]) == 2
    assert "no such file" in capsys.readouterr().err


def test_command_line_in_a_fresh_process(dri_model_path, files, tmp_path):
    # nothing imported beforehand: the command itself registers what the file needs
    import subprocess
    import sys

    folder, paths = files
    out = tmp_path / "p.csv"
    done = subprocess.run([sys.executable, "-m", "reproductions.predict", "--model",
                           str(dri_model_path), str(folder), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    assert len(list(csv.DictReader(out.open()))) == 4
    assert "4 of 8 files classified" in done.stderr
