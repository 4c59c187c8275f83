"""Every registered builder of every paper, in the style of timm's ``tests/test_models.py``.

Parametrized over ``reproductions.common.registry.model_entries()``: a new
paper's builders (registered in its ``models.py`` with
``registry.register_model``, each with its small configuration and pinned
parameter counts) are covered as soon as the paper exists; nothing here
names a paper.

One shared harness (keras-hub style): the module-scoped ``case`` fixture
builds a model at its small configuration once and saves it once
(``.keras``, ``.weights.h5``, its backbone's ``.weights.h5``), and pytest runs
every test of one model before it builds the next, so one model's files and
weights are held at a time. The files go to a memory-backed folder
(``/dev/shm``) where there is one: saving and re-reading them is most of the
cost. Per model the tests build three more models (``weights=`` from a
``.weights.h5`` file, ``include_top=False`` without and with pooling) and load
two ``.keras`` files.

The paper-size counts (``paper_count``) are checked by each paper's own
tests against closed forms (some of those models take gigabytes to build).
What the papers' own test files check (paper-size layouts, the heads' and
blocks' arithmetic, the training protocol) is not repeated here.
"""
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from reproductions.common import builders, registry, weight_loading

BATCH = 2
ENTRIES = registry.model_entries()
#: A memory-backed folder for the saved models, where the machine has one.
RAM_FOLDER = Path("/dev/shm")


def images(kwargs, seed=0):
    return np.random.default_rng(seed).random((BATCH,) + tuple(kwargs["input_shape"]),
                                               dtype=np.float32)


def outputs(model, x):
    return [keras.ops.convert_to_numpy(o) for o in tf.nest.flatten(model(x, training=False))]


def assert_same(got, expected):
    for g, e in zip(outputs(*got), outputs(*expected), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """The folder of the saved models: in ``/dev/shm`` where it is writable
    (and the temporary folder of ``builders``' own checks with it), else
    pytest's."""
    if not (RAM_FOLDER.is_dir() and os.access(RAM_FOLDER, os.W_OK)):
        yield tmp_path_factory.mktemp("builders")
        return
    # pytest makes its own base folder on first use, under tempfile's folder: make it
    # now, or it would land in the folder below and vanish with it
    tmp_path_factory.getbasetemp()
    with tempfile.TemporaryDirectory(dir=RAM_FOLDER, prefix="test_builders-") as folder:
        previous, tempfile.tempdir = tempfile.tempdir, folder
        try:
            yield Path(folder)
        finally:
            tempfile.tempdir = previous


@dataclasses.dataclass
class Case:
    """A registered model built at its small configuration, and its files:
    ``{"keras": path, "h5": path, "backbone_h5": path}``."""

    entry: registry.ModelEntry
    model: keras.Model
    files: dict

    @property
    def builder(self):
        return self.entry.builder

    @property
    def kwargs(self) -> dict:
        return dict(self.entry.small)


@pytest.fixture(scope="module", params=ENTRIES, ids=lambda e: e.key)
def case(request, scratch):
    """Each model built and saved once; its files removed after its tests."""
    entry = request.param
    keras.utils.set_random_seed(0)
    model = entry.builder(**entry.small)
    folder = scratch / entry.key
    folder.mkdir()
    files = {"keras": folder / "model.keras", "h5": folder / "model.weights.h5",
             "backbone_h5": folder / "backbone.weights.h5"}
    model.save(files["keras"])
    model.save_weights(files["h5"])
    builders.backbone(model).save_weights(files["backbone_h5"])
    yield Case(entry, model, files)
    shutil.rmtree(folder)
    keras.backend.clear_session()


def test_every_paper_registers_its_builders_with_pinned_counts():
    papers = registry.list_papers()
    assert {e.paper for e in ENTRIES} == set(papers)  # every paper has models
    for paper in papers:
        module = registry.paper_models(paper)
        assert module.BUILDERS == registry.builders(paper), paper
        assert module.FEATURE_LAYERS, paper
    assert len({e.key for e in ENTRIES}) == len(ENTRIES)
    for e in ENTRIES:
        assert {"input_shape", "classes"} <= set(e.small), e.key
        top, no_top = e.counts
        assert 0 < no_top <= top and e.paper_count > 0, e.key


def test_registry_lookups():
    key = ENTRIES[0].key
    assert registry.model_entry(key) is ENTRIES[0]
    assert registry.list_models(key) == [key]
    assert registry.list_models("*", paper=ENTRIES[-1].paper)[-1] == ENTRIES[-1].key
    with pytest.raises(KeyError, match="no paper 'nonexistent'"):
        registry.model_entry("nonexistent.model")
    with pytest.raises(KeyError, match="has no model 'nonexistent'"):
        registry.model_entry(f"{ENTRIES[0].paper}.nonexistent")


def test_a_taken_name_is_refused_unless_the_same_builder_registers_again():
    entry = ENTRIES[0]
    kwargs = dict(small=entry.small, counts=entry.counts, paper_count=entry.paper_count)

    def impostor(**_):
        raise AssertionError("never built")
    try:
        # the same function again (a module reloaded) replaces the entry
        registry.register_model(entry.paper, entry.name, entry.builder, **kwargs)
        assert registry.model_entry(entry.key) == entry
        with pytest.raises(ValueError, match=f"model {entry.key} is registered already"):
            registry.register_model(entry.paper, entry.name, impostor, **kwargs)
        assert registry.model_entry(entry.key).builder is entry.builder
    finally:
        registry._MODELS[entry.paper][entry.name] = entry  # the very object again


def test_a_reloaded_module_registers_its_builders_again():
    import importlib

    import reproductions.dri.models as dri_models  # functools.partial builders
    before = {e.key: e.counts for e in registry.model_entries("dri")}
    try:
        importlib.reload(dri_models)
        assert {e.key: e.counts for e in registry.model_entries("dri")} == before
    finally:
        for entry in ENTRIES:  # the very objects again, for the other tests
            registry._MODELS[entry.paper][entry.name] = entry


def test_forward_and_parameter_count(case):
    model, kwargs = case.model, case.kwargs
    assert model.count_params() == case.entry.counts[0]
    heads = outputs(model, images(kwargs))
    assert [h.shape for h in heads] == [(BATCH, kwargs["classes"])] * len(model.outputs)
    for head in heads:
        np.testing.assert_allclose(head.sum(axis=1), 1.0, atol=1e-5)  # softmax


def test_backward_reaches_every_weight(case):
    model, kwargs = case.model, case.kwargs
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


def test_keras_file_round_trip(case):
    x = images(case.kwargs)
    loaded = keras.saving.load_model(case.files["keras"])
    assert loaded.count_params() == case.model.count_params()
    assert_same((loaded, x), (case.model, x))


def test_weights_file_round_trip(case):
    x = images(case.kwargs)
    rebuilt = case.builder(**case.kwargs, weights=case.files["h5"])
    assert_same((rebuilt, x), (case.model, x))


def test_feature_map_is_the_classifiers_backbone(case):
    """include_top=False (4-D; built here on an ``input_tensor``) loads the
    .weights.h5 of the classifier's backbone() exactly and then computes
    what backbone() does; the classifier's own .weights.h5 does not fit it,
    and load_backbone_weights finds all its layers in the classifier, the
    heads left over."""
    model, builder, kwargs = case.model, case.builder, case.kwargs
    x, files = images(kwargs), case.files
    trunk = builder(**kwargs, include_top=False, input_tensor=keras.Input(kwargs["input_shape"]))
    assert trunk.count_params() == case.entry.counts[1]
    weight_loading.load_weights(trunk, files["backbone_h5"])
    (feature_map,) = outputs(trunk, x)
    assert feature_map.ndim == 4 and feature_map.shape[0] == BATCH
    assert_same((trunk, x), (builders.backbone(model), x))
    with pytest.raises(ValueError, match=r"\.weights\.h5' does not fit model"):
        weight_loading.load_weights(trunk, files["h5"])
    report = weight_loading.load_backbone_weights(trunk, model)
    assert not report.mismatched and not report.missing, report
    assert set(model.output_names) <= set(report.unused)  # the heads


def test_pooled_features(case):
    """include_top=False with pooling (weights from the classifier's .keras
    file) is 2-D and equals the pooled backbone; where the classifier's main
    head is global average pooling -> Dense, the pooled backbone is exactly
    what that Dense reads (its penultimate features)."""
    model, builder, kwargs = case.model, case.builder, case.kwargs
    x = images(kwargs)
    pooled = builder(**kwargs, include_top=False, pooling="max",
                     weights=case.files["keras"])
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


def test_weights_argument_is_checked_before_building(case, tmp_path):
    builder, kwargs = case.builder, case.kwargs
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
        weight_loading.load_weights(target, tmp_path / "source.keras")
    with pytest.raises(ValueError, match=r"source\.weights\.h5' does not fit .*file \(4, 3\), "
                                         r"model \(4, 4\)"):
        weight_loading.load_weights(target, tmp_path / "source.weights.h5")
    with pytest.raises(ValueError, match="has no layer names"):
        weight_loading.load_backbone_weights(target, tmp_path / "source.weights.h5")
    report = weight_loading.load_backbone_weights(target, tmp_path / "source.keras")
    assert report.loaded == ["conv"] and list(report.mismatched) == ["predictions"]
    assert str(report).startswith("loaded 1 layers; mismatched: predictions (")
    np.testing.assert_array_equal(target.get_layer("conv").kernel.numpy(),
                                  source.get_layer("conv").kernel.numpy())
    other = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Dense(2, name="other")])
    with pytest.raises(ValueError, match="no layer of model"):
        weight_loading.load_backbone_weights(other, source)
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
    weight_loading.load_backbone_weights(fresh, tmp_path / "trained.keras")
    np.testing.assert_allclose(fresh(data[:4]), trained(data[:4]), rtol=1e-5, atol=1e-5)
    other = model(np.zeros((4, 3), "float32"))
    weight_loading.load_weights(other, tmp_path / "trained.keras")
    np.testing.assert_allclose(other(data[:4]), trained(data[:4]), rtol=1e-5, atol=1e-5)
