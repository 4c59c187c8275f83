"""``tf.image.resize`` written in ``keras.ops`` (private to :mod:`layers`).

The preprocessing layers (:mod:`layers.preprocessing`) must give what the
training pipelines give with ``tf.image.resize`` (``reproductions/<paper>/data.py``),
on every Keras backend. The backends' own ``keras.ops.image.resize`` do not
agree with it: PyTorch's bicubic uses ``a = -0.75``, JAX's and TensorFlow's
non-antialiased bicubic treat the borders differently, and TensorFlow reads
its bicubic weights from a table of 1,024 steps. So the resampling is done
here, the TensorFlow way, one axis at a time, as a gather of ``T`` taps per
output sample and their weighted sum (plain float32 products: no matrix
multiplication, so no TF32 on GPUs):

* ``nearest``: ``ResizeNearestNeighbor`` with half-pixel centres;
* ``bilinear``: ``ResizeBilinear`` with half-pixel centres (the triangle
  kernel; samples past the border take the border value);
* ``bicubic``: ``ResizeBicubic`` with half-pixel centres (Keys' kernel,
  ``a = -0.5``, at the sampling position rounded to 1/1024 as TensorFlow's
  table does; taps outside the signal dropped and the weights renormalised);
* ``antialias=True`` (bilinear, bicubic): ``ScaleAndTranslate`` -- the kernel
  stretched by the downsampling factor, weights renormalised over the taps
  inside the signal.

A *canvas* of ``side`` samples is what gets resized; the data may cover only
part of it (zero padding around it: :func:`taps` gives the weights for the
whole canvas, the caller maps canvas positions to data positions and zeroes
the weights of the padding).

Eagerly, the sampling positions are computed with TensorFlow's own float32
roundings (results equal ``tf.image.resize``'s to a few 1e-7). Inside a
``tf.function`` TensorFlow's graph optimiser may fold the constants of those
expressions differently, which moves a position by an ulp (about 4e-6 at
position 33): the results then differ by that much times the image's
gradient.
"""

import math

from keras import ops

#: Methods of :func:`taps` (the names of ``tf.image.resize``).
METHODS = ("bilinear", "bicubic", "nearest")

#: Kernel radius of each interpolating method.
_RADIUS = {"bilinear": 1.0, "bicubic": 2.0}


def _kernel(method, x):
    """The interpolation kernel at ``|x|`` (``x >= 0``)."""
    if method == "bilinear":  # triangle
        return ops.maximum(1.0 - x, 0.0)
    # Keys' cubic convolution with a = -0.5
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return ops.where(x < 1.0, near, ops.where(x < 2.0, far, 0.0))


def tap_count(method, antialias, max_side, out_size):
    """How many taps one output sample reads, for canvases of at most
    ``max_side`` samples (a Python int, or a scalar tensor when unknown)."""
    if method == "nearest":
        return 1
    radius = _RADIUS[method]
    if isinstance(max_side, int):
        stretch = max(max_side / out_size, 1.0) if antialias else 1.0
        return 2 * math.ceil(radius * stretch) + 2  # one spare: float rounding
    stretch = ops.cast(max_side, "float32") / out_size
    stretch = ops.maximum(stretch, 1.0) if antialias else ops.ones_like(stretch)
    return 2 * ops.cast(ops.ceil(radius * stretch), "int32") + 2


def taps(side, out_size, method, antialias, count):
    """The canvas positions and weights of each output sample.

    Args:
      side: canvas length, a float32 tensor of shape ``(batch, 1)`` (or ``(1, 1)``).
      out_size: the output length (Python int).
      method: one of :data:`METHODS`.
      antialias: as in ``tf.image.resize`` (ignored by ``nearest``).
      count: :func:`tap_count` for the largest canvas.

    Returns:
      ``(index, weight)``, each ``(batch, out_size, count)``: int32 canvas
      positions (possibly outside ``[0, side)``, where the weight is 0) and
      float32 weights that sum to 1 over the last axis.
    """
    i = ops.arange(out_size, dtype="float32")[None, :]  # (1, out)
    if method == "nearest":
        scale = side / float(out_size)
        index = ops.minimum(ops.floor((i + 0.5) * scale), side - 1.0)
        return ops.cast(index, "int32")[..., None], ops.ones_like(index)[..., None]
    radius = _RADIUS[method]
    if antialias:  # ScaleAndTranslate: sample_f = (x + 0.5) / scale
        inv_scale = 1.0 / (float(out_size) / side)
        stretch = ops.maximum(inv_scale, 1.0)
        centre = (i + 0.5) * inv_scale  # (batch, out), in pixel-edge coordinates
    else:
        scale = side / float(out_size)
        stretch = ops.ones_like(scale)
        centre = (i + 0.5) * scale
        if method == "bicubic":  # the position rounded to TensorFlow's 1/1024 table
            located = centre - 0.5
            floor = ops.floor(located)
            centre = floor + ops.round((located - floor) * 1024.0) / 1024.0 + 0.5
    start = ops.ceil(centre - radius * stretch - 0.5)  # (batch, out)
    index = start[..., None] + ops.cast(ops.arange(count), "float32")  # (batch, out, T)
    distance = ops.abs((index + 0.5 - centre[..., None]) * (1.0 / stretch)[..., None])
    inside = ops.logical_and(index >= 0.0, index < side[..., None])
    weight = ops.where(inside, _kernel(method, distance), 0.0)
    total = ops.sum(weight, axis=-1, keepdims=True)
    weight = weight / ops.where(ops.abs(total) >= 1.2e-35, total, 1.0)
    return ops.cast(index, "int32"), weight


def gather_rows(x, index, weight):
    """``out[b, i] = sum_t weight[b, i, t] * x[b, index[b, i, t]]`` for ``x`` of
    shape ``(batch, rows, ...)`` (float32) and ``index`` / ``weight`` of shape
    ``(batch, out, T)``; ``index`` must lie in ``[0, rows)``."""
    shape = ops.shape(x)
    batch, rows = shape[0], shape[1]
    flat = ops.reshape(x, (-1,) + tuple(shape[2:]))
    offset = ops.reshape(ops.arange(batch, dtype="int32") * ops.cast(rows, "int32"), (-1, 1, 1))
    picked = ops.take(flat, ops.reshape(index + offset, (-1,)), axis=0)
    out_size, count = index.shape[1], ops.shape(index)[2]
    picked = ops.reshape(picked, (batch, out_size, count) + tuple(shape[2:]))
    weight = ops.reshape(weight, ops.shape(weight) + (1,) * (len(x.shape) - 2))
    return ops.sum(picked * weight, axis=2)


def resize_canvas(x, size, method, antialias, rows, cols):
    """Resizes the float32 ``(batch, H, W, C)`` batch ``x`` to ``size × size``
    as ``tf.image.resize`` resizes a zero-padded canvas holding (part of) it.

    ``rows`` (and ``cols`` alike) is ``(side, first, top, length)``: the
    canvas has ``side`` rows, and its rows ``top … top + length - 1`` are rows
    ``first …`` of ``x`` (the others are zeros). Each is a tensor of shape
    ``(batch, 1)``, or ``(1, 1)`` when the same for the whole batch (ints)."""
    height, width = ops.shape(x)[1], ops.shape(x)[2]
    count = tap_count(method, antialias, largest(height, width), size)
    for side, first, top, length in (rows, cols):
        index, weight = taps(ops.cast(side, "float32"), size, method, antialias, count)
        data = index - top[..., None]  # position in the data, from `first`
        weight = ops.where(ops.logical_and(data >= 0, data < length[..., None]), weight, 0.0)
        index = ops.clip(data + first[..., None], 0, ops.shape(x)[1] - 1)
        # rows first, then (swapped into place) the columns
        x = ops.transpose(gather_rows(x, index, weight), (0, 2, 1, 3))
    return x


def largest(a, b):
    return max(a, b) if isinstance(a, int) and isinstance(b, int) else ops.maximum(a, b)


def column(value):
    """An int or a scalar / per-image tensor as an int32 tensor of shape ``(-1, 1)``."""
    return ops.reshape(ops.cast(value, "int32"), (-1, 1))


def check_size(value):
    value = int(value)
    if value < 1:
        raise ValueError(f"`size` must be a positive int, got {value}.")
    return value


def check_method(value):
    value = str(value)
    if value not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {value!r}.")
    return value
