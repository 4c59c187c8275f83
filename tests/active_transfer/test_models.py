"""The parallel wavelet ResNets: the DWT bands against PyWavelets through the
model's own layer, the layout and parameter counts of Fig. 5 (our reading),
the transfer step (new head, early layers really frozen), the paper profile's
network at full size with one training step, and the suite's builder
contract (tests/test_builders.py checks this builder with the others)."""

import keras
import numpy as np
import pytest
import pywt

from reproductions.active_transfer import models
from reproductions.common import registry
from reproductions.active_transfer.profiles import PROFILES

PAPER = PROFILES["paper"]
SIZE = PAPER.image_size  # 112
#: count_params at the paper's size: SNPHEp-2's 5 classes, I3A's 6.
PAPER_COUNTS = {5: 612_101, 6: 612_230}
NAME = "parallel_wavelet_resnet"


def images(n, size=SIZE, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 1), dtype=np.float32)


@pytest.fixture(scope="module")
def source():
    keras.utils.set_random_seed(0)
    return models.ParallelWaveletResNet(input_shape=(SIZE, SIZE, 1), classes=5,
                                        bn_momentum=PAPER.settings.bn_momentum)


@pytest.mark.parametrize("wavelet", ["haar", "db2"])
def test_the_networks_get_the_dwt_bands_pywt_computes(wavelet):
    model = models.ParallelWaveletResNet(input_shape=(32, 32, 1), classes=3, filters=4,
                                         fusion_filters=8, wavelet=wavelet)
    dwt = model.get_layer("dwt")
    assert (dwt.wavelet, dwt.mode, dwt.output_mode) == (wavelet, "periodization",
                                                        "details_sum")
    x = images(3, 32)
    approx, details = (keras.ops.convert_to_numpy(t)
                       for t in keras.Model(model.input, dwt.output)(x))
    ca, (ch, cv, cd) = pywt.dwt2(x[..., 0].astype(np.float64), wavelet, mode="periodization",
                                 axes=(1, 2))
    np.testing.assert_allclose(approx[..., 0], ca, atol=1e-5)
    np.testing.assert_allclose(details[..., 0], ch + cv + cd, atol=1e-5)
    # network 1 reads the approximation, network 2 the sum of the details
    assert model.get_layer("approx_conv1").input is dwt.output[0]
    assert model.get_layer("detail_conv1").input is dwt.output[1]


def test_paper_size_layout_and_parameter_counts(source):
    assert source.count_params() == PAPER_COUNTS[5] == models.parameter_count(5)
    assert models.parameter_count(6) == PAPER_COUNTS[6]
    assert registry.model_entry(f"active_transfer.{NAME}").paper_count == PAPER_COUNTS[5]
    shapes = {name: tuple(source.get_layer(name).output.shape[1:]) for name in (
        "approx_conv1", "approx_pool1", "approx_block1_out", "approx_pool2",
        "detail_block2_out", "fusion_concat", "fusion_relu", "block5_out", "avg_pool")}
    assert shapes == {"approx_conv1": (56, 56, 64), "approx_pool1": (28, 28, 64),
                      "approx_block1_out": (28, 28, 64), "approx_pool2": (14, 14, 64),
                      "detail_block2_out": (14, 14, 64), "fusion_concat": (14, 14, 128),
                      "fusion_relu": (14, 14, 128), "block5_out": (14, 14, 128),
                      "avg_pool": (128,)}  # the sizes §2.1 states
    convolutions = [layer for layer in source.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convolutions) == 2 * (1 + 2 * 2) + 1 + 2  # conv1, 2 blocks × 2, fusion, block 5
    blocks = {layer.name.rsplit("_", 1)[0] for layer in source.layers
              if layer.name.endswith("_add")}
    assert blocks == {"approx_block1", "approx_block2", "detail_block1", "detail_block2",
                      "block5"}  # "five residual blocks in total"
    assert source.get_layer("fusion_conv").kernel_size == (1, 1)
    assert source.get_layer("fusion_conv_bn").momentum == 0.9


def test_input_must_survive_the_dwt_and_two_poolings():
    with pytest.raises(ValueError, match="divisible by 8"):
        models.ParallelWaveletResNet(input_shape=(60, 60, 1))


@pytest.fixture(scope="module")
def transferred(source):
    keras.utils.set_random_seed(1)
    return models.transfer(source, classes=6)


def test_transfer_copies_all_but_the_head_and_freezes_the_early_layers(source, transferred):
    assert transferred.count_params() == PAPER_COUNTS[6]
    assert transferred.output_shape == (None, 6)
    for layer in source.layers:
        if layer.name != models.HEAD:
            for mine, theirs in zip(transferred.get_layer(layer.name).weights, layer.weights):
                np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    frozen = sorted(layer.name for layer in transferred.layers if not layer.trainable)
    expected = sorted(f"{branch}_{name}" for branch in models.BRANCHES for name in (
        "conv1", "conv1_bn", "conv1_relu", "pool1", "block1_conv1", "block1_conv1_bn",
        "block1_relu1", "block1_conv2", "block1_conv2_bn", "block1_add", "block1_out",
        "pool2"))
    assert frozen == expected == sorted(models.early_layers(transferred))
    assert transferred.get_layer("approx_block2_conv1").trainable


def test_paper_profile_network_trains_one_step_with_the_early_layers_fixed(transferred):
    """The paper profile's target network at 112 px: one Adam step at the
    paper's learning rate changes block 2, the fusion, block 5 and the head,
    and nothing of what the paper keeps fixed -- BN statistics included."""
    model = transferred
    model.compile(optimizer=keras.optimizers.Adam(PAPER.settings.learning_rate),
                  loss="sparse_categorical_crossentropy", run_eagerly=True)
    before = {w.path: w.numpy().copy() for w in model.weights}
    loss = model.train_on_batch(images(4, seed=2), np.array([0, 1, 4, 5]))
    assert np.isfinite(loss) and int(model.optimizer.iterations.numpy()) == 1
    early = set(models.early_layers(model))
    changed = {w.path.split("/")[0] for w in model.weights
               if not np.array_equal(w.numpy(), before[w.path])}
    assert not changed & early
    assert {"approx_block2_conv1", "detail_block2_conv2", "fusion_conv", "block5_conv1",
            "predictions"} <= changed
    moved_statistics = {w.path.split("/")[0] for w in model.non_trainable_weights
                        if not np.array_equal(w.numpy(), before[w.path])}
    assert "block5_conv1_bn" in moved_statistics and not moved_statistics & early


def test_paper_profile_initial_learning_trains_one_step_everywhere():
    """The initial learning at 112 px on SNPHEp-2's 5 classes: every layer learns."""
    keras.utils.set_random_seed(3)
    model = models.ParallelWaveletResNet(input_shape=(SIZE, SIZE, 1), classes=5,
                                         bn_momentum=PAPER.settings.bn_momentum)
    model.compile(optimizer=keras.optimizers.Adam(PAPER.settings.learning_rate),
                  loss="sparse_categorical_crossentropy", run_eagerly=True)
    before = [w.numpy().copy() for w in model.trainable_weights]
    loss = model.train_on_batch(images(4, seed=4), np.array([0, 1, 2, 4]))
    assert np.isfinite(loss) and 0 < loss < 20
    assert all(not np.array_equal(w.numpy(), b) for w, b in zip(model.trainable_weights, before))


def test_saved_network_keeps_its_frozen_layers(transferred, tmp_path):
    transferred.save(tmp_path / "target.keras")
    loaded = keras.saving.load_model(tmp_path / "target.keras")
    assert sorted(models.early_layers(loaded)) == sorted(
        layer.name for layer in loaded.layers if not layer.trainable)
    x = images(2, seed=3)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), transferred.predict(x, verbose=0),
                               atol=1e-6)


def test_transfer_needs_a_parallel_wavelet_network():
    with pytest.raises(ValueError):
        inputs = keras.Input((8, 8, 1))
        plain = keras.layers.Dense(5, name="predictions")(
            keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs)))
        models.transfer(keras.Model(inputs, plain), classes=6)
