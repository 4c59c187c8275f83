"""One-level 2-D discrete wavelet transform as a Keras layer (matches ``pywt.dwt2``).

Reference: Vununu, Lee & Kwon, "A Classification Method for the Cellular
Images Based on Active Learning and Cross-Modal Transfer Learning", Sensors
21(4):1469, 2021, §2.1 (``../shared/papers/active_transfer_vununu2021.txt``):
the first-level 2D-DWT gives the approximation and the horizontal, vertical
and diagonal details; one network takes the approximation, the other "the sum
of all the three details coefficients" (112x112 cells -> 56x56 coefficients).
The paper does not name the wavelet; ``haar`` is the default here.

Implementation
--------------
PyWavelets computes, along each axis, ``c[o] = sum_j h[j] * x_ext[2*o + 1 - j]``
with the signal extended by the chosen mode (``periodization``: odd signals are
padded with their last sample and wrapped, and the output is shifted by
``len(h) // 2 - 1`` samples). Here the same extension is done with a gather
along H and W (indices computed with NumPy when the size is static, with
``keras.ops`` when it is not), followed by one depthwise ``F x F`` convolution
with stride 2 whose four kernels are the outer products of the reversed
``dec_lo`` / ``dec_hi`` filters. Everything runs in the graph, on batches, on
CPU or GPU, on every Keras backend; results equal
``pywt.dwt2(x, wavelet, mode, axes=(1, 2))`` up to
float32 rounding.
"""

import functools
import types

import keras
import numpy as np
from keras import ops

from ._common import register

__all__ = ["MODES", "OUTPUT_MODES", "WaveletTransform2D", "dwt2", "dwt_output_length"]

#: Signal-extension modes supported (same meaning as in PyWavelets).
MODES = ("periodization", "symmetric", "reflect", "periodic", "zero", "constant")

#: Output layouts of :class:`WaveletTransform2D`.
OUTPUT_MODES = ("tuple", "dict", "concat", "details_sum")


@functools.lru_cache(maxsize=None)
def _filters(wavelet):
    """``(dec_lo, dec_hi)`` of a PyWavelets discrete wavelet, as float64 arrays."""
    import pywt  # imported lazily: keeps `import layers` light

    w = pywt.Wavelet(wavelet)
    lo = np.asarray(w.dec_lo, dtype=np.float64)
    hi = np.asarray(w.dec_hi, dtype=np.float64)
    return lo, hi


def _kernel(wavelet, channels):
    """Depthwise kernel ``(F, F, C, 4)``: output channel ``4*c + m``, m = A, H, V, D."""
    lo, hi = _filters(wavelet)
    lo_r, hi_r = lo[::-1], hi[::-1]
    # First factor runs along H (axis 1), second along W (axis 2).
    bank = np.stack(
        [np.outer(lo_r, lo_r), np.outer(hi_r, lo_r), np.outer(lo_r, hi_r), np.outer(hi_r, hi_r)],
        axis=-1,
    )  # (F, F, 4)
    return np.broadcast_to(bank[:, :, None, :], bank.shape[:2] + (channels, 4)).copy()


#: The array functions of :func:`_extension` for sizes known only when run.
_OPS = types.SimpleNamespace(arange=ops.arange, mod=ops.mod, where=ops.where,
                             minimum=ops.minimum, clip=ops.clip, logical_and=ops.logical_and)


def dwt_output_length(n, filter_len, mode):
    """Length of one-level DWT coefficients of a length-``n`` signal (as ``pywt.dwt_coeff_len``)."""
    if n is None:
        return None
    if mode == "periodization":
        return (n + 1) // 2
    return (n + filter_len - 1) // 2


def _extension(n, filter_len, mode):
    """Indices into a length-``n`` signal giving the extended signal that a VALID,
    stride-2 correlation with the reversed filter turns into pywt's coefficients.

    Returns ``(indices, mask)``; ``mask`` (1 inside the signal, 0 outside) is
    only used by the ``zero`` mode. ``n`` is a Python int (NumPy result) or a
    scalar tensor (a ``keras.ops`` result).
    """
    xp = np if isinstance(n, (int, np.integer)) else _OPS
    f = filter_len
    if mode == "periodization":
        n_even = n + n % 2  # odd signals get their last sample repeated
        start = f // 2 - (f - 1)
        idx = xp.mod(xp.arange(start, start + n_even + f - 2), n_even)
        return xp.minimum(idx, n - 1), None
    n_out = (n + f - 1) // 2
    k = xp.arange(2 - f, 2 * n_out)
    if mode == "symmetric":  # ... x1 x0 | x0 x1 ... x(n-1) | x(n-1) x(n-2) ...
        m = xp.mod(k, 2 * n)
        return xp.where(m >= n, 2 * n - 1 - m, m), None
    if mode == "reflect":  # ... x2 x1 | x0 x1 ... x(n-1) | x(n-2) ...
        period = 2 * n - 2
        if isinstance(period, int) and period <= 0:
            raise ValueError("mode='reflect' needs signals of length >= 2.")
        m = xp.mod(k, period)
        return xp.where(m >= n, period - m, m), None
    if mode == "periodic":
        return xp.mod(k, n), None
    if mode == "constant":  # edge values repeated
        return xp.clip(k, 0, n - 1), None
    if mode == "zero":
        return xp.clip(k, 0, n - 1), xp.logical_and(k >= 0, k < n)
    raise ValueError(f"Unknown mode {mode!r}; expected one of {MODES}.")


def _extend(x, axis, filter_len, mode):
    n = x.shape[axis]
    if n is None:  # TensorFlow graphs: a scalar tensor
        n = ops.shape(x)[axis]
    idx, mask = _extension(n, filter_len, mode)
    if isinstance(idx, np.ndarray) and mask is None and np.array_equal(idx, np.arange(n)):
        return x  # e.g. haar + periodization on an even size: nothing to extend
    x = ops.take(x, idx, axis=axis)
    if mask is not None:
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        x = x * ops.reshape(ops.cast(mask, x.dtype), shape)
    return x


def _validate(wavelet, mode):
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}; expected one of {MODES}.")
    try:
        _filters(wavelet)
    except ValueError as err:
        raise ValueError(f"{wavelet!r} is not a discrete PyWavelets wavelet ({err}).") from None


def _dwt2_packed(x, wavelet, mode):
    """Coefficients packed as ``(N, h, w, 4*C)`` with channel ``4*c + m`` (m = A, H, V, D)."""
    channels = x.shape[-1]
    if channels is None or len(x.shape) != 4:
        raise ValueError(f"dwt2 expects (batch, height, width, channels) with known channels; got {x.shape}.")
    filter_len = len(_filters(wavelet)[0])
    x = _extend(x, 1, filter_len, mode)
    x = _extend(x, 2, filter_len, mode)
    kernel = ops.convert_to_tensor(_kernel(wavelet, channels), dtype=x.dtype)
    return ops.depthwise_conv(x, kernel, strides=2, padding="valid")


def _unpack(packed):
    """``(N, h, w, 4*C)`` packed coefficients -> ``(cA, cH, cV, cD)``, each ``(N, h, w, C)``."""
    shape = ops.shape(packed)
    # reshape + unstack is several times faster than four strided slices on CPU
    split = ops.reshape(packed, (shape[0], shape[1], shape[2], packed.shape[-1] // 4, 4))
    return tuple(ops.unstack(split, num=4, axis=-1))


def dwt2(x, wavelet="haar", mode="periodization"):
    """One-level 2-D DWT of a batch of NHWC images, ``(cA, cH, cV, cD)``.

    Equivalent to ``cA, (cH, cV, cD) = pywt.dwt2(x, wavelet, mode, axes=(1, 2))``
    (PyWavelets' naming: ``cH`` = detail along the height axis / approximation
    along the width axis, i.e. horizontal edges; ``cV`` the converse; ``cD``
    detail along both). Each output has shape ``(N, h, w, C)`` with
    ``h = ceil(H / 2)`` for ``periodization`` and ``floor((H + F - 1) / 2)``
    otherwise (``F`` = filter length). Also usable in ``tf.data`` pipelines
    (map it over batched elements).
    """
    _validate(wavelet, mode)
    return _unpack(_dwt2_packed(ops.convert_to_tensor(x), wavelet, mode))


@register
class WaveletTransform2D(keras.layers.Layer):
    """One-level 2-D discrete wavelet transform of NHWC batches (no weights).

    Matches ``pywt.dwt2(x, wavelet, mode, axes=(1, 2))`` (to ~1e-6 in float32)
    for every discrete PyWavelets wavelet (``haar``, ``db1``-``db38``,
    ``sym*``, ``coif*``, and also the biorthogonal ``bior*``/``rbio*`` using
    their decomposition filters) and the extension modes in :data:`MODES`;
    odd and even sizes, any number of channels (each channel is transformed
    independently), static or dynamic height/width.

    Output layout (``output_mode``), each coefficient tensor of shape
    ``(N, h, w, C)`` with ``h = ceil(H/2)`` for ``periodization`` (e.g.
    112 -> 56) and ``floor((H + F - 1)/2)`` for the other modes:

    * ``"tuple"`` (default): ``(cA, cH, cV, cD)`` -- note: flat, whereas
      pywt returns ``(cA, (cH, cV, cD))``;
    * ``"dict"``: ``{"cA": ..., "cH": ..., "cV": ..., "cD": ...}``;
    * ``"concat"``: one tensor ``(N, h, w, 4*C)`` = ``concat([cA, cH, cV, cD],
      axis=-1)``, i.e. channels ``[0, C)`` are ``cA``, ``[C, 2C)`` ``cH`` ...;
    * ``"details_sum"``: ``(cA, cH + cV + cD)`` -- the two inputs of the
      parallel networks of Vununu et al. (2021).

    ``cH``/``cV``/``cD`` follow PyWavelets: ``cH`` is high-pass along the
    height axis and low-pass along the width axis.

    Args:
        wavelet: PyWavelets discrete wavelet name (default ``"haar"``).
        mode: signal extension mode, one of :data:`MODES`
            (default ``"periodization"``).
        output_mode: one of :data:`OUTPUT_MODES` (default ``"tuple"``).
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ...).
    """

    def __init__(self, wavelet="haar", mode="periodization", output_mode="tuple", **kwargs):
        super().__init__(**kwargs)
        _validate(wavelet, mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Unknown output_mode {output_mode!r}; expected one of {OUTPUT_MODES}.")
        self.wavelet = wavelet
        self.mode = mode
        self.output_mode = output_mode

    @property
    def filter_length(self):
        return len(_filters(self.wavelet)[0])

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "WaveletTransform2D expects (batch, height, width, channels) with a known "
                f"channel count; got {input_shape}."
            )

    def call(self, inputs):
        ca, ch, cv, cd = _unpack(_dwt2_packed(inputs, self.wavelet, self.mode))
        if self.output_mode == "tuple":
            return ca, ch, cv, cd
        if self.output_mode == "dict":
            return {"cA": ca, "cH": ch, "cV": cv, "cD": cd}
        if self.output_mode == "concat":
            return ops.concatenate([ca, ch, cv, cd], axis=-1)
        return ca, ch + cv + cd

    def compute_output_shape(self, input_shape):
        n, height, width, channels = input_shape
        f = self.filter_length
        shape = (n, dwt_output_length(height, f, self.mode), dwt_output_length(width, f, self.mode), channels)
        if self.output_mode == "tuple":
            return (shape,) * 4
        if self.output_mode == "dict":
            return {key: shape for key in ("cA", "cH", "cV", "cD")}
        if self.output_mode == "concat":
            return shape[:3] + (4 * channels,)
        return (shape, shape)

    def get_config(self):
        config = super().get_config()
        config.update(wavelet=self.wavelet, mode=self.mode, output_mode=self.output_mode)
        return config
