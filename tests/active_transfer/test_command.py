"""``python -m reproductions.active_transfer --profile smoke`` end to end on
the synthetic SNPHEp-2 and HEp-2 cells (eager, one epoch per training, a
pool of 24 cells), a re-run that resumes without training, and a command
killed inside its labelling rounds that resumes at its round."""
import json

import pytest

from reproductions.active_transfer import __main__ as command
from reproductions.active_transfer import active
from reproductions.active_transfer.paper import PAPER
from reproductions.active_transfer.profiles import PROFILES
from reproductions.common import results, training
from tests.commands import smoke_argv

SMOKE = PROFILES["smoke"]


def argv_for(root, *extra):
    return smoke_argv(root, *extra, data_dir=root.parent / "tfds")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    root = tmp_path_factory.mktemp("smoke") / "all"
    assert command.main(argv_for(root)) == 0
    return root, json.loads((root / "out" / "results.json").read_text())


def state(root, job, budget):
    return json.loads((root / "work" / job / f"budget{budget}" / "state.json").read_text())


def test_every_table_is_filled(smoke):
    root, stored = smoke
    assert stored["synthetic"] and stored["profile"]["name"] == "smoke"
    assert {(r["row"], r["seed"], r["variant"]) for r in stored["runs"]} == {
        ("initial", 0, ""), ("in_al", 0, ""), ("in_rs", 0, ""), ("al", 0, ""), ("rs", 0, ""),
        ("in_al", 0, "least_confidence"), ("in_al", 0, "margin"), ("in_al", 1, "")}
    table = results.aggregate(PAPER, stored["runs"])
    for key in ("headline", "auc", "per_class"):
        assert set(table[key]) == {"rs", "al", "in_rs", "in_al"}, key
    for key in ("curve_aca", "curve_mca"):
        for case, metrics in table[key].items():
            assert set(next(iter(metrics.values()))) == {"20", "100"}, (key, case)
    assert table["headline"]["in_al"]["mca"]["n"] == 2  # two seeds
    assert set(table["criteria"]) == {"entropy", "least_confidence", "margin"}
    assert set(table["init_100"]) == {"init", "no_init"} and set(table["initial"]) == {"initial"}
    assert stored["datasets"]["source"]["used"] == {"train": 20, "validation": 10, "test": 10}
    assert stored["datasets"]["target"]["used"] == {"pool": 24, "validation": 12, "test": 18}
    assert set(stored["extra"]) >= {"in_al_minus_in_rs", "in_al_minus_in_rs_auc",
                                    "al_minus_rs", "in_al_minus_al"}


def test_the_cases_label_what_the_protocol_says(smoke):
    root, stored = smoke
    run = {(r["row"], r["variant"]): r for r in stored["runs"] if r["seed"] == 0}
    plan = active.budget_plan(24, 0.2)
    in_al = run["in_al", ""]["budgets"]["20"]
    assert in_al["plan"]["sizes"] == list(plan.sizes) and len(in_al["rounds"]) == plan.rounds
    assert sum(in_al["labelled_per_class"]) == plan.budget
    assert run["in_al", ""]["fine_tunings"] == plan.rounds + 1  # and the 100 % training
    assert len(run["rs", ""]["budgets"]["20"]["rounds"]) == 1
    # one random order per seed: AL's first cells are among RS's, in every case
    first = {job: state(root, job, 20)["rounds"] for job in
             ("al-seed0", "in_al-seed0", "rs-seed0", "in_rs-seed0",
              "in_al-least_confidence-seed0")}
    assert first["al-seed0"][0]["added"] == first["in_al-seed0"][0]["added"] == \
        first["in_al-least_confidence-seed0"][0]["added"]
    assert first["rs-seed0"][0]["added"] == first["in_rs-seed0"][0]["added"]
    assert set(first["al-seed0"][0]["added"]) <= set(first["rs-seed0"][0]["added"])
    # round 0 of the criteria is one training; at 100 % RS = AL, IN-RS = IN-AL
    assert first["in_al-least_confidence-seed0"][0]["fit"] == first["in_al-seed0"][0]["fit"]
    # later rounds share a training exactly when the criteria picked the same cells
    entropy, least = first["in_al-seed0"][1], first["in_al-least_confidence-seed0"][1]
    assert (entropy["fit"] == least["fit"]) == (set(entropy["added"]) == set(least["added"]))
    assert state(root, "rs-seed0", 100)["rounds"][0]["fit"] == \
        state(root, "al-seed0", 100)["rounds"][0]["fit"]
    assert state(root, "in_rs-seed0", 100)["rounds"][0]["fit"] == \
        state(root, "in_al-seed0", 100)["rounds"][0]["fit"] != \
        state(root, "rs-seed0", 100)["rounds"][0]["fit"]
    # seed 1 of IN-AL transfers from the only initial learning (seed 0)
    assert state(root, "in_al-seed1", 20)["meta"]["start"].startswith("source0-seed1-weights")


def test_readme_figures_and_saved_networks(smoke):
    root, stored = smoke
    readme = (root / "out" / "README.md").read_text()
    for t in PAPER.tables:
        assert t.title in readme
    for section in ("## The stand-in target", "## Labelling rounds of IN-AL at 20 %",
                    "## Labelling rounds of AL at 20 %", "IN-RS on the same seed labels",
                    "\nRS on the same seed labels", "## Labelled cells per class at 20 %",
                    "## Parameters"):
        assert section in readme
    for figure in ("curve_aca.png", "curve_mca.png", "confusion_rs.png", "confusion_in_al.png",
                   "tsne.png", "per_class_accuracy.png", "labelled_classes.png",
                   "training_curves.png", "run_curves.png"):
        assert (root / "out" / figure).stat().st_size > 0, figure
    for saved in ("initial-seed0/initial", "in_al-seed0/budget20/final"):
        assert (root / "work" / f"{saved}.keras").exists() and \
            (root / "work" / f"{saved}.json").exists()
    tsne = next(r for r in stored["runs"] if r["row"] == "in_al" and r["seed"] == 0
                and not r["variant"])["tsne"]
    assert len(tsne["x"]) == len(tsne["label"]) == SMOKE.settings.tsne_points


def test_in_runs_record_the_network_they_transferred_from(smoke):
    """Both IN-* cases of a seed read back the one initial learning the
    ``initial`` row stored (one process), so their ``source`` equals it."""
    root, stored = smoke
    initial = {r["seed"]: r for r in stored["runs"] if r["row"] == "initial"}
    in_runs = [r for r in stored["runs"] if r["row"].startswith("in_")]
    assert len(in_runs) == 5
    for r in in_runs:
        src, first = r["source"], initial[0]   # the smoke profile learns on seed 0 only
        assert src["seed"] == 0
        assert (src["epochs"], src["best_epoch"]) == (first["epochs"], first["best_epoch"])
        assert src["best_val_loss"] == min(first["history"]["val_loss"])
        assert {k: src[k] for k in ("mca", "aca")} == first["values"]["initial"]["initial"]
        assert src["weights_sha256"] == r["start_sha256"] == first["weights_sha256"]
        assert f"-weights{r['start_sha256']}-code" in \
            state(root, f"{r['row']}{'-' + r['variant'] if r['variant'] else ''}-seed"
                  f"{r['seed']}", 20)["meta"]["start"]
    assert not any("source" in r or "start_sha256" in r
                   for r in stored["runs"] if not r["row"].startswith("in_"))
    readme = (root / "out" / "README.md").read_text()
    section = readme.split("## The initial-learning network behind each IN-* run")[1]
    assert "| IN-AL margin, seed 0 | 0 | " in section and "| IN-RS, seed 0 | 0 | " in section
    rows = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("| IN-")]
    assert len(rows) == 5 and all(line.endswith(" | yes |") for line in rows)  # same hashes


def test_rerun_resumes_without_training(smoke, capsys):
    root, stored = smoke
    assert command.main(argv_for(root)) == 0
    assert "8 of 8 runs already stored" in capsys.readouterr().out
    assert json.loads((root / "out" / "results.json").read_text())["runs"] == stored["runs"]


def test_a_killed_command_resumes_at_its_round(smoke, tmp_path, monkeypatch, capsys):
    """AL alone, killed when its third fine-tuning starts: the rerun keeps the
    two finished rounds and the chosen third, and ends with the cells and
    scores of the uninterrupted smoke run."""
    root, stored = smoke
    train, calls = training.train, []

    def killed_at_third(*args, **kwargs):
        calls.append(kwargs["run_dir"])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return train(*args, **kwargs)

    monkeypatch.setattr(training, "train", killed_at_third)
    rerun = tmp_path / "al"
    assert command.main(argv_for(rerun, "--rows", "al")) == 130
    assert "run the same command again" in capsys.readouterr().err
    rounds = state(rerun, "al-seed0", 20)["rounds"]
    assert [r["done"] for r in rounds] == [True, True, False]
    monkeypatch.setattr(training, "train", train)
    assert command.main(argv_for(rerun, "--rows", "al")) == 0
    resumed = json.loads((rerun / "out" / "results.json").read_text())["runs"]
    reference = next(r for r in stored["runs"] if r["row"] == "al")
    assert [r["added"] for r in state(rerun, "al-seed0", 20)["rounds"]] == \
        [r["added"] for r in state(root, "al-seed0", 20)["rounds"]]
    assert resumed[0]["values"] == reference["values"]


@pytest.mark.parametrize("argv,message", [
    (["--rows", "in_al,cnn"], "Unknown row"),
    (["--manual-dir", "/nowhere"], "say which one as ROLE=PATH"),
    (["--image-folder", "target=/nowhere"], "does not exist"),
])
def test_bad_arguments_are_user_errors(argv, message, capsys):
    assert command.main(["--data", "synthetic", *argv]) == 2
    assert message in capsys.readouterr().err


def test_run_is_the_default_subcommand(capsys):
    assert command.main(["run", "--data", "synthetic", "--rows", "cnn"]) == 2
    assert "Unknown row" in capsys.readouterr().err
