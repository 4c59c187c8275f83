"""Small helpers shared by the modules of :mod:`layers` (private)."""

import keras

#: Package name under which every layer is registered with Keras, so that a
#: saved model refers to e.g. ``"hep2repro>SoftThreshold"``.
PACKAGE = "hep2repro"


def register(cls):
    """Register ``cls`` with ``keras.saving`` under :data:`PACKAGE`."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def pair(value, name):
    """Return ``value`` as a tuple of two positive ints (int -> ``(v, v)``)."""
    if isinstance(value, int):
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(f"`{name}` must be a positive int or a pair of them, got {value}.")
    return value


def serialize(obj):
    """Serialise a Keras initializer/regularizer (``None`` stays ``None``)."""
    return None if obj is None else keras.saving.serialize_keras_object(obj)


def prelu(dtype, name, alpha=0.25):
    """PReLU with one slope per channel, initialised to ``alpha`` (He et al. 2015)."""
    return keras.layers.PReLU(
        alpha_initializer=keras.initializers.Constant(alpha),
        shared_axes=[1, 2],
        dtype=dtype,
        name=name,
    )


def _conv_params(c_in, k, filters, bias):
    return k * k * c_in * filters + (filters if bias else 0)


class _ConvBlock(keras.layers.Layer):
    """What the convolution blocks share (``dri``, ``inception``): the settings of their
    convolutions and batch normalisations (stored, and serialised by
    :meth:`get_config`), and the integer widths named in ``_WIDTHS``."""

    _WIDTHS = ()

    def __init__(self, widths, use_bias, kernel_initializer, kernel_regularizer,
                 bn_momentum, bn_epsilon, **kwargs):
        super().__init__(**kwargs)
        for name in self._WIDTHS:
            setattr(self, name, int(widths[name]))
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bn_momentum = float(bn_momentum)
        self.bn_epsilon = float(bn_epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({name: getattr(self, name) for name in self._WIDTHS})
        config.update(
            use_bias=self.use_bias,
            kernel_initializer=serialize(self.kernel_initializer),
            kernel_regularizer=serialize(self.kernel_regularizer),
            bn_momentum=self.bn_momentum,
            bn_epsilon=self.bn_epsilon,
        )
        return config


class _InceptionStyleBlock(_ConvBlock):
    """Four concatenated branches; ``output_channels`` sums the widths."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_channels(**self.get_config()),)
