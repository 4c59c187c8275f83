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

Both layers use ``tf.nn.max_pool_with_argmax`` and TensorFlow scatter ops,
so they need the TensorFlow backend (the project's backend).
"""

import keras

from ._common import pair, register

__all__ = ["MaxPoolingWithArgmax2D", "MaxUnpooling2D"]


def _pooled_length(n, pool, stride, padding):
    if n is None:
        return None
    if padding == "same":
        return -(-n // stride)
    return (n - pool) // stride + 1


@register
class MaxPoolingWithArgmax2D(keras.layers.Layer):
    """2-D max pooling that also returns the argmax "switches".

    ``pooled, argmax = MaxPoolingWithArgmax2D()(x)`` for ``x`` of shape
    ``(N, H, W, C)``: ``pooled`` equals ``keras.layers.MaxPooling2D`` with the
    same arguments; ``argmax`` (int64, same shape as ``pooled``) holds, for
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
        import tensorflow as tf

        pooled, argmax = tf.nn.max_pool_with_argmax(
            inputs,
            ksize=(1,) + self.pool_size + (1,),
            strides=(1,) + self.strides + (1,),
            padding=self.padding.upper(),
            include_batch_in_index=False,
        )
        return pooled, argmax

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
            keras.KerasTensor(shape, dtype="int64"),
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
    :class:`MaxPoolingWithArgmax2D` (values whose windows share a maximum
    write the same value there). Gradients flow to ``pooled``.

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
        import tensorflow as tf

        values, argmax = inputs[0], inputs[1]
        channels = values.shape[-1]
        if len(inputs) == 3:
            ref_shape = tf.shape(inputs[2])
            height, width = ref_shape[1], ref_shape[2]
        else:
            shape = tf.shape(values)
            height, width = shape[1] * self.size[0], shape[2] * self.size[1]
        batch = tf.shape(values)[0]
        flat_values = tf.reshape(values, (batch, -1))
        flat_index = tf.reshape(tf.cast(argmax, "int64"), (batch, -1))
        batch_index = tf.broadcast_to(tf.range(tf.cast(batch, "int64"), dtype="int64")[:, None], tf.shape(flat_index))
        scatter_index = tf.stack([batch_index, flat_index], axis=-1)
        size = tf.cast(height * width * channels, "int64")
        zeros = tf.zeros(tf.stack([tf.cast(batch, "int64"), size]), dtype=values.dtype)
        out = tf.tensor_scatter_nd_update(zeros, scatter_index, flat_values)
        out = tf.reshape(out, tf.stack([batch, height, width, channels]))
        if not tf.executing_eagerly():  # keep the static shape inside tf.function
            out.set_shape(self.compute_output_shape([t.shape for t in inputs]))
        return out

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
