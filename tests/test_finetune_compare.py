"""``python -m reproductions.finetune_compare`` on a tiny preset and the
synthetic HEp-2 cells: both modes train on the same drawn folder and are
scored on the whole test split; the README's claim is computed from the
stored per-seed points; stored seeds are skipped; another setup is refused."""
import json

import numpy as np
import pytest

from reproductions import finetune_compare as fc
from reproductions.common import export
from reproductions.presets import make as make_lib
from tests.test_presets import tiny_inference_model

CLASSES = ("homogeneous", "speckled", "nucleolar", "centromere", "golgi", "numem")


def test_sample_ids_is_class_balanced_and_seeded():
    labels = [0] * 10 + [1] * 3 + [2] * 7
    ids = fc.sample_ids(labels, 4, seed=1)
    assert np.bincount(np.asarray(labels)[ids]).tolist() == [4, 3, 4]
    assert ids == fc.sample_ids(labels, 4, seed=1) != fc.sample_ids(labels, 4, seed=2)


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    base = tmp_path_factory.mktemp("compare")
    source = tiny_inference_model(base / "tiny-seed0" / export.FILE_NAME, classes=("a", "b"))
    return make_lib.make_preset(source, "tiny_ab", dest_root=base / "zoo", paper="tiny",
                                row="tiny", work_tag="smoke-0", profile="smoke",
                                log=lambda *a: None)


def test_compare_end_to_end(preset, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--preset", str(preset), "--data", "synthetic", "--dataset", "synthetic_hep2/tiny",
            "--output-dir", str(out), "--seeds", "0", "--per-class", "1",
            "--validation-per-class", "1", "--epochs", "2", "--patience", "1"]
    assert fc.main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    runs = {(r["mode"], r["seed"]): r for r in results["runs"]}
    assert sorted(runs) == [("finetuned", 0), ("scratch", 0)]
    # the two modes saw the same folder: one image per class
    assert runs[("finetuned", 0)]["ids_sha256"] == runs[("scratch", 0)]["ids_sha256"]
    assert runs[("finetuned", 0)]["train_images"] == 6
    test_n = results["setup"]["test_images"]
    assert all(r["metrics"]["n"] == test_n for r in runs.values())
    seeds, diffs = fc.points(results, "mca")
    assert seeds == [0]
    assert diffs == pytest.approx([100 * (runs[("finetuned", 0)]["metrics"]["mca"]
                                          - runs[("scratch", 0)]["metrics"]["mca"])])
    readme = (out / "README.md").read_text()
    assert "Fine-tuned − from scratch, MCA" in readme and "over 1 seed " in readme
    assert "not established with n = 1" in readme
    assert readme == fc.render_readme(results)
    # stored seeds are skipped; another setup is refused, nothing changed
    before = (out / "results.json").read_text()
    assert fc.main(argv) == 0
    assert "stored, skipped" in capsys.readouterr().out
    assert (out / "results.json").read_text() == before
    assert fc.main([*argv[:-4], "--epochs", "3", "--patience", "1"]) == 2
    assert "another setup" in capsys.readouterr().err
    assert (out / "results.json").read_text() == before
