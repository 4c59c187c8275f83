"""Max pooling that records its switches, and the matching max unpooling.

Reference: Vununu et al., "Cell Images Classification using Deep
Convolutional Autoencoder" (DCAE), Table I (``../shared/papers/dcae_vununu2020.txt``):
every encoder ``Pool k`` (2x2, stride 2) is mirrored by a decoder ``Unpool k``
that restores the size (e.g. 14x14 -> 28x28).

Which unpooling? The table is the layout of the deconvolution network of Noh,
Hong & Han ("Learning deconvolution network for semantic segmentation", ICCV
2015): a ``14x14`` "Conv 5" down to ``1x1x4096``, a ``14x14`` "Deconv 5" back to
``14x14``, then alternating "Unpool"/"Deconv" layers of the same sizes as the
encoder. In that network (and in Zeiler & Fergus' deconvnets before it)
unpooling uses the *switch variables* -- the locations of the maxima recorded
by the corresponding pooling layer -- and places each pooled value back at its
location, zeros elsewhere. This is what :class:`MaxUnpooling2D` implements. (A
switch-free reading, nearest-neighbour upsampling, is
``keras.layers.UpSampling2D``; it is not what "unpooling" means in that
lineage.) Table I lists a padding of 2 for Pool 4/Unpool 4, which contradicts
its own 28x28 -> 14x14 sizes; use ``padding="valid"`` there.

Both layers are written in ``keras.ops`` and run on every Keras backend. The
switches are those of ``tf.nn.max_pool_with_argmax`` (the first maximum of a
window in row-major order, where several are equal); the unpooling is a
``keras.ops.scatter``.
"""

import keras
from keras import ops

from ._common import pair, register

__all__ = ["MaxPoolingWithArgmax2D", "MaxUnpooling2D"]


def _pooled_length(n, pool, stride, padding):
    if n is None:
        return None
    if padding == "same":
        return -(-n // stride)
    return (n - pool) // stride + 1


def _index_dtype():
    """int64, as ``tf.nn.max_pool_with_argmax``; int32 on JAX without 64-bit
    types enabled (which would truncate int64 to it with a warning)."""
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            return "int32"
    return "int64"


def _padding(n, pooled, pool, stride, padding):
    """(before, after) of TensorFlow's padding of a length-``n`` axis."""
    if padding == "valid":
        return (0, 0)
    total = (pooled - 1) * stride + pool - n
    total = max(total, 0) if isinstance(total, int) else ops.maximum(total, 0)
    return (total // 2, total - total // 2)


@register
class MaxPoolingWithArgmax2D(keras.layers.Layer):
    """2-D max pooling that also returns the argmax "switches".

    ``pooled, argmax = MaxPoolingWithArgmax2D()(x)`` for ``x`` of shape
    ``(N, H, W, C)``: ``pooled`` equals ``keras.layers.MaxPooling2D`` with the
    same arguments; ``argmax`` (int64 -- int32 on JAX without 64-bit types --
    same shape as ``pooled``) holds, for
    every pooled value, the flat index ``(y * W + x) * C + c`` of the maximum
    within its own example (``tf.nn.max_pool_with_argmax`` with
    ``include_batch_in_index=False``). Feed both to :class:`MaxUnpooling2D`.

    Args:
        pool_size: int or pair (default 2, as in the DCAE).
        strides: int or pair, defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = pair(strides, "strides") if strides is not None else self.pool_size
        padding = padding.lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"`padding` must be 'valid' or 'same', got {padding!r}.")
        self.padding = padding

    def call(self, inputs):
        pooled = ops.max_pool(inputs, self.pool_size, self.strides, self.padding)
        shape = ops.shape(inputs)
        height, width, channels = shape[1], shape[2], inputs.shape[-1]
        out_h, out_w = pooled.shape[1], pooled.shape[2]
        if out_h is None or out_w is None:  # TensorFlow graphs of unknown size
            out_h, out_w = ops.shape(pooled)[1], ops.shape(pooled)[2]
        # TensorFlow's "same" padding: the larger half after; padded samples never win
        pad_h = _padding(height, out_h, self.pool_size[0], self.strides[0], self.padding)
        pad_w = _padding(width, out_w, self.pool_size[1], self.strides[1], self.padding)
        padded = inputs
        if self.padding == "same":
            padded = ops.pad(inputs, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=float("-inf"))
        # the first window offset (row-major) holding the maximum
        window = self.pool_size[0] * self.pool_size[1]
        first = None
        for k in reversed(range(window)):
            dy, dx = divmod(k, self.pool_size[1])
            candidate = padded[:, dy:dy + (out_h - 1) * self.strides[0] + 1:self.strides[0],
                               dx:dx + (out_w - 1) * self.strides[1] + 1:self.strides[1]]
            is_max = candidate == pooled
            first = ops.where(is_max, k, window if first is None else first)
        dy, dx = first // self.pool_size[1], first % self.pool_size[1]
        row = ops.arange(out_h, dtype="int32")[:, None, None] * self.strides[0] - pad_h[0]
        col = ops.arange(out_w, dtype="int32")[None, :, None] * self.strides[1] - pad_w[0]
        channel = ops.arange(channels, dtype="int32")
        argmax = ((row + dy) * ops.cast(width, "int32") + col + dx) * channels + channel
        return pooled, ops.cast(argmax, _index_dtype())

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        shape = (
            n,
            _pooled_length(h, self.pool_size[0], self.strides[0], self.padding),
            _pooled_length(w, self.pool_size[1], self.strides[1], self.padding),
            c,
        )
        return shape, shape

    def compute_output_spec(self, inputs):
        shape, _ = self.compute_output_shape(inputs.shape)
        return (
            keras.KerasTensor(shape, dtype=self.compute_dtype),
            keras.KerasTensor(shape, dtype=_index_dtype()),
        )

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding)
        return config


@register
class MaxUnpooling2D(keras.layers.Layer):
    """Switch-based max unpooling (Zeiler & Fergus 2011; Noh et al. 2015).

    ``y = MaxUnpooling2D()([pooled, argmax])`` or
    ``y = MaxUnpooling2D()([pooled, argmax, reference])``: returns zeros of
    the pre-pooling shape ``(N, H, W, C)`` in which each pooled value is put
    back at the position recorded in ``argmax`` by
    :class:`MaxPoolingWithArgmax2D`. Where overlapping windows share a
    maximum, one of them (whichever the backend's scatter keeps) writes its
    value there -- the same value, when they come from the pooling -- and
    only that one gets the gradient, as for a single write (TensorFlow's
    overwriting scatter, used before, gave it to every one of them: twice the
    gradient for a maximum in two windows). Gradients flow to ``pooled``.

    The indices are only meaningful for the pre-pooling width ``W``, so the
    output size must be that of the tensor that was pooled:

    * with the optional third input ``reference`` (any tensor of shape
      ``(N, H, W, ...)``, typically the pooling layer's input) the output takes
      its height and width -- required when ``H`` or ``W`` was not a multiple
      of the stride, or is unknown;
    * otherwise the output is ``(h * stride_h, w * stride_w)``, which is right
      whenever the pooled size was divisible by the stride (all of the DCAE's
      224 -> 112 -> 56 -> 28 -> 14 pools).

    Args:
        size: the pooling strides to invert (int or pair, default 2).
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = pair(size, "size")

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) not in (2, 3):
            raise ValueError("MaxUnpooling2D expects [pooled, argmax] or [pooled, argmax, reference].")

    def call(self, inputs):
        values, argmax = inputs[0], inputs[1]
        channels = values.shape[-1]
        height, width = self.compute_output_shape([t.shape for t in inputs])[1:3]
        if height is None or width is None:  # TensorFlow graphs of unknown size
            if len(inputs) == 3:
                height, width = ops.shape(inputs[2])[1], ops.shape(inputs[2])[2]
            else:
                height = ops.shape(values)[1] * self.size[0]
                width = ops.shape(values)[2] * self.size[1]
        batch = ops.shape(values)[0]
        index = ops.reshape(ops.cast(argmax, "int32"), (batch, -1))  # within each example
        window = ops.broadcast_to(ops.arange(ops.shape(index)[1], dtype="int32")[None], ops.shape(index))
        example = ops.broadcast_to(ops.arange(batch, dtype="int32")[:, None], ops.shape(index))
        where = ops.reshape(ops.stack([example, index], axis=-1), (-1, 2))
        shape = (batch, height * width * channels)
        # one window per position writes (an adding scatter: exact, gradients to it alone)
        writer = ops.scatter_update(ops.full(shape, -1, "int32"), where, ops.reshape(window, (-1,)))
        writes = ops.take_along_axis(writer, index, axis=1) == window
        values = ops.where(writes, ops.reshape(values, (batch, -1)), ops.zeros((), values.dtype))
        out = ops.scatter(where, ops.reshape(values, (-1,)), shape)
        return ops.reshape(out, (batch, height, width, channels))

    def compute_output_shape(self, input_shape):
        values_shape = input_shape[0]
        if len(input_shape) == 3:
            ref = input_shape[2]
            height, width = ref[1], ref[2]
        else:
            height = None if values_shape[1] is None else values_shape[1] * self.size[0]
            width = None if values_shape[2] is None else values_shape[2] * self.size[1]
        return (values_shape[0], height, width, values_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update(size=list(self.size))
        return config
