"""Soft thresholding and the learned channel-wise shrinkage unit of DRSNs.

References
----------
* Zhao, Zhong, Fu, Tang, Pecht, "Deep Residual Shrinkage Networks for Fault
  Diagnosis", IEEE Trans. Industrial Informatics 16(7), 2020 (DRSN-CW unit).
* Wang et al., "A HEp-2 cell image classification model based on deep residual
  shrinkage network combined with dilated convolution", IIP 2022 (DRSN-DC),
  eq. (1) and §3.4 (``../shared/papers/drsn_dc_wang2022.txt``).
"""

import keras
from keras import ops

from ._common import register, serialize

__all__ = ["soft_threshold", "SoftThreshold"]


def soft_threshold(x, tau):
    """Soft thresholding, eq. (1) of Wang et al. (2022).

    ``y = x - tau`` if ``x > tau``; ``0`` if ``-tau <= x <= tau``;
    ``x + tau`` if ``x < -tau``; written as ``sign(x) * max(|x| - tau, 0)``.

    Args:
        x: tensor (any shape, floating dtype).
        tau: non-negative threshold(s), broadcastable to ``x`` (a scalar, or
            e.g. shape ``(batch, 1, 1, channels)`` for per-channel thresholds).

    Returns:
        Tensor with the shape and dtype of ``x``; exactly zero on the band
        ``|x| <= tau``.
    """
    x = ops.convert_to_tensor(x)
    tau = ops.cast(tau, x.dtype)
    return ops.sign(x) * ops.relu(ops.abs(x) - tau)


@register
class SoftThreshold(keras.layers.Layer):
    """Learned channel-wise soft thresholding (the DRSN-CW shrinkage sub-network).

    Implements the "soft threshold learning module" of Wang et al. (2022, §3.4,
    Fig. 5), taken from Zhao et al. (2020): for an input ``x`` of shape
    ``(batch, *spatial, C)``

    1. ``m = GAP(|x|)`` -- per-sample, per-channel mean absolute value, ``(batch, C)``;
    2. ``alpha = sigmoid(FC2(ReLU(BN(FC1(m)))))`` -- scaling in ``(0, 1)``;
    3. ``tau = alpha * m`` -- one threshold per sample and channel, so
       ``0 < tau < mean|x|`` and the layer can never zero a whole channel;
    4. ``y = soft_threshold(x, tau)`` (eq. 1).

    ``FC1`` has ``max(1, C // reduction)`` units (``reduction=1``: as many units
    as channels, as in the DRSN paper) and ``FC2`` has ``C`` units. ``FC1`` has
    no bias: it is followed by batch normalisation, which makes a bias
    redundant (its gradient is identically zero in training mode).

    Works on any input rank >= 3 with channels last: images ``(N, H, W, C)``
    as well as 1-D signals ``(N, L, C)``. Output shape = input shape.

    Args:
        reduction: channel reduction ratio of ``FC1`` (int >= 1).
        kernel_initializer: initializer of both FC kernels.
        kernel_regularizer: optional regularizer of both FC kernels.
        bn_momentum: momentum of the sub-network's batch normalisation.
        bn_epsilon: epsilon of the sub-network's batch normalisation.
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    def __init__(
        self,
        reduction=1,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        bn_momentum=0.99,
        bn_epsilon=1e-3,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(reduction) < 1:
            raise ValueError(f"`reduction` must be >= 1, got {reduction}.")
        self.reduction = int(reduction)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bn_momentum = float(bn_momentum)
        self.bn_epsilon = float(bn_epsilon)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                "SoftThreshold expects inputs of rank >= 3 (batch, *spatial, "
                f"channels); got shape {input_shape}."
            )
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("SoftThreshold needs a known channel dimension.")
        units = max(1, channels // self.reduction)
        common = dict(
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            dtype=self.dtype_policy,
        )
        self.fc1 = keras.layers.Dense(units, use_bias=False, name="fc1", **common)
        self.bn = keras.layers.BatchNormalization(
            momentum=self.bn_momentum,
            epsilon=self.bn_epsilon,
            dtype=self.dtype_policy,
            name="bn",
        )
        self.fc2 = keras.layers.Dense(channels, name="fc2", **common)
        self.fc1.build((None, channels))
        self.bn.build((None, units))
        self.fc2.build((None, units))

    def thresholds(self, inputs, training=None):
        """Return ``tau`` with shape ``(batch, 1, ..., 1, C)`` (broadcastable to inputs)."""
        rank = len(inputs.shape)
        spatial_axes = tuple(range(1, rank - 1))
        # Average in float32 even under a float16 policy (large spatial sums).
        m = ops.mean(ops.abs(ops.cast(inputs, "float32")), axis=spatial_axes)
        z = self.fc1(m)
        z = self.bn(z, training=training)
        alpha = ops.sigmoid(self.fc2(ops.relu(z)))
        tau = ops.cast(alpha, "float32") * m
        tau = ops.reshape(tau, (-1,) + (1,) * len(spatial_axes) + (inputs.shape[-1],))
        return ops.cast(tau, inputs.dtype)

    def call(self, inputs, training=None):
        return soft_threshold(inputs, self.thresholds(inputs, training=training))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            reduction=self.reduction,
            kernel_initializer=serialize(self.kernel_initializer),
            kernel_regularizer=serialize(self.kernel_regularizer),
            bn_momentum=self.bn_momentum,
            bn_epsilon=self.bn_epsilon,
        )
        return config
