"""The DCAE of Table I, the ANN and Gao's CNN: shapes and parameter counts
against the table's arithmetic, the switches of the matching pool, and the
registry contract of ``reproductions.common.builders``."""

import keras
import numpy as np
import pytest

import layers as L
from reproductions.common import builders, registry, weight_loading
from reproductions.dcae import models

#: Table I as printed: layer -> (feature maps, output side).
TABLE1 = {
    "conv1": (64, 224), "pool1": (64, 112), "conv2": (128, 112), "pool2": (128, 56),
    "conv3": (256, 56), "pool3": (256, 28), "conv4": (512, 28), "pool4": (512, 14),
    "conv5": (4096, 1), "deconv5": (512, 14), "unpool4": (512, 28), "deconv4": (512, 28),
    "unpool3": (256, 56), "deconv3": (256, 56), "unpool2": (128, 112), "deconv2": (128, 112),
    "unpool1": (64, 224), "deconv1": (1, 224),
}
#: Deconv 4 / 3 / 2: Table I lists their *input* maps (see models.py); they
#: output what the next Unpool (with the switches of the matching pool) needs.
MIRRORED = {"deconv4": "unpool3", "deconv3": "unpool2", "deconv2": "unpool1"}


def conv(kernel, c_in, c_out):
    """Weights + biases of a k×k (transposed) convolution."""
    return kernel * kernel * c_in * c_out + c_out


def autoencoder_params(side=224, width=1.0, latent=4096, channels=1):
    """Table I's arithmetic: Conv1-Conv4 3×3, Conv5 (side/16)², and the mirror."""
    f = [max(1, round(c * width)) for c in (64, 128, 256, 512)]
    k = side // 16
    chain = [channels] + f
    encoder = sum(conv(3, a, b) for a, b in zip(chain, chain[1:])) + conv(k, f[-1], latent)
    decoder = conv(k, latent, f[-1]) + sum(conv(3, b, a) for a, b in zip(chain, chain[1:]))
    return encoder, decoder


def ann_params(latent=4096, hidden=(250, 50), classes=5):
    """Dense layers + the standardisation's mean and variance."""
    sizes = [latent, *hidden, classes]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:])) + 2 * latent


def gao_trunk_params():
    """C1 6@7×7, C3 16@4×4, C5 32@3×3."""
    return conv(7, 1, 6) + conv(4, 6, 16) + conv(3, 16, 32)


def gao_params(side=78, classes=5):
    """The trunk (S2 /2, S4 /3, S6 /3 between), F7 150 on S6's map, the output."""
    s = ((((side - 6) // 2 - 3) // 3) - 2) // 3
    return gao_trunk_params() + (s * s * 32) * 150 + 150 + 150 * classes + classes


def dcae_classifier_params(side=224, width=1.0, latent=4096, hidden=(250, 50), classes=5):
    """The registry's ``dcae``: the encoder with the ANN on top."""
    return autoencoder_params(side, width, latent)[0] + ann_params(latent, hidden, classes)


def expected_shapes(side, width=1.0, latent=4096):
    """Table I's layer outputs for another input side / width (same topology)."""
    f = [max(1, round(c * width)) for c in (64, 128, 256, 512)]
    maps = {64: f[0], 128: f[1], 256: f[2], 512: f[3], 4096: latent, 1: 1}
    out = {}
    for name, (m, s) in TABLE1.items():
        if name in MIRRORED:
            m = TABLE1[MIRRORED[name]][0]
        out[name] = (1 if name == "conv5" else s * side // 224, maps[m])
    return out


def layer_shapes(model):
    shapes = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = layer.output[0].shape if isinstance(layer.output, (list, tuple)) \
            else layer.output.shape
        shapes[layer.name] = (shape[1], shape[3])
    return shapes


def test_table1_arithmetic():
    encoder, decoder = autoencoder_params()
    conv5 = 14 * 14 * 512 * 4096 + 4096
    deconv5 = 14 * 14 * 4096 * 512 + 512
    assert conv5 + deconv5 == 822_088_192  # "~822 M" in Conv5 and Deconv5 alone
    assert encoder + decoder == 825_187_329
    assert expected_shapes(224) == {
        **{k: (s, m) for k, (m, s) in TABLE1.items() if k not in MIRRORED},
        "deconv4": (28, 256), "deconv3": (56, 128), "deconv2": (112, 64)}


@pytest.mark.parametrize("side,width,latent", [(64, 1 / 16, 64), (128, 1 / 4, 4096)])
def test_autoencoder_shapes_and_parameters(side, width, latent):
    model = models.DCAE(input_shape=(side, side, 1), width=width, latent_dim=latent)
    assert model.count_params() == sum(autoencoder_params(side, width, latent))
    assert layer_shapes(model) == expected_shapes(side, width, latent)
    assert model.output_shape == (None, side, side, 1)
    assert model.get_layer("deconv1").activation.__name__ == "sigmoid"
    x = np.random.default_rng(0).random((2, side, side, 1), dtype=np.float32)
    y = keras.ops.convert_to_numpy(model(x))
    assert y.shape == x.shape and np.all((y >= 0) & (y <= 1))
    latent_values = keras.ops.convert_to_numpy(models.encoder(model)(x))
    assert latent_values.shape == (2, latent) and np.all(latent_values >= 0)  # ReLU


def test_cpu_setting_parameter_count():
    """The measured cpu setting in profiles.py's docstring: 128 px, 1/4 width."""
    assert sum(autoencoder_params(128, 1 / 4, 4096)) == 67_307_265


def test_each_unpool_uses_the_switches_of_its_own_pool():
    model = models.DCAE(input_shape=(64, 64, 1), width=1 / 16, latent_dim=32)
    for k in (1, 2, 3, 4):
        pooled_by = [t._keras_history for t in model.get_layer(f"unpool{k}")._inbound_nodes[0]
                     .input_tensors]
        assert [(h.operation.name, h.tensor_index) for h in pooled_by[1:]] == [(f"pool{k}", 1)]
        assert isinstance(model.get_layer(f"pool{k}"), L.MaxPoolingWithArgmax2D)


def keep_window_maxima(x):
    """Zeros except at each 2×2 window's maximum (numpy reference)."""
    n, h, w, c = x.shape
    windows = x.reshape(n, h // 2, 2, w // 2, 2, c)
    top = windows.max(axis=(2, 4), keepdims=True)
    return np.where(windows == top, windows, 0).reshape(x.shape)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_unpooling_a_pooled_map_puts_values_back_at_the_argmax(k):
    """The model's own Pool k / Unpool k: unpooling Pool k's output with its
    switches gives back the map Pool k read, zero except at each window's
    maximum."""
    model = models.DCAE(input_shape=(64, 64, 1), width=1 / 16, latent_dim=32)
    rng = np.random.default_rng(k)
    pool = model.get_layer(f"pool{k}")
    channels = model.get_layer(f"conv{k}").filters
    side = 64 // 2 ** (k - 1)
    x = rng.normal(size=(2, side, side, channels)).astype("float32")  # no ties
    pooled, switches = pool(x)
    restored = keras.ops.convert_to_numpy(model.get_layer(f"unpool{k}")([pooled, switches]))
    np.testing.assert_array_equal(restored, keep_window_maxima(x))
    # and the model computes exactly that: conv k's output, pooled and unpooled
    probe = keras.Model(model.input, [model.get_layer(f"conv{k}").output, pool.output[0],
                                      pool.output[1]])
    feature, pooled, switches = probe(rng.random((2, 64, 64, 1), dtype=np.float32))
    restored = model.get_layer(f"unpool{k}")([pooled, switches])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored),
                                  keep_window_maxima(keras.ops.convert_to_numpy(feature)))


def test_conv5_before_pool4_reads_conv4_and_mirrors_it():
    """``conv5_input="conv4"`` (the follow-up's second factor): no Pool 4 /
    Unpool 4, Conv5's kernel side / 8 (4× its weights), Deconv5 back to
    Conv4's map; Unpool 1-3 keep their own pools' switches."""
    side, width, latent = 64, 1 / 16, 32
    model = models.DCAE(input_shape=(side, side, 1), width=width, latent_dim=latent,
                        conv5_input="conv4")
    f4 = models.widths(width)[-1]
    encoder, decoder = autoencoder_params(side, width, latent)
    k16, k8 = side // 16, side // 8
    extra = 2 * (k8 * k8 - k16 * k16) * f4 * latent  # Conv5 and Deconv5 kernels
    assert model.count_params() == encoder + decoder + extra
    names = [layer.name for layer in model.layers]
    assert "pool4" not in names and "unpool4" not in names
    assert model.get_layer("conv5").kernel.shape == (k8, k8, f4, latent)
    assert model.get_layer("conv5").input.shape[1:3] == (side // 8, side // 8)
    assert model.get_layer("deconv5").output.shape[1:] == (side // 8, side // 8, f4)
    for k in (1, 2, 3):
        inputs = model.get_layer(f"unpool{k}")._inbound_nodes[0].input_tensors
        assert [(t._keras_history.operation.name, t._keras_history.tensor_index)
                for t in inputs[1:]] == [(f"pool{k}", 1)]
    x = np.random.default_rng(1).random((2, side, side, 1), dtype=np.float32)
    assert keras.ops.convert_to_numpy(model(x)).shape == x.shape
    assert keras.ops.convert_to_numpy(models.encoder(model)(x)).shape == (2, latent)
    # the classifier reads the same encoder: its trunk's weights load from the autoencoder
    classifier = models.DCAEClassifier(input_shape=(side, side, 1), width=width,
                                       latent_dim=latent, classes=3, hidden=(4,),
                                       conv5_input="conv4")
    assert classifier.get_layer("conv5").kernel.shape == (k8, k8, f4, latent)
    with pytest.raises(ValueError, match="conv5_input must be one of pool4, conv4"):
        models.DCAE(input_shape=(side, side, 1), conv5_input="pool5")


def test_input_side_must_be_a_multiple_of_16():
    with pytest.raises(ValueError, match="multiple of 16"):
        models.DCAE(input_shape=(72, 72, 1))


def test_ann_is_4096_250_50_5():
    ann = models.MLP()
    dense = [layer for layer in ann.layers if isinstance(layer, keras.layers.Dense)]
    assert [tuple(layer.kernel.shape) for layer in dense] == [(4096, 250), (250, 50), (50, 5)]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]
    assert ann.count_params() == ann_params() == 1_045_247
    assert ann.count_params() - 2 * 4096 == 4096 * 250 + 250 + 250 * 50 + 50 + 50 * 5 + 5
    features = np.random.default_rng(0).gamma(2.0, size=(64, 4096)).astype("float32")
    ann.get_layer("feature_norm").adapt(features)
    standardised = keras.Model(ann.input, ann.get_layer("feature_norm").output)(features)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(standardised),
                               (features - features.mean(0)) / features.std(0), atol=1e-3)


def test_gao_cnn_layout():
    model = models.GaoCNN()
    sizes = [model.get_layer(n).output.shape[1] for n in
             ("gao_conv1", "gao_pool2", "gao_conv3", "gao_pool4", "gao_conv5", "gao_pool6")]
    assert sizes == [72, 36, 33, 11, 9, 3]
    assert model.get_layer("gao_fc7").units == 150
    assert model.count_params() == gao_params() == 50_597
    weighted = [layer for layer in model.layers if layer.weights]
    assert len(weighted) == 5  # "5 layers CNN"


def test_classifier_is_assembled_from_the_trained_parts():
    """The registry's ``dcae`` takes the autoencoder's encoder and the ANN by
    layer name and computes ANN(encoder(x))."""
    keras.utils.set_random_seed(0)
    kwargs = dict(width=1 / 16, latent_dim=64)
    autoencoder = models.DCAE(input_shape=(32, 32, 1), **kwargs)
    x = np.random.default_rng(0).random((4, 32, 32, 1), dtype=np.float32)
    features = keras.ops.convert_to_numpy(models.encoder(autoencoder)(x))
    ann = models.MLP(input_dim=64, hidden=(16, 8), classes=3)
    ann.get_layer("feature_norm").adapt(features)
    classifier = models.DCAEClassifier(input_shape=(32, 32, 1), classes=3, hidden=(16, 8),
                                       **kwargs)
    assert classifier.count_params() == dcae_classifier_params(32, 1 / 16, 64, (16, 8), 3)
    encoder_report = weight_loading.load_backbone_weights(classifier, autoencoder)
    assert sorted(encoder_report.loaded) == ["conv1", "conv2", "conv3", "conv4", "conv5"]
    head_report = weight_loading.load_backbone_weights(classifier, ann)
    assert sorted(head_report.loaded) == ["fc1", "fc2", "feature_norm", "predictions"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(classifier(x)),
                               keras.ops.convert_to_numpy(ann(features)), rtol=1e-5, atol=1e-6)


# --- the counts models.py registers -------------------------------------------
#: Parameters at the small configurations: (include_top=True, include_top=False).
SMALL_COUNTS = {"dcae": (dcae_classifier_params(32, 1 / 16, 64, (16, 8), 3),
                         autoencoder_params(32, 1 / 16, 64)[0]),
                "gao_cnn": (gao_params(42, 3), gao_trunk_params())}
#: Parameters with the default arguments (Table I at 224 px, 5 classes).
PAPER_COUNTS = {"dcae": dcae_classifier_params(), "gao_cnn": gao_params()}


def test_registry_counts_are_the_closed_forms():
    """What models.py pins (tests/test_builders.py builds the small ones)."""
    entries = registry.model_entries("dcae")
    assert {e.name: e.counts for e in entries} == SMALL_COUNTS
    assert {e.name: e.paper_count for e in entries} == PAPER_COUNTS


def test_registry_has_every_builder_configured():
    assert set(models.SMALL_CONFIGS) == set(models.BUILDERS) == {"dcae", "gao_cnn"}
    assert models.FEATURE_LAYERS == ("gao_pool6", "conv5")
