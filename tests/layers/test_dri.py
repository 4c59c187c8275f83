"""DRIBlock / InceptionBlock / PreActConv2D (Li & Shen 2017)."""

import keras
import numpy as np
import pytest

import layers as L

# Output channels implied by Table 1 (1x1 + 3x3 + last 3x3 of the 5x5 branch + pool proj),
# summed by hand from the paper.
TABLE1_OUTPUT_CHANNELS = {
    "1-1": 64 + 128 + 64 + 32,  # 288
    "1-2": 128 + 192 + 128 + 64,  # 512
    "2-1": 192 + 224 + 96 + 64,  # 576
    "2-2": 160 + 256 + 128 + 64,  # 608
    "2-3": 244 + 288 + 128 + 64,  # 724
    "3-1": 256 + 320 + 256 + 128,  # 960
    "3-2": 384 + 384 + 256 + 128,  # 1152
}


def test_table1_has_the_seven_blocks_in_order():
    assert list(L.DRI_TABLE1) == ["1-1", "1-2", "2-1", "2-2", "2-3", "3-1", "3-2"]
    assert L.DRI_TABLE1["2-3"]["filters_1x1"] == 244  # kept as printed
    with pytest.raises(TypeError):
        L.DRI_TABLE1["1-1"]["filters_1x1"] = 1  # read-only data


@pytest.mark.parametrize("name", list(TABLE1_OUTPUT_CHANNELS))
def test_table1_output_channels_and_param_count(name, rng):
    config = L.DRI_TABLE1[name]
    in_channels = 16
    block = L.DRIBlock(**config)
    y = block(rng.normal(size=(1, 4, 4, in_channels)).astype("float32"))
    assert y.shape == (1, 4, 4, TABLE1_OUTPUT_CHANNELS[name])
    assert L.DRIBlock.output_channels(**config) == TABLE1_OUTPUT_CHANNELS[name]
    assert block.count_params() == L.DRIBlock.expected_param_count(in_channels, **config)
    trainable = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
    assert trainable == L.DRIBlock.expected_param_count(in_channels, trainable_only=True, **config)


def test_table1_blocks_chain():
    # each block consumes the previous block's output (192 = GoogLeNet stem width)
    x = keras.Input((5, 5, 192))
    y = x
    for name in L.DRI_TABLE1:
        y = L.DRIBlock(**L.DRI_TABLE1[name], name=f"dri_{name.replace('-', '_')}")(y)
        assert y.shape[-1] == TABLE1_OUTPUT_CHANNELS[name]


@pytest.mark.parametrize("shortcut,use_bias", [("zero_pad", True), ("projection", True), ("zero_pad", False)])
def test_param_count_formula(shortcut, use_bias):
    config = dict(L.DRI_TABLE1["1-1"])
    block = L.DRIBlock(**config, shortcut=shortcut, use_bias=use_bias)
    block.build((None, 6, 6, 192))
    assert block.count_params() == L.DRIBlock.expected_param_count(192, shortcut=shortcut, use_bias=use_bias, **config)


def _zero_conv(unit):
    unit.conv.kernel.assign(np.zeros(unit.conv.kernel.shape, "float32"))
    if unit.conv.use_bias:
        unit.conv.bias.assign(np.zeros(unit.conv.bias.shape, "float32"))


def test_zero_pad_shortcut_is_an_identity_on_the_reduction_output(rng):
    block = L.DRIBlock(8, 4, 8, 2, 4, 6, 4)
    x = rng.normal(size=(2, 6, 6, 5)).astype("float32")
    block(x)
    _zero_conv(block.branch3_conv)  # residual functions -> 0
    _zero_conv(block.branch5_conv3)
    y1, y3, y5, yp = (np.asarray(t) for t in block.branch_outputs(x, training=False))
    r3 = np.asarray(block.branch3_reduce(x, training=False))
    r5 = np.asarray(block.branch5_reduce(x, training=False))
    np.testing.assert_array_equal(y3[..., :4], r3)
    np.testing.assert_array_equal(y3[..., 4:], 0.0)
    np.testing.assert_array_equal(y5[..., :2], r5)
    np.testing.assert_array_equal(y5[..., 2:], 0.0)
    out = np.asarray(block(x, training=False))
    np.testing.assert_array_equal(out, np.concatenate([y1, y3, y5, yp], axis=-1))
    assert not hasattr(block, "branch3_shortcut")


def test_projection_shortcut_is_a_1x1_convolution(rng):
    block = L.DRIBlock(8, 8, 4, 6, 4, 3, 4, shortcut="projection")  # reductions wider than outputs
    x = rng.normal(size=(2, 6, 6, 5)).astype("float32")
    block(x)
    _zero_conv(block.branch3_conv)
    _zero_conv(block.branch5_conv3)
    _, y3, y5, _ = (np.asarray(t) for t in block.branch_outputs(x, training=False))
    r3 = np.asarray(block.branch3_reduce(x, training=False))
    r5 = np.asarray(block.branch5_reduce(x, training=False))
    np.testing.assert_allclose(y3, r3 @ np.asarray(block.branch3_shortcut.kernel)[0, 0], atol=1e-5)
    np.testing.assert_allclose(y5, r5 @ np.asarray(block.branch5_shortcut.kernel)[0, 0], atol=1e-5)


def test_zero_pad_rejects_a_reduction_wider_than_the_branch():
    with pytest.raises(ValueError, match="projection"):
        L.DRIBlock(8, 8, 4, 2, 4, 6, 4)
    with pytest.raises(ValueError):
        L.DRIBlock(**L.DRI_TABLE1["1-1"], shortcut="conv")


def test_preact_unit_applies_bn_and_prelu_before_the_convolution():
    unit = L.PreActConv2D(2, 1, use_bias=False)
    x = np.array([1.0, -2.0], dtype="float32").reshape(1, 1, 1, 2)
    unit.build(x.shape)
    alpha = np.asarray(unit.act.alpha)
    assert alpha.shape == (1, 1, 2) and np.all(alpha == 0.25)  # one slope per channel, He init
    unit.conv.kernel.assign(-np.eye(2, dtype="float32").reshape(1, 1, 2, 2))
    y = np.asarray(unit(x, training=False)).ravel()
    scale = 1.0 / np.sqrt(1.0 + unit.bn.epsilon)  # fresh BN in inference mode
    # pre-activation: -prelu(bn(x)) = [-1, +0.5] * scale; a post-activation unit would give [-0.25, 2]
    np.testing.assert_allclose(y, np.array([-1.0, 0.5]) * scale, rtol=1e-6)


def test_dri_defaults_follow_the_paper():
    block = L.DRIBlock(**L.DRI_TABLE1["1-1"])
    block.build((None, 8, 8, 192))
    assert isinstance(block.kernel_initializer, keras.initializers.GlorotUniform)  # 'xavier'
    prelus = [l for l in block._flatten_layers() if isinstance(l, keras.layers.PReLU)]
    assert len(prelus) == 7  # one in front of each of the 7 convolutions
    kernel_sizes = sorted(l.kernel_size for l in block._flatten_layers() if isinstance(l, keras.layers.Conv2D))
    assert kernel_sizes == [(1, 1)] * 4 + [(3, 3)] * 2 + [(5, 5)]
    assert isinstance(block.pool, keras.layers.MaxPooling2D)
    assert block.pool.pool_size == (3, 3) and block.pool.strides == (1, 1)


@pytest.mark.parametrize("activation,batch_norm", [("relu", False), ("prelu", True), ("elu", False)])
def test_inception_channels_and_param_count(activation, batch_norm, rng):
    args = dict(filters_1x1=64, filters_3x3_reduce=96, filters_3x3=128, filters_5x5_reduce=16,
                filters_5x5=32, filters_pool_proj=32)  # GoogLeNet inception (3a)
    block = L.InceptionBlock(**args, activation=activation, batch_norm=batch_norm)
    y = np.asarray(block(rng.normal(size=(1, 5, 5, 192)).astype("float32")))
    assert y.shape == (1, 5, 5, 256) == (1, 5, 5, L.InceptionBlock.output_channels(**args))
    expected = L.InceptionBlock.expected_param_count(192, **args, activation=activation, batch_norm=batch_norm)
    assert block.count_params() == expected
    if activation == "relu" and not batch_norm:
        # GoogLeNet inception (3a): 163,328 weights (its Table 1: "159K", i.e. x1024) + 368 biases
        assert expected == 163_328 + 368
        assert y.min() >= 0.0  # post-activation ReLU on every branch
