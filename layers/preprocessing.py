"""The ends of a saved inference model: the papers' input preprocessing as
layers (raw ``uint8`` images in, the classifier's input out), and the class
names carried on the output.

A model ``keras.Input((None, None, channels), dtype="uint8")`` →
:class:`PerImageMinMaxResize` or :class:`CropPadDownsample` → classifier →
:class:`ClassNames` needs nothing but the ``.keras`` file to classify an image
file (``python -m reproductions.predict``). The preprocessing layers run
exactly the ops of the training pipelines (``reproductions/<paper>/data.py``),
one image at a time, in float32; the output is cast to the layer's compute
dtype.
"""

import keras
import tensorflow as tf

from ._common import register

__all__ = ["ClassNames", "CropPadDownsample", "PerImageMinMaxResize"]


def _size(value):
    value = int(value)
    if value < 1:
        raise ValueError(f"`size` must be a positive int, got {value}.")
    return value


@register
class PerImageMinMaxResize(keras.layers.Layer):
    """Per-image min-max scaling to [0, 1], optionally padded with 0 to a
    square, then ``tf.image.resize`` to ``size × size``, optionally clipped to
    [0, 1] -- the HEp-2 preprocessing of the papers:

    * DRI and DRSN-DC: ``PerImageMinMaxResize(size)`` (bilinear);
    * active transfer: ``method="bicubic", clip=True``;
    * DCAE: ``pad_to_square=True, antialias=True``.

    Input: ``(batch, H, W, C)`` of any dtype and any ``H, W``; the minimum and
    maximum are over the whole image (all channels), as in
    ``reproductions.common.data.minmax_normalize``."""

    def __init__(self, size, method="bilinear", antialias=False, pad_to_square=False,
                 clip=False, **kwargs):
        super().__init__(**kwargs)
        self.size = _size(size)
        self.method = str(method)
        self.antialias = bool(antialias)
        self.pad_to_square = bool(pad_to_square)
        self.clip = bool(clip)

    def call(self, inputs):
        x = tf.cast(inputs, tf.float32)
        lo = tf.reduce_min(x, axis=[1, 2, 3], keepdims=True)
        hi = tf.reduce_max(x, axis=[1, 2, 3], keepdims=True)
        x = (x - lo) / tf.maximum(hi - lo, 1e-6)
        if self.pad_to_square:
            shape = tf.shape(x)
            h, w = shape[1], shape[2]
            side = tf.maximum(h, w)
            top, left = (side - h) // 2, (side - w) // 2
            x = tf.pad(x, [[0, 0], [top, side - h - top], [left, side - w - left], [0, 0]])
        x = tf.image.resize(x, (self.size, self.size), method=self.method,
                            antialias=self.antialias)
        if self.clip:
            x = tf.clip_by_value(x, 0.0, 1.0)
        return tf.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "method": self.method,
                "antialias": self.antialias, "pad_to_square": self.pad_to_square,
                "clip": self.clip}


@register
class CropPadDownsample(keras.layers.Layer):
    """Super-Xception's chromosome preprocessing without length normalisation:
    ``/ 255``, crop to the bounding box of the pixels above 0, pad the shorter
    side symmetrically with 0 to a square, anti-aliased bicubic resize to
    ``low_res × low_res``, clip to [0, 1]. (Length normalisation pads to the
    longest chromosome of the karyotype, which a single image does not know.)

    ``length_normalization``: whether the classifier behind this layer was
    trained with length normalisation (``True`` / ``False``; ``None``, the
    default and what files saved before it existed load with: not said). The
    layer itself always pads to the image's own square; ``python -m
    reproductions.predict`` reads the flag and puts the chromosomes of one
    cell on their karyotype's canvas instead.
    """

    def __init__(self, low_res, length_normalization=None, **kwargs):
        super().__init__(**kwargs)
        self.low_res = _size(low_res)
        self.length_normalization = (None if length_normalization is None
                                     else bool(length_normalization))

    def _one(self, image):
        image = tf.cast(image, tf.float32) / 255.0
        mask = tf.reduce_max(image, axis=-1) > 0.0
        rows = tf.where(tf.reduce_any(mask, axis=1))[:, 0]
        cols = tf.where(tf.reduce_any(mask, axis=0))[:, 0]
        shape = tf.shape(image, out_type=tf.int64)
        some_rows, some_cols = tf.size(rows) > 0, tf.size(cols) > 0
        r0 = tf.cond(some_rows, lambda: rows[0], lambda: tf.constant(0, tf.int64))
        r1 = tf.cond(some_rows, lambda: rows[-1] + 1, lambda: shape[0])
        c0 = tf.cond(some_cols, lambda: cols[0], lambda: tf.constant(0, tf.int64))
        c1 = tf.cond(some_cols, lambda: cols[-1] + 1, lambda: shape[1])
        image = image[r0:r1, c0:c1]
        shape = tf.shape(image)
        h, w = shape[0], shape[1]
        side = tf.maximum(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        image = tf.pad(image, [[top, side - h - top], [left, side - w - left], [0, 0]])
        image = tf.image.resize(image, (self.low_res, self.low_res), method="bicubic",
                                antialias=True)
        return tf.clip_by_value(image, 0.0, 1.0)

    def call(self, inputs):
        channels = inputs.shape[-1]
        out = tf.map_fn(self._one, inputs, fn_output_signature=tf.TensorSpec(
            (self.low_res, self.low_res, channels), tf.float32))
        return tf.cast(out, self.compute_dtype)

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
