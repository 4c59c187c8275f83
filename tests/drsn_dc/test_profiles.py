"""The profiles as data: keys, seeds, the cpu profile's size and stopping rule."""
import pytest

from reproductions.drsn_dc import models, protocol
from reproductions.drsn_dc.paper import PAPER
from reproductions.drsn_dc.profiles import PROFILES

KEYS = {"learning_rate", "whole_expanded_set", "bn_recalibration_images"}


@pytest.mark.parametrize("name", ["smoke", "cpu", "paper"])
def test_profile_is_complete(name):
    profile = PROFILES[name]
    assert KEYS <= set(profile.settings.to_json())  # recorded in every run
    assert profile.settings.learning_rate == protocol.LEARNING_RATE
    assert profile.multi_seed_rows == ("resnet50", "drsn_dc")
    assert set(profile.multi_seed_rows) <= set(PAPER.rows)
    assert profile.image_size >= 32  # ResNet-50's and VGG-19's minimum
    assert all(profile.epochs_for(row) >= 1 for row in PAPER.rows)
    assert any("Adam" in r for r in profile.reductions)


def test_cpu_profile_converges_and_is_measured():
    profile = PROFILES["cpu"]
    assert profile.image_size == 64 and profile.batch_size == 32
    assert profile.patience == 5 and profile.epochs_for("drsn_dc") == 40
    assert profile.seeds_for("drsn_dc") == profile.seeds_for("resnet50") == (0, 1, 2)
    assert profile.seeds_for("vgg19") == (0,)
    assert profile.subset == {}  # every image of every split
    assert profile.settings.whole_expanded_set is False
    assert profile.settings.bn_recalibration_images == 512
    import importlib.resources
    notes = importlib.resources.files("reproductions.drsn_dc").joinpath("NOTES.md").read_text()
    measurement = notes.partition("## The cpu profile's input size, by measurement")[2]
    assert "64 px" in measurement and "10.3 CPU-hours" in measurement


def test_smoke_profile_is_small_and_eager():
    profile = PROFILES["smoke"]
    assert profile.settings.run_eagerly is True
    assert profile.subset == {"train": 24, "validation": 12, "test": 12}
    assert profile.epochs_for("drsn_dc") == 1 and profile.patience is None
    assert set(models.ABLATION) <= set(models.BUILDERS)
