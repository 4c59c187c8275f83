"""SRResidual (Super-Xception §4)."""

import keras
import numpy as np
import pytest

import layers as L


@pytest.mark.parametrize("channels", [1, 3])
def test_zeroed_last_convolution_gives_the_identity(channels, rng):
    layer = L.SRResidual()
    x = rng.normal(size=(2, 11, 9, channels)).astype("float32")
    layer(x)
    layer.residual.kernel.assign(np.zeros(layer.residual.kernel.shape, "float32"))
    layer.residual.bias.assign(np.zeros(layer.residual.bias.shape, "float32"))
    np.testing.assert_array_equal(np.asarray(layer(x)), x)


def test_architecture_matches_the_paper():
    layer = L.SRResidual()
    layer.build((None, 32, 32, 1))
    shapes = [tuple(c.kernel.shape) for c in layer.hidden + [layer.residual]]
    assert shapes == [(9, 9, 1, 64), (5, 5, 64, 32), (5, 5, 32, 1)]  # f1/n1, f2/n2, f3/n3=1
    assert layer.count_params() == 5_248 + 51_232 + 801
    assert [c.activation for c in layer.hidden] == [keras.activations.relu] * 2
    assert [c.padding for c in layer.hidden + [layer.residual]] == ["same"] * 3


def test_residual_is_linear_and_can_be_negative(rng):
    layer = L.SRResidual()
    x = rng.normal(size=(1, 8, 8, 1)).astype("float32")
    layer(x)
    layer.residual.kernel.assign(np.zeros(layer.residual.kernel.shape, "float32"))
    layer.residual.bias.assign(np.full(layer.residual.bias.shape, -1.5, "float32"))
    np.testing.assert_allclose(np.asarray(layer(x)), x - 1.5, atol=1e-6)


def test_output_channels_follow_the_input():
    for channels in (1, 2, 5):
        assert L.SRResidual()(keras.Input((16, 16, channels))).shape == (None, 16, 16, channels)
    with pytest.raises(ValueError):
        L.SRResidual(kernel_sizes=(9, 5))
