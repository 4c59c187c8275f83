"""Inference models: a trained classifier saved with its preprocessing and
class names, so that ``python -m reproductions.predict`` needs nothing but
the ``.keras`` file.

The model: ``keras.Input((None, None, channels), dtype="uint8")`` (one raw
image, as :func:`reproductions.common.image_folder.read_image` returns it,
any size) → the paper's preprocessing as a registered layer
(:class:`layers.PerImageMinMaxResize`, :class:`layers.CropPadDownsample`) →
the trained classifier → :class:`layers.ClassNames` (identity; keeps the
class names in the saved config). Every layer is registered, so the file
loads with ``keras.models.load_model(path)`` once ``layers`` is imported (the
reproductions import it), without ``custom_objects``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

#: File name of the inference model in a run directory.
FILE_NAME = "inference.keras"
#: Name of the :class:`layers.ClassNames` layer of an inference model.
CLASS_NAMES_LAYER = "class_names"


def inference_model(classifier, preprocess, class_names: Sequence[str], channels: int = 1,
                    heads: int = 1, name: str | None = None):
    """``uint8 (batch, H, W, channels)`` → class probabilities.

    ``classifier``: a one-output Keras model on the preprocessed images
    (e.g. DRI's summed heads, :func:`reproductions.dri.models.inference_model`);
    ``heads``: the number of softmax outputs the classifier sums (its output
    is divided by it with a ``Rescaling`` layer, so that it adds up to 1)."""
    import keras

    import layers as L

    inputs = keras.Input((None, None, channels), dtype="uint8", name="image")
    x = classifier(preprocess(inputs))
    if heads != 1:
        x = keras.layers.Rescaling(1.0 / heads, name="mean_of_heads")(x)
    outputs = L.ClassNames(class_names, name=CLASS_NAMES_LAYER)(x)
    return keras.Model(inputs, outputs, name=name or f"{classifier.name}_inference")


def save_inference_model(classifier, preprocess, class_names: Sequence[str], path,
                         channels: int = 1, heads: int = 1) -> Path:
    """Builds :func:`inference_model` and saves it to ``path`` (a ``.keras``
    file; the classifier's weights are shared, not copied or changed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inference_model(classifier, preprocess, class_names, channels, heads).save(path)
    strip_training_state(path, path)
    return path


def _strip_compile(config):
    """``config`` without the compile state of any model in it (in place)."""
    if isinstance(config, dict):
        if config.get("compile_config"):
            config["compile_config"] = {}
        for value in config.values():
            _strip_compile(value)
    elif isinstance(config, list):
        for value in config:
            _strip_compile(value)
    return config


def _drop_optimizers(source, target) -> int:
    """Copies the h5 group ``source`` into ``target`` less every optimizer
    state (a group ``optimizer`` that is not a layer, i.e. whose parent is
    not a ``layers`` group); returns the number of values left out."""
    import h5py

    dropped = 0
    for key, value in source.attrs.items():
        target.attrs[key] = value
    for key, item in source.items():
        if isinstance(item, h5py.Group):
            if key == "optimizer" and source.name.rsplit("/", 1)[-1] != "layers":
                dropped += sum(x.size for x in _datasets(item))
                continue
            dropped += _drop_optimizers(item, target.create_group(key))
        else:
            target.create_dataset(key, data=item[()])
            for attr, value in item.attrs.items():
                target[key].attrs[attr] = value
    return dropped


def _datasets(group):
    import h5py

    found = []
    group.visititems(lambda _, x: found.append(x) if isinstance(x, h5py.Dataset) else None)
    return found


def strip_training_state(source, target) -> int:
    """Writes ``target``: the ``.keras`` file ``source`` without what only
    training needs -- the optimizer state of a compiled classifier nested in
    an inference model (Adam's two moments: twice the weights' size) and the
    compile configs that would recreate it on load. The weights and every
    other entry are copied as they are, so the model predicts the same.
    ``source`` may be ``target``. Returns the number of values left out."""
    import io
    import json
    import zipfile

    import h5py

    with zipfile.ZipFile(source) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    dropped, out = 0, []
    for info, data in entries:
        if info.filename == "config.json":
            data = json.dumps(_strip_compile(json.loads(data))).encode()
        elif info.filename == "model.weights.h5":
            buffer = io.BytesIO()
            with h5py.File(io.BytesIO(data), "r") as src, h5py.File(buffer, "w") as dst:
                dropped = _drop_optimizers(src, dst)
            data = buffer.getvalue()
        out.append((info, data))
    with zipfile.ZipFile(target, "w") as archive:
        for info, data in out:
            archive.writestr(info, data)
    return dropped


def class_names(model) -> list[str]:
    """The class names an inference model carries (label order)."""
    return list(model.get_layer(CLASS_NAMES_LAYER).class_names)


def preprocess_layer(model):
    """The preprocessing layer of an inference model (the layer right after
    its uint8 input)."""
    import layers as L

    for layer in model.layers:
        if isinstance(layer, (L.PerImageMinMaxResize, L.CropPadDownsample)):
            return layer
    raise ValueError(f"{model.name} has no preprocessing layer")
