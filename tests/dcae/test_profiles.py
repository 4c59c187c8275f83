"""The profiles as data: keys, the cpu profile's setting and budget."""
import pytest

from reproductions.dcae import models
from reproductions.dcae.paper import PAPER
from reproductions.dcae.profiles import PROFILES
from tests.dcae.test_models import TABLE1

KEYS = {"width", "latent_dim", "ae_learning_rate", "gao_size", "gao_rotations",
        "feature_size", "folds", "validation_fraction"}


@pytest.mark.parametrize("name", ["smoke", "cpu", "cell_level", "paper"])
def test_profile_is_complete(name):
    profile = PROFILES[name]
    assert KEYS <= set(profile.settings.to_json())  # recorded in every run
    assert profile.image_size % 16 == 0
    assert profile.settings.latent_dim == 4096  # the ANN is 4096-250-50-5 everywhere
    assert set(profile.multi_seed_rows) <= set(PAPER.rows)
    assert profile.patience and profile.reductions
    assert all(profile.epochs_for(row) >= 1 for row in PAPER.rows)


def test_cpu_profile_keeps_table1s_topology():
    cpu = PROFILES["cpu"]
    assert (cpu.image_size, cpu.settings.width) == (128, 1 / 4)
    model = models.DCAE(input_shape=(128, 128, 1), width=cpu.settings.width,
                        latent_dim=cpu.settings.latent_dim)
    assert [layer.name for layer in model.layers[1:]] == list(TABLE1)
    assert models.widths(cpu.settings.width) == (16, 32, 64, 128)
    assert model.get_layer("conv5").kernel_size == (8, 8)
    assert model.count_params() == 67_307_265


def test_cpu_profile_budget():
    """profiles.py's arithmetic: ~4,650 autoencoder image-equivalents per epoch
    of all 8 runs; at the measured ≤ 0.038 CPU-s per image and the epoch cap,
    at most ~5 CPU-hours of autoencoder training."""
    cpu = PROFILES["cpu"]
    train, validation, fold_train, fold_validation = 815, 90, 408, 45
    per_epoch = (len(cpu.seeds) * (train + validation / 3)
                 + len(cpu.settings.folds) * (fold_train + fold_validation / 3))
    assert per_epoch == pytest.approx(4_650, rel=0.01)
    worst = per_epoch * cpu.epochs_for("dcae_autoencoder") * 0.038 / 3600
    assert worst < 5.0
    assert cpu.seeds_for("dcae") == cpu.seeds_for("gao_cnn") == (0, 1, 2)
    assert cpu.patience == 10 and cpu.subset == {}


@pytest.mark.parametrize("name", ["cpu", "paper"])
def test_gao_cnn_trains_on_gao_s_rotation_set(name):
    """18° apart, ×20: the step Vununu et al. (2021, §3.1) give as Gao et al.'s."""
    assert PROFILES[name].settings.gao_rotations == 20
