"""MaxPoolingWithArgmax2D / MaxUnpooling2D (DCAE, Table I)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import layers as L


def _numpy_unpool(x, pool, stride, padding):
    """Zeros except at each pooling window's maximum, which keeps its value."""
    n, h, w, c = x.shape
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
        pad_h = max((oh - 1) * stride + pool - h, 0) // 2
        pad_w = max((ow - 1) * stride + pool - w, 0) // 2
    else:
        oh, ow = (h - pool) // stride + 1, (w - pool) // stride + 1
        pad_h = pad_w = 0
    out = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    y0, x0 = i * stride - pad_h, j * stride - pad_w
                    ys, xs = slice(max(y0, 0), y0 + pool), slice(max(x0, 0), x0 + pool)
                    window = x[b, ys, xs, ch]
                    dy, dx = np.unravel_index(np.argmax(window), window.shape)
                    out[b, ys.start + dy, xs.start + dx, ch] = window[dy, dx]
    return out


CONFIGS = [
    # (input size, pool, stride, padding, pass the reference tensor)
    ((8, 8), 2, 2, "valid", False),  # the DCAE case
    ((7, 5), 2, 2, "valid", True),
    ((7, 5), 2, 2, "same", True),
    ((9, 9), 3, 2, "valid", True),  # overlapping windows
]


@pytest.mark.parametrize("size,pool,stride,padding,reference", CONFIGS)
def test_unpooling_puts_values_back_at_the_argmax(size, pool, stride, padding, reference, rng):
    x = rng.normal(size=(2,) + size + (3,)).astype("float32")  # continuous: no ties
    pooled, argmax = L.MaxPoolingWithArgmax2D(pool, stride, padding)(x)
    expected_pool = keras.layers.MaxPooling2D(pool, stride, padding)(x)
    np.testing.assert_array_equal(np.asarray(pooled), np.asarray(expected_pool))
    inputs = [pooled, argmax, x] if reference else [pooled, argmax]
    y = np.asarray(L.MaxUnpooling2D(stride)(inputs))
    np.testing.assert_array_equal(y, _numpy_unpool(x, pool, stride, padding))


def test_argmax_is_the_flat_index_within_each_example(rng):
    x = rng.normal(size=(3, 6, 4, 2)).astype("float32")
    pooled, argmax = L.MaxPoolingWithArgmax2D()(x)
    assert argmax.dtype == "int64"
    flat = x.reshape(3, -1)
    gathered = np.take_along_axis(flat, np.asarray(argmax).reshape(3, -1), axis=1)
    np.testing.assert_array_equal(gathered, np.asarray(pooled).reshape(3, -1))


def test_gradient_goes_to_the_pooled_value_at_its_switch(rng):
    x = tf.constant(rng.normal(size=(2, 6, 6, 2)).astype("float32"))
    weights = tf.constant(rng.normal(size=(2, 6, 6, 2)).astype("float32"))
    pool, unpool = L.MaxPoolingWithArgmax2D(), L.MaxUnpooling2D()
    pooled, argmax = pool(x)
    with tf.GradientTape() as tape:
        tape.watch(pooled)
        loss = tf.reduce_sum(unpool([pooled, argmax]) * weights)
    grad = np.asarray(tape.gradient(loss, pooled))
    expected = np.take_along_axis(np.asarray(weights).reshape(2, -1), np.asarray(argmax).reshape(2, -1), axis=1)
    np.testing.assert_allclose(grad.reshape(2, -1), expected, rtol=1e-6)
    with tf.GradientTape() as tape:  # and through the pooling to its input
        tape.watch(x)
        p, a = pool(x)
        loss = tf.reduce_sum(unpool([p, a]) * weights)
    grad_x = np.asarray(tape.gradient(loss, x))
    mask = _numpy_unpool(np.asarray(x), 2, 2, "valid") != 0
    np.testing.assert_allclose(grad_x[mask], np.asarray(weights)[mask], rtol=1e-6)
    assert np.all(grad_x[~mask] == 0)


def test_dcae_encoder_decoder_sizes():
    # Table I: 224 -> 112 -> 56 -> 28 -> 14 and back with the recorded switches
    x = keras.Input((224, 224, 1))
    switches, y = [], x
    for _ in range(4):
        y, argmax = L.MaxPoolingWithArgmax2D()(y)
        switches.append(argmax)
    assert y.shape == (None, 14, 14, 1)
    for argmax in reversed(switches):
        y = L.MaxUnpooling2D()([y, argmax])
    assert y.shape == (None, 224, 224, 1)


def test_unpooling_keeps_static_shapes_in_tf_function(rng):
    unpool, pool = L.MaxUnpooling2D(), L.MaxPoolingWithArgmax2D()

    @tf.function(input_signature=[tf.TensorSpec((None, 8, 8, 3), tf.float32)])
    def roundtrip(x):
        y = unpool(list(pool(x)))
        assert y.shape.as_list() == [None, 8, 8, 3]
        return y

    assert roundtrip(rng.normal(size=(2, 8, 8, 3)).astype("float32")).shape == (2, 8, 8, 3)


@pytest.mark.parametrize("kwargs", [dict(padding="full"), dict(pool_size=0)])
def test_invalid_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        L.MaxPoolingWithArgmax2D(**kwargs)
