"""Parallel dilated convolutions of DRSN-DC.

Reference: Wang et al., "A HEp-2 cell image classification model based on
deep residual shrinkage network combined with dilated convolution", IIP 2022,
§3.2 and Fig. 3 (``../shared/papers/drsn_dc_wang2022.txt``): "three dilated
convolutional networks with kernel of 3x3 and dilation rate r of 1, 2, and 3";
their outputs are later fused by the multi-scale feature fusion module (§3.5),
which is why the per-rate tensors can be returned separately.
"""

import keras
from keras import ops

from ._common import pair, register, serialize

__all__ = ["DilatedBlock"]


@register
class DilatedBlock(keras.layers.Layer):
    """Parallel ``k x k`` convolutions with different dilation rates.

    Each branch is ``Conv2D(filters_i, kernel_size, dilation_rate=r_i,
    padding="same")`` -> [BatchNorm] -> activation, applied to the same input,
    so every branch keeps the spatial size of the input (stride 1) and sees a
    receptive field of ``(k - 1) * r_i + 1`` pixels.

    Output:
        * ``merge="concat"``: one tensor ``(N, H, W, sum(filters_i))`` -- the
          branches concatenated along channels in the order of ``rates``;
        * ``merge=None``: a list with one tensor ``(N, H, W, filters_i)`` per
          rate, in the order of ``rates`` (for the DRSN-DC fusion module).

    Args:
        filters: number of filters per branch (int), or one int per rate.
        rates: dilation rates, default ``(1, 2, 3)`` as in the paper.
        kernel_size: kernel size of every branch (default 3).
        merge: ``"concat"`` or ``None`` (see above).
        activation: activation of each branch (default ``"relu"``; the paper
            does not state it), ``None`` for linear.
        batch_norm: insert batch normalisation between convolution and
            activation; the convolutions then have no bias (it would be
            redundant).
        use_bias: whether convolutions have a bias (ignored if ``batch_norm``).
        kernel_initializer, kernel_regularizer: for all convolutions.
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    def __init__(
        self,
        filters,
        rates=(1, 2, 3),
        kernel_size=3,
        merge="concat",
        activation="relu",
        batch_norm=False,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rates = tuple(int(r) for r in rates)
        if not self.rates or min(self.rates) < 1:
            raise ValueError(f"`rates` must be positive ints, got {rates}.")
        if isinstance(filters, int):
            filters = (filters,) * len(self.rates)
        self.filters = tuple(int(f) for f in filters)
        if len(self.filters) != len(self.rates):
            raise ValueError("`filters` must be an int or have one entry per rate.")
        if merge not in ("concat", None):
            raise ValueError(f"`merge` must be 'concat' or None, got {merge!r}.")
        self.merge = merge
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.activation = keras.activations.get(activation)
        self.batch_norm = bool(batch_norm)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

        self.convs = [
            keras.layers.Conv2D(
                f,
                self.kernel_size,
                padding="same",
                dilation_rate=r,
                use_bias=self.use_bias and not self.batch_norm,
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer,
                dtype=self.dtype_policy,
                name=f"conv_d{r}",
            )
            for f, r in zip(self.filters, self.rates)
        ]
        self.bns = (
            [
                keras.layers.BatchNormalization(dtype=self.dtype_policy, name=f"bn_d{r}")
                for r in self.rates
            ]
            if self.batch_norm
            else []
        )

    @property
    def output_channels(self):
        """Channels of the concatenated output (``sum(filters)``)."""
        return sum(self.filters)

    def build(self, input_shape):
        for i, conv in enumerate(self.convs):
            conv.build(input_shape)
            if self.batch_norm:
                self.bns[i].build(tuple(input_shape[:-1]) + (self.filters[i],))

    def call(self, inputs, training=None):
        outputs = []
        for i, conv in enumerate(self.convs):
            y = conv(inputs)
            if self.batch_norm:
                y = self.bns[i](y, training=training)
            outputs.append(self.activation(y))
        if self.merge == "concat":
            return ops.concatenate(outputs, axis=-1)
        return outputs

    def compute_output_shape(self, input_shape):
        base = tuple(input_shape[:-1])
        if self.merge == "concat":
            return base + (self.output_channels,)
        return [base + (f,) for f in self.filters]

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=list(self.filters),
            rates=list(self.rates),
            kernel_size=list(self.kernel_size),
            merge=self.merge,
            activation=keras.activations.serialize(self.activation),
            batch_norm=self.batch_norm,
            use_bias=self.use_bias,
            kernel_initializer=serialize(self.kernel_initializer),
            kernel_regularizer=serialize(self.kernel_regularizer),
        )
        return config
