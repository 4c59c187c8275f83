"""The paper's numbers as transcribed, and the profiles: the paper profile
is the paper's protocol, the cpu profile's reductions fit the budget its
docstring measures."""
import dataclasses

import pytest

from reproductions.active_transfer import paper, profiles
from reproductions.active_transfer.paper import PAPER
from reproductions.active_transfer.profiles import PROFILES

KEYS = {"wavelet", "budgets", "headline_budget", "initial_fraction", "step_fraction",
        "rotation_copies", "source_samples_per_epoch", "source_validation_fraction",
        "validation_fraction", "learning_rate", "bn_momentum", "criteria", "criteria_seeds",
        "tsne_points"}


def test_transcription_is_consistent():
    al = PAPER.table("per_class").row("al").values  # the diagonal of Fig. 12(b)
    assert sum(al.values()) / len(al) == pytest.approx(
        PAPER.table("headline").row("al").values["mca"], abs=0.01)
    for case in paper.CASES:  # the 20 % points of the curves are the headline numbers
        headline = PAPER.table("headline").row(case).values
        for metric in ("aca", "mca"):
            assert PAPER.table(f"curve_{metric}").row(case).values[metric][20] == \
                headline[metric]
    assert PAPER.table("criteria").row("entropy").values == \
        PAPER.table("headline").row("in_al").values
    assert PAPER.table("curve_aca").x == paper.BUDGETS
    assert PAPER.rows == ("initial", "in_al", "in_rs", "al", "rs")
    assert PAPER.roles == ("source", "target")
    assert PAPER.datasets["target"].config == "ap80"
    rows = {(t.key, r.key) for t in PAPER.tables for r in t.rows}
    for claim in PAPER.claims:
        assert {(claim.table, claim.baseline), (claim.table, claim.proposed)} <= rows


@pytest.mark.parametrize("name", ["smoke", "cpu", "paper"])
def test_profile_is_complete(name):
    profile = PROFILES[name]
    assert KEYS <= set(profile.settings.to_json())  # recorded in every run
    assert profile.settings.headline_budget in profile.settings.budgets
    assert profile.settings.learning_rate == paper.LEARNING_RATE
    assert set(profile.multi_seed_rows) <= set(PAPER.rows)
    assert profile.reductions and profile.image_size % 8 == 0


def test_paper_profile_is_the_papers_protocol():
    profile = PROFILES["paper"]
    assert profile.image_size == 112 and profile.batch_size == 128 and profile.patience == 5
    assert profile.subset == {}
    settings = profile.settings
    assert settings.budgets == (10, 20, 40, 60, 80, 100) and settings.headline_budget == 20
    assert (settings.initial_fraction, settings.step_fraction) == (0.15, 0.10)
    assert settings.rotation_copies == 20 and settings.source_samples_per_epoch is None
    assert settings.criteria == ("entropy", "least_confidence", "margin")


def test_cpu_profile_fits_its_budget():
    cpu = PROFILES["cpu"]
    assert cpu.image_size == 64 and cpu.patience == 5 and cpu.subset == {}
    assert cpu.settings.budgets == paper.BUDGETS  # every budget of Fig. 16
    # protocol v2: every case on 3 seeds (#34)
    assert all(cpu.seeds_for(row) == (0, 1, 2)
               for row in ("initial", "rs", "al", "in_rs", "in_al"))
    assert profiles.estimated_hours(cpu) == pytest.approx(9.0, abs=0.05)
    assert profiles.estimated_hours(cpu, profiles.PESSIMISTIC_EPOCHS) == pytest.approx(
        14.3, abs=0.05)
    # the same plan at the paper's 112 px would not fit even nominally
    assert profiles.estimated_hours(profiles.at_size(cpu, 112)) == pytest.approx(25.9, abs=0.05)


def test_estimate_counts_what_runs():
    """One seed at a budget of 100 % only: two trainings on the whole pool
    (with and without initial learning, shared by RS / AL and IN-RS / IN-AL),
    the initial learning, and a test pass for each of the two other
    criteria (their one round is the shared training)."""
    only = dataclasses.replace(PROFILES["cpu"], seeds=(0,), settings=PROFILES[
        "cpu"].settings.replace(budgets=(100,), headline_budget=100))
    pool, validation, test = 10, 2, 3
    hours = profiles.estimated_hours(only, (1, 1, 1), target=(pool, validation, test),
                                     source=(4, 1, 2), speed=(1, 1, 1))
    images = 2 * (pool + validation + test) + (4 * 20 + 1 + 2) + 2 * test
    assert hours * 3600 == pytest.approx(images / profiles.WALL_PER_CPU)


def test_the_measurement_behind_the_cpu_profile_runs(capsys):
    from reproductions.active_transfer import __main__ as command

    assert command.main(["benchmark", "--sizes", "16", "--batches", "1",
                         "--batch-size", "4"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].endswith(tuple("0123456789")) and "CPU cores" in lines[0]
    assert [line.split(":")[0] for line in lines[1:]] == [
        "16 px, train all layers", "16 px, train frozen early", "16 px, predict"]
    assert all("images per CPU-second" in line for line in lines[1:])
