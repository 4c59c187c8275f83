"""The ``paper`` profile's path (the one a GPU user runs): every Table 1 row
built at the paper's size (50×50 input upsampled to 227×227) with its
parameter count, and ONE training step with the row's own optimizer.

Runs in CI on CPU (no GPU needed). To stay fast the step runs eagerly: tracing
and XLA-compiling a full-size Xception or ResNet-50 costs about a minute per
model on 2 CPU cores, while the eager step takes a few seconds; the compiled
``fit`` path is exercised by ``test_smoke.py`` and ``tests/common/test_training.py``.
"""
import keras
import numpy as np
import pytest

from reproductions.super_xception import models
from reproductions.super_xception.__main__ import optimizer_for
from reproductions.super_xception import paper as paper_spec
from reproductions.super_xception.profiles import PROFILES
from tests.super_xception.test_models import SR_PARAMS, deep_cnn_params, super_alexnet_params

ROWS = paper_spec.PAPER.rows

PAPER = PROFILES["paper"]
HR = PAPER.image_size
LOW = PAPER.settings.low_res


def test_paper_profile_is_the_papers_protocol():
    assert HR == 227 and LOW == 50
    assert {row: PAPER.epochs_for(row) for row in ROWS} == {
        "deep_cnn": 150, "resnet50": 30, "super_alexnet": 100, "super_resnet": 30,
        "xception": 50, "super_xception": 80}
    assert PAPER.settings.length_normalization is True
    adam = optimizer_for("xception")
    assert isinstance(adam, keras.optimizers.Adam)
    assert float(keras.ops.convert_to_numpy(adam.learning_rate)) == pytest.approx(1e-4)
    sgd = optimizer_for("resnet50")
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.nesterov and sgd.momentum == 0.9
    schedule = keras.optimizers.schedules.deserialize(sgd.get_config()["learning_rate"])
    assert float(schedule(0)) == pytest.approx(1e-3)
    assert float(schedule(1_000_000)) == pytest.approx(1e-3 / 2)  # Keras 1 decay 1e-6/step


@pytest.fixture(scope="module")
def reference_counts():
    """keras.applications at the paper size, built once."""
    counts = {
        "xception": keras.applications.Xception(
            weights=None, input_shape=(HR, HR, 1), classes=24).count_params(),
        "resnet50": keras.applications.ResNet50(
            weights=None, input_shape=(HR, HR, 1), classes=24).count_params(),
    }
    keras.backend.clear_session()
    return counts


def expected_params(row, reference_counts):
    return {
        "deep_cnn": deep_cnn_params(HR),
        "resnet50": reference_counts["resnet50"],
        "super_resnet": reference_counts["resnet50"] + SR_PARAMS,
        "super_alexnet": super_alexnet_params(HR),
        "xception": reference_counts["xception"],
        "super_xception": reference_counts["xception"] + SR_PARAMS,
    }[row]


@pytest.mark.parametrize("row", ROWS)
def test_row_at_paper_size_trains_one_step(row, reference_counts):
    keras.utils.set_random_seed(0)
    model = models.build(row, input_shape=(LOW, LOW, 1), hr_size=HR, classes=24)
    assert model.count_params() == expected_params(row, reference_counts)
    assert model.output_shape == (None, 24)
    assert model.get_layer("bicubic_upsample").output.shape == (None, HR, HR, 1)

    optimizer = optimizer_for(row)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    head = model.get_layer("predictions").kernel
    before = keras.ops.convert_to_numpy(head).copy()
    x = np.random.default_rng(0).random((2, LOW, LOW, 1), dtype=np.float32)
    loss = model.train_on_batch(x, np.array([0, 23]))
    assert np.isfinite(loss) and 0 < loss < 20
    assert int(optimizer.iterations.numpy()) == 1
    assert not np.array_equal(keras.ops.convert_to_numpy(head), before)
    del model, optimizer
    keras.backend.clear_session()
