"""``Resize``: ``tf.image.resize`` as a layer, with the same result on every
Keras backend.

``keras.layers.Resizing`` calls each backend's own resize, and they differ:
PyTorch's bicubic uses Keys' ``a = -0.75`` where TensorFlow uses ``-0.5``
(a Super-Xception feature map 3–7 % apart), and JAX's treats the borders
differently. :class:`Resize` computes the resampling in ``keras.ops``
(``layers._resample``), so a network trained on TensorFlow sees the same
upsampled input on JAX and PyTorch. Super-Xception's rows upsample their
50×50 input with it (``reproductions/super_xception/models.py``).
"""

import keras
from keras import ops

from . import _resample
from ._common import register

__all__ = ["Resize"]


@register
class Resize(keras.layers.Layer):
    """Resizes ``(batch, H, W, C)`` to ``size × size`` as ``tf.image.resize``
    does (half-pixel centres; ``method`` ``bilinear``, ``bicubic`` or
    ``nearest``; ``antialias`` as its argument, which only matters when
    down-sampling). Computes in float32 and returns the compute dtype. No
    weights."""

    def __init__(self, size, method="bilinear", antialias=False, **kwargs):
        super().__init__(**kwargs)
        self.size = _resample.check_size(size)
        self.method = _resample.check_method(method)
        self.antialias = bool(antialias)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        col = _resample.column
        zero = col(0)
        h, w = col(ops.shape(x)[1]), col(ops.shape(x)[2])
        x = _resample.resize_canvas(x, self.size, self.method, self.antialias,
                                    (h, zero, zero, h), (w, zero, zero, w))
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "method": self.method,
                "antialias": self.antialias}
