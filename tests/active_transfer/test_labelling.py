"""The real labelling loop end to end on synthetic cells with a simulated
expert (query -> label -> update -> query ...), the transfer to a new class
list, and CSVs that are refused as a whole (exit 2, nothing written)."""
import csv

import cv2
import keras
import numpy as np
import pytest

from reproductions.active_transfer import __main__ as command
from reproductions.active_transfer import active, labelling, models
from reproductions import presets
from reproductions.active_transfer.paper import TARGET_CLASSES
from reproductions.common import export
from tfds_builders.synthetic_hep2 import generator

SMALL = dict(input_shape=(32, 32, 1), filters=8, fusion_filters=16)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """24 synthetic cells (4 per class) under two slide folders, one of them
    saved in colour; returns ``(folder, {path: class})``."""
    root = tmp_path_factory.mktemp("pool")
    truth = {}
    for i in range(24):
        name = TARGET_CLASSES[i % 6]
        image, _ = generator.render_cell(np.random.default_rng(i), name)
        path = root / f"slide{i % 2}" / f"cell{i:02d}.png"
        path.parent.mkdir(exist_ok=True)
        if i == 5:
            image = np.repeat(image[..., None], 3, axis=-1)  # colour: converted to grey
        cv2.imwrite(str(path), image)
        truth[str(path.resolve())] = name
    (root / ".DS_Store").write_text("ignored")
    return root, truth


@pytest.fixture(scope="module")
def start(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = models.ParallelWaveletResNet(**SMALL, classes=6)
    return labelling.save_model(model, tmp_path_factory.mktemp("models") / "start.keras",
                                classes=TARGET_CLASSES, note="test start")


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def expert(query_csv, truth, out):
    """Fills in the label column with the truth."""
    rows = read(query_csv)
    for row in rows:
        row["label"] = truth[row["path"]]
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


def scores_of(model_path, paths):
    model, _ = labelling.open_model(model_path)
    images = labelling.load_images(paths, 32, "test")
    return active.uncertainty(model.predict(images, verbose=0), "entropy")


def test_query_label_update_query(pool, start, tmp_path, capsys):
    folder, truth = pool
    first = tmp_path / "round1.csv"
    assert command.main(["query", "--model", str(start), "--pool", str(folder), "--n", "8",
                         "--out", str(first)]) == 0
    assert "8 most uncertain" in capsys.readouterr().out
    rows = read(first)
    assert [int(r["rank"]) for r in rows] == list(range(1, 9))
    assert list(rows[0]) == ["rank", "path", "predicted", "uncertainty", "label"]
    assert all(r["predicted"] in TARGET_CLASSES and r["label"] == "" for r in rows)
    # the 8 highest entropies of the 24 cells, as the model computes them
    paths = sorted(truth)
    everything = dict(zip(paths, scores_of(start, paths)))
    chosen = [r["path"] for r in rows]
    np.testing.assert_allclose([float(r["uncertainty"]) for r in rows],
                               [everything[p] for p in chosen], atol=1e-5)
    assert min(everything[p] for p in chosen) >= max(
        v for p, v in everything.items() if p not in chosen) - 1e-6

    assert command.main(["update", "--model", str(start), "--labels",
                         str(expert(first, truth, tmp_path / "labelled1.csv")),
                         "--epochs", "3"]) == 0
    round1 = start.with_name("start-round1.keras")
    meta = labelling.open_model(round1)[1]
    assert meta["round"] == 1 and meta["parent"] == str(start)
    assert sorted(i["path"] for i in meta["labelled"]) == sorted(chosen)
    assert all(i["label"] == truth[i["path"]] for i in meta["labelled"])

    second = tmp_path / "round2.csv"
    assert command.main(["query", "--model", str(round1), "--pool", str(folder), "--n", "8",
                         "--out", str(second), "--criterion", "margin"]) == 0
    again = [r["path"] for r in read(second)]
    assert len(again) == 8 and not set(again) & set(chosen)  # labelled cells are skipped
    assert command.main(["update", "--model", str(round1), "--labels",
                         str(expert(second, truth, tmp_path / "labelled2.csv")),
                         "--epochs", "3"]) == 0
    meta = labelling.open_model(start.with_name("start-round2.keras"))[1]
    assert meta["round"] == 2 and len(meta["labelled"]) == 16


def test_update_with_new_classes_is_the_papers_transfer(pool, tmp_path):
    folder, truth = pool
    keras.utils.set_random_seed(1)
    source = labelling.save_model(models.ParallelWaveletResNet(**SMALL, classes=5),
                                  tmp_path / "initial.keras", classes=tuple("vwxyz"))
    labelled = tmp_path / "labelled.csv"
    with open(labelled, "w", newline="") as f:
        f.write("path,label\n" + "".join(f"{p},{c.upper()}\n" for p, c in
                                          sorted(truth.items())[:10]))
    out = tmp_path / "target.keras"
    assert command.main(["update", "--model", str(source), "--labels", str(labelled),
                         "--classes", ",".join(TARGET_CLASSES), "--out", str(out),
                         "--epochs", "2"]) == 0
    model, meta = labelling.open_model(out)
    assert model.output_shape == (None, 6) and meta["classes"] == list(TARGET_CLASSES)
    assert sorted(layer.name for layer in model.layers if not layer.trainable) == sorted(
        models.early_layers(model))
    assert [i["label"] for i in meta["labelled"]] == [c for _, c in sorted(truth.items())[:10]]


BAD = {
    "unknown class": ("{a},mitotic\n", "unknown class 'mitotic'"),
    "missing file": ("{a},golgi\nnowhere/cell.png,golgi\n", "nowhere/cell.png: no such file"),
    "duplicate path": ("{a},golgi\n{b},numem\n{a},golgi\n", "listed twice (also line 2)"),
    "no label": ("{a},\n", "has no label"),
    "not an image": ("{a},golgi\n{text},golgi\n", "cannot be decoded"),
    "several at once": ("{a},mitotic\n{a},golgi\nmissing.png,\n",
                        "4 problem(s); nothing was changed"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_csv_changes_nothing(case, pool, start, tmp_path, capsys):
    folder, truth = pool
    a, b = sorted(truth)[:2]
    (tmp_path / "notes.png").write_text("not a png")
    body, message = BAD[case]
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\n" + body.format(a=a, b=b, text=tmp_path / "notes.png"))
    before = sorted(start.parent.iterdir()), sorted(tmp_path.iterdir())
    out = tmp_path / "next.keras"
    assert command.main(["update", "--model", str(start), "--labels", str(labels),
                         "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "nothing was changed" in err
    assert (sorted(start.parent.iterdir()), sorted(tmp_path.iterdir())) == before


def test_an_image_labelled_in_an_earlier_round_is_refused(pool, start, tmp_path, capsys):
    folder, truth = pool
    path, label = sorted(truth.items())[0]
    keras.utils.set_random_seed(2)
    model = models.ParallelWaveletResNet(**SMALL, classes=6)
    earlier = labelling.save_model(model, tmp_path / "m-round3.keras", classes=TARGET_CLASSES,
                                   labelled=[{"path": path, "label": label}], round_=3)
    labels = tmp_path / "labels.csv"
    labels.write_text(f"path,label\n{path},{label}\n")
    assert command.main(["update", "--model", str(earlier), "--labels", str(labels)]) == 2
    assert "labelled already" in capsys.readouterr().err
    assert not (tmp_path / "m-round4.keras").exists()
    assert labelling.next_model_path(earlier).name == "m-round4.keras"


@pytest.mark.parametrize("argv,message", [
    (["--labels", "{csv}", "--out", "{fresh}"], "needs the columns path and label"),
    (["--labels", "{missing}", "--out", "{fresh}"], "does not exist"),
    (["--labels", "{csv}", "--out", "{start}"], "exists"),
])
def test_update_refusals(argv, message, start, tmp_path, capsys):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("file,class\na.png,golgi\n")
    argv = [a.format(csv=wrong, missing=tmp_path / "none.csv", start=start,
                     fresh=tmp_path / "next.keras") for a in argv]
    assert command.main(["update", "--model", str(start)] + argv) == 2
    assert message in capsys.readouterr().err


def test_query_refusals(pool, start, tmp_path, capsys):
    folder, _ = pool
    bare = tmp_path / "bare.keras"
    keras.saving.load_model(start).save(bare)  # no class list beside it
    for argv, message in [
            (["--model", str(bare), "--pool", str(folder)], "has no bare.json"),
            (["--model", str(start), "--pool", str(tmp_path / "empty")], "does not exist"),
            (["--model", str(start), "--pool", str(folder), "--n", "0"], "at least 1")]:
        assert command.main(["query"] + argv + ["--out", str(tmp_path / "q.csv")]) == 2
        assert message in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert command.main(["query", "--model", str(start), "--pool", str(tmp_path / "empty")]) == 2
    assert "holds no images" in capsys.readouterr().err


# --- starting from a preset ---------------------------------------------------
I3A_PRESET = "i3a_wavelet_resnet_in_al20"


@pytest.mark.skipif(I3A_PRESET not in presets.list_presets(), reason="preset not shipped")
def test_the_loop_starts_from_a_preset(pool, tmp_path, monkeypatch, capsys):
    """``--model <preset>``: query scores the pool with the preset's network
    exactly as ``predict`` does (same preprocessing, same probabilities), and
    update writes ``<preset>-round1.keras`` in the working directory, whose
    parent is the preset with its sha256."""
    folder, truth = pool
    monkeypatch.chdir(tmp_path)
    first = tmp_path / "round1.csv"
    assert command.main(["query", "--model", I3A_PRESET, "--pool", str(folder), "--n", "6",
                         "--out", str(first)]) == 0
    rows = read(first)
    inference = presets.load(I3A_PRESET)  # raw uint8 image -> probabilities
    for row in rows:
        probs = np.asarray(inference(labelling.read_image(row["path"])[None]))[0]
        assert row["predicted"] == export.class_names(inference)[int(np.argmax(probs))]
        assert float(row["uncertainty"]) == pytest.approx(
            float(active.uncertainty(probs[None], "entropy")[0]), abs=1e-4)
    assert command.main(["update", "--model", I3A_PRESET, "--labels",
                         str(expert(first, truth, tmp_path / "labelled1.csv")),
                         "--epochs", "1"]) == 0
    model, meta = labelling.open_model(tmp_path / f"{I3A_PRESET}-round1.keras")
    sha = presets.metadata(I3A_PRESET)["file"]["sha256"]
    assert meta["round"] == 1 and meta["parent"] == f"preset {I3A_PRESET} (sha256 {sha})"
    assert meta["classes"] == presets.metadata(I3A_PRESET)["classes"]
    assert sorted(i["path"] for i in meta["labelled"]) == sorted(r["path"] for r in rows)
    assert model.input_shape == (None, 64, 64, 1)


def test_a_preset_with_other_preprocessing_is_refused(pool, tmp_path, capsys):
    """A preset whose preprocessing is not the active-transfer one (here a
    bilinear resize without clipping) is refused, naming the layer."""
    from tests.test_presets import tiny_inference_model
    from reproductions.presets import make as make_lib

    source = tiny_inference_model(tmp_path / "tiny" / export.FILE_NAME)
    dest = make_lib.make_preset(source, "tiny_bilinear", dest_root=tmp_path / "zoo",
                                paper="tiny", profile="smoke", log=lambda *a: None)
    folder, _ = pool
    assert command.main(["query", "--model", str(dest), "--pool", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "PerImageMinMaxResize" in err and "not the per-image min-max resize" in err
