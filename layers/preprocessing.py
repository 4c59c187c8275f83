"""The ends of a saved inference model: the papers' input preprocessing as
layers (raw ``uint8`` images in, the classifier's input out), and the class
names carried on the output.

A model ``keras.Input((None, None, channels), dtype="uint8")`` →
:class:`PerImageMinMaxResize` or :class:`CropPadDownsample` → classifier →
:class:`ClassNames` needs nothing but the ``.keras`` file to classify an image
file (``python -m reproductions.predict``). The preprocessing layers run
exactly the ops of the training pipelines (``reproductions/<paper>/data.py``),
one image at a time, in float32; the output is cast to the layer's compute
dtype. They are written in ``keras.ops`` and give the same on every Keras
backend.
"""

import keras
from keras import ops

from . import _resample
from ._common import register

__all__ = ["ClassNames", "CropPadDownsample", "PerImageMinMaxResize"]


@register
class PerImageMinMaxResize(keras.layers.Layer):
    """Per-image min-max scaling to [0, 1], optionally padded with 0 to a
    square, then resized as ``tf.image.resize`` resizes to ``size × size``,
    optionally clipped to [0, 1] -- the HEp-2 preprocessing of the papers:

    * DRI and DRSN-DC: ``PerImageMinMaxResize(size)`` (bilinear);
    * active transfer: ``method="bicubic", clip=True``;
    * DCAE: ``pad_to_square=True, antialias=True``.

    Input: ``(batch, H, W, C)`` of any dtype and any ``H, W``; the minimum and
    maximum are over the whole image (all channels), as in
    ``reproductions.common.data.minmax_normalize``. ``method``: ``bilinear``,
    ``bicubic`` or ``nearest``, with ``tf.image.resize``'s results on every
    Keras backend (``layers._resample``)."""

    def __init__(self, size, method="bilinear", antialias=False, pad_to_square=False,
                 clip=False, **kwargs):
        super().__init__(**kwargs)
        self.size = _resample.check_size(size)
        self.method = _resample.check_method(method)
        self.antialias = bool(antialias)
        self.pad_to_square = bool(pad_to_square)
        self.clip = bool(clip)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        lo = ops.min(x, axis=(1, 2, 3), keepdims=True)
        hi = ops.max(x, axis=(1, 2, 3), keepdims=True)
        x = (x - lo) / ops.maximum(hi - lo, 1e-6)
        h, w = ops.shape(x)[1], ops.shape(x)[2]
        side_h, side_w = (_resample.largest(h, w),) * 2 if self.pad_to_square else (h, w)
        col = _resample.column
        zero = col(0)
        x = _resample.resize_canvas(x, self.size, self.method, self.antialias,
                                    (col(side_h), zero, col((side_h - h) // 2), col(h)),
                                    (col(side_w), zero, col((side_w - w) // 2), col(w)))
        if self.clip:
            x = ops.clip(x, 0.0, 1.0)
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "method": self.method,
                "antialias": self.antialias, "pad_to_square": self.pad_to_square,
                "clip": self.clip}


def _extent(mask):
    """First index and length of the ``True`` run spanning each row of the
    ``(batch, n)`` mask; all of ``[0, n)`` where a row has none."""
    n = ops.shape(mask)[1]
    position = ops.arange(n, dtype="int32")[None, :]
    some = ops.any(mask, axis=1, keepdims=True)
    first = ops.min(ops.where(mask, position, n), axis=1, keepdims=True)
    end = ops.max(ops.where(mask, position + 1, 0), axis=1, keepdims=True)
    first = ops.where(some, first, 0)
    return first, ops.where(some, end, n) - first


@register
class CropPadDownsample(keras.layers.Layer):
    """Super-Xception's chromosome preprocessing without length normalisation:
    ``/ 255``, crop to the bounding box of the pixels above 0, pad the shorter
    side symmetrically with 0 to a square, anti-aliased bicubic resize to
    ``low_res × low_res``, clip to [0, 1]. (Length normalisation pads to the
    longest chromosome of the karyotype, which a single image does not know.)
    Each image of the batch gets its own box; the resize is
    ``tf.image.resize``'s on every Keras backend (``layers._resample``).

    ``length_normalization``: whether the classifier behind this layer was
    trained with length normalisation (``True`` / ``False``; ``None``, the
    default and what files saved before it existed load with: not said). The
    layer itself always pads to the image's own square; ``python -m
    reproductions.predict`` reads the flag and puts the chromosomes of one
    cell on their karyotype's canvas instead.
    """

    def __init__(self, low_res, length_normalization=None, **kwargs):
        super().__init__(**kwargs)
        self.low_res = _resample.check_size(low_res)
        self.length_normalization = (None if length_normalization is None
                                     else bool(length_normalization))

    def call(self, inputs):
        image = ops.cast(inputs, "float32") / 255.0
        mask = ops.max(image, axis=-1) > 0.0  # (batch, H, W)
        r0, h = _extent(ops.any(mask, axis=2))
        c0, w = _extent(ops.any(mask, axis=1))
        side = ops.maximum(h, w)
        out = _resample.resize_canvas(image, self.low_res, "bicubic", True,
                                      (side, r0, (side - h) // 2, h),
                                      (side, c0, (side - w) // 2, w))
        return ops.cast(ops.clip(out, 0.0, 1.0), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.low_res, self.low_res, input_shape[-1])

    def get_config(self):
        config = {**super().get_config(), "low_res": self.low_res}
        if self.length_normalization is not None:  # files without it load as before
            config["length_normalization"] = self.length_normalization
        return config


@register
class ClassNames(keras.layers.Layer):
    """The identity on a classifier's ``(batch, classes)`` output that keeps
    the class names (label order) in the saved model's config:
    ``model.get_layer("class_names").class_names`` after loading. A layer
    rather than the model's name or a side file: it round-trips through
    ``.keras`` with the model, with no ``custom_objects`` and no parsing."""

    def __init__(self, class_names, **kwargs):
        super().__init__(**kwargs)
        self.class_names = [str(c) for c in class_names]
        if not self.class_names:
            raise ValueError("`class_names` must name at least one class.")

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != len(self.class_names):
            raise ValueError(f"{len(self.class_names)} class names for an output of "
                             f"{input_shape[-1]} classes.")

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "class_names": list(self.class_names)}
