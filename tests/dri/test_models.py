"""The four networks: parameter counts from the layers' closed forms, the
three heads, one paper-profile SGD step, the exported summed model."""
import keras
import numpy as np
import pytest

import layers as L
from reproductions.common import registry
from reproductions.dri import models, protocol
from reproductions.dri.profiles import PROFILES

CLASSES = 6
PAPER = PROFILES["paper"]
SIZE = PAPER.image_size  # 76, as in the paper


def conv_bn_prelu(c_in, k, f):
    """Stem unit: bias-free conv, BN (4 weights per channel), PReLU slope per channel."""
    return k * k * c_in * f + 4 * f + f


def aux_head(c_in, side, classes):
    pooled = (side - 5) // 3 + 1  # average pooling 5×5, stride 3, 'valid'
    return ((c_in * 128 + 128) + 128                       # conv 1×1 ×128 + PReLU
            + (pooled * pooled * 128 * 1024 + 1024) + 1024  # FCn-0 + PReLU
            + (1024 * classes + classes))                   # FCn


def expected_parameters(variant, classes=CLASSES):
    """Stem + Table 1 blocks (closed forms of layers/dri.py) + heads."""
    total = conv_bn_prelu(1, 7, 64) + conv_bn_prelu(64, 1, 64) + conv_bn_prelu(64, 3, 192)
    c = 192
    stage_channels = []
    preact = variant in ("dri", "sri")
    for blocks in models.stages(variant):
        for name in blocks:
            if preact:
                cfg = L.DRI_TABLE1[name]
                total += L.DRIBlock.expected_param_count(c, **cfg)
                c = L.DRIBlock.output_channels(**cfg)
            else:
                cfg = models.inception_config(name)
                total += L.InceptionBlock.expected_param_count(
                    c, **cfg, activation="prelu", batch_norm=True)
                c = L.InceptionBlock.output_channels(**cfg)
        stage_channels.append(c)
    if preact:
        total += sum(4 * ch + ch for ch in stage_channels)  # BN → PReLU before the heads
    total += aux_head(stage_channels[0], 19, classes) + aux_head(stage_channels[1], 10, classes)
    return total + stage_channels[2] * classes + classes


@pytest.fixture(scope="module")
def built():
    cache = {}

    def get(variant):
        if variant not in cache:
            cache[variant] = models.DRI(variant, input_shape=(SIZE, SIZE, 1), classes=CLASSES,
                                        bn_momentum=PAPER.settings.bn_momentum)
        return cache[variant]
    return get


def test_layouts():
    assert models.stages("dri") == (("1-1", "1-2"), ("2-1", "2-2", "2-3"), ("3-1", "3-2"))
    assert models.stages("inception") == models.stages("dri")
    # SRI = DRI without 1-2, 2-3 and 3-2
    assert models.stages("sri") == (("1-1",), ("2-1", "2-2"), ("3-1",))
    assert models.stages("shallow_inception") == models.stages("sri")
    # with the two DRI changes undone, blocks 1-1/1-2 are GoogLeNet's Inception 3a/3b
    assert L.InceptionBlock.output_channels(**models.inception_config("1-1")) == 256
    assert L.InceptionBlock.output_channels(**models.inception_config("1-2")) == 480


@pytest.mark.parametrize("variant", models.VARIANTS)
def test_parameter_count_and_heads(variant, built):
    model = built(variant)
    assert model.count_params() == expected_parameters(variant)
    assert model.output_names == ["fc1", "fc2", "fc3"]
    assert [tuple(o.shape) for o in model.outputs] == [(None, CLASSES)] * 3
    blocks = [layer for layer in model.layers
              if isinstance(layer, (L.DRIBlock, L.InceptionBlock))]
    assert len(blocks) == (7 if variant in ("dri", "inception") else 4)
    kind = L.DRIBlock if variant in ("dri", "sri") else L.InceptionBlock
    assert all(type(b) is kind for b in blocks)
    # the strides of the text: aux pooling 5×5/3, stem convolution /2
    assert model.get_layer("fc1_avgpool").strides == (3, 3)
    assert model.get_layer("fc1_avgpool").output.shape[1:3] == (5, 5)
    assert model.get_layer("fc2_avgpool").output.shape[1:3] == (2, 2)
    assert model.get_layer("stem_conv1").strides == (2, 2)
    assert model.get_layer("fc1_0_dropout").rate == model.get_layer("fc2_0_dropout").rate == 0.7


@pytest.mark.parametrize("variant", models.VARIANTS)
def test_registered_paper_counts_are_the_closed_forms(variant):
    assert registry.model_entry(f"dri.{variant}").paper_count == expected_parameters(variant)


def test_parameter_counts_are_ordered():
    counts = {v: expected_parameters(v) for v in models.VARIANTS}
    assert (counts["shallow_inception"] < counts["sri"] < counts["inception"]
            < counts["dri"])


@pytest.mark.parametrize("variant", models.VARIANTS)
def test_paper_profile_one_step_updates_every_weight(variant, built):
    """The paper's configuration at full size (76×76, SGD 0.9, lr 0.001 with
    the 10,000-iteration step, joint loss 0.3/0.3/1): one training step on a
    tiny batch changes every trainable weight, i.e. each gets a gradient."""
    model = built(variant)
    assert tuple(model.input_shape) == (None, SIZE, SIZE, 1)
    protocol.compile_model(model, steps_per_decay=PAPER.settings.steps_per_decay,
                           base_lr=PAPER.settings.base_lr, run_eagerly=True)
    rng = np.random.default_rng(0)
    x = rng.random((4, SIZE, SIZE, 1), dtype=np.float32)
    y = np.array([0, 1, 2, 5])
    before = [w.numpy().copy() for w in model.trainable_weights]
    logs = model.train_on_batch(x, protocol.head_targets(x, y), return_dict=True)
    assert np.isfinite(logs["loss"])
    unchanged = [w.path for w, b in zip(model.trainable_weights, before)
                 if np.array_equal(w.numpy(), b)]
    assert not unchanged
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)


def test_joint_loss_weights():
    model = models.DRI("sri", input_shape=(40, 40, 1), classes=3)
    protocol.compile_model(model, steps_per_decay=10, run_eagerly=True)
    x = np.random.default_rng(1).random((3, 40, 40, 1), dtype=np.float32)
    y = np.array([0, 1, 2])
    logs = model.test_on_batch(x, protocol.head_targets(x, y), return_dict=True)
    joint = 0.3 * logs["fc1_loss"] + 0.3 * logs["fc2_loss"] + logs["fc3_loss"]
    assert logs["loss"] == pytest.approx(joint, rel=1e-5)


def test_exported_sum_model_round_trip(built, tmp_path):
    model = built("dri")
    x = np.random.default_rng(2).random((3, SIZE, SIZE, 1), dtype=np.float32)
    heads = model.predict(x, verbose=0)
    path = models.export_inference_model(model, tmp_path / "dri_sum.keras")
    loaded = keras.saving.load_model(path)  # no custom_objects needed
    summed = loaded.predict(x, verbose=0)
    assert summed.shape == (3, CLASSES)
    np.testing.assert_allclose(summed, protocol.summed_predictions(heads, models.HEADS),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(summed.sum(axis=1), 3.0, rtol=1e-5)
    fc13 = models.inference_model(model, ("fc1", "fc3")).predict(x, verbose=0)
    np.testing.assert_allclose(fc13, heads[0] + heads[2], rtol=1e-5, atol=1e-6)


def batch_norms(layer):
    return [sub for sub in layer._flatten_layers(include_self=True)
            if isinstance(sub, keras.layers.BatchNormalization)]


@pytest.mark.parametrize("variant", ["sri", "shallow_inception"])
def test_bn_momentum_reaches_every_batch_norm(variant):
    model = models.DRI(variant, input_shape=(40, 40, 1), bn_momentum=0.9)
    norms = batch_norms(model)
    # stem 3 + 4 blocks × (7 pre-activation units | 6 conv-BN units) + 3 stage outputs
    assert len(norms) == (3 + 4 * 7 + 3 if variant == "sri" else 3 + 4 * 6)
    assert {bn.momentum for bn in norms} == {0.9}


def test_bn_momentum_survives_save_and_load(tmp_path):
    """The momentum is part of every block's config, so a reloaded model
    continues training as it was built (not with Keras' default 0.99)."""
    model = models.DRI("shallow_inception", input_shape=(40, 40, 1), bn_momentum=0.9)
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert {bn.momentum for bn in batch_norms(reloaded)} == {0.9}


def test_include_top_false_and_errors():
    trunk = models.DRI("sri", include_top=False, input_shape=(40, 40, 1), pooling="avg")
    assert tuple(trunk.output.shape) == (None, L.DRIBlock.output_channels(**L.DRI_TABLE1["3-1"]))
    with pytest.raises(ValueError, match="unknown variant"):
        models.DRI("resnet")
    with pytest.raises(ValueError, match="pooling"):
        models.DRI("dri", include_top=False, pooling="sum")


def test_batch_norm_recalibration_reaches_the_blocks():
    """common.training.recalibrate_batch_norm also re-estimates the BN layers
    inside DRIBlock / InceptionBlock (sublayers that ``Model.layers`` hides)."""
    from reproductions.common import training
    model = models.DRI("sri", input_shape=(40, 40, 1))
    norms = batch_norms(model)
    images = np.random.default_rng(3).random((6, 40, 40, 1), dtype=np.float32)
    assert training.recalibrate_batch_norm(model, images, batch_size=3) == len(norms) == 34
    assert all(float(np.abs(bn.moving_mean.numpy()).max()) > 0 for bn in norms)
