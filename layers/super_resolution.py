"""Residual convolutional super-resolution block of Super-Xception.

References
----------
* Swati, Sharma & Vig, "Automatic Classification of Low-Resolution Chromosomal
  Images" (Super-Xception), §3.1 and §4
  (``../shared/papers/super_xception_swati2019.txt``): three stacked
  conv(-ReLU) layers with ``f1 = 9x9, f2 = 5x5, f3 = 5x5``, ``n1 = 64,
  n2 = 32, n3 = 1`` learn the residual ``I_HR - I_LR``, which is summed with
  the bicubic-interpolated input ``I_LR``.
* Cai, Chen, Qian & Kamarainen, "Convolutional low-resolution fine-grained
  classification", Pattern Recognition Letters 2017 (the block's origin),
  itself following SRCNN (Dong et al., TPAMI 2016).
"""

import keras

from ._common import register, serialize

__all__ = ["SRResidual"]


@register
class SRResidual(keras.layers.Layer):
    """``y = x + conv3(ReLU(conv2(ReLU(conv1(x)))))`` (Super-Xception §4).

    With the defaults: ``conv1`` 9x9x64, ``conv2`` 5x5x32, ``conv3`` 5x5xC
    where ``C`` is the number of input channels (``n3 = 1`` for the paper's
    grayscale images), all with stride 1 and 'same' padding so the residual
    has the input's shape. The last convolution is linear: it predicts the
    residual image ``I_HR - I_LR``, which may be negative. The block does not
    resize: feed it the bicubic-upsampled image (the paper: 50x50 -> 227x227).
    Output shape = input shape.

    For a 1-channel input the block has 5,248 + 51,232 + 801 = 57,281 parameters.

    Args:
        filters: widths ``(n1, n2)`` of the two hidden convolutions.
        kernel_sizes: ``(f1, f2, f3)``.
        activation: activation of the two hidden convolutions.
        use_bias: bias in the convolutions.
        kernel_initializer, kernel_regularizer: for every convolution.
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    def __init__(
        self,
        filters=(64, 32),
        kernel_sizes=(9, 5, 5),
        activation="relu",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        if len(self.kernel_sizes) != len(self.filters) + 1:
            raise ValueError("`kernel_sizes` needs one entry per hidden layer plus one for the output layer.")
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def _conv(self, filters, k, activation, name):
        return keras.layers.Conv2D(
            filters,
            k,
            padding="same",
            activation=activation,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("SRResidual needs a known channel dimension.")
        self.hidden = [
            self._conv(f, k, self.activation, f"conv{i + 1}")
            for i, (f, k) in enumerate(zip(self.filters, self.kernel_sizes))
        ]
        self.residual = self._conv(channels, self.kernel_sizes[-1], None, f"conv{len(self.filters) + 1}")
        shape = tuple(input_shape)
        for conv in self.hidden:
            conv.build(shape)
            shape = shape[:-1] + (conv.filters,)
        self.residual.build(shape)

    def call(self, inputs):
        y = inputs
        for conv in self.hidden:
            y = conv(y)
        return inputs + self.residual(y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=list(self.filters),
            kernel_sizes=list(self.kernel_sizes),
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=serialize(self.kernel_initializer),
            kernel_regularizer=serialize(self.kernel_regularizer),
        )
        return config
