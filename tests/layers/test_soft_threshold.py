"""soft_threshold (eq. 1 of DRSN-DC) and the SoftThreshold sub-network."""

import keras
import numpy as np
import pytest

import layers as L


def _eq1(x, tau):
    """Eq. (1) of Wang et al. 2022, written piecewise."""
    return np.where(x > tau, x - tau, np.where(x < -tau, x + tau, 0.0))


def test_soft_threshold_zeroes_exactly_the_band():
    tau = 1.25
    x = np.concatenate([np.linspace(-3, 3, 601), [tau, -tau, np.nextafter(tau, 9), -np.nextafter(tau, 9)]])
    x = x.astype("float32")
    y = np.asarray(L.soft_threshold(x, tau))
    band = np.abs(x) <= np.float32(tau)
    assert band.sum() > 100 and (~band).sum() > 100
    assert np.all(y[band] == 0.0)
    assert np.all(y[~band] != 0.0)
    assert np.all(np.sign(y[~band]) == np.sign(x[~band]))
    np.testing.assert_allclose(y, _eq1(x, np.float32(tau)), atol=1e-6)


def test_soft_threshold_broadcasts_per_channel_thresholds(rng):
    x = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    tau = np.array([0.0, 0.5, 10.0], dtype="float32").reshape(1, 1, 1, 3)
    y = np.asarray(L.soft_threshold(x, tau))
    np.testing.assert_array_equal(y[..., 0], x[..., 0])  # tau = 0: identity
    np.testing.assert_allclose(y, _eq1(x, tau), atol=1e-6)
    assert np.all(y[..., 2] == 0.0)  # tau above every |x|


def _randomised_layer(rng, channels, reduction):
    layer = L.SoftThreshold(reduction=reduction)
    layer.build((None, 5, 5, channels))
    layer.set_weights([rng.normal(scale=0.7, size=w.shape).astype("float32") for w in layer.weights])
    bn = layer.bn
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, size=bn.moving_variance.shape).astype("float32"))
    return layer


def _numpy_reference(layer, x, training):
    w1 = np.asarray(layer.fc1.kernel)
    w2, b2 = np.asarray(layer.fc2.kernel), np.asarray(layer.fc2.bias)
    bn = layer.bn
    gamma, beta = np.asarray(bn.gamma), np.asarray(bn.beta)
    m = np.abs(x).mean(axis=(1, 2))  # GAP(|x|), (N, C)
    z = m @ w1
    if training:
        mean, var = z.mean(axis=0), z.var(axis=0)
    else:
        mean, var = np.asarray(bn.moving_mean), np.asarray(bn.moving_variance)
    z = (z - mean) / np.sqrt(var + bn.epsilon) * gamma + beta
    alpha = 1.0 / (1.0 + np.exp(-(np.maximum(z, 0.0) @ w2 + b2)))
    tau = (alpha * m)[:, None, None, :]
    return np.sign(x) * np.maximum(np.abs(x) - tau, 0.0), tau


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("channels,reduction", [(4, 1), (8, 4)])
def test_layer_matches_numpy_formula(channels, reduction, training, rng):
    layer = _randomised_layer(rng, channels, reduction)
    assert layer.fc1.kernel.shape == (channels, channels // reduction)
    assert layer.fc2.kernel.shape == (channels // reduction, channels)
    x = rng.normal(size=(3, 5, 5, channels)).astype("float32")
    want, tau = _numpy_reference(layer, x.astype("float64"), training)
    got = np.asarray(layer(x, training=training))
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.mean(got == 0) > 0.0  # the thresholds do zero something
    got_tau = np.asarray(layer.thresholds(x, training=training))
    np.testing.assert_allclose(got_tau, tau, atol=1e-6)


def test_thresholds_lie_between_zero_and_mean_abs(rng):
    layer = _randomised_layer(rng, 6, 1)
    x = 3.0 * rng.normal(size=(4, 7, 7, 6)).astype("float32")
    tau = np.asarray(layer.thresholds(x))[:, 0, 0, :]
    mean_abs = np.abs(x).mean(axis=(1, 2))
    assert np.all(tau > 0) and np.all(tau < mean_abs)


def test_works_on_1d_signals(rng):
    x = rng.normal(size=(2, 16, 3)).astype("float32")
    layer = L.SoftThreshold()
    y = np.asarray(layer(x))
    tau = np.asarray(layer.thresholds(x))
    assert tau.shape == (2, 1, 3)
    np.testing.assert_allclose(y, _eq1(x, tau), atol=1e-6)


@pytest.mark.parametrize("shape", [(None, 4), (None, 5, 5, None)])
def test_rejects_unsupported_inputs(shape):
    with pytest.raises(ValueError):
        L.SoftThreshold().build(shape)
    with pytest.raises(ValueError):
        L.SoftThreshold(reduction=0)


def test_default_width_equals_channel_count():
    layer = L.SoftThreshold()
    layer.build((None, 4, 4, 12))
    assert layer.fc1.units == 12 and layer.fc2.units == 12
    assert not layer.fc1.use_bias  # followed by BN
    assert isinstance(layer.bn, keras.layers.BatchNormalization)
