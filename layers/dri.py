"""Deep Residual Inception (DRI) module (the original Inception module is in
:mod:`layers.inception`, re-exported here).

References
----------
* Li & Shen, "A Deep Residual Inception Network for HEp-2 Cell
  Classification", DLMIA 2017, §2.2, Fig. 2 and Table 1
  (``../shared/papers/dri_li_shen2017.txt``).
* Szegedy et al., "Going deeper with convolutions", CVPR 2015 (Inception).
* He et al., "Identity mappings in deep residual networks", ECCV 2016
  (pre-activation: BN and activation *before* each convolution).
* He et al., "Delving deep into rectifiers", ICCV 2015 (PReLU, slopes
  initialised to 0.25).
"""

from types import MappingProxyType

import keras
from keras import ops

from ._common import _conv_params, _ConvBlock, _InceptionStyleBlock, prelu, register
from .inception import InceptionBlock

__all__ = ["DRI_TABLE1", "DRIBlock", "InceptionBlock", "PreActConv2D"]


def _config(f1, r3, f3, r5, f5, f53, fp):
    return MappingProxyType(
        dict(
            filters_1x1=f1,
            filters_3x3_reduce=r3,
            filters_3x3=f3,
            filters_5x5_reduce=r5,
            filters_5x5=f5,
            filters_5x5_3x3=f53,
            filters_pool_proj=fp,
        )
    )


#: Table 1 of Li & Shen (2017), as printed: block name -> ``DRIBlock`` kwargs.
#: Use as ``DRIBlock(**DRI_TABLE1["1-1"])``. Order of the 7 entries is the
#: order of the blocks in the network. Note: the 1x1 branch of DRI 2-3 is
#: printed as 244 (possibly a typo for 224 or 256); it is kept as printed.
DRI_TABLE1 = MappingProxyType(
    {
        "1-1": _config(64, 96, 128, 16, 32, 64, 32),
        "1-2": _config(128, 128, 192, 32, 96, 128, 64),
        "2-1": _config(192, 112, 224, 16, 48, 96, 64),
        "2-2": _config(160, 128, 256, 24, 64, 128, 64),
        "2-3": _config(244, 144, 288, 24, 64, 128, 64),
        "3-1": _config(256, 160, 320, 32, 128, 256, 128),
        "3-2": _config(384, 192, 384, 48, 128, 256, 128),
    }
)


@register
class PreActConv2D(_ConvBlock):
    """``BatchNorm -> PReLU -> Conv2D`` (pre-activation unit, stride 1, 'same').

    The building unit of :class:`DRIBlock` ("Batch Normalization and PReLU are
    placed in front of convolutional layers", Li & Shen 2017, §2.2). PReLU has
    one slope per input channel (``shared_axes=[1, 2]``) initialised to
    ``prelu_init``.

    Parameters: ``4*C_in`` (BN; 2 of them non-trainable moving statistics)
    ``+ C_in`` (PReLU) ``+ k*k*C_in*filters (+ filters if use_bias)``.
    """

    _WIDTHS = ("filters", "kernel_size")

    def __init__(
        self,
        filters,
        kernel_size,
        use_bias=True,
        prelu_init=0.25,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        bn_momentum=0.99,
        bn_epsilon=1e-3,
        **kwargs,
    ):
        super().__init__(dict(filters=filters, kernel_size=kernel_size), use_bias,
                         kernel_initializer, kernel_regularizer, bn_momentum, bn_epsilon,
                         **kwargs)
        self.prelu_init = float(prelu_init)
        self.bn = keras.layers.BatchNormalization(
            momentum=self.bn_momentum, epsilon=self.bn_epsilon, dtype=self.dtype_policy, name="bn"
        )
        self.act = prelu(self.dtype_policy, "prelu", self.prelu_init)
        self.conv = keras.layers.Conv2D(
            self.filters,
            self.kernel_size,
            padding="same",
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            dtype=self.dtype_policy,
            name="conv",
        )

    def build(self, input_shape):
        self.bn.build(input_shape)
        self.act.build(input_shape)
        self.conv.build(input_shape)

    def call(self, inputs, training=None):
        return self.conv(self.act(self.bn(inputs, training=training)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "prelu_init": self.prelu_init}


@register
class DRIBlock(_InceptionStyleBlock):
    """Deep Residual Inception module (Li & Shen 2017, Fig. 2, Table 1).

    Four parallel branches on the input ``x`` (every convolution is a
    :class:`PreActConv2D` ``BN -> PReLU -> Conv``, stride 1, 'same' padding),
    concatenated along channels in this order:

    1. ``1x1`` conv (``filters_1x1``);
    2. ``r3 = 1x1`` conv (``filters_3x3_reduce``), then
       ``3x3`` conv (``filters_3x3``) ``+ shortcut(r3)``;
    3. ``r5 = 1x1`` conv (``filters_5x5_reduce``), then ``5x5`` conv
       (``filters_5x5``), ``3x3`` conv (``filters_5x5_3x3``) ``+ shortcut(r5)``;
    4. ``3x3`` max pooling (stride 1), then ``1x1`` conv (``filters_pool_proj``).

    **Identity shortcuts (a documented choice -- the paper does not say).**
    The paper "replaces the plain convolutional layers in Inception with
    residual modules": we read the 3x3 conv (branch 2) and the 5x5->3x3 stack
    (branch 3) as the residual functions and the output of the branch's 1x1
    reduction as their input, so each shortcut spans the convolutions that
    follow the reduction (as a pre-activation residual unit). The reduction
    is always narrower than the branch output in Table 1 (e.g. 96 -> 128,
    16 -> 64), so with ``shortcut="zero_pad"`` (default) the identity is kept
    parameter-free by zero-padding the extra channels, as in option (A) of
    He et al. (2016); ``shortcut="projection"`` instead adds a bias-free 1x1
    convolution on the shortcut (option (B)). ``zero_pad`` raises a
    ``ValueError`` if a reduction is wider than its branch output.

    The 5x5 convolution has no bias: its output only feeds the batch
    normalisation of the next unit, which makes a bias redundant (it would
    get an identically zero gradient). All other convolutions follow
    ``use_bias``. The paper initialises with Caffe's 'xavier' scheme:
    ``kernel_initializer="glorot_uniform"`` (default) is the Keras equivalent.

    Output channels: ``filters_1x1 + filters_3x3 + filters_5x5_3x3 +
    filters_pool_proj`` (:meth:`output_channels`); the parameter count is
    given in closed form by :meth:`expected_param_count`.

    Args:
        filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce,
        filters_5x5, filters_5x5_3x3, filters_pool_proj: branch widths, named
            after Table 1 (see :data:`DRI_TABLE1`).
        shortcut: ``"zero_pad"`` or ``"projection"`` (see above).
        use_bias: bias in the convolutions (Caffe default: True).
        prelu_init: initial PReLU slope (0.25, He et al. 2015).
        kernel_initializer, kernel_regularizer: for every convolution.
        bn_momentum, bn_epsilon: for every batch normalisation.
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    _WIDTHS = tuple(_config(*range(7)))

    def __init__(
        self,
        filters_1x1,
        filters_3x3_reduce,
        filters_3x3,
        filters_5x5_reduce,
        filters_5x5,
        filters_5x5_3x3,
        filters_pool_proj,
        shortcut="zero_pad",
        use_bias=True,
        prelu_init=0.25,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        bn_momentum=0.99,
        bn_epsilon=1e-3,
        **kwargs,
    ):
        if shortcut not in ("zero_pad", "projection"):
            raise ValueError(f"`shortcut` must be 'zero_pad' or 'projection', got {shortcut!r}.")
        super().__init__(_config(filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce,
                                 filters_5x5, filters_5x5_3x3, filters_pool_proj),
                         use_bias, kernel_initializer, kernel_regularizer, bn_momentum,
                         bn_epsilon, **kwargs)
        self.shortcut = shortcut
        self.prelu_init = float(prelu_init)
        if shortcut == "zero_pad":
            for reduce, out in ((self.filters_3x3_reduce, self.filters_3x3),
                                (self.filters_5x5_reduce, self.filters_5x5_3x3)):
                if reduce > out:
                    raise ValueError(
                        f"shortcut='zero_pad' needs the reduction ({reduce}) to be at most "
                        f"as wide as the branch output ({out}); use shortcut='projection'."
                    )

        def unit(filters, k, name, use_bias=self.use_bias):
            return PreActConv2D(
                filters,
                k,
                use_bias=use_bias,
                prelu_init=self.prelu_init,
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer,
                bn_momentum=self.bn_momentum,
                bn_epsilon=self.bn_epsilon,
                dtype=self.dtype_policy,
                name=name,
            )

        self.branch1 = unit(self.filters_1x1, 1, "b1_1x1")
        self.branch3_reduce = unit(self.filters_3x3_reduce, 1, "b3_1x1")
        self.branch3_conv = unit(self.filters_3x3, 3, "b3_3x3")
        self.branch5_reduce = unit(self.filters_5x5_reduce, 1, "b5_1x1")
        self.branch5_conv5 = unit(self.filters_5x5, 5, "b5_5x5", use_bias=False)
        self.branch5_conv3 = unit(self.filters_5x5_3x3, 3, "b5_3x3")
        self.pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", dtype=self.dtype_policy, name="pool")
        self.pool_proj = unit(self.filters_pool_proj, 1, "pool_1x1")
        if shortcut == "projection":

            def projection(filters, name):
                return keras.layers.Conv2D(
                    filters,
                    1,
                    use_bias=False,
                    kernel_initializer=self.kernel_initializer,
                    kernel_regularizer=self.kernel_regularizer,
                    dtype=self.dtype_policy,
                    name=name,
                )

            self.branch3_shortcut = projection(self.filters_3x3, "b3_shortcut")
            self.branch5_shortcut = projection(self.filters_5x5_3x3, "b5_shortcut")

    @staticmethod
    def output_channels(filters_1x1, filters_3x3, filters_5x5_3x3, filters_pool_proj, **unused):
        """Channels of the block output; accepts a full config, e.g. ``**DRI_TABLE1["1-1"]``."""
        return int(filters_1x1) + int(filters_3x3) + int(filters_5x5_3x3) + int(filters_pool_proj)

    @staticmethod
    def expected_param_count(
        input_channels,
        filters_1x1,
        filters_3x3_reduce,
        filters_3x3,
        filters_5x5_reduce,
        filters_5x5,
        filters_5x5_3x3,
        filters_pool_proj,
        shortcut="zero_pad",
        use_bias=True,
        trainable_only=False,
        **unused,
    ):
        """Closed-form parameter count of a block on ``input_channels`` channels.

        Equals ``block.count_params()`` (or the trainable count if
        ``trainable_only``; the BN moving mean/variance are the only
        non-trainable weights). Each ``PreActConv2D`` on ``c`` channels costs
        ``(4 or 2)*c + c + k*k*c*f (+ f)``; the projection shortcuts add
        ``r3*f3 + r5*f53``.
        """
        bn = 2 if trainable_only else 4

        def unit(c_in, k, f, bias=use_bias):
            return bn * c_in + c_in + _conv_params(c_in, k, f, bias)

        c = int(input_channels)
        total = (
            unit(c, 1, filters_1x1)
            + unit(c, 1, filters_3x3_reduce)
            + unit(filters_3x3_reduce, 3, filters_3x3)
            + unit(c, 1, filters_5x5_reduce)
            + unit(filters_5x5_reduce, 5, filters_5x5, bias=False)
            + unit(filters_5x5, 3, filters_5x5_3x3)
            + unit(c, 1, filters_pool_proj)
        )
        if shortcut == "projection":
            total += filters_3x3_reduce * filters_3x3 + filters_5x5_reduce * filters_5x5_3x3
        return int(total)

    def _shortcut(self, r, out_filters, projection=None):
        if projection is not None:
            return projection(r)
        extra = out_filters - r.shape[-1]
        if extra == 0:
            return r
        return ops.pad(r, [[0, 0], [0, 0], [0, 0], [0, extra]])

    def build(self, input_shape):
        shape = tuple(input_shape)
        base = shape[:-1]
        self.branch1.build(shape)
        self.branch3_reduce.build(shape)
        self.branch3_conv.build(base + (self.filters_3x3_reduce,))
        self.branch5_reduce.build(shape)
        self.branch5_conv5.build(base + (self.filters_5x5_reduce,))
        self.branch5_conv3.build(base + (self.filters_5x5,))
        self.pool.build(shape)
        self.pool_proj.build(shape)
        if self.shortcut == "projection":
            self.branch3_shortcut.build(base + (self.filters_3x3_reduce,))
            self.branch5_shortcut.build(base + (self.filters_5x5_reduce,))

    def branch_outputs(self, inputs, training=None):
        """The four branch outputs ``[b1, b3, b5, pool]`` before concatenation."""
        projection = self.shortcut == "projection"
        y1 = self.branch1(inputs, training=training)
        r3 = self.branch3_reduce(inputs, training=training)
        y3 = self.branch3_conv(r3, training=training) + self._shortcut(
            r3, self.filters_3x3, self.branch3_shortcut if projection else None
        )
        r5 = self.branch5_reduce(inputs, training=training)
        t5 = self.branch5_conv5(r5, training=training)
        y5 = self.branch5_conv3(t5, training=training) + self._shortcut(
            r5, self.filters_5x5_3x3, self.branch5_shortcut if projection else None
        )
        yp = self.pool_proj(self.pool(inputs), training=training)
        return [y1, y3, y5, yp]

    def call(self, inputs, training=None):
        return ops.concatenate(self.branch_outputs(inputs, training=training), axis=-1)

    def get_config(self):
        return {**super().get_config(), "shortcut": self.shortcut, "prelu_init": self.prelu_init}
