"""DilatedBlock (DRSN-DC §3.2)."""

import numpy as np
import pytest

import layers as L


def test_each_branch_uses_its_dilation_rate():
    # all-ones 3x3 kernels on a centred impulse: branch r responds exactly at
    # the 9 offsets {-r, 0, r}^2 around the centre
    block = L.DilatedBlock(1, rates=(1, 2, 3), merge=None, activation=None, use_bias=False,
                           kernel_initializer="ones")
    x = np.zeros((1, 11, 11, 1), "float32")
    x[0, 5, 5, 0] = 1.0
    for rate, y in zip((1, 2, 3), block(x)):
        support = np.argwhere(np.asarray(y)[0, :, :, 0] != 0)
        expected = [(5 + dy, 5 + dx) for dy in (-rate, 0, rate) for dx in (-rate, 0, rate)]
        assert sorted(map(tuple, support)) == sorted(expected)


def test_concat_is_the_list_concatenated_in_rate_order(rng):
    x = rng.normal(size=(2, 7, 7, 3)).astype("float32")
    separate = L.DilatedBlock((2, 3, 4), merge=None)
    parts = [np.asarray(t) for t in separate(x)]
    assert [p.shape[-1] for p in parts] == [2, 3, 4]
    merged = L.DilatedBlock((2, 3, 4))
    merged(x)
    merged.set_weights(separate.get_weights())
    np.testing.assert_array_equal(np.asarray(merged(x)), np.concatenate(parts, axis=-1))
    assert merged.output_channels == 9


def test_batch_norm_variant_has_no_conv_bias():
    block = L.DilatedBlock(4, batch_norm=True)
    block.build((None, 8, 8, 2))
    assert all(not c.use_bias for c in block.convs) and len(block.bns) == 3


@pytest.mark.parametrize("kwargs", [dict(filters=(1, 2)), dict(filters=2, rates=()), dict(filters=2, merge="sum")])
def test_invalid_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        L.DilatedBlock(**kwargs)
