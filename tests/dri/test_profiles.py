"""The profiles as data: keys, iteration arithmetic, seeds, reductions."""
import math

import pytest

from reproductions.dri import paper
from reproductions.dri.paper import PAPER
from reproductions.dri.profiles import PROFILES

ROWS = PAPER.rows

KEYS = {"copies", "samples_per_epoch", "steps_per_decay", "base_lr", "bn_momentum"}


def iterations(profile):
    per_epoch = profile.settings.samples_per_epoch or paper.TABLE2_AUGMENTED_TOTAL
    return profile.epochs_for("dri") * math.ceil(per_epoch / profile.batch_size)


@pytest.mark.parametrize("name", ["smoke", "cpu", "cpu_schedule", "paper"])
def test_profile_is_complete(name):
    profile = PROFILES[name]
    assert KEYS <= set(profile.settings.to_json())  # recorded in every run
    assert profile.settings.copies == paper.ROTATION_COPIES
    assert profile.settings.base_lr == 1e-3
    assert profile.image_size == 76
    assert profile.reductions
    assert set(profile.multi_seed_rows) <= set(ROWS)


def test_paper_profile_is_the_paper_protocol():
    profile = PROFILES["paper"]
    assert profile.batch_size == 24 and profile.subset == {}
    assert profile.settings.samples_per_epoch is None  # the whole augmented set
    assert iterations(profile) == 36 * 8023 == 288_828  # ≈ 290,000
    assert profile.settings.steps_per_decay == 10_000
    assert profile.seeds_for("dri") == profile.seeds_for("inception") == (0, 1, 2)


def test_cpu_profile_budget():
    profile = PROFILES["cpu"]
    assert profile.batch_size == 24
    assert iterations(profile) == 4_000
    # the whole budget: at a constant rate the validation loss is too noisy for a
    # 3-epoch patience (measurement in reproductions/dri/profiles.py)
    assert profile.patience_for("dri") is None and profile.settings.samples_per_epoch == 500 * 24
    # the first 4,000 iterations of the paper's schedule: no decay inside the run
    from reproductions.dri import protocol
    assert profile.settings.steps_per_decay == protocol.PAPER_STEP > iterations(profile)
    schedule = protocol.learning_rate_schedule(profile.settings.steps_per_decay)
    assert float(schedule(iterations(profile) - 1)) == pytest.approx(1e-3)
    assert float(schedule(protocol.PAPER_STEP)) == pytest.approx(0.79e-3)
    assert profile.seeds_for("dri") == profile.seeds_for("inception") == (0, 1, 2)
    assert profile.seeds_for("sri") == profile.seeds_for("shallow_inception") == (0,)
    assert profile.subset == {}  # every validation and test cell
    assert profile.settings.block_split is True


def test_quick_profile_is_the_old_short_schedule():
    profile = PROFILES["quick"]
    assert iterations(profile) == 500 and profile.patience is None
    assert profile.subset == {"validation": 360}


def test_cpu_schedule_places_the_paper_steps_proportionally():
    """Issue #34's schedule (protocol in reproductions/dri/NOTES.md): the paper's
    steps, our reading 0.79 every 10,000 of 290,000 iterations, scaled by
    N_max / 290,000; the table runs its first N iterations."""
    from reproductions.dri import profiles, protocol
    profile, n_max = PROFILES["cpu_schedule"], profiles.SCHEDULE_MAX_ITERATIONS
    step = profile.settings.steps_per_decay
    assert n_max == 14_500 and step == 500 == protocol.step_length(n_max)
    scaled = [k * protocol.PAPER_STEP * n_max / protocol.PAPER_ITERATIONS
              for k in range(1, protocol.DECAYS)]
    assert scaled == [k * step for k in range(1, protocol.DECAYS)]  # 500 ... 14,000
    # an epoch is one rate level: every validation point ends one
    assert profile.settings.samples_per_epoch == step * profile.batch_size
    n = iterations(profile)
    assert n == profiles.SCHEDULE_ITERATIONS and n % step == 0
    assert profiles.RULE_FLOOR <= n <= n_max
    schedule = protocol.learning_rate_schedule(step, profile.settings.base_lr)
    lr = {i: float(schedule(i)) for i in (0, 499, 500, 999, 4_999, 5_000, n_max - 1)}
    assert lr[0] == lr[499] == pytest.approx(1e-3)
    assert lr[500] == lr[999] == pytest.approx(0.79e-3)
    # the rule's floor, 5,000 iterations: where the rate first falls below 1e-4
    assert lr[4_999] == pytest.approx(1e-3 * 0.79 ** 9) and lr[4_999] > 1e-4
    assert lr[5_000] == pytest.approx(1e-3 * 0.79 ** 10) and lr[5_000] < 1e-4
    assert lr[n_max - 1] == pytest.approx(1e-3 * 0.79 ** 28) == pytest.approx(1.36e-6, rel=1e-2)
    assert profile.patience_for("dri") is None and profile.subset == {}
    assert profile.seeds_for("dri") == profile.seeds_for("inception") == (0, 1, 2)
    assert profile.settings.block_split is False and profile.settings.bn_momentum == 0.9
    # the same settings as the cpu profile but the schedule and the iterations
    cpu = PROFILES["cpu"].settings
    assert profile.settings.replace(steps_per_decay=cpu.steps_per_decay,
                                    block_split=True) == cpu


def test_cpu_schedule_budget():
    """The CPU-hours in the protocol (reproductions/dri/NOTES.md)."""
    from reproductions.dri import profiles
    n_max = profiles.SCHEDULE_MAX_ITERATIONS
    assert profiles.curve_hours() == pytest.approx(2.2, abs=0.05)
    assert profiles.schedule_hours(n_max) == pytest.approx(3.2, abs=0.05)  # seed 0 pair
    assert profiles.schedule_hours(n_max, seeds=2) == pytest.approx(6.4, abs=0.05)
    total = profiles.curve_hours() + profiles.schedule_hours(n_max, seeds=3)
    assert total == pytest.approx(11.8, abs=0.05)
    floor = profiles.curve_hours() + profiles.schedule_hours(profiles.RULE_FLOOR, seeds=3)
    assert floor == pytest.approx(5.5, abs=0.05)


def test_cpu_schedule_runs_the_n_its_committed_learning_curve_gives():
    """N (``SCHEDULE_ITERATIONS``) is what the protocol's rule reads off the
    committed curve (results/dri/cpu_schedule/learning_curve/curve.csv): a
    change to either without the other fails here."""
    import csv

    from reproductions.common.provenance import REPO_ROOT
    from reproductions.dri import profiles
    from reproductions.dri.learning_curve import read_iterations

    with open(REPO_ROOT / "results/dri/cpu_schedule/learning_curve/curve.csv") as f:
        rows = list(csv.DictReader(f))
    its = [int(r["iteration"]) for r in rows]
    assert its[-1] == profiles.SCHEDULE_MAX_ITERATIONS  # the whole schedule was run
    reading = read_iterations(its, [float(r["val_loss"]) for r in rows],
                              n_max=profiles.SCHEDULE_MAX_ITERATIONS)
    assert reading.n == profiles.SCHEDULE_ITERATIONS
    readme = (REPO_ROOT / "results/dri/cpu_schedule/learning_curve/README.md").read_text()
    assert f"**N by the protocol's rule: {reading.n:,} iterations**" in readme
