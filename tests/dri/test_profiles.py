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


@pytest.mark.parametrize("name", ["smoke", "cpu", "paper"])
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
