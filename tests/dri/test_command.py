"""``python -m reproductions.dri --profile smoke`` end to end on the synthetic
cells (eager, a few steps per network), then a resumed re-run."""
import json

import pytest

from reproductions.dri import __main__ as command
from reproductions.dri.paper import PAPER
from tests.commands import run_smoke


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    return run_smoke(command.main, tmp_path_factory.mktemp("dri_smoke"))


def test_smoke_writes_every_table_row(smoke):
    root, _ = smoke
    results = json.loads((root / "out" / "results.json").read_text())
    assert results["synthetic"] and results["profile"]["name"] == "smoke"
    runs = {(r["row"], r["seed"]) for r in results["runs"]}
    assert runs == {("shallow_inception", 0), ("sri", 0), ("inception", 0), ("dri", 0),
                    ("dri", 1)}
    dri = next(r for r in results["runs"] if r["row"] == "dri")
    assert set(dri["values"]) == {"table3a", "table3b", "table4"}
    assert set(dri["values"]["table3b"]) == {"dri_3", "dri_1_3", "dri_2_3", "dri_1_2_3"}
    assert dri["pipeline_images_per_s"] > 0
    assert set(dri["head_metrics"]) == {"fc1", "fc2", "fc3", "fc1+fc3", "fc2+fc3",
                                        "fc1+fc2+fc3"}
    assert dri["values"]["table3b"]["dri_1_2_3"]["mca"] == \
        dri["values"]["table3a"]["dri"]["mca"] == 100 * dri["head_metrics"]["fc1+fc2+fc3"]["mca"]
    assert results["datasets"]["data"]["augmented_train"] == [160, 160, 160, 160, 160, 480]
    assert set(results["extra"]["throughput"]) >= {"median_dri_images_per_s",
                                                   "input_pipeline_images_per_s"}
    gap = results["extra"]["dri_minus_inception"]  # Inception has seed 0 only in smoke
    assert gap["seeds"] == [0] and gap["paper"] == pytest.approx(98.37 - 97.93)
    dri0, inception0 = (next(r for r in results["runs"] if r["row"] == row and r["seed"] == 0)
                        for row in ("dri", "inception"))
    assert gap["points"] == [pytest.approx(dri0["values"]["table3a"]["dri"]["mca"]
                                           - inception0["values"]["table3a"]["inception"]["mca"])]
    readme = (root / "out" / "README.md").read_text()
    for table in PAPER.tables:
        assert table.title in readme
        for row in table.rows:
            assert f"| {row.label} |" in readme
    assert "not reproduced" in readme and "± " in readme  # DRI over 2 seeds
    assert "| FC1+FC2+FC3 |" in readme and "## Parameters" in readme
    for figure in ("confusion_dri.png", "per_class_accuracy.png",
                   "training_curves_dri_heads.png"):
        assert (root / "out" / figure).stat().st_size > 0
    assert (root / "work" / "dri-seed0" / "dri_sum.keras").exists()


def test_rerun_resumes_without_training(smoke, capsys):
    root, argv = smoke
    before = (root / "out" / "results.json").read_text()
    assert command.main(argv) == 0
    assert "5 of 5 runs already stored" in capsys.readouterr().out
    assert json.loads((root / "out" / "results.json").read_text())["runs"] == \
        json.loads(before)["runs"]


def test_bad_rows_is_a_user_error(capsys):
    assert command.main(["--rows", "resnet", "--data", "synthetic"]) == 2
    assert "Unknown row" in capsys.readouterr().err
