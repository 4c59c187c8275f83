"""WaveletTransform2D / dwt2 against PyWavelets."""

import keras
import numpy as np
import pytest
import pywt
import tensorflow as tf

import layers as L

WAVELETS = ["haar", "db2", "db4", "sym4", "coif1"]
SIZES = [(8, 8), (7, 9), (16, 11), (5, 4)]


def _pywt(x, wavelet, mode):
    ca, (ch, cv, cd) = pywt.dwt2(np.asarray(x, dtype="float64"), wavelet, mode=mode, axes=(1, 2))
    return ca, ch, cv, cd


def _assert_matches(got, want, atol=1e-5):
    assert len(got) == 4
    for name, g, w in zip(("cA", "cH", "cV", "cD"), got, want):
        g = np.asarray(g)
        assert g.shape == w.shape, name
        np.testing.assert_allclose(g, w, atol=atol, rtol=0, err_msg=name)


@pytest.mark.parametrize("mode", ["periodization", "symmetric"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{h}x{w}" for h, w in SIZES])
@pytest.mark.parametrize("wavelet", WAVELETS)
def test_matches_pywt_dwt2(wavelet, size, mode, rng):
    x = rng.normal(size=(2,) + size + (3,)).astype("float32")
    layer = L.WaveletTransform2D(wavelet=wavelet, mode=mode)
    _assert_matches(layer(x), _pywt(x, wavelet, mode))


@pytest.mark.parametrize("mode", ["reflect", "periodic", "zero", "constant"])
def test_other_extension_modes_match_pywt(mode, rng):
    x = rng.normal(size=(2, 7, 9, 2)).astype("float32")
    _assert_matches(L.dwt2(x, "db2", mode), _pywt(x, "db2", mode))


@pytest.mark.parametrize("wavelet", ["db4", "bior2.2"])
def test_images_smaller_than_the_filter(wavelet, rng):
    # periodization / symmetric extensions wrap or reflect several times
    x = rng.normal(size=(1, 3, 2, 1)).astype("float32")
    for mode in ("periodization", "symmetric"):
        _assert_matches(L.dwt2(x, wavelet, mode), _pywt(x, wavelet, mode))


@pytest.mark.parametrize("mode", ["periodization", "symmetric", "zero"])
def test_dynamic_spatial_size_inside_tf_function(mode, rng):
    # unknown H and W: the extension indices are computed by TensorFlow ops
    layer = L.WaveletTransform2D("db2", mode)

    @tf.function(input_signature=[tf.TensorSpec((None, None, None, 2), tf.float32)])
    def transform(x):
        return layer(x)

    for size in [(7, 9), (8, 6), (2, 3)]:
        x = rng.normal(size=(3,) + size + (2,)).astype("float32")
        _assert_matches(transform(x), _pywt(x, "db2", mode))


def test_float64_policy_is_exact(rng):
    x = rng.normal(size=(2, 9, 7, 1))
    got = L.WaveletTransform2D("sym4", "symmetric", dtype="float64")(x)
    assert got[0].dtype == "float64"
    _assert_matches(got, _pywt(x, "sym4", "symmetric"), atol=1e-12)


def test_output_modes_are_consistent(rng):
    x = rng.normal(size=(2, 8, 6, 3)).astype("float32")
    ca, ch, cv, cd = (np.asarray(t) for t in L.WaveletTransform2D("db2")(x))
    as_dict = L.WaveletTransform2D("db2", output_mode="dict")(x)
    assert sorted(as_dict) == ["cA", "cD", "cH", "cV"]
    for key, ref in zip(("cA", "cH", "cV", "cD"), (ca, ch, cv, cd)):
        np.testing.assert_array_equal(np.asarray(as_dict[key]), ref)
    concat = np.asarray(L.WaveletTransform2D("db2", output_mode="concat")(x))
    np.testing.assert_array_equal(concat, np.concatenate([ca, ch, cv, cd], axis=-1))
    approx, details = L.WaveletTransform2D("db2", output_mode="details_sum")(x)
    np.testing.assert_array_equal(np.asarray(approx), ca)
    np.testing.assert_allclose(np.asarray(details), ch + cv + cd, atol=1e-6)


def test_paper_sizes_112_to_56(rng):
    # Vununu et al. 2021, Fig. 4: 112x112 cells -> 56x56 coefficients
    inputs = keras.Input((112, 112, 1))
    approx, details = L.WaveletTransform2D(output_mode="details_sum")(inputs)
    assert approx.shape == details.shape == (None, 56, 56, 1)


def test_channels_are_transformed_independently(rng):
    x = rng.normal(size=(1, 8, 8, 3)).astype("float32")
    full = L.dwt2(x, "db2", "symmetric")
    for c in range(3):
        single = L.dwt2(x[..., c : c + 1], "db2", "symmetric")
        for f, s in zip(full, single):
            np.testing.assert_allclose(np.asarray(f)[..., c : c + 1], np.asarray(s), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [dict(wavelet="not-a-wavelet"), dict(wavelet="morl"), dict(mode="smooth"), dict(output_mode="stack")],
)
def test_invalid_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        L.WaveletTransform2D(**kwargs)
