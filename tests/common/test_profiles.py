"""Profiles as data: selection, command-line overrides, per-row epochs and seeds."""
import argparse
import dataclasses

import pytest

from reproductions.common import cli
from reproductions.common.errors import UserError
from reproductions.common.profiles import Profile, select

PROFILES = {
    "smoke": Profile(name="smoke", description="tiny", image_size=32, batch_size=4,
                     epochs={"*": 1, "big": 3}, seeds=(0, 1, 2),
                     multi_seed_rows=("big",), reductions=("tiny data",)),
    "cpu": Profile(name="cpu", description="cpu", image_size=64, batch_size=16,
                   epochs={"big": 5}),
}


def _args(**kw):
    base = dict(profile="smoke", seed=None, num_seeds=None, epochs=None, batch_size=None,
                image_size=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_unknown_profile_names_the_choices():
    with pytest.raises(UserError) as err:
        select(PROFILES, "gpu")
    message = str(err.value)
    assert "'gpu'" in message
    assert "smoke" in message and "cpu" in message


def test_no_override_returns_the_stored_profile_unchanged():
    assert select(PROFILES, "smoke") is PROFILES["smoke"]
    assert cli.resolve_profile(_args(), PROFILES) is PROFILES["smoke"]


def test_overrides_are_applied_and_listed_as_reductions():
    p = cli.resolve_profile(_args(epochs=7, batch_size=2, image_size=40, seed=10), PROFILES)
    assert p.epochs_for("big") == 7 and p.epochs_for("anything") == 7
    assert p.batch_size == 2
    assert p.image_size == 40
    assert p.seeds == (10, 11, 12)  # as many seeds as the profile has, from --seed on
    assert p.reductions[0] == "tiny data"  # the profile's own reductions kept, first
    added = " ".join(p.reductions[1:])
    for flag in ("--epochs 7", "--batch-size 2", "--image-size 40", "--seeds 10,11,12"):
        assert flag in added
    assert len(p.reductions) == 5
    # the stored profile is untouched
    assert PROFILES["smoke"].batch_size == 4 and PROFILES["smoke"].reductions == ("tiny data",)


def test_num_seeds_runs_the_multi_seed_rows_on_more_seeds():
    p = cli.resolve_profile(_args(num_seeds=6), PROFILES)
    assert p.seeds == (0, 1, 2, 3, 4, 5)  # the profile's seeds first, then more
    assert p.seeds_for("big") == p.seeds and p.seeds_for("small") == (0,)
    assert p.reductions[1] == "--seeds 0,1,2,3,4,5 overrides 0,1,2"
    assert cli.resolve_profile(_args(num_seeds=2, seed=4), PROFILES).seeds == (4, 5)
    with pytest.raises(UserError, match="--num-seeds must be at least 1"):
        cli.resolve_profile(_args(num_seeds=0), PROFILES)
    # the option is parsed by every paper command
    parser = cli.build_parser("demo", "a demo", PROFILES, ("big",))
    assert parser.parse_args(["--num-seeds", "6"]).num_seeds == 6


@pytest.mark.parametrize("kw", [{"epochs": 0}, {"batch_size": 0}, {"image_size": 4}])
def test_out_of_range_overrides_are_user_errors(kw):
    with pytest.raises(UserError):
        select(PROFILES, "smoke", **kw)


def test_epochs_for_uses_star_fallback_and_fails_without_it():
    smoke = PROFILES["smoke"]
    assert smoke.epochs_for("big") == 3
    assert smoke.epochs_for("other") == 1
    with pytest.raises(KeyError, match="other"):
        PROFILES["cpu"].epochs_for("other")


def test_seeds_for_multi_seed_rows_only():
    smoke = PROFILES["smoke"]
    assert smoke.seeds_for("big") == (0, 1, 2)
    assert smoke.seeds_for("other") == (0,)


def test_to_json_is_plain_data():
    data = PROFILES["smoke"].to_json()
    assert data["name"] == "smoke" and data["epochs"] == {"*": 1, "big": 3}


def test_patience_for_takes_an_int_or_a_per_row_mapping():
    base = PROFILES["cpu"]
    assert dataclasses.replace(base, patience=None).patience_for("big") is None
    assert dataclasses.replace(base, patience=4).patience_for("anything") == 4
    per_row = dataclasses.replace(base, patience={"big": 15, "*": 5})
    assert per_row.patience_for("big") == 15 and per_row.patience_for("small") == 5
    with pytest.raises(KeyError, match="small"):
        dataclasses.replace(base, patience={"big": 15}).patience_for("small")
