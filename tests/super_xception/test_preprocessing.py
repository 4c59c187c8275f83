"""Chromosome preprocessing: crop, length normalisation or pad-to-square,
anti-aliased bicubic down-sampling to 50×50."""
import numpy as np
import tensorflow as tf

from reproductions.common import data as data_lib
from reproductions.super_xception import data

CANVAS = {"k1": 100}


def _example(length, width=8, karyotype="k1", margin=5):
    """A bright vertical rod of ``length`` × ``width`` on a black background."""
    image = np.zeros((length + 2 * margin, width + 2 * margin + 7, 1), np.uint8)
    image[margin:margin + length, margin:margin + width] = 200
    return {"image": tf.constant(image), "karyotype": tf.constant(karyotype)}


def _span(image):
    """Rows and columns (in pixels) the bright object spans."""
    mask = image[..., 0] > 0.05
    return int(mask.any(axis=1).sum()), int(mask.any(axis=0).sum())


def test_length_normalisation_keeps_relative_length():
    with_ln = data.make_preprocess(50, True, CANVAS)
    without = data.make_preprocess(50, False, {})
    short, long = _example(40), _example(100)
    outs = {}
    for name, fn in (("ln", with_ln), ("no_ln", without)):
        for size, ex in (("short", short), ("long", long)):
            out = fn(ex).numpy()
            assert out.shape == (50, 50, 1) and out.dtype == np.float32
            assert out.min() >= 0.0 and out.max() <= 1.0
            assert out.max() > 0.5  # the chromosome is there (200/255 before resizing)
            outs[name, size] = out
    # without length normalisation every crop fills the frame
    assert _span(outs["no_ln", "short"])[0] >= 48
    assert _span(outs["no_ln", "long"])[0] >= 48
    # with it, the 40-pixel chromosome on its karyotype's 100-pixel canvas spans
    # about 40 % of the height, the 100-pixel one the whole height
    short_rows, short_cols = _span(outs["ln", "short"])
    assert 18 <= short_rows <= 23
    assert short_cols <= 6
    assert _span(outs["ln", "long"])[0] >= 48
    # centred on the canvas
    rows = np.flatnonzero((outs["ln", "short"][..., 0] > 0.05).any(axis=1))
    assert abs((rows[0] + rows[-1]) / 2 - 24.5) <= 1.5


def test_unknown_karyotype_or_larger_crop_falls_back_to_its_own_square():
    with_ln = data.make_preprocess(50, True, CANVAS)
    without = data.make_preprocess(50, False, {})
    stranger = _example(40, karyotype="other")
    np.testing.assert_allclose(with_ln(stranger).numpy(), without(stranger).numpy(), atol=1e-6)
    too_long = _example(120)  # longer than the canvas says: never cropped
    assert _span(with_ln(too_long).numpy())[0] >= 48


def test_mean_relative_length_per_class():
    with_ln = data.make_preprocess(50, True, CANVAS)
    images = np.stack([with_ln(_example(n)).numpy() for n in (100, 100, 40)])
    split = data_lib.ArraySplit(images, np.array([0, 0, 1]), np.array(["a", "b", "c"]),
                                ("1", "21", "Y"))
    rel = data.mean_relative_length(split)
    assert rel[0] > 0.95 and 0.35 < rel[1] < 0.47 and np.isnan(rel[2])
