"""Generic layer tests (keras / timm style), run for every case in ``cases.py``.

Shapes (incl. unknown batch), get_config/from_config, .keras save/load without
custom_objects, one training step with non-zero gradients for every trainable
weight, and the mixed_float16 policy.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import layers as L

from .cases import CASES

CASE_IDS = [c.id for c in CASES]
SHAPE_CASES = [(c, i) for c in CASES for i in range(len(c.shapes))]
SHAPE_IDS = [f"{c.id}-{i}" for c, i in SHAPE_CASES]


def _flat(structure):
    return keras.tree.flatten(structure)


def _expected(structure):
    """Flatten an expected-shape structure (a shape, a list of shapes or a dict of shapes)."""
    if isinstance(structure, dict):
        return [structure[k] for k in sorted(structure)]
    if isinstance(structure, list):
        return list(structure)
    return [structure]


def _model(case, input_shape, layer=None, conv_in_front=False):
    layer = case.factory() if layer is None else layer
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(input_shape[-1], 3, padding="same", name="front")(inputs) if conv_in_front else inputs
    return keras.Model(inputs, case.apply(layer, x)), layer


def _input(rng, batch, shape):
    return rng.normal(size=(batch,) + tuple(shape)).astype("float32")


def _float_outputs(outputs):
    return [o for o in _flat(outputs) if keras.backend.is_float_dtype(keras.backend.standardize_dtype(o.dtype))]


@pytest.mark.parametrize("case,index", SHAPE_CASES, ids=SHAPE_IDS)
def test_output_shapes(case, index, rng):
    input_shape, expected = case.shapes[index]
    expected = _expected(expected)
    model, _ = _model(case, input_shape)
    symbolic = [tuple(t.shape) for t in _flat(model.outputs)]
    assert symbolic == [(None,) + tuple(e) for e in expected]
    for batch in (1, 3):
        outputs = _flat(model(_input(rng, batch, input_shape), training=False))
        assert [tuple(o.shape) for o in outputs] == [(batch,) + tuple(e) for e in expected]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_config_round_trip(case, rng):
    layer = case.factory()
    config = layer.get_config()
    json.dumps(config)  # plain JSON
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    # through Keras' registry, by the registered name
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config

    input_shape = case.shapes[0][0]
    model, _ = _model(case, input_shape, layer=case.factory())
    twin, _ = _model(case, input_shape, layer=clone)
    twin.set_weights(model.get_weights())
    x = _input(rng, 2, input_shape)
    for a, b in zip(_flat(model(x, training=False)), _flat(twin(x, training=False))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_save_and_load_without_custom_objects(case, rng, tmp_path):
    input_shape = case.shapes[0][0]
    model, layer = _model(case, input_shape)
    if model.weights:  # make the weights (incl. BN statistics) differ from a fresh init
        model.set_weights([w + rng.normal(scale=0.1, size=w.shape).astype(w.dtype) ** 2 for w in model.get_weights()])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # no custom_objects
    assert any(type(l) is type(layer) for l in loaded.layers)
    x = _input(rng, 2, input_shape)
    for a, b in zip(_flat(model(x, training=False)), _flat(loaded(x, training=False))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_training_step_reaches_every_weight(case, rng):
    input_shape = case.shapes[0][0]
    model, layer = _model(case, input_shape, conv_in_front=case.weightless)
    assert model.trainable_weights, "nothing to train"
    if not case.weightless:
        assert layer.trainable_weights
    x = tf.constant(_input(rng, 4, input_shape))
    outputs = _float_outputs(model(x, training=False))
    # random projections: a plain sum would cancel through batch normalisation
    targets = [tf.constant(rng.normal(size=o.shape).astype("float32")) for o in outputs]
    with tf.GradientTape() as tape:
        outputs = _float_outputs(model(x, training=True))
        loss = tf.add_n([tf.reduce_mean(o * t) for o, t in zip(outputs, targets)])
    grads = tape.gradient(loss, model.trainable_weights)
    for w, g in zip(model.trainable_weights, grads):
        assert g is not None, f"no gradient for {w.path}"
        g = np.asarray(g)
        assert np.all(np.isfinite(g)), w.path
        # real gradients here are >= 1e-3; a bias in front of a batch norm gets ~1e-9 of round-off
        assert np.abs(g).max() > 1e-6, f"(numerically) zero gradient for {w.path}"
    before = [np.asarray(w).copy() for w in model.trainable_weights]
    keras.optimizers.SGD(0.1).apply(grads, model.trainable_weights)
    # every weight has a gradient that is not zero by construction
    unchanged = [w.path for b, w in zip(before, model.trainable_weights) if np.array_equal(b, np.asarray(w))]
    assert not unchanged, f"no update to {unchanged}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_mixed_float16_policy(case, rng, mixed_precision):
    input_shape = case.shapes[0][0]
    model, layer = _model(case, input_shape)
    assert layer.compute_dtype == "float16"
    assert all(w.dtype == "float32" for w in layer.weights)
    with _float32_policy():
        reference, _ = _model(case, input_shape)
    reference.set_weights(model.get_weights())
    x = _input(rng, 2, input_shape)
    got = _float_outputs(model(x, training=False))
    want = _float_outputs(reference(x, training=False))
    assert got and all(g.dtype == "float16" for g in got)
    for g, w in zip(got, want):
        g, w = np.asarray(g, dtype="float32"), np.asarray(w)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, w, atol=2e-2 * max(1.0, np.abs(w).max()), rtol=0)
    with tf.GradientTape() as tape:
        loss = tf.add_n([tf.reduce_mean(tf.cast(o, "float32") ** 2) for o in _float_outputs(model(x, training=True))])
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(np.asarray(g))) for g in grads)


class _float32_policy:
    """Temporarily switch the global policy to float32 (inside the mixed fixture)."""

    def __enter__(self):
        self.previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy("float32")

    def __exit__(self, *exc):
        keras.mixed_precision.set_global_policy(self.previous)


def test_every_exported_layer_has_a_generic_case():
    exported = {
        name for name in L.__all__ if isinstance(getattr(L, name), type) and issubclass(getattr(L, name), keras.layers.Layer)
    }
    covered = {type(c.factory()).__name__ for c in CASES}
    assert exported <= covered, exported - covered



def _stack_model():
    """Every layer, some twice, in one small functional model (tiny sizes)."""
    inputs = keras.Input((8, 8, 3))
    x = L.SRResidual(filters=(4, 4))(inputs)
    # SoftThreshold between the two: every DRIBlock branch opens with a
    # training-mode BatchNorm, which removes a per-channel constant, so the
    # gradient of SRResidual's conv3 bias straight into it is zero up to
    # round-off (and exactly zero in about one run in four)
    x = L.SoftThreshold()(x)
    x = L.DRIBlock(4, 2, 4, 2, 3, 4, 2)(x)
    x = L.DRIBlock(2, 2, 3, 1, 2, 2, 2)(x)
    x = L.SoftThreshold(reduction=3)(x)
    x = L.InceptionBlock(2, 2, 2, 1, 2, 2)(x)
    x = L.InceptionBlock(3, 2, 3, 1, 2, 2, activation="prelu")(x)
    pooled, argmax = L.MaxPoolingWithArgmax2D()(x)
    x = L.MaxUnpooling2D()([pooled, argmax])
    approx, details = L.WaveletTransform2D("db2", output_mode="details_sum")(x)
    outputs = L.DilatedBlock(2, merge=None)(keras.layers.Concatenate()([approx, details]))
    return keras.Model(inputs, outputs)


def test_model_with_several_blocks_of_each_kind_round_trips(rng, tmp_path):
    # sub-layers of different blocks share names (b1_1x1, fc1, ...): weights must not be mixed up
    model = _stack_model()
    model.set_weights([w + rng.normal(scale=0.1, size=w.shape).astype(w.dtype) ** 2 for w in model.get_weights()])
    model.save(tmp_path / "stack.keras")
    loaded = keras.models.load_model(tmp_path / "stack.keras")
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = _input(rng, 2, (8, 8, 3))
    for a, b in zip(model(x, training=False), loaded(x, training=False)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_fit_runs_in_graph_mode(rng):
    # model.fit traces the layers with tf.function and an unknown batch size (one batch: one trace)
    inputs = keras.Input((8, 8, 1))
    x = L.SRResidual(filters=(4, 4))(inputs)
    # SoftThreshold between the two: every DRIBlock branch opens with a
    # training-mode BatchNorm, which removes a per-channel constant, so the
    # gradient of SRResidual's conv3 bias straight into it is zero up to
    # round-off (and exactly zero in about one run in four)
    x = L.SoftThreshold()(x)
    x = L.DRIBlock(4, 2, 4, 2, 3, 4, 2)(x)
    pooled, argmax = L.MaxPoolingWithArgmax2D()(x)
    x = L.MaxUnpooling2D()([pooled, argmax, x])
    approx, details = L.WaveletTransform2D("db2", "symmetric", output_mode="details_sum")(x)
    x = L.DilatedBlock(2)(keras.layers.Concatenate()([approx, details]))
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(x)))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [np.asarray(w).copy() for w in model.trainable_weights]
    history = model.fit(_input(rng, 4, (8, 8, 1)), rng.integers(0, 3, 4), batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # every weight has a gradient that is not zero by construction
    unchanged = [w.path for b, w in zip(before, model.trainable_weights) if np.array_equal(b, np.asarray(w))]
    assert not unchanged, f"no update to {unchanged}"
