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
    before = [np.array(w) for w in model.trainable_weights]
    keras.optimizers.SGD(0.1).apply(grads, model.trainable_weights)
    assert all(not np.array_equal(b, np.asarray(w)) for b, w in zip(before, model.trainable_weights))


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
