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
