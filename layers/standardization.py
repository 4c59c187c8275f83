"""Per-feature standardisation with its statistics as plain weights.

Registered as ``hep2repro_dcae>Standardization``: the name it had when it
lived in ``reproductions.dcae.models`` (the DCAE classifier's first layer), so
``.keras`` files saved before the move still load without ``custom_objects``.
It is the one layer of :mod:`layers` outside the ``hep2repro`` package name.
"""

import keras
import numpy as np

__all__ = ["Standardization"]

#: The package name ``Standardization`` was first saved under.
PACKAGE = "hep2repro_dcae"


@keras.saving.register_keras_serializable(package=PACKAGE)
class Standardization(keras.layers.Layer):
    """``(x - mean) / sqrt(variance + epsilon)`` per feature, with the mean
    and variance as plain non-trainable weights set by :meth:`adapt`.

    ``keras.layers.Normalization`` would do, but it computes from copies of
    its weights made when it is built or adapted, so weights copied into it
    afterwards (``reproductions.common.weight_loading.load_backbone_weights``,
    which assigns variables) are ignored until ``finalize_state()``. This
    layer reads its weights at every call."""

    def __init__(self, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        shape = (input_shape[-1],)
        self.mean = self.add_weight(shape=shape, initializer="zeros", trainable=False,
                                    name="mean")
        self.variance = self.add_weight(shape=shape, initializer="ones", trainable=False,
                                        name="variance")

    def adapt(self, data) -> None:
        """Sets the mean and variance to those of ``data`` (``(N, features)``)."""
        data = np.asarray(data, dtype=np.float64)
        if not self.built:
            self.build(data.shape)
        self.mean.assign(data.mean(axis=0).astype("float32"))
        self.variance.assign(data.var(axis=0).astype("float32"))

    def call(self, inputs):
        return (inputs - self.mean) / keras.ops.sqrt(self.variance + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
