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


# --- the cpu_schedule profile (issue #34) -------------------------------------
@pytest.fixture(scope="module")
def schedule_smoke(tmp_path_factory):
    """``--profile cpu_schedule --rows inception,dri --only-seeds 0`` (the table's
    first step) on the synthetic cells, the profile shrunk to 2 epochs of 2
    iterations of 8 with a step every 2 iterations, eager."""
    import dataclasses

    from reproductions.dri.profiles import PROFILES
    root = tmp_path_factory.mktemp("dri_schedule")
    profile = PROFILES["cpu_schedule"]
    tiny = dataclasses.replace(
        profile, batch_size=8, epochs={"*": 2},
        subset={"train": 48, "validation": 12, "test": 12},
        settings=profile.settings.replace(samples_per_epoch=16, steps_per_decay=2,
                                          run_eagerly=True))
    argv = ["--profile", "cpu_schedule", "--data", "synthetic", "--rows", "inception,dri",
            "--only-seeds", "0", "--output-dir", str(root / "out"), "--work-dir",
            str(root / "work"), "--data-dir", str(root / "data"), "--no-tensorboard",
            "--no-export", "--verbose", "0"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(PROFILES, "cpu_schedule", tiny)
        assert command.main(argv) == 0
    return root


def test_cpu_schedule_runs_the_pair_with_its_step(schedule_smoke):
    results = json.loads((schedule_smoke / "out" / "results.json").read_text())
    assert results["profile"]["name"] == "cpu_schedule" and results["synthetic"]
    assert {(r["row"], r["seed"]) for r in results["runs"]} == {("inception", 0), ("dri", 0)}
    for run in results["runs"]:  # the profile's step, not the run's iterations / 29
        assert run["steps_per_decay"] == 2 and run["iterations"] == 4
    assert results["extra"]["dri_minus_inception"]["seeds"] == [0]
    assert results["profile"]["extra"]["steps_per_decay"] == 2
    assert "sensitivity" not in next(r for r in results["runs"] if r["row"] == "dri")["values"]


def test_cpu_schedule_results_have_their_own_folder():
    import argparse

    from reproductions.common import cli
    from reproductions.common.provenance import project_root
    from reproductions.dri.profiles import PROFILES
    none = argparse.Namespace(output_dir=None, work_dir=None)
    output, work = cli.default_dirs("dri", PROFILES["cpu_schedule"], False, none)
    assert output == project_root() / "results" / "dri" / "cpu_schedule"
    assert work.name == "cpu_schedule"
    assert cli.default_dirs("dri", PROFILES["cpu"], False, none)[0] != output
