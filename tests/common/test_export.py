"""Inference models carry no training state: the optimizer state of a
compiled classifier (Adam's moments, twice the weights) is left out of the
file, which still loads and predicts exactly as the in-memory model."""
import io
import zipfile

import h5py
import keras
import numpy as np

import layers as L
from reproductions.common import export


def _trained_classifier():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(x)
    model = keras.Model(inputs, outputs, name="classifier")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, 12, 12, 1), dtype=np.float32), rng.integers(0, 3, 8),
              epochs=1, verbose=0)
    return model


def _groups(path):
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    names = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visit(names.append)
    return names


def test_the_saved_inference_model_has_no_optimizer_state(tmp_path):
    classifier = _trained_classifier()
    assert classifier.optimizer.variables  # trained: Adam holds state
    path = export.save_inference_model(classifier, L.PerImageMinMaxResize(12), ("a", "b", "c"),
                                       tmp_path / "inference.keras")
    assert not [n for n in _groups(path) if n.endswith("optimizer")]
    # the same model saved by Keras keeps the nested optimizer: what was stripped
    full = tmp_path / "full.keras"
    export.inference_model(classifier, L.PerImageMinMaxResize(12), ("a", "b", "c")).save(full)
    assert [n for n in _groups(full) if n.endswith("optimizer")]
    again = tmp_path / "again.keras"
    assert export.strip_training_state(full, again) == sum(
        int(np.prod(v.shape)) for v in classifier.optimizer.variables)
    loaded = keras.saving.load_model(path)
    images = np.random.default_rng(1).integers(0, 255, (4, 20, 17, 1)).astype(np.uint8)
    expected = export.inference_model(classifier, L.PerImageMinMaxResize(12), ("a", "b", "c"))(images)
    np.testing.assert_allclose(loaded(images), expected, atol=1e-6)
    assert export.class_names(loaded) == ["a", "b", "c"]
    assert path.stat().st_size < full.stat().st_size
