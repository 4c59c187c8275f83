"""The original Inception module (GoogLeNet), a general building block.

References
----------
* Szegedy et al., "Going deeper with convolutions", CVPR 2015 (Inception,
  Fig. 2b; GoogLeNet, Table 1).
* He et al., "Delving deep into rectifiers", ICCV 2015 (PReLU, slopes
  initialised to 0.25).

Registered as ``hep2repro>InceptionBlock`` (the name it had in
``layers.dri``), so ``.keras`` files saved before the move still load.
"""

import keras
from keras import ops

from ._common import _conv_params, _InceptionStyleBlock, prelu, register

__all__ = ["InceptionBlock"]


@register
class InceptionBlock(_InceptionStyleBlock):
    """Original Inception module (GoogLeNet, Szegedy et al. 2015, Fig. 2b).

    Baseline of Li & Shen (2017, Table 3a: "Shallow Inception", "Inception").
    Four parallel branches, each convolution followed by [BatchNorm and] the
    activation (post-activation, stride 1, 'same' padding), concatenated in
    this order: ``1x1``; ``1x1 -> 3x3``; ``1x1 -> 5x5``; ``3x3 max pool
    (stride 1) -> 1x1``. Output channels: ``filters_1x1 + filters_3x3 +
    filters_5x5 + filters_pool_proj`` (:meth:`output_channels`).

    Args:
        filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce,
        filters_5x5, filters_pool_proj: branch widths (GoogLeNet naming).
        activation: ``"relu"`` (GoogLeNet), ``"prelu"`` (one slope per channel
            initialised to 0.25, as the DRI network uses PReLU), or any Keras
            activation name/callable.
        batch_norm: add batch normalisation after each convolution (the
            convolutions then have no bias).
        use_bias: bias in the convolutions (ignored if ``batch_norm``).
        kernel_initializer, kernel_regularizer: for every convolution.
        bn_momentum, bn_epsilon: for every batch normalisation (Keras
            defaults 0.99 / 1e-3; short runs need a lower momentum).
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    _WIDTHS = ("filters_1x1", "filters_3x3_reduce", "filters_3x3", "filters_5x5_reduce",
               "filters_5x5", "filters_pool_proj")

    def __init__(
        self,
        filters_1x1,
        filters_3x3_reduce,
        filters_3x3,
        filters_5x5_reduce,
        filters_5x5,
        filters_pool_proj,
        activation="relu",
        batch_norm=False,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        bn_momentum=0.99,
        bn_epsilon=1e-3,
        **kwargs,
    ):
        widths = (filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
                  filters_pool_proj)
        super().__init__(dict(zip(self._WIDTHS, widths)), use_bias, kernel_initializer, kernel_regularizer, bn_momentum,
                         bn_epsilon, **kwargs)
        self.activation = "prelu" if activation == "prelu" else keras.activations.get(activation)
        self.batch_norm = bool(batch_norm)

        self.convs = {}
        self.norms = {}
        self.acts = {}
        specs = [
            ("b1_1x1", self.filters_1x1, 1),
            ("b3_1x1", self.filters_3x3_reduce, 1),
            ("b3_3x3", self.filters_3x3, 3),
            ("b5_1x1", self.filters_5x5_reduce, 1),
            ("b5_5x5", self.filters_5x5, 5),
            ("pool_1x1", self.filters_pool_proj, 1),
        ]
        for name, filters, k in specs:
            self.convs[name] = keras.layers.Conv2D(
                filters,
                k,
                padding="same",
                use_bias=self.use_bias and not self.batch_norm,
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer,
                dtype=self.dtype_policy,
                name=name,
            )
            if self.batch_norm:
                self.norms[name] = keras.layers.BatchNormalization(
                    momentum=self.bn_momentum, epsilon=self.bn_epsilon,
                    dtype=self.dtype_policy, name=name + "_bn")
            if self.activation == "prelu":
                self.acts[name] = prelu(self.dtype_policy, name + "_prelu")
        self.pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", dtype=self.dtype_policy, name="pool")

    @staticmethod
    def output_channels(filters_1x1, filters_3x3, filters_5x5, filters_pool_proj, **unused):
        """Channels of the block output."""
        return int(filters_1x1) + int(filters_3x3) + int(filters_5x5) + int(filters_pool_proj)

    @staticmethod
    def expected_param_count(
        input_channels,
        filters_1x1,
        filters_3x3_reduce,
        filters_3x3,
        filters_5x5_reduce,
        filters_5x5,
        filters_pool_proj,
        activation="relu",
        batch_norm=False,
        use_bias=True,
        **unused,
    ):
        """Closed-form ``count_params()`` (BN moving statistics included)."""

        def unit(c_in, k, f):
            n = _conv_params(c_in, k, f, use_bias and not batch_norm)
            n += 4 * f if batch_norm else 0
            n += f if activation == "prelu" else 0
            return n

        c = int(input_channels)
        return int(
            unit(c, 1, filters_1x1)
            + unit(c, 1, filters_3x3_reduce)
            + unit(filters_3x3_reduce, 3, filters_3x3)
            + unit(c, 1, filters_5x5_reduce)
            + unit(filters_5x5_reduce, 5, filters_5x5)
            + unit(c, 1, filters_pool_proj)
        )

    def build(self, input_shape):
        shape = tuple(input_shape)
        base = shape[:-1]
        in_shapes = {
            "b1_1x1": shape,
            "b3_1x1": shape,
            "b3_3x3": base + (self.filters_3x3_reduce,),
            "b5_1x1": shape,
            "b5_5x5": base + (self.filters_5x5_reduce,),
            "pool_1x1": shape,
        }
        for name, conv in self.convs.items():
            conv.build(in_shapes[name])
            out_shape = base + (conv.filters,)
            if self.batch_norm:
                self.norms[name].build(out_shape)
            if self.activation == "prelu":
                self.acts[name].build(out_shape)
        self.pool.build(shape)

    def _unit(self, name, x, training):
        y = self.convs[name](x)
        if self.batch_norm:
            y = self.norms[name](y, training=training)
        if self.activation == "prelu":
            return self.acts[name](y)
        return self.activation(y)

    def call(self, inputs, training=None):
        y1 = self._unit("b1_1x1", inputs, training)
        y3 = self._unit("b3_3x3", self._unit("b3_1x1", inputs, training), training)
        y5 = self._unit("b5_5x5", self._unit("b5_1x1", inputs, training), training)
        yp = self._unit("pool_1x1", self.pool(inputs), training)
        return ops.concatenate([y1, y3, y5, yp], axis=-1)

    def get_config(self):
        activation = ("prelu" if self.activation == "prelu"
                      else keras.activations.serialize(self.activation))
        return {**super().get_config(), "activation": activation, "batch_norm": self.batch_norm}
