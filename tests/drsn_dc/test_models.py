"""DRSN-DC and the baselines: the ResNet-50 part is keras.applications'
ResNet-50 layer for layer, the soft threshold sits on the residual branch,
the fusion and diagram shapes, and parameter counts from closed forms
(pinned at the paper's size in ``test_paper_profile.py``).

What every builder must do (gradients reach every weight, .keras and
.weights.h5 round trips, ``include_top=False``) is checked for every
registered builder by ``tests/test_builders.py``."""
import math

import keras
import numpy as np
import pytest

import layers
from reproductions.common import zoo
from reproductions.drsn_dc import models
from tests.super_xception.test_models import SR_PARAMS, super_alexnet_params

SIDE = 32
C = 1


# --- closed forms -------------------------------------------------------------

def _conv(c_in, k, filters, bias=True):
    return k * k * c_in * filters + (filters if bias else 0)


def shrink_params(channels, reduction=1):
    units = max(1, channels // reduction)
    return channels * units + 4 * units + units * channels + channels  # fc1 (no bias), BN, fc2


def resnet50_conv_params(c_in, shrinkage=False, reduction=1):
    """keras.applications.ResNet50(include_top=False) on ``c_in`` channels,
    plus a soft threshold in each of its 16 units."""
    n = _conv(c_in, 7, 64) + 4 * 64
    c = 64
    for _, width, units, _ in models.RESNET50_STAGES:
        for i in range(units):
            n += _conv(c, 1, width) + 4 * width + _conv(width, 3, width) + 4 * width
            n += _conv(width, 1, 4 * width) + 4 * 4 * width
            if i == 0:
                n += _conv(c, 1, 4 * width) + 4 * 4 * width
            if shrinkage:
                n += shrink_params(4 * width, reduction)
            c = 4 * width
    return n


def drsn_dc_params(classes, *, dilated=True, shrinkage=True, fusion=True,
                   filters=models.DILATED_FILTERS, include_top=True):
    n_rates = len(models.DILATION_RATES)
    n = n_rates * (_conv(C, 3, filters, bias=False) + 4 * filters) if dilated else 0
    n += resnet50_conv_params(n_rates * filters if dilated else C, shrinkage)
    features = 2048 + (n_rates * filters if fusion else 0)
    return n + (features * classes + classes if include_top else 0)


def vgg19_params(side, classes, include_top=True):
    widths = [64] * 2 + [128] * 2 + [256] * 4 + [512] * 8
    n, c = 0, C
    for w in widths:
        n += _conv(c, 3, w)
        c = w
    if not include_top:
        return n
    flat = (side // 32) ** 2 * 512  # five 2×2 'valid' poolings
    return n + flat * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * classes + classes


def googlenet_params(classes, include_top=True):
    n = _conv(C, 7, 64, bias=False) + 4 * 64 + _conv(64, 1, 64, bias=False) + 4 * 64
    n += _conv(64, 3, 192, bias=False) + 4 * 192
    c = 192
    for widths in zoo.GOOGLENET_INCEPTION.values():
        config = dict(zip(zoo.INCEPTION_KEYS, widths))
        n += layers.InceptionBlock.expected_param_count(c, **config, batch_norm=True)
        c = layers.InceptionBlock.output_channels(**config)
    assert c == 1024
    return n + (c * classes + classes if include_top else 0)


def expected_parameters(name, side=224, classes=9):
    """Closed-form ``count_params()`` of every builder at ``side`` px."""
    if name == "alexnet":
        return super_alexnet_params(side, classes) - SR_PARAMS  # the same AlexNet, no SR
    if name == "googlenet":
        return googlenet_params(classes)
    if name == "vgg19":
        return vgg19_params(side, classes)
    if name == "resnet50":
        return drsn_dc_params(classes, dilated=False, shrinkage=False, fusion=False)
    return drsn_dc_params(classes, dilated=name != "drsn", fusion=name == "drsn_dc")


# --- tests --------------------------------------------------------------------

def layer_signature(model):
    """(class, name, output shape, variable shapes) of every layer but the input."""
    return [(type(layer).__name__, layer.name, tuple(layer.output.shape),
             [tuple(w.shape) for w in layer.weights])
            for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


# the reference on the dilated module's 96 channels: keras.applications warns
# that ImageNet models expect 1 or 3, which is not the point here
@pytest.mark.filterwarnings("ignore:This model usually expects 1 or 3 input channels")
@pytest.mark.parametrize("channels", [1, 3 * models.DILATED_FILTERS])
def test_resnet_part_is_keras_applications_resnet50(channels):
    """Shrinkage off, the residual network is keras.applications.ResNet50's
    convolutional part: same layers, names, shapes and weights, in order --
    on the image (the resnet50 row) and on the dilated features (DRSN-DC)."""
    reference = keras.applications.ResNet50(include_top=False, weights=None,
                                            input_shape=(SIDE, SIDE, channels))
    inputs = keras.Input((SIDE, SIDE, channels))
    ours = keras.Model(inputs, models.residual_network(inputs, shrinkage=False))
    assert layer_signature(ours) == layer_signature(reference)
    assert ours.count_params() == reference.count_params() == resnet50_conv_params(channels)


def test_drsn_dc_with_every_module_off_is_resnet50():
    reference = keras.applications.ResNet50(weights=None, input_shape=(SIDE, SIDE, C), classes=5)
    ours = models.DRSNDC(input_shape=(SIDE, SIDE, C), classes=5, dilated=False, shrinkage=False,
                         fusion=False)
    assert layer_signature(ours) == layer_signature(reference)
    assert layer_signature(models.ResNet50(input_shape=(SIDE, SIDE, C), classes=5)) == \
        layer_signature(reference)


def test_shrinkage_adds_one_soft_threshold_per_residual_unit():
    plain = resnet50_conv_params(C)
    with_shrinkage = resnet50_conv_params(C, shrinkage=True)
    # 3 × 256 + 4 × 512 + 6 × 1024 + 3 × 2048 channels, two C×C FCs each
    assert with_shrinkage - plain == sum(
        units * shrink_params(4 * width) for _, width, units, _ in models.RESNET50_STAGES)
    assert with_shrinkage - plain == 40_314_624


@pytest.fixture(scope="module")
def drsn_dc():
    keras.utils.set_random_seed(0)
    return models.DRSNDC(input_shape=(SIDE, SIDE, C), classes=4)


def _units():
    return [f"{stage}_block{i}" for stage, _, units, _ in models.RESNET50_STAGES
            for i in range(1, units + 1)]


def test_soft_threshold_is_on_the_residual_branch_before_the_addition(drsn_dc):
    units = _units()
    assert len(units) == 16
    shrinks = [layer for layer in drsn_dc.layers if isinstance(layer, layers.SoftThreshold)]
    assert [s.name for s in shrinks] == [f"{u}_shrink" for u in units]
    for unit in units:
        shrink, add = drsn_dc.get_layer(f"{unit}_shrink"), drsn_dc.get_layer(f"{unit}_add")
        assert shrink.input is drsn_dc.get_layer(f"{unit}_3_bn").output
        shortcut, residual = add.input
        assert residual is shrink.output
        shortcut_from = (drsn_dc.get_layer(f"{unit}_0_bn").output if unit.endswith("block1")
                         else shrink.input)
        if unit.endswith("block1"):
            assert shortcut is shortcut_from  # the projection, not thresholded
        else:
            assert shortcut is not residual  # the identity: the unit's input
        assert shrink.reduction == 1  # Zhao et al.: FC1 as wide as the channels


def test_soft_threshold_zeroes_the_band_and_shrinks_the_rest(drsn_dc):
    """In a trained-mode forward pass, a unit's residual branch after the
    shrinkage is sign(z)·max(|z| − τ, 0) of its BN output z, with
    0 < τ < mean|z| per sample and channel, and some of it exactly zero."""
    unit = "conv3_block2"
    shrink = drsn_dc.get_layer(f"{unit}_shrink")
    probe = keras.Model(drsn_dc.input, [shrink.input, shrink.output])
    x = np.random.default_rng(0).random((2, SIDE, SIDE, C), dtype=np.float32)
    z, y = (keras.ops.convert_to_numpy(t) for t in probe(x, training=False))
    tau = keras.ops.convert_to_numpy(shrink.thresholds(z, training=False))
    assert tau.shape == (2, 1, 1, 512)
    assert np.all(tau > 0) and np.all(tau < np.abs(z).mean(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(y, np.sign(z) * np.maximum(np.abs(z) - tau, 0), atol=1e-5)
    inside = np.abs(z) <= tau
    assert inside.any() and np.all(y[inside] == 0)
    assert np.all(np.abs(y[~inside]) < np.abs(z[~inside]))


@pytest.mark.parametrize("side", [32, 50, 75])
def test_fusion_concatenates_pooled_branches_on_the_residual_grid(side):
    d = 4
    model = models.DRSNDC(input_shape=(side, side, C), classes=3, dilated_filters=d)
    grid = models.feature_side(side)
    assert grid == math.ceil(side / 32)
    assert model.get_layer("conv5_block3_out").output.shape == (None, grid, grid, 2048)
    for rate in models.DILATION_RATES:
        assert model.get_layer(f"fusion_pool_d{rate}").output.shape == (None, grid, grid, d)
    fusion = model.get_layer("fusion")
    assert fusion.output.shape == (None, grid, grid, 2048 + 3 * d)
    assert fusion.input[0] is model.get_layer("conv5_block3_out").output
    branches = model.get_layer("dilated").output
    for branch, pooled in zip(branches, fusion.input[1:]):
        assert branch.shape == (None, side, side, d)
        assert pooled.shape == (None, grid, grid, d)
    assert model.count_params() == drsn_dc_params(3, filters=d)


def test_dilated_module_feeds_the_residual_network(drsn_dc):
    dilated = drsn_dc.get_layer("dilated")
    assert dilated.rates == (1, 2, 3) and dilated.kernel_size == (3, 3)
    assert dilated.filters == (models.DILATED_FILTERS,) * 3 and dilated.batch_norm
    assert drsn_dc.get_layer("conv1_pad").input is drsn_dc.get_layer("dilated_concat").output
    assert drsn_dc.get_layer("conv1_conv").kernel.shape == (7, 7, 3 * models.DILATED_FILTERS, 64)


def test_diagram_shapes_are_the_models():
    side, classes, d = 64, 6, models.DILATED_FILTERS
    model = models.DRSNDC(input_shape=(side, side, C), classes=classes)
    column = models.DIAGRAM_COLUMN
    shapes = {line[:column].strip(): line[column:].strip()
              for line in models.architecture_diagram(side, classes).splitlines()
              if len(line) > column and not line.startswith("  ")}

    def text(layer):
        return "×".join(map(str, model.get_layer(layer).output.shape[1:]))

    assert shapes["input"] == f"{side}×{side}×1"
    assert shapes["├─ concatenate"] == text("dilated_concat")
    assert shapes["│  max pool 3×3/2"] == text("pool1_pool")
    for stage, width, units, _ in models.RESNET50_STAGES:
        line = next(k for k in shapes if k.startswith(f"│  {stage}:"))
        assert shapes[line] == text(f"{stage}_block{units}_out")
    assert shapes["└─ each branch: average pool 32×32/32"] == "3 × " + text("fusion_pool_d1")
    assert shapes["fusion: concatenate [conv5 output, pooled branches]"] == text("fusion")
    assert shapes["FC → softmax"] == str(classes) == str(model.output_shape[-1])
    assert f"3×3 conv ×{d}, rates 1, 2, 3" in models.architecture_diagram(side, classes)


@pytest.mark.parametrize("name", list(models.BUILDERS))
def test_parameter_counts_follow_the_closed_forms(name):
    model = models.build(name, input_shape=(64, 64, C), classes=6)
    assert model.count_params() == expected_parameters(name, 64, 6)
    assert model.output_shape == (None, 6)
    keras.backend.clear_session()


def test_the_baselines():
    vgg = models.VGG19(input_shape=(SIDE, SIDE, C), classes=3)
    assert [layer.name for layer in vgg.layers[-3:]] == ["fc1", "fc2", "predictions"]
    googlenet = models.GoogLeNet(input_shape=(SIDE, SIDE, C), classes=3)
    assert googlenet.get_layer("inception_5b").output.shape == (None, 1, 1, 1024)
    assert [b.name for b in googlenet.layers if isinstance(b, layers.InceptionBlock)] == [
        f"inception_{k}" for k in zoo.GOOGLENET_INCEPTION]
    alexnet = models.AlexNet(input_shape=(SIDE, SIDE, C), classes=3)
    assert alexnet.get_layer("alexnet").get_layer("fc7").output.shape == (None, 4096)


def test_bad_arguments():
    with pytest.raises(ValueError, match="fusion concatenates the dilated branches"):
        models.DRSNDC(input_shape=(SIDE, SIDE, C), dilated=False)
    with pytest.raises(KeyError, match="unknown model"):
        models.build("resnet101")


@pytest.mark.parametrize("builder", ["ResNet50", "VGG19"])
def test_applications_take_a_plain_tensor_without_a_structure_warning(builder):
    import warnings

    import numpy as np

    model = getattr(models, builder)(input_shape=(32, 32, 1), classes=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "The structure of `inputs` doesn't match"
        out = model(np.zeros((2, 32, 32, 1), "float32"))
    assert out.shape == (2, 6)
