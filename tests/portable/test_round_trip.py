"""export -> bundle -> train (JAX, in a subprocess, TensorFlow never
imported) -> import, on the synthetic smoke data of Super-Xception and DRI.

The trainings are kept small: Super-Xception's Deep CNN row and DRI seed 0
(the smoke profile's data, one epoch each).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reproductions.common import records
from reproductions.common.errors import UserError
from reproductions.portable import bundle as bundle_lib
from reproductions.portable import exporter, importer

ROOT = Path(__file__).resolve().parents[2]
TRAIN = {"super_xception": ["--rows", "deep_cnn"],
         "dri": ["--rows", "dri", "--only-seeds", "0", "--no-export"]}
TIMEOUT = 600


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundles")
    return {paper: (root / paper, exporter.export(paper, "smoke", root / paper,
                                                  ["--data", "synthetic"]))
            for paper in TRAIN}


@pytest.fixture(scope="module")
def trained(bundles, tmp_path_factory):
    """Both trainings, side by side, each in a JAX process of its own."""
    root = tmp_path_factory.mktemp("trained")
    processes = {}
    for paper, extra in TRAIN.items():
        out = root / paper
        command = [sys.executable, "-m", "tests.portable._train_and_report",
                   str(root / f"{paper}.json"), "train", str(bundles[paper][0]),
                   "--output-dir", str(out / "runs"), "--work-dir", str(out / "work"),
                   "--verbose", "2", *extra]
        log = open(root / f"{paper}.log", "w")
        processes[paper] = subprocess.Popen(command, cwd=ROOT, stdout=log,
                                            stderr=subprocess.STDOUT,
                                            env={**os.environ, "KERAS_BACKEND": "jax"})
    for paper, process in processes.items():
        code = process.wait(timeout=TIMEOUT)
        assert code == 0, (root / f"{paper}.log").read_text()[-5000:]
    return {paper: {"runs": root / paper / "runs", "work": root / paper / "work",
                    "report": json.loads((root / f"{paper}.json").read_text()),
                    "results": json.loads((root / paper / "runs" / "results.json").read_text())}
            for paper in TRAIN}


def _problems(path):
    """``records.check`` but for the dirty-tree note (``import`` leaves it to
    ``compare --check``; a developer's tree is dirty, CI's is not)."""
    return [p for p in records.check(path) if "dirty tree" not in p]


@pytest.mark.parametrize("paper", TRAIN)
def test_bundle_holds_the_smoke_splits(bundles, paper):
    folder, manifest = bundles[paper]
    assert manifest["paper"] == paper and manifest["profile"] == "smoke"
    assert manifest["synthetic"] is True
    used = manifest["datasets"]["data"]["used"]
    assert {k: v["examples"] for k, v in manifest["splits"].items()} == used
    bundle = bundle_lib.read(folder)
    sets = {"super_xception": ["length_normalized", "padded"], "dri": ["cells"]}[paper]
    assert manifest["image_sets"] == sets
    shape = {"super_xception": [50, 50, 1], "dri": [76, 76, 1]}[paper]
    assert manifest["image_shape"] == shape
    for name in sets:
        assert bundle.arrays[f"{name}/train/images"].dtype == "uint8"
    assert manifest["file"]["bytes"] < 2 ** 20


@pytest.mark.parametrize("paper", TRAIN)
def test_train_on_jax_never_imports_tensorflow(trained, paper):
    report = trained[paper]["report"]
    assert report == {"code": 0, "backend": "jax", "imported": []}


@pytest.mark.parametrize("paper", TRAIN)
def test_run_records_are_the_suites_marked_portable(trained, bundles, paper):
    path = trained[paper]["runs"] / "results.json"
    assert _problems(path) == []
    data = trained[paper]["results"]
    (run,) = data["runs"]
    want_row = {"super_xception": "deep_cnn", "dri": "dri"}[paper]
    assert (run["row"], run["seed"], run["variant"]) == (want_row, 0, "")
    mark = run["provenance"]["portable"]
    assert mark["backend"] == "jax" and mark["device"].startswith("cpu")
    assert mark["bundle_sha256"] == bundles[paper][1]["file"]["sha256"]
    assert mark["tensorflow_imported"] is False
    assert run["provenance"]["data"]["data"]["split_ids_sha256"] == \
        bundles[paper][1]["datasets"]["data"]["split_ids_sha256"]
    assert run["epochs"] == 1 and run["train_images_per_s"] > 0
    assert 0 <= run["metrics"]["aca"] <= 1
    assert data["profile"]["name"] == "smoke"
    assert any("portable run" in r for r in data["profile"]["reductions"])
    if paper == "super_xception":
        assert run["values"] == {"table1": {"deep_cnn": {"aca": 100 * run["metrics"]["aca"]}}}
        inference = trained[paper]["work"] / "deep_cnn-seed0" / "inference.keras"
        assert inference.stat().st_size > 10_000
    else:
        assert set(run["values"]) == {"table3a", "table3b", "table4"}
        assert run["pipeline_images_per_s"] > 0
        assert set(run["head_metrics"]) == {"fc1", "fc2", "fc3", "fc1+fc3", "fc2+fc3",
                                            "fc1+fc2+fc3"}
        assert run["iterations"] == 2  # 16 rotated images in batches of 8
    assert "portable" in data["extra"]


def test_a_keras_file_trained_on_jax_loads_here(trained):
    """The inference model a portable run saved predicts on TensorFlow."""
    import keras
    import numpy as np

    import layers  # noqa: F401 - registers the layers

    model = keras.saving.load_model(trained["super_xception"]["work"] / "deep_cnn-seed0"
                                    / "inference.keras")
    image = np.zeros((1, 60, 40, 1), np.uint8)
    image[0, 10:50, 15:25] = 200
    probabilities = keras.ops.convert_to_numpy(model(image))
    assert probabilities.shape == (1, 24) and abs(probabilities.sum() - 1) < 1e-4


@pytest.mark.parametrize("paper", TRAIN)
def test_import_stores_the_runs_apart_and_marked(trained, tmp_path, paper):
    results = tmp_path / "results"
    target = importer.import_runs(trained[paper]["runs"], results)
    assert target == results / paper / "portable_synthetic-smoke"
    stored = json.loads((target / "results.json").read_text())
    assert stored["runs"] == trained[paper]["results"]["runs"]
    assert _problems(target / "results.json") == []
    assert not (results / paper / "results.json").exists()  # not mixed with the TF runs
    assert not (results / paper / "synthetic-smoke").exists()
    readme = (target / "README.md").read_text()
    assert "PORTABLE RUNS" in readme.splitlines()[2] and "jax 0.10" in readme.splitlines()[2]
    assert "1 on jax" in stored["extra"]["portable"]["runs"]
    # again: the same runs, merged, not duplicated
    importer.import_runs(trained[paper]["runs"], results)
    assert len(json.loads((target / "results.json").read_text())["runs"]) == 1


def test_import_refuses_runs_not_marked_portable(trained, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(trained["super_xception"]["runs"], runs)
    data = json.loads((runs / "results.json").read_text())
    del data["runs"][0]["provenance"]["portable"]
    (runs / "results.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match="not marked as portable"):
        importer.import_runs(runs, tmp_path / "results")


def test_import_refuses_another_protocol(trained, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(trained["dri"]["runs"], runs)
    data = json.loads((runs / "results.json").read_text())
    data["profile"]["epochs"] = {"*": 2}
    (runs / "results.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match="another protocol"):
        importer.import_runs(runs, tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_import_takes_more_seeds_of_the_profile_into_a_folder_of_their_own(trained, tmp_path):
    """``train --num-seeds N``: the profile's seeds first, then more, and
    nothing else changed, is the same protocol on more seeds; other seeds
    (``--seed 5``) are another protocol."""
    runs = tmp_path / "runs"
    shutil.copytree(trained["dri"]["runs"], runs)
    data = json.loads((runs / "results.json").read_text())
    own = data["profile"]["seeds"]
    data["profile"]["seeds"] = own + [own[-1] + 1, own[-1] + 2]
    (runs / "results.json").write_text(json.dumps(data))
    target = importer.import_runs(runs, tmp_path / "results")
    n = len(own) + 2
    assert target == tmp_path / "results" / "dri" / f"portable_synthetic-smoke_{n}_seeds"
    stored = json.loads((target / "results.json").read_text())
    assert stored["profile"]["seeds"] == data["profile"]["seeds"]
    assert stored["runs"] == data["runs"]
    data["profile"]["seeds"] = [s + 5 for s in own]
    (runs / "results.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match="other than by --num-seeds"):
        importer.import_runs(runs, tmp_path / "results")


def test_train_refuses_a_profile_of_other_data(bundles, tmp_path, capsys):
    """The smoke bundle (48 / 24 / 24 chromosomes) is not the paper profile's data."""
    from reproductions.portable.__main__ import main

    code = main(["train", str(bundles["super_xception"][0]), "--profile", "paper",
                 "--output-dir", str(tmp_path / "out"), "--work-dir", str(tmp_path / "w")])
    assert code == 2
    assert "Export a bundle with --profile paper" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
