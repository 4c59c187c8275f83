"""layers.Resize against ``tf.image.resize`` (and ``keras.layers.Resizing``,
which the Super-Xception rows used before it): every method, with and without
antialiasing, up- and downsampling, odd sizes, eagerly and in a tf.function of
unknown image size. (Other backends: ``tests/backends``.)"""
import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import layers as L
from tests.layers.test_preprocessing import EAGER, GRAPH, SIZES


@pytest.mark.parametrize("method,antialias",
                         list(itertools.product(["bilinear", "bicubic", "nearest"], [False, True])))
def test_resize_is_tf_image_resize(method, antialias, rng):
    for size, (h, w) in itertools.product((5, 16, 40), SIZES):
        x = rng.random((2, h, w, 3)).astype("float32")
        layer = L.Resize(size, method, antialias)
        want = tf.image.resize(x, (size, size), method, antialias=antialias).numpy()
        what = f"{size} from {h}x{w}"
        np.testing.assert_allclose(layer(x).numpy(), want, rtol=0, atol=EAGER, err_msg=what)
        graph = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 3))])
        np.testing.assert_allclose(graph(x).numpy(), want, rtol=0, atol=GRAPH, err_msg=what)


def test_resize_is_the_keras_bicubic_resizing_it_replaces(rng):
    x = rng.random((4, 50, 50, 1)).astype("float32")
    for size in (71, 72, 128, 227):
        want = keras.layers.Resizing(size, size, interpolation="bicubic")(x).numpy()
        np.testing.assert_allclose(L.Resize(size, "bicubic")(x).numpy(), want,
                                   rtol=0, atol=EAGER)


def test_resize_arguments_are_checked():
    with pytest.raises(ValueError, match="`size` must be a positive int"):
        L.Resize(0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        L.Resize(4, "lanczos3")
