"""One entry per layer configuration, shared by the generic tests in ``test_common.py``.

Each case gives a factory for a fresh layer, how to apply it to a Keras
tensor, and input shapes with the output shapes the papers / docstrings imply
(written out by hand, not computed by the layer).
"""

from dataclasses import dataclass, field
from typing import Any, Callable

import layers as L


@dataclass
class Case:
    id: str
    factory: Callable[[], Any]
    #: [(input shape without batch, expected output shape(s) without batch)]
    shapes: list
    #: (layer, keras tensor) -> outputs
    apply: Callable = field(default=lambda layer, x: layer(x))
    #: the layer has no weights: put a Conv2D in front for the gradient test
    weightless: bool = False


def _pool_then_unpool(layer, x):
    pooled, argmax = L.MaxPoolingWithArgmax2D()(x)
    return layer([pooled, argmax])


def _pool_then_unpool_with_reference(layer, x):
    pooled, argmax = L.MaxPoolingWithArgmax2D(pool_size=3, strides=2, padding="same")(x)
    return layer([pooled, argmax, x])


def _q(shape):  # four identical coefficient shapes
    return [shape] * 4


def _squared_then(layer, x):
    # min-max scaling is invariant to the offset and scale of its input, so the
    # bias and kernel of a single-filter Conv2D in front of it get exactly zero
    # gradient; squaring first breaks that invariance (the shapes are unchanged)
    import keras
    return layer(keras.ops.square(x))


CASES = [
    Case("soft_threshold", lambda: L.SoftThreshold(),
         [((6, 6, 4), (6, 6, 4)), ((5, 7, 3), (5, 7, 3)), ((10, 2), (10, 2))]),
    Case("soft_threshold_reduction4", lambda: L.SoftThreshold(reduction=4), [((5, 5, 8), (5, 5, 8))]),
    Case("dilated_concat", lambda: L.DilatedBlock(filters=4),
         [((9, 9, 3), (9, 9, 12)), ((6, 8, 1), (6, 8, 12))]),
    Case("dilated_list_bn", lambda: L.DilatedBlock(filters=(2, 3, 4), merge=None, batch_norm=True),
         [((9, 9, 3), [(9, 9, 2), (9, 9, 3), (9, 9, 4)])]),
    Case("dri_zero_pad", lambda: L.DRIBlock(8, 4, 8, 2, 4, 6, 4),
         [((6, 6, 5), (6, 6, 26)), ((5, 7, 3), (5, 7, 26))]),
    Case("dri_projection", lambda: L.DRIBlock(8, 8, 4, 6, 4, 3, 4, shortcut="projection"),
         [((6, 6, 5), (6, 6, 19))]),
    Case("inception_relu", lambda: L.InceptionBlock(4, 4, 6, 2, 3, 2),
         [((6, 6, 5), (6, 6, 15)), ((5, 7, 2), (5, 7, 15))]),
    Case("inception_prelu_bn", lambda: L.InceptionBlock(4, 4, 6, 2, 3, 2, activation="prelu", batch_norm=True, bn_momentum=0.9),
         [((6, 6, 5), (6, 6, 15))]),
    Case("preact_conv", lambda: L.PreActConv2D(6, 3), [((6, 6, 5), (6, 6, 6))]),
    Case("sr_residual", lambda: L.SRResidual(),
         [((12, 12, 1), (12, 12, 1)), ((9, 7, 3), (9, 7, 3))]),
    Case("wavelet_haar_tuple", lambda: L.WaveletTransform2D(), weightless=True,
         shapes=[((8, 8, 3), _q((4, 4, 3))), ((7, 9, 2), _q((4, 5, 2)))]),
    Case("wavelet_db2_symmetric_dict", lambda: L.WaveletTransform2D("db2", "symmetric", "dict"), weightless=True,
         shapes=[((8, 8, 1), {k: (5, 5, 1) for k in ("cA", "cH", "cV", "cD")})]),
    Case("wavelet_sym4_concat", lambda: L.WaveletTransform2D("sym4", output_mode="concat"), weightless=True,
         shapes=[((9, 6, 2), (5, 3, 8))]),
    Case("wavelet_details_sum", lambda: L.WaveletTransform2D(output_mode="details_sum"), weightless=True,
         shapes=[((8, 8, 1), [(4, 4, 1), (4, 4, 1)])]),
    Case("max_pool_argmax", lambda: L.MaxPoolingWithArgmax2D(), weightless=True,
         shapes=[((8, 8, 3), [(4, 4, 3), (4, 4, 3)]), ((7, 5, 2), [(3, 2, 2), (3, 2, 2)])]),
    Case("max_unpool", lambda: L.MaxUnpooling2D(), apply=_pool_then_unpool, weightless=True,
         shapes=[((8, 8, 3), (8, 8, 3)), ((6, 4, 1), (6, 4, 1))]),
    Case("max_unpool_reference", lambda: L.MaxUnpooling2D(), apply=_pool_then_unpool_with_reference,
         weightless=True, shapes=[((7, 5, 2), (7, 5, 2))]),
    Case("minmax_resize", lambda: L.PerImageMinMaxResize(6), weightless=True, apply=_squared_then,
         shapes=[((9, 7, 1), (6, 6, 1)), ((4, 5, 3), (6, 6, 3))]),
    Case("minmax_resize_bicubic_clip", lambda: L.PerImageMinMaxResize(5, method="bicubic", clip=True),
         weightless=True, apply=_squared_then, shapes=[((8, 8, 1), (5, 5, 1))]),
    Case("minmax_pad_resize_antialias",
         lambda: L.PerImageMinMaxResize(4, pad_to_square=True, antialias=True), weightless=True,
         apply=_squared_then, shapes=[((9, 6, 1), (4, 4, 1)), ((5, 11, 2), (4, 4, 2))]),
    Case("resize_bicubic", lambda: L.Resize(7, "bicubic"), weightless=True,
         shapes=[((5, 5, 1), (7, 7, 1)), ((4, 6, 3), (7, 7, 3))]),
    Case("resize_antialias_down", lambda: L.Resize(3, "bilinear", antialias=True),
         weightless=True, shapes=[((8, 8, 2), (3, 3, 2))]),
    Case("crop_pad_downsample", lambda: L.CropPadDownsample(5), weightless=True,
         shapes=[((9, 7, 1), (5, 5, 1)), ((6, 10, 3), (5, 5, 3))]),
    Case("class_names", lambda: L.ClassNames(["a", "b", "c"]), weightless=True,
         shapes=[((4, 4, 3), (4, 4, 3)), ((3,), (3,))]),
    # non-trainable statistics only: a Conv2D in front for the gradient test
    Case("standardization", lambda: L.Standardization(), weightless=True,
         shapes=[((4, 4, 3), (4, 4, 3)), ((7,), (7,))]),
]
