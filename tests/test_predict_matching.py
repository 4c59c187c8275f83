"""``python -m reproductions.predict`` gives a model what it got in training
(issue #33): length normalisation of chromosomes by cell, image polarity
(``--background``), a per-specimen answer (``--group-by``) and test-time
augmentation (``--tta``).

The models are tiny and untrained; what is checked is what reaches them.
"""
import csv
import io
import json
import zipfile

import cv2
import keras
import numpy as np
import pytest

import layers as L
from reproductions import predict
from reproductions.common import export, inference_prep
from reproductions.super_xception import data as sx_data
from tests.tfds_builders import _helpers

CLASSES = ["homogeneous", "speckled", "golgi"]
CHROMOSOMES = [str(i) for i in range(1, 23)] + ["X", "Y"]


def _save(path, preprocess, size, classes, invariant=False, seed=0):
    """A tiny inference model: ``preprocess`` -> (conv ->) global average
    pooling -> softmax. ``invariant``: no convolution, so that the output
    does not change under rotations and flips of the preprocessed image."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 1))
    x = inputs if invariant else keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(len(classes), activation="softmax")(x)
    export.save_inference_model(keras.Model(inputs, outputs, name="tiny"), preprocess, classes,
                                path)
    return path


@pytest.fixture(scope="module")
def hep2_model(tmp_path_factory):
    return _save(tmp_path_factory.mktemp("hep2") / "m.keras", L.PerImageMinMaxResize(16), 16,
                 CLASSES)


@pytest.fixture(scope="module")
def ln_model(tmp_path_factory):
    return _save(tmp_path_factory.mktemp("ln") / "m.keras",
                 L.CropPadDownsample(24, length_normalization=True), 24, CHROMOSOMES)


def _cell(rng, h=31, w=27):
    """A bright blob on a dark background with some texture (uint8 (H, W))."""
    yy, xx = np.mgrid[:h, :w]
    blob = np.exp(-(((yy - h / 2) / (h / 3)) ** 2 + ((xx - w / 2.5) / (w / 3)) ** 2))
    return np.clip(20 + 200 * blob * rng.uniform(0.6, 1.0, (h, w)), 0, 255).astype(np.uint8)


def _rows(out):
    return list(csv.DictReader(out.open()))


def _probs(row, classes):
    return np.array([float(row[f"p_{c}"]) for c in classes])


# ---------------------------------------------------------------- length normalisation

def test_the_flag_travels_in_the_file_and_old_files_load_without_it(ln_model, tmp_path):
    with zipfile.ZipFile(ln_model) as z:
        assert '"length_normalization": true' in z.read("config.json").decode()
    model = predict.load_model(ln_model)
    assert predict.length_normalization(model) is True
    assert predict.length_normalization(model, "off") is False
    old = _save(tmp_path / "old.keras", L.CropPadDownsample(24), 24, CHROMOSOMES)
    with zipfile.ZipFile(old) as z:  # saved as before the flag existed
        config = json.loads(z.read("config.json").decode())
    assert "length_normalization" not in json.dumps(config)
    model = predict.load_model(old)
    assert predict.length_normalization(model) is None
    assert predict.length_normalization(model, "on") is True
    no = _save(tmp_path / "no.keras", L.CropPadDownsample(24, length_normalization=False), 24,
               CHROMOSOMES)
    assert predict.length_normalization(predict.load_model(no)) is False


def test_input_tensors_equal_the_training_pipeline(ln_model, tmp_path, monkeypatch, capsys):
    """On the BioImLab dummy files (one folder per karyotype, a padded canvas
    with specks, an RGB file): what predict feeds the classifier is what the
    training pipeline (builder, then ``make_preprocess`` with the
    karyotype's canvas) gives for the same file."""
    import tensorflow as tf

    dummy = _helpers.dummy_data("bioimlab_chromosomes")
    builder = _helpers.prepare("bioimlab_chromosomes", tmp_path / "tfds", dummy)
    canvas = sx_data.karyotype_max_side(builder)
    preprocess = sx_data.make_preprocess(24, True, canvas)
    want = {}
    for split in builder.info.splits:
        ds = builder.as_dataset(split=split, shuffle_files=False)
        for ex in ds.map(lambda ex: (ex["id"], preprocess(ex))).as_numpy_iterator():
            want[ex[0].decode()] = ex[1]
    assert len(want) == 48

    seen = []

    def fake_tail(model):
        def tail(x, training=False):
            seen.append(np.asarray(x))
            return tf.fill((len(x), len(CHROMOSOMES)), 1.0 / len(CHROMOSOMES))
        return tail

    monkeypatch.setattr(inference_prep, "classifier_tail", fake_tail)
    folder = dummy / "single_chromosomes"
    out = tmp_path / "p.csv"
    assert predict.main(["--model", str(ln_model), str(folder), "--out", str(out)]) == 0
    rows = _rows(out)
    assert len(rows) == len(seen) == 48
    for row, x in zip(rows, seen):
        path = row["path"]
        key = path[len(str(folder)) + 1:-len(".bmp")]
        assert row["group"] == str(folder / key.split("/")[0])
        assert int(row["canvas"]) == canvas[key.split("/")[0]]
        assert x.shape == (1, 24, 24, 1)
        np.testing.assert_allclose(x[0], want[key], rtol=0, atol=1e-6, err_msg=path)
    err = capsys.readouterr().err
    assert "length normalisation, as in training" in err and "16 cells by folder" in err

    # the builder's crop again changes nothing: files written from the
    # builder's examples (presets' evaluation) get the same tensors
    for path in sorted(folder.rglob("*.bmp")):
        once = inference_prep.chromosome_crop(predict.read(path, 1)[0])
        np.testing.assert_array_equal(inference_prep.chromosome_crop(once), once)

    # and it is not what the model's own pad-to-square gives
    image = cv2.imread(str(folder / "1" / "1 1a.bmp"), cv2.IMREAD_GRAYSCALE)[..., None]
    own = L.CropPadDownsample(24)(image[None]).numpy()[0]
    assert np.abs(own - want["1/1 1a"]).max() > 0.1


def test_ln_model_end_to_end_with_regex_groups_and_tta(ln_model, tmp_path, capsys):
    """The real classifier behind the length-normalised input; ``--group-by``
    sets the cells; with ``--tta`` the mean of the 8 transforms."""
    rng = np.random.default_rng(5)
    folder = tmp_path / "flat"
    folder.mkdir()
    for cell in ("A", "B"):
        for i, length in enumerate((40, 25, 12)):
            image = np.zeros((length + 6, 14), np.uint8)
            image[3:-3, 3:11] = rng.integers(60, 250, (length, 8))
            cv2.imwrite(str(folder / f"{cell}_{i}.png"), image)
    out = tmp_path / "p.csv"
    argv = ["--model", str(ln_model), str(folder), "--out", str(out), "--group-by", r"^(\w)_"]
    assert predict.main(argv) == 0
    rows = _rows(out)
    assert [r["group"] for r in rows] == ["A"] * 3 + ["B"] * 3
    assert {r["canvas"] for r in rows} == {"40"}  # the longest crop of each cell
    model = predict.load_model(ln_model)
    tail = inference_prep.classifier_tail(model)
    image = inference_prep.chromosome_crop(
        cv2.imread(str(folder / "A_1.png"), cv2.IMREAD_GRAYSCALE)[..., None])
    x = inference_prep.length_normalized(image, 40, 24)
    np.testing.assert_allclose(_probs(rows[1], CHROMOSOMES),
                               np.asarray(tail(x[None]))[0], atol=2e-6)
    assert predict.main([*argv, "--tta"]) == 0
    tta_rows = _rows(out)
    assert tta_rows[1]["tta"] == "8"
    x = np.stack([inference_prep.length_normalized(v, 40, 24)
                  for v in inference_prep.dihedral(image)])
    np.testing.assert_allclose(_probs(tta_rows[1], CHROMOSOMES),
                               np.asarray(tail(x)).mean(axis=0), atol=2e-6)
    capsys.readouterr()


def test_a_model_that_does_not_say_is_applied_as_before_with_a_note(tmp_path, capsys):
    old = _save(tmp_path / "old.keras", L.CropPadDownsample(24), 24, CHROMOSOMES)
    image = np.zeros((30, 12), np.uint8)
    image[2:28, 3:9] = 180
    cv2.imwrite(str(tmp_path / "c.png"), image)
    assert predict.main(["--model", str(old), str(tmp_path / "c.png")]) == 0
    captured = capsys.readouterr()
    assert predict.UNKNOWN_LN_NOTE in captured.err
    row = list(csv.DictReader(io.StringIO(captured.out)))[0]
    assert "canvas" not in row and "group" not in row
    model = predict.load_model(old)
    np.testing.assert_allclose(_probs(row, CHROMOSOMES),
                               np.asarray(model(image[None, ..., None]))[0], atol=2e-6)


def test_length_normalisation_on_needs_a_chromosome_model(hep2_model, tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "c.png"), _cell(np.random.default_rng(0)))
    assert predict.main(["--model", str(hep2_model), str(tmp_path / "c.png"),
                         "--length-normalization", "on"]) == 2
    assert "no chromosome preprocessing" in capsys.readouterr().err


# ------------------------------------------------------------------------ background

def test_border_rule():
    rng = np.random.default_rng(1)
    cell = _cell(rng)
    assert not inference_prep.background_is_light(cell)
    assert inference_prep.background_is_light(255 - cell)
    assert not inference_prep.background_is_light(np.full((9, 9), 77, np.uint8))
    noise = rng.integers(0, 256, (40, 30), dtype=np.uint8)
    assert not inference_prep.background_is_light(noise)
    image, inverted = inference_prep.to_dark_background(255 - cell[..., None])
    assert inverted and np.array_equal(image[..., 0], cell)
    image, inverted = inference_prep.to_dark_background(255 - cell, "dark")
    assert not inverted and np.array_equal(image, 255 - cell)
    assert inference_prep.to_dark_background(cell, "light")[1]


@pytest.mark.parametrize("which", ["hep2", "ln"])
def test_an_inverted_image_gets_the_prediction_of_the_original(which, hep2_model, ln_model,
                                                               tmp_path, capsys):
    rng = np.random.default_rng(2)
    folder = tmp_path / "k1"
    folder.mkdir()
    if which == "hep2":
        model, classes, original = hep2_model, CLASSES, _cell(rng)
    else:
        model, classes = ln_model, CHROMOSOMES
        original = np.zeros((44, 20), np.uint8)
        original[4:40, 5:15] = rng.integers(40, 230, (36, 10))
        short = np.zeros((60, 30), np.uint8)  # another chromosome of the cell
        short[10:30, 10:18] = 200
        cv2.imwrite(str(folder / "b_short.png"), short)
    cv2.imwrite(str(folder / "a_original.png"), original)
    cv2.imwrite(str(folder / "c_inverted.png"), 255 - original)
    out = tmp_path / "p.csv"
    assert predict.main(["--model", str(model), str(folder), "--out", str(out)]) == 0
    rows = {r["path"].rsplit("/", 1)[1]: r for r in _rows(out)}
    assert rows["a_original.png"]["converted"] == ""
    assert rows["c_inverted.png"]["converted"] == "inverted (light background)"
    assert _probs(rows["a_original.png"], classes).tolist() == \
        _probs(rows["c_inverted.png"], classes).tolist()
    assert "background: 1 of" in capsys.readouterr().err

    assert predict.main(["--model", str(model), str(folder), "--out", str(out),
                         "--background", "dark"]) == 0
    rows = {r["path"].rsplit("/", 1)[1]: r for r in _rows(out)}
    assert rows["c_inverted.png"]["converted"] == ""
    assert predict.main(["--model", str(model), str(folder), "--out", str(out),
                         "--background", "light"]) == 0
    assert {r["converted"] for r in _rows(out)} == {"inverted (--background light)"}
    assert "(--background light)" in capsys.readouterr().err


# ------------------------------------------------------------------------- group-by

def test_group_by_folder_per_specimen(hep2_model, tmp_path, capsys):
    rng = np.random.default_rng(3)
    root = tmp_path / "specimens"
    for specimen, n in (("patient_1", 3), ("patient_2", 2)):
        (root / specimen).mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(str(root / specimen / f"cell{i}.png"),
                        _cell(rng, int(rng.integers(20, 40)), int(rng.integers(20, 40))))
    out = tmp_path / "out" / "p.csv"
    assert predict.main(["--model", str(hep2_model), str(root), "--out", str(out),
                         "--group-by", "folder"]) == 0
    rows = _rows(out)
    assert list(rows[0])[:5] == [*predict.FIXED_COLUMNS, "group"]
    groups = _rows(tmp_path / "out" / "p_groups.csv")
    assert list(groups[0]) == [*predict.GROUP_COLUMNS, *(f"p_{c}" for c in CLASSES)]
    assert [(g["group"], g["cells"]) for g in groups] == [
        (str(root / "patient_1"), "3"), (str(root / "patient_2"), "2")]
    for g in groups:
        members = [r for r in rows if r["group"] == g["group"]]
        mean = np.mean([_probs(r, CLASSES) for r in members], axis=0)
        np.testing.assert_allclose(_probs(g, CLASSES), mean, atol=2e-6)
        assert g["mean_predicted"] == CLASSES[int(np.argmax(mean))]
        votes = [r["predicted"] for r in members]
        assert int(g["votes"]) == votes.count(g["vote"]) == max(map(votes.count, CLASSES))
    err = capsys.readouterr().err
    assert f"2 groups by folder: mean probability and vote per group (written to " \
           f"{tmp_path / 'out' / 'p_groups.csv'})" in err

    # to standard output: the image rows, an empty line, the group rows
    assert predict.main(["--model", str(hep2_model), str(root), "--group-by", "folder"]) == 0
    images, groups_out = capsys.readouterr().out.split("\n\n")
    assert len(list(csv.DictReader(io.StringIO(images)))) == 5
    assert [g["cells"] for g in csv.DictReader(io.StringIO(groups_out))] == ["3", "2"]


def test_group_by_regex_on_file_names(hep2_model, tmp_path, capsys):
    rng = np.random.default_rng(4)
    folder = tmp_path / "cells"
    folder.mkdir()
    for name in ("P12_c1.png", "P12_c2.png", "P7_c1.png", "stray.png"):
        cv2.imwrite(str(folder / name), _cell(rng))
    out = tmp_path / "o" / "p.csv"
    assert predict.main(["--model", str(hep2_model), str(folder), "--out", str(out),
                         "--group-by", r"^(P\d+)_"]) == 0
    assert [r["group"] for r in _rows(out)] == ["P12", "P12", "P7", ""]
    assert [(g["group"], g["cells"]) for g in _rows(tmp_path / "o" / "p_groups.csv")] == [
        ("P12", "2"), ("P7", "1")]
    assert "1 files match no group" in capsys.readouterr().err
    # without a capture group: the whole match
    assert predict.main(["--model", str(hep2_model), str(folder), "--out", str(out),
                         "--group-by", r"P\d+"]) == 0
    assert [r["group"] for r in _rows(out)] == ["P12", "P12", "P7", ""]
    with pytest.raises(SystemExit):  # argparse: not a regular expression
        predict.main(["--model", str(hep2_model), str(folder), "--group-by", "(("])
    assert "not a regular expression" in capsys.readouterr().err


def test_vote_ties_go_to_the_higher_mean():
    rows = [{"group": "g", "predicted": "a", "_probs": np.array([0.5, 0.4, 0.1])},
            {"group": "g", "predicted": "b", "_probs": np.array([0.1, 0.9, 0.0])},
            {"group": "", "predicted": "c", "_probs": np.array([0.0, 0.0, 1.0])}]
    (g,) = predict.group_rows(rows, ["a", "b", "c"])
    assert (g["cells"], g["vote"], g["votes"], g["mean_predicted"]) == (2, "b", 1, "b")


# ------------------------------------------------------------------------------ TTA

def test_tta_is_the_mean_of_the_eight_transforms(tmp_path, capsys):
    rng = np.random.default_rng(6)
    image = _cell(rng, 23, 35)
    cv2.imwrite(str(tmp_path / "c.png"), image)
    path = _save(tmp_path / "m.keras", L.PerImageMinMaxResize(16), 16, CLASSES, seed=3)
    model = predict.load_model(path)
    variants = inference_prep.dihedral(image[..., None])
    assert len({v.tobytes() for v in variants}) == 8
    each = np.array([np.asarray(model(v[None]))[0] for v in variants])
    assert np.abs(each - each[0]).max() > 1e-4  # the model is not invariant
    out = tmp_path / "p.csv"
    assert predict.main(["--model", str(path), str(tmp_path / "c.png"), "--out", str(out),
                         "--tta"]) == 0
    (row,) = _rows(out)
    assert row["tta"] == "8"
    np.testing.assert_allclose(_probs(row, CLASSES), each.mean(axis=0), atol=2e-6)
    assert "test-time augmentation" in capsys.readouterr().err


def test_tta_leaves_a_rotation_invariant_model_unchanged(tmp_path, capsys):
    path = _save(tmp_path / "m.keras", L.PerImageMinMaxResize(16), 16, CLASSES, invariant=True)
    cv2.imwrite(str(tmp_path / "c.png"), _cell(np.random.default_rng(7), 29, 18))
    out = tmp_path / "p.csv"
    assert predict.main(["--model", str(path), str(tmp_path / "c.png"), "--out", str(out)]) == 0
    plain = _probs(_rows(out)[0], CLASSES)
    assert predict.main(["--model", str(path), str(tmp_path / "c.png"), "--out", str(out),
                         "--tta"]) == 0
    np.testing.assert_allclose(_probs(_rows(out)[0], CLASSES), plain, atol=2e-6)
    capsys.readouterr()


def test_recording_the_flag_in_an_old_file(tmp_path):
    old = _save(tmp_path / "old.keras", L.CropPadDownsample(24), 24, CHROMOSOMES)
    inference_prep.record_length_normalization(old, tmp_path / "new.keras")
    before, after = predict.load_model(old), predict.load_model(tmp_path / "new.keras")
    assert predict.length_normalization(before) is None
    assert predict.length_normalization(after) is True
    for a, b in zip(before.weights, after.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ValueError, match="no CropPadDownsample"):
        inference_prep.record_length_normalization(
            _save(tmp_path / "h.keras", L.PerImageMinMaxResize(16), 16, CLASSES), tmp_path / "x")
