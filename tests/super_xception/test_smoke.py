"""``python -m reproductions.super_xception`` end to end: smoke profile on the
embedded synthetic chromosomes (Deep CNN, Super-Xception and the
length-normalisation ablation), then the same command again, which must find
every run stored and train nothing."""
import json

from reproductions.common import provenance, results
from reproductions.super_xception.paper import PAPER
from tests.super_xception.conftest import run_main, smoke_argv

EXPECTED_RUNS = {("deep_cnn", 0, ""), ("super_xception", 0, ""), ("super_xception", 0, "no_ln")}


def _runs(path):
    return {(r["row"], r["seed"], r.get("variant", "")): r
            for r in json.loads(path.read_text())["runs"]}


def test_smoke_run_writes_results_readme_and_figures(smoke_run):
    assert smoke_run["status"] == 0, smoke_run["stdout"]
    out = smoke_run["output"]
    assert "SYNTHETIC DATA" in smoke_run["stdout"]
    path = out / "results.json"
    data = json.loads(path.read_text())
    assert data["paper"] == "super_xception" and data["profile"]["name"] == "smoke"
    assert data["synthetic"] is True and data["note"] == results.SYNTHETIC_MARK
    assert data["datasets"]["data"]["name"] == "synthetic_chromosomes"
    assert data["datasets"]["data"]["used"] == {"train": 48, "validation": 24, "test": 24}
    # complete provenance; the dirty-tree note exactly when this checkout was dirty
    # as the run started (a developer's tree while editing; CI's clean clone: none)
    problems = results.check(path)
    assert [p for p in problems if "dirty tree" not in p] == []
    assert any("dirty tree" in p for p in problems) == bool(provenance.git_commit()["dirty"])
    runs = _runs(path)
    assert set(runs) == EXPECTED_RUNS
    assert set(runs["deep_cnn", 0, ""]["values"]["table1"]) == {"deep_cnn"}
    sx = runs["super_xception", 0, ""]
    assert set(sx["values"]) == {"table1", "ablation"}
    assert sx["values"]["ablation"]["super_xception_ln"]["aca"] == \
        sx["values"]["table1"]["super_xception"]["aca"]
    assert set(runs["super_xception", 0, "no_ln"]["values"]) == {"ablation"}
    for run in runs.values():
        assert run["epochs"] == 1 and len(run["history"]["val_loss"]) == 1
        cm = run["metrics"]["confusion_matrix"]
        assert len(cm) == 24 and all(len(r) == 24 for r in cm)
        assert sum(map(sum, cm)) == 24  # the test subset
        aca = next(iter(next(iter(run["values"].values())).values()))["aca"]
        assert aca == 100 * run["metrics"]["aca"]
        assert run["train_images_per_s"] > 0 and run["wall_time_s"] > 0
    assert sx["parameters"] == runs["super_xception", 0, "no_ln"]["parameters"]

    readme = (out / "README.md").read_text()
    assert results.SYNTHETIC_MARK.upper() in readme
    for row in PAPER.table("table1").rows + PAPER.table("ablation").rows:
        assert f"| {row.label} |" in readme
    lines = readme.splitlines()
    resnet = next(line for line in lines if line.startswith("| ResNet-50 [17] |"))
    assert resnet.endswith("| 87.64 | — | — | smoke (synthetic) |")  # not run
    sx_line = next(line for line in lines if line.startswith("| Super-Xception (proposed) |"))
    assert f"{sx['values']['table1']['super_xception']['aca']:.2f}" in sx_line
    for name in ("sr_examples.png", "confusion_super_xception.png", "training_curves.png"):
        png = (out / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000, name
        assert f"]({name})" in readme
    for run_dir in ("deep_cnn-seed0", "super_xception-seed0", "super_xception-no_ln-seed0"):
        assert (smoke_run["work"] / run_dir / "done.json").exists()
    # the first seed of every row leaves a model for python -m reproductions.predict
    for run_dir in ("deep_cnn-seed0", "super_xception-seed0"):
        assert (smoke_run["work"] / run_dir / "inference.keras").stat().st_size > 10_000


def test_no_export_saves_no_model(smoke_dirs, tmp_path):
    argv = smoke_argv({**smoke_dirs, "output": tmp_path / "out", "work": tmp_path / "work"})
    argv[argv.index("deep_cnn,super_xception")] = "deep_cnn"
    status, stdout, _ = run_main(argv + ["--no-export"])
    assert status == 0, stdout
    assert (tmp_path / "work" / "deep_cnn-seed0" / "done.json").exists()
    assert not list((tmp_path / "work").rglob("*.keras"))


def test_same_command_again_trains_nothing(smoke_run, monkeypatch):
    from reproductions.common import training

    def no_training(*args, **kwargs):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr(training, "train", no_training)
    before = (smoke_run["output"] / "results.json").read_text()
    status, stdout, seconds = run_main(smoke_argv(smoke_run))
    assert status == 0
    assert "3 of 3 runs already stored" in stdout
    assert "run 1/" not in stdout
    assert (smoke_run["output"] / "results.json").read_text() == before
    assert seconds < smoke_run["seconds"]


def test_report_only_rewrites_readme_and_trains_nothing(smoke_run, monkeypatch):
    from reproductions.common import training

    def no_training(*args, **kwargs):
        raise AssertionError("--report-only trained a network")

    monkeypatch.setattr(training, "train", no_training)
    before = (smoke_run["output"] / "results.json").read_text()
    readme = smoke_run["output"] / "README.md"
    expected = readme.read_text()
    readme.unlink()
    (smoke_run["output"] / "training_curves.png").unlink()
    status, stdout, _ = run_main(smoke_argv(smoke_run) + ["--report-only"])
    assert status == 0, stdout
    assert "3 stored runs, nothing trained" in stdout and "run 1/" not in stdout
    assert readme.read_text() == expected
    assert (smoke_run["output"] / "training_curves.png").stat().st_size > 5000
    assert (smoke_run["output"] / "results.json").read_text() == before


def test_report_only_without_stored_runs_says_what_to_do(smoke_dirs, tmp_path, capsys):
    argv = smoke_argv({**smoke_dirs, "output": tmp_path / "out", "work": tmp_path / "work"})
    status, _, _ = run_main(argv + ["--report-only"])
    assert status != 0
    err = capsys.readouterr().err
    assert "no runs stored" in err and "without --report-only" in err
    assert not (tmp_path / "out" / "README.md").exists()
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())


def test_report_only_with_force_is_refused_and_keeps_the_stored_runs(smoke_run, capsys):
    """--force would set results.json aside (another profile's folder) and the
    report would then find no runs: the combination is refused up front."""
    before = (smoke_run["output"] / "results.json").read_text()
    status, _, _ = run_main(smoke_argv(smoke_run) + ["--report-only", "--force"])
    assert status != 0
    assert "drop --force" in capsys.readouterr().err
    assert (smoke_run["output"] / "results.json").read_text() == before
    assert not list(smoke_run["output"].glob("*.bak"))
