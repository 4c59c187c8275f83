"""``python -m reproductions.dcae --profile smoke`` end to end on the
synthetic SNPHEp-2 cells, a resumed re-run that trains nothing, and the
command's checks."""
import json

import pytest

from reproductions.dcae import features
from reproductions.dcae.paper import PAPER
from tests.dcae.conftest import run_main, smoke_argv
from tests.dcae.test_models import ann_params, autoencoder_params, gao_params

ROWS = PAPER.rows
SEED_1_ROWS = ("dcae_autoencoder", "dcae")  # the smoke profile's multi-seed rows
EXPECTED_RUNS = ({(row, 0, "") for row in ROWS} | {(row, 0, "split_1") for row in ROWS}
                 | {(row, 1, "") for row in SEED_1_ROWS})


@pytest.fixture(scope="module")
def stored(smoke_run):
    assert smoke_run["status"] == 0, smoke_run["stdout"][-3000:]
    data = json.loads((smoke_run["output"] / "results.json").read_text())
    runs = {(r["row"], r["seed"], r["variant"]): r for r in data["runs"]}
    return data, runs


def test_smoke_runs_every_row_fold_and_seed(smoke_run, stored):
    data, runs = stored
    # 25-35 CPU-s measured (a wall time of about half a minute on 2 idle cores)
    assert smoke_run["cpu_seconds"] < 90
    assert data["synthetic"] and data["profile"]["name"] == "smoke"
    assert set(runs) == EXPECTED_RUNS
    info = data["datasets"]["data"]
    assert info["name"] == "synthetic_snphep2" and info["splits"] == {"train": 200, "test": 200}
    assert info["used"] == {"train": 35, "validation": 5, "test": 20}
    assert info["folds"] == {"split_1": {"train": 35, "validation": 5, "test": 20}}


def test_the_autoencoder_never_sees_a_test_cell(smoke_run):
    trainings = [t for t in smoke_run["trainings"] if t["model"] == "dcae_autoencoder"]
    assert len(trainings) == 3 and not any(t["resumed"] for t in trainings)
    for t in trainings:
        seen = t["train_ids"] | t["validation_ids"]
        assert len(seen) == 40 and not t["train_ids"] & t["validation_ids"]
        assert all(i.startswith("synth-train-") for i in seen), seen
    # in run order: seed 0, fold 1, seed 1; the validation cells are the same
    # for every seed (a fixed carve), other on the fold
    validation = [t["validation_ids"] for t in trainings]
    assert validation[0] == validation[2] != validation[1]


def test_autoencoder_runs(stored):
    _, runs = stored
    for key in [k for k in runs if k[0] == "dcae_autoencoder"]:
        run = runs[key]
        assert run["kind"] == "keras" and run["epochs"] == 2
        assert run["parameters"] == sum(autoencoder_params(32, 1 / 16, 4096))
        assert len(run["history"]["loss"]) == len(run["history"]["val_loss"]) == 2
        assert run["test_psnr_db"] > 0 and 0 < run["test_mse"] < 1
        assert run["stopped_by"].startswith("epoch cap")
        if key[2]:
            assert run["values"] == {}
        else:
            assert run["values"] == {"reconstruction": {"dcae_autoencoder": {
                "psnr": pytest.approx(run["test_psnr_db"])}}}


def test_dcae_runs_hold_the_ann_and_the_linear_probe(stored):
    _, runs = stored
    official = runs["dcae", 0, ""]
    assert set(official["values"]) == {"table2", "probe"}
    assert official["values"]["probe"]["dcae_mlp"] == official["values"]["table2"]["dcae"]
    assert official["values"]["table2"]["dcae"]["aca"] == pytest.approx(
        100 * official["metrics"]["aca"])
    probe = official["linear_probe"]
    assert official["values"]["probe"]["dcae_linear"]["aca"] == pytest.approx(
        100 * probe["metrics"]["aca"])
    assert set(probe["hyperparameters"]) == {"logreg__C"} and probe["fit_time_s"] > 0
    assert official["parameters"] == ann_params(4096) and official["latent_dim"] == 4096
    assert 0 <= official["dead_latent_fraction"] <= 1
    assert official["encoder_parameters"] == autoencoder_params(32, 1 / 16, 4096)[0]
    tsne = official["tsne"]
    assert len(tsne["x"]) == len(tsne["y"]) == len(tsne["labels"]) == 20
    assert "tsne" not in runs["dcae", 1, ""] and "tsne" not in runs["dcae", 0, "split_1"]
    fold = runs["dcae", 0, "split_1"]
    assert set(fold["values"]) == {"folds"}
    assert set(fold["values"]["folds"]) == {"dcae", "dcae_linear"}
    assert len(official["metrics"]["confusion_matrix"]) == 5


def test_baseline_runs(stored):
    _, runs = stored
    for row, dim in (("texture_svm", 36), ("lbp_svm", 54)):
        run = runs[row, 0, ""]
        assert run["kind"] == "sklearn" and run["feature_dim"] == dim
        assert run["hyperparameters"]["svc__C"] in features.SVM_GRID["svc__C"]
        assert run["feature_library"].startswith("scikit-image ")
        assert set(run["values"]) == {"table2"}
        assert set(runs[row, 0, "split_1"]["values"]) == {"folds"}
        assert 0 < run["cv_accuracy"] <= 1  # the search's cross-validated accuracy
    assert 0 < runs["dcae", 0, ""]["linear_probe"]["cv_accuracy"] <= 1
    gao = runs["gao_cnn", 0, ""]
    assert gao["kind"] == "keras" and gao["parameters"] == gao_params(42, 5)


def test_measurements_and_readme(smoke_run, stored):
    data, runs = stored
    gap = data["extra"]["dcae_minus_cnn"]
    assert gap["seeds"] == [0] and gap["paper"] == pytest.approx(88.08 - 86.20)
    assert gap["points"] == [pytest.approx(runs["dcae", 0, ""]["values"]["table2"]["dcae"]["aca"]
                                           - runs["gao_cnn", 0, ""]["values"]["table2"]
                                           ["gao_cnn"]["aca"])]
    assert data["extra"]["throughput"]["seeds"] == [0, 1]
    readme = (smoke_run["output"] / "README.md").read_text()
    assert "SYNTHETIC" in readme
    for table in PAPER.tables:
        assert table.title in readme
        for row in table.rows:
            assert f"| {row.label} |" in readme
    assert "± " in readme  # DCAE over 2 seeds
    for section in ("## Figure 2: confusion matrix", "**Check of the inferred class names.**",
                    "## Accuracy (%) on each official fold", "## Linear probe per seed",
                    "## Cells used", "## Sizes",
                    "## Cells of the training specimens vs unseen specimens",
                    "Latent units that are zero", "### scikit-learn fits", "### Runs",
                    "svc__C=", "| Homo | ", "inferred from the images"):
        assert section in readme, section
    gao = runs["gao_cnn", 0, ""]  # held-out training-specimen cells vs test, per run
    held = 100 * gao["history"]["val_accuracy"][gao["best_epoch"]]  # best_epoch from 0
    assert (f"| 5 layers CNN | 0 | {held:.2f} (validation, epoch {gao['best_epoch'] + 1}) | "
            f"{100 * gao['metrics']['aca']:.2f} | "
            f"{100 * gao['metrics']['aca'] - held:+.2f} |") in readme
    svm = runs["lbp_svm", 0, ""]
    assert f"| {100 * svm['cv_accuracy']:.2f} (5-fold CV) |" in readme
    for figure in ("confusion_figure2.png", "reconstructions.png", "run_curves.png",
                   "tsne_latent.png"):
        assert (smoke_run["output"] / figure).stat().st_size > 0
        assert f"![{figure}]({figure})" in readme


def test_rerun_resumes_without_training(smoke_run, stored):
    before, _ = stored
    status, stdout, _, trainings = run_main(smoke_argv(smoke_run))
    assert status == 0
    assert f"{len(EXPECTED_RUNS)} of {len(EXPECTED_RUNS)} runs already stored" in stdout
    assert trainings == []
    after = json.loads((smoke_run["output"] / "results.json").read_text())
    assert after["runs"] == before["runs"]


def test_rerun_replaces_only_the_named_rows(smoke_run, stored, tmp_path):
    """``--rows texture_svm --rerun``: both texture runs (official split and
    fold) are fitted again and their records replaced; nothing else changes
    and no network trains."""
    import shutil
    before, _ = stored
    dirs = {**smoke_run, "output": tmp_path / "out"}
    shutil.copytree(smoke_run["output"], dirs["output"])
    status, stdout, _, trainings = run_main(smoke_argv(dirs, "--rows", "texture_svm",
                                                       "--rerun"))
    assert status == 0, stdout[-2000:]
    assert "--rerun: running 2 runs again" in stdout and trainings == []
    after = json.loads((dirs["output"] / "results.json").read_text())
    key = lambda r: (r["row"], r["seed"], r["variant"])  # noqa: E731
    old, new = ({key(r): r for r in d["runs"]} for d in (before, after))
    assert old.keys() == new.keys()
    replaced = {k for k in old if old[k] != new[k]}
    assert replaced == {("texture_svm", 0, ""), ("texture_svm", 0, "split_1")}
    for k in replaced:  # the same fit again (seeded search): same predictions
        assert new[k]["metrics"] == old[k]["metrics"]


def test_rerun_needs_named_rows(smoke_run, capsys):
    assert run_main(smoke_argv(smoke_run, "--rerun"))[0] == 2
    assert "name them with --rows" in capsys.readouterr().err


def test_rows_without_the_autoencoder_store_it_first(smoke_run, tmp_path):
    """``--rows dcae`` in a new results folder: the dcae job stores its
    autoencoder run too (restored from the finished checkpoints here)."""
    dirs = {**smoke_run, "output": tmp_path / "out"}
    status, stdout, _, trainings = run_main(smoke_argv(dirs, "--rows", "dcae", "--no-folds"))
    assert status == 0, stdout[-2000:]
    assert trainings and all(t["resumed"] for t in trainings)  # nothing trained again
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {(r["row"], r["seed"]) for r in data["runs"]} == {
        ("dcae_autoencoder", 0), ("dcae", 0), ("dcae_autoencoder", 1), ("dcae", 1)}
    assert "folds skipped (--no-folds)" in data["profile"]["reductions"]


def test_input_side_must_be_a_multiple_of_16(capsys):
    assert run_main(["--data", "synthetic", "--image-size", "40"])[0] == 2
    assert "multiple of 16" in capsys.readouterr().err
