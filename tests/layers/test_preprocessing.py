"""PerImageMinMaxResize / CropPadDownsample (``keras.ops``) against what they
were written with before: ``tf.image.resize`` and TensorFlow's crop / pad
ops (the training pipelines still use those). Every method, with and without
antialiasing and padding, up- and downsampling, odd sizes; eagerly and in a
``tf.function`` of unknown image size. (Other backends: ``tests/backends``.)
"""
import itertools

import numpy as np
import pytest
import tensorflow as tf

import layers as L

#: Eagerly the sampling positions round as TensorFlow's kernels round them.
EAGER = 1e-6
#: In a tf.function TensorFlow's optimiser may fold constants differently
#: (``layers/_resample.py``): an ulp of a position, times the image's gradient.
GRAPH = 3e-5

SIZES = [(9, 7), (40, 40), (13, 50), (100, 37), (3, 3), (1, 6)]


def minmax_resize_reference(x, size, method, antialias, pad_to_square, clip):
    x = tf.cast(x, tf.float32)
    lo = tf.reduce_min(x, axis=[1, 2, 3], keepdims=True)
    hi = tf.reduce_max(x, axis=[1, 2, 3], keepdims=True)
    x = (x - lo) / tf.maximum(hi - lo, 1e-6)
    if pad_to_square:
        h, w = x.shape[1], x.shape[2]
        side = max(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        x = tf.pad(x, [[0, 0], [top, side - h - top], [left, side - w - left], [0, 0]])
    x = tf.image.resize(x, (size, size), method=method, antialias=antialias)
    return tf.clip_by_value(x, 0.0, 1.0) if clip else x


def crop_pad_downsample_reference(image, low_res):
    image = tf.cast(image, tf.float32) / 255.0
    mask = tf.reduce_max(image, axis=-1) > 0.0
    rows = np.flatnonzero(tf.reduce_any(mask, axis=1).numpy())
    cols = np.flatnonzero(tf.reduce_any(mask, axis=0).numpy())
    r0, r1 = (rows[0], rows[-1] + 1) if rows.size else (0, image.shape[0])
    c0, c1 = (cols[0], cols[-1] + 1) if cols.size else (0, image.shape[1])
    image = image[r0:r1, c0:c1]
    h, w = image.shape[0], image.shape[1]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    image = tf.pad(image, [[top, side - h - top], [left, side - w - left], [0, 0]])
    image = tf.image.resize(image, (low_res, low_res), method="bicubic", antialias=True)
    return tf.clip_by_value(image, 0.0, 1.0)


def _unknown_size(layer, channels, dtype):
    return tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, channels), dtype)])


@pytest.mark.parametrize("method,antialias,pad_to_square",
                         list(itertools.product(["bilinear", "bicubic", "nearest"], [False, True],
                                                [False, True])))
def test_minmax_resize_is_tf_image_resize(method, antialias, pad_to_square, rng):
    for size, (h, w), clip in itertools.product((5, 16, 40), SIZES, (False, True)):
        x = rng.integers(0, 256, (2, h, w, 2)).astype("uint8")
        layer = L.PerImageMinMaxResize(size, method, antialias, pad_to_square, clip)
        want = minmax_resize_reference(x, size, method, antialias, pad_to_square, clip).numpy()
        what = f"{size} from {h}x{w}, clip={clip}"
        np.testing.assert_allclose(layer(x).numpy(), want, rtol=0, atol=EAGER, err_msg=what)
        graph = _unknown_size(layer, 2, "uint8")(x).numpy()
        np.testing.assert_allclose(graph, want, rtol=0, atol=GRAPH, err_msg=what)


def _chromosomes(rng, h, w):
    """A box of random pixels on black, random sparse pixels, and black."""
    x = np.zeros((3, h, w, 1), "uint8")
    bh, bw = max(h // 2, 1), max(w // 3, 1)
    x[0, h // 4:h // 4 + bh, w // 3:w // 3 + bw] = rng.integers(1, 256, (bh, bw, 1))
    x[1] = rng.integers(0, 256, (h, w, 1)) * (rng.random((h, w, 1)) < 0.1)
    return x


@pytest.mark.parametrize("low_res", [5, 24, 64])
def test_crop_pad_downsample_crops_each_image_to_its_own_box(low_res, rng):
    for h, w in SIZES:
        for x in (_chromosomes(rng, h, w), rng.normal(size=(2, h, w, 3)).astype("float32")):
            layer = L.CropPadDownsample(low_res)
            want = np.stack([crop_pad_downsample_reference(image, low_res) for image in x])
            what = f"{low_res} from {h}x{w} {x.dtype}"
            np.testing.assert_allclose(layer(x).numpy(), want, rtol=0, atol=EAGER, err_msg=what)
            graph = _unknown_size(layer, x.shape[-1], x.dtype)(x).numpy()
            np.testing.assert_allclose(graph, want, rtol=0, atol=GRAPH, err_msg=what)


def test_only_the_methods_it_reproduces_are_accepted():
    with pytest.raises(ValueError, match="`method` must be one of"):
        L.PerImageMinMaxResize(8, method="area")
