"""Every builder of every paper, in the style of timm's ``tests/test_models.py``.

Parametrized over ``reproductions.common.builders.all_builders()``: a new
paper's ``models.py`` (``BUILDERS``, ``SMALL_CONFIGS``, ``FEATURE_LAYERS``)
is covered as soon as it is listed in ``PAPERS``, and fails here until its
small configurations and parameter counts are pinned. Each model is built at
its small configuration once per module (``classifier``) and shared; per
builder the file builds three more models (``weights=`` from a
``.weights.h5`` file, ``include_top=False`` without and with pooling) and
loads two ``.keras`` files.

What the papers' own test files check (paper-size layouts, the heads' and
blocks' arithmetic, the training protocol) is not repeated here.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from reproductions.common import builders
from reproductions.common.paper import PAPERS
from tests.dri.test_models import expected_parameters as dri_params
from tests.active_transfer.test_models import SMALL_COUNTS as AT_SMALL_COUNTS
from tests.dcae.test_models import PAPER_COUNTS as DCAE_PAPER_COUNTS
from tests.dcae.test_models import SMALL_COUNTS as DCAE_SMALL_COUNTS
from tests.drsn_dc.test_models import expected_parameters as drsn_dc_params
from tests.drsn_dc.test_paper_profile import PAPER_COUNTS as DRSN_DC_PAPER_COUNTS
from tests.super_xception.test_models import deep_cnn_params, super_alexnet_params

BATCH = 2
CASES = [pytest.param(paper, name, builder, kwargs, id=f"{paper}.{name}")
         for paper, name, builder, kwargs in builders.all_builders() if kwargs is not None]

#: Parameters at SMALL_CONFIGS: (include_top=True, include_top=False).
SMALL_COUNTS = {
    ("super_xception", "deep_cnn"): (1_184_147, 394_640),
    ("super_xception", "resnet50"): (23_587_587, 23_581_440),
    ("super_xception", "super_alexnet"): (21_627_524, 3_781_249),
    ("super_xception", "super_resnet"): (23_644_868, 23_638_721),
    ("super_xception", "xception"): (20_867_051, 20_860_904),
    ("super_xception", "super_xception"): (20_924_332, 20_918_185),
    ("dri", "shallow_inception"): (2_819_169, 2_048_152),
    ("dri", "sri"): (3_363_721, 2_575_552),
    ("dri", "inception"): (5_531_261, 4_716_148),
    ("dri", "dri"): (6_733_185, 5_899_220),
    ("drsn_dc", "alexnet"): (21_570_243, 3_723_968),
    ("drsn_dc", "googlenet"): (5_992_195, 5_989_120),
    ("drsn_dc", "vgg19"): (38_918_083, 20_023_232),
    ("drsn_dc", "resnet50"): (23_587_587, 23_581_440),
    ("drsn_dc", "drsn_dc"): (64_201_667, 64_195_232),
    ("drsn_dc", "drsn"): (63_902_211, 63_896_064),
    ("drsn_dc", "drsn_dilated"): (64_201_379, 64_195_232),
    **{("dcae", name): counts for name, counts in DCAE_SMALL_COUNTS.items()},
    ("active_transfer", "parallel_wavelet_resnet"): AT_SMALL_COUNTS,
}
#: Parameters with the default arguments (the paper's sizes: 50 -> 227 px and
#: 24 classes; 76 px and 6 classes): the models of the committed results.
PAPER_COUNTS = {
    ("super_xception", "deep_cnn"): 5_127_080,
    ("super_xception", "resnet50"): 23_630_616,
    ("super_xception", "super_alexnet"): 87_773_849,
    ("super_xception", "super_resnet"): 23_687_897,
    ("super_xception", "xception"): 20_910_080,
    ("super_xception", "super_xception"): 20_967_361,
    ("dri", "shallow_inception"): 5_973_546,
    ("dri", "sri"): 6_518_482,
    ("dri", "inception"): 8_686_214,
    ("dri", "dri"): 9_888_522,
    **{("drsn_dc", name): count for name, count in DRSN_DC_PAPER_COUNTS.items()},
    ("dcae", "dcae"): 413_640_959,
    ("dcae", "gao_cnn"): 50_597,
    ("active_transfer", "parallel_wavelet_resnet"): 612_101,  # 112 px, 5 classes (SNPHEp-2)
}


def paper_count_without_building(paper, name):
    """The closed forms of the papers' test files; Xception and ResNet-50
    trunks are fully convolutional, so only their 2048 -> 24 head differs
    from the small trunk's pinned count."""
    if paper == "dri":
        return dri_params(name)
    if paper == "drsn_dc":
        return drsn_dc_params(name, 224, 9)
    if paper == "dcae":
        return DCAE_PAPER_COUNTS[name]  # Table I's closed forms
    if paper == "active_transfer":
        from reproductions.active_transfer.models import parameter_count
        return parameter_count(5)
    closed_forms = {"deep_cnn": deep_cnn_params, "super_alexnet": super_alexnet_params}
    if name in closed_forms:
        return closed_forms[name](227)
    return SMALL_COUNTS[paper, name][1] + 2048 * 24 + 24


def images(kwargs, seed=0):
    return np.random.default_rng(seed).random((BATCH,) + tuple(kwargs["input_shape"]),
                                               dtype=np.float32)


def outputs(model, x):
    return [keras.ops.convert_to_numpy(o) for o in tf.nest.flatten(model(x, training=False))]


def assert_same(got, expected):
    for g, e in zip(outputs(*got), outputs(*expected), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def classifier():
    """The model of a case at its small configuration, built once."""
    cache = {}

    def get(paper, name, builder, kwargs):
        if (paper, name) not in cache:
            keras.utils.set_random_seed(0)
            cache[paper, name] = builder(**kwargs)
        return cache[paper, name]
    return get


@pytest.fixture(scope="module")
def saved(classifier, tmp_path_factory):
    """``{"keras": path, "h5": path, "backbone_h5": path}`` of a case's classifier."""
    root, cache = tmp_path_factory.mktemp("builders"), {}

    def get(paper, name, builder, kwargs):
        if (paper, name) not in cache:
            model = classifier(paper, name, builder, kwargs)
            files = {"keras": root / f"{paper}.{name}.keras",
                     "h5": root / f"{paper}.{name}.weights.h5",
                     "backbone_h5": root / f"{paper}.{name}.backbone.weights.h5"}
            model.save(files["keras"])
            model.save_weights(files["h5"])
            builders.backbone(model).save_weights(files["backbone_h5"])
            cache[paper, name] = files
        return cache[paper, name]
    return get


def test_every_builder_has_a_small_config_and_pinned_counts():
    for paper in PAPERS:
        module = builders.paper_models(paper)
        assert set(module.SMALL_CONFIGS) == set(module.BUILDERS), paper
        assert module.FEATURE_LAYERS, paper
    registered = {(paper, name) for paper, name, _, _ in builders.all_builders()}
    assert set(SMALL_COUNTS) == registered


@pytest.mark.parametrize("key", PAPER_COUNTS, ids="{0[0]}.{0[1]}".format)
def test_paper_size_parameter_counts(key):
    assert paper_count_without_building(*key) == PAPER_COUNTS[key]


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_forward_and_parameter_count(paper, name, builder, kwargs, classifier):
    model = classifier(paper, name, builder, kwargs)
    assert model.count_params() == SMALL_COUNTS[paper, name][0]
    heads = outputs(model, images(kwargs))
    assert [h.shape for h in heads] == [(BATCH, kwargs["classes"])] * len(model.outputs)
    for head in heads:
        np.testing.assert_allclose(head.sum(axis=1), 1.0, atol=1e-5)  # softmax


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_backward_reaches_every_weight(paper, name, builder, kwargs, classifier):
    model = classifier(paper, name, builder, kwargs)
    statistics = [w.numpy() for w in model.non_trainable_weights]  # restored below
    labels = np.arange(BATCH) % kwargs["classes"]
    with tf.GradientTape() as tape:
        heads = tf.nest.flatten(model(images(kwargs, seed=1), training=True))
        loss = tf.add_n([tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, h))
                         for h in heads])
    grads = tape.gradient(loss, model.trainable_weights)
    for w, value in zip(model.non_trainable_weights, statistics):
        w.assign(value)
    no_gradient = [w.path for w, g in zip(model.trainable_weights, grads)
                   if g is None or not np.any(keras.ops.convert_to_numpy(g))]
    assert not no_gradient, f"weights without gradient: {no_gradient}"


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_keras_file_round_trip(paper, name, builder, kwargs, classifier, saved):
    model = classifier(paper, name, builder, kwargs)
    loaded = keras.saving.load_model(saved(paper, name, builder, kwargs)["keras"])
    assert loaded.count_params() == model.count_params()
    assert_same((loaded, images(kwargs)), (model, images(kwargs)))


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_weights_file_round_trip(paper, name, builder, kwargs, classifier, saved):
    model = classifier(paper, name, builder, kwargs)
    rebuilt = builder(**kwargs, weights=saved(paper, name, builder, kwargs)["h5"])
    assert_same((rebuilt, images(kwargs)), (model, images(kwargs)))


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_feature_map_is_the_classifiers_backbone(paper, name, builder, kwargs, classifier,
                                                 saved):
    """include_top=False (4-D; built here on an ``input_tensor``) loads the
    .weights.h5 of the classifier's backbone() exactly and then computes
    what backbone() does; the classifier's own .weights.h5 does not fit it,
    and load_backbone_weights finds all its layers in the classifier, the
    heads left over."""
    model, x = classifier(paper, name, builder, kwargs), images(kwargs)
    files = saved(paper, name, builder, kwargs)
    trunk = builder(**kwargs, include_top=False, input_tensor=keras.Input(kwargs["input_shape"]))
    assert trunk.count_params() == SMALL_COUNTS[paper, name][1]
    builders.load_weights(trunk, files["backbone_h5"])
    (feature_map,) = outputs(trunk, x)
    assert feature_map.ndim == 4 and feature_map.shape[0] == BATCH
    assert_same((trunk, x), (builders.backbone(model), x))
    with pytest.raises(ValueError, match=r"\.weights\.h5' does not fit model"):
        builders.load_weights(trunk, files["h5"])
    report = builders.load_backbone_weights(trunk, model)
    assert not report.mismatched and not report.missing, report
    assert set(model.output_names) <= set(report.unused)  # the heads


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_pooled_features(paper, name, builder, kwargs, classifier, saved):
    """include_top=False with pooling (weights from the classifier's .keras
    file) is 2-D and equals the pooled backbone; where the classifier's main
    head is global average pooling -> Dense, the pooled backbone is exactly
    what that Dense reads (its penultimate features)."""
    model, x = classifier(paper, name, builder, kwargs), images(kwargs)
    pooled = builder(**kwargs, include_top=False, pooling="max",
                     weights=saved(paper, name, builder, kwargs)["keras"])
    (maximum,) = outputs(pooled, x)
    (average,) = outputs(builders.backbone(model, "avg"), x)
    (feature_map,) = outputs(builders.backbone(model), x)
    assert maximum.shape == average.shape == (BATCH, feature_map.shape[-1])
    assert_same((pooled, x), (builders.backbone(model, "max"), x))
    np.testing.assert_allclose(average, feature_map.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    main_head = model.get_layer(model.output_names[-1])
    penultimate = outputs(keras.Model(model.input, main_head.input), x)[0]
    if penultimate.shape == average.shape:
        np.testing.assert_allclose(penultimate, average, rtol=1e-5, atol=1e-6)
    else:  # FC layers on the flattened map (Deep CNN, AlexNet): VGG-style
        assert penultimate.shape[1] != feature_map.shape[-1]


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_weights_argument_is_checked_before_building(paper, name, builder, kwargs, tmp_path):
    with pytest.raises(ValueError, match="weights must be None .* '.weights.h5'"):
        builder(**kwargs, weights="imagenet")
    with pytest.raises(ValueError, match="does not exist"):
        builder(**kwargs, weights=tmp_path / "missing.weights.h5")


def tiny(classes, name="tiny"):
    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, keras.layers.Dense(classes, name="predictions")(x), name=name)


def test_transfer_to_another_head_and_its_errors(tmp_path):
    source, target = tiny(3), tiny(4)
    source.save(tmp_path / "source.keras")
    source.save_weights(tmp_path / "source.weights.h5")
    with pytest.raises(ValueError, match=r"source\.keras' does not fit .*predictions \(kernel: "
                                         r"model \(4, 4\), source \(4, 3\)"):
        builders.load_weights(target, tmp_path / "source.keras")
    with pytest.raises(ValueError, match=r"source\.weights\.h5' does not fit .*file \(4, 3\), "
                                         r"model \(4, 4\)"):
        builders.load_weights(target, tmp_path / "source.weights.h5")
    with pytest.raises(ValueError, match="has no layer names"):
        builders.load_backbone_weights(target, tmp_path / "source.weights.h5")
    report = builders.load_backbone_weights(target, tmp_path / "source.keras")
    assert report.loaded == ["conv"] and list(report.mismatched) == ["predictions"]
    assert str(report).startswith("loaded 1 layers; mismatched: predictions (")
    np.testing.assert_array_equal(target.get_layer("conv").kernel.numpy(),
                                  source.get_layer("conv").kernel.numpy())
    other = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Dense(2, name="other")])
    with pytest.raises(ValueError, match="no layer of model"):
        builders.load_backbone_weights(other, source)
    with pytest.raises(ValueError, match="pass feature_layer="):
        builders.backbone(source)
    features = builders.backbone(source, "max", feature_layer="conv")
    assert tuple(features.output.shape) == (None, 4)
    with pytest.raises(ValueError, match="pooling must be"):
        builders.backbone(source, "sum", feature_layer="conv")


def test_transferred_normalization_statistics_take_effect(tmp_path):
    """A ``Normalization`` layer keeps mean / variance tensors derived from
    its variables: after a transfer they must be re-derived (as Keras' own
    loading does), or the model still normalises with the old statistics."""
    def model(adapt=None):
        norm = keras.layers.Normalization(name="norm")
        if adapt is not None:
            norm.adapt(adapt)
        inputs = keras.Input((3,))
        return keras.Model(inputs, keras.layers.Dense(2, name="head")(norm(inputs)))
    data = np.random.default_rng(0).normal(5.0, 3.0, (64, 3)).astype("float32")
    trained = model(data)
    trained.save(tmp_path / "trained.keras")
    fresh = model(np.zeros((4, 3), "float32"))
    builders.load_backbone_weights(fresh, tmp_path / "trained.keras")
    np.testing.assert_allclose(fresh(data[:4]), trained(data[:4]), rtol=1e-5, atol=1e-5)
    other = model(np.zeros((4, 3), "float32"))
    builders.load_weights(other, tmp_path / "trained.keras")
    np.testing.assert_allclose(other(data[:4]), trained(data[:4]), rtol=1e-5, atol=1e-5)
