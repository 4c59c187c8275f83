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

from reproductions.common import keras_file

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


def strip_training_state(source, target) -> int:
    """Writes ``target``: the ``.keras`` file ``source`` without what only
    training needs -- the optimizer state of a compiled classifier nested in
    an inference model (Adam's two moments: twice the weights' size; an h5
    group ``optimizer`` that is not a layer's) and the compile configs that
    would recreate it on load. The weights and every other entry are copied
    as they are, so the model predicts the same. ``source`` may be
    ``target``. Returns the number of values left out."""
    dropped = 0

    def keep(group) -> bool:
        nonlocal dropped
        name, parent = group.name.rsplit("/", 1)[-1], group.parent.name.rsplit("/", 1)[-1]
        if name == "optimizer" and parent != "layers":
            dropped += sum(x.size for x in keras_file.datasets(group))
            return False
        return True

    keras_file.rewrite(source, target, config=_strip_compile,
                       weights=lambda src, dst: keras_file.copy_h5(src, dst, keep_group=keep))
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
