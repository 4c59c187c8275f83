"""What ``python -m reproductions.predict`` does to an image before and
around an inference model (:mod:`reproductions.common.export`), so that the
network sees what it saw in training:

* :func:`background_is_light`, :func:`to_dark_background`: image polarity
  (every network here was trained on bright objects on a dark background:
  fluorescent HEp-2 cells, Q-banded chromosomes on black);
* :func:`chromosome_crop`, :func:`length_normalized`: Super-Xception's
  length normalisation (``reproductions/super_xception/data.py``), which
  needs the other chromosomes of the same cell and so cannot be a layer of a
  one-image model;
* :func:`dihedral`: the 8 rotations and flips of test-time augmentation;
* :func:`classifier_tail`: the inference model after its preprocessing layer;
* :func:`record_length_normalization`: say in an older model file that it
  was trained with length normalisation.
"""
from __future__ import annotations

import numpy as np


def _border(image: np.ndarray) -> np.ndarray:
    """The pixels of the outermost rows and columns, grey (mean over channels)."""
    grey = image.astype(np.float32).mean(axis=-1) if image.ndim == 3 else image.astype(np.float32)
    if min(grey.shape) < 3:
        return grey.ravel()
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


def background_is_light(image: np.ndarray) -> bool:
    """Whether ``image`` (uint8 ``(H, W[, C])``) shows dark objects on a light
    background: the median of its border pixels lies in the upper quarter of
    the image's range and is not below the median of the whole image.

    The upper quarter keeps noise-like images (border median near the middle)
    as they are; the second condition keeps tight crops of bright cells,
    whose border crosses the cell. Measured on the shared datasets: none of
    5,474 BioImLab chromosomes, 1,884 SNPHEp-2 and 13,596 I3A cells (nor of
    2,000 uniform-noise images) is called light; of their inverted copies
    the chromosomes are recognised but 7, while 399 SNPHEp-2 and 1,071 I3A
    cells are missed (fluorescent cells are bright on dark anyway)."""
    grey = image.astype(np.float32).mean(axis=-1) if image.ndim == 3 else image.astype(np.float32)
    lo, hi = float(grey.min()), float(grey.max())
    border = float(np.median(_border(image)))
    return border > lo + 0.75 * (hi - lo) and border >= float(np.median(grey))


def to_dark_background(image: np.ndarray, mode: str = "auto") -> tuple[np.ndarray, bool]:
    """``(image, inverted)``: ``image`` on a dark background. ``mode``:
    ``"auto"`` inverts (``255 - image``) when :func:`background_is_light`,
    ``"light"`` always, ``"dark"`` never."""
    if mode not in ("auto", "dark", "light"):
        raise ValueError(f"background mode must be auto, dark or light, not {mode!r}")
    invert = mode == "light" or (mode == "auto" and background_is_light(image))
    return (np.subtract(255, image, dtype=np.uint8) if invert else image), invert


def chromosome_crop(image: np.ndarray) -> np.ndarray:
    """The BioImLab builder's crop (``tfds_builders.bioimlab_chromosomes.
    crop_to_chromosome``: pixels above 15 % of the peak, specks dropped) of a
    one-channel uint8 ``(H, W, 1)`` image; the training images went through
    it before their preprocessing. ``ValueError`` for an all-black image."""
    from tfds_builders.bioimlab_chromosomes import bioimlab_chromosomes_dataset_builder as bio

    return bio.crop_to_chromosome(image[..., 0])[..., None]


def canvas_side(image: np.ndarray) -> int:
    """The canvas side one chromosome asks for (``karyotype_max_side`` in
    training: the longer side of the builder's crop)."""
    return int(max(image.shape[:2]))


def length_normalized(image: np.ndarray, side: int, low_res: int):
    """The training pipeline's preprocessing with length normalisation
    (``super_xception.data.make_preprocess(low_res, True, canvas)`` for a
    karyotype whose canvas is ``side``): ``/ 255``, crop to the pixels above
    0, centre on a ``max(side, crop side)`` square of 0, anti-aliased bicubic
    resize to ``low_res``, clip to [0, 1]. ``image``: the builder's crop
    (:func:`chromosome_crop`), uint8 ``(H, W, C)``; returns float32
    ``(low_res, low_res, C)``."""
    import tensorflow as tf

    from reproductions.common import data as data_lib

    x = data_lib.crop_to_foreground(tf.cast(image, tf.float32) / 255.0, threshold=0.0)
    shape = tf.shape(x)
    full = tf.maximum(tf.constant(int(side), tf.int32), tf.reduce_max(shape[:2]))
    top, left = (full - shape[0]) // 2, (full - shape[1]) // 2
    x = tf.pad(x, [[top, full - shape[0] - top], [left, full - shape[1] - left], [0, 0]])
    return tf.clip_by_value(data_lib.resize(x, low_res, method="bicubic", antialias=True),
                            0.0, 1.0)


def dihedral(image: np.ndarray) -> list[np.ndarray]:
    """The 8 rotations by multiples of 90° and their mirror images of an
    ``(H, W, C)`` image, the identity first."""
    out = []
    for k in range(4):
        turned = np.rot90(image, k, axes=(0, 1))
        out += [np.ascontiguousarray(turned), np.ascontiguousarray(turned[:, ::-1])]
    return out


def classifier_tail(model):
    """The inference model ``model`` after its preprocessing layer, as a
    model on the preprocessed images: ``tail(preprocess(x)) == model(x)``."""
    import keras

    from reproductions.common import export

    pre = export.preprocess_layer(model)
    index = model.layers.index(pre)
    inputs = keras.Input(tuple(pre.output.shape[1:]), name="preprocessed")
    x = inputs
    for layer in model.layers[index + 1:]:
        x = layer(x)
    return keras.Model(inputs, x, name=f"{model.name}_tail")


def record_length_normalization(source, target, value: bool = True) -> None:
    """Writes ``target``: the inference model file ``source`` with
    ``length_normalization=value`` recorded on its ``CropPadDownsample``
    layer (the config only; the weights and every other entry are copied as
    they are). For a file saved before the flag existed, whose training is
    known (e.g. from its run's profile): ``predict`` then applies it without
    ``--length-normalization on``. ``ValueError`` when the file has no such
    layer."""
    from reproductions.common import keras_file

    def record(config: dict) -> dict:
        layers = [layer for layer in config["config"]["layers"]
                  if layer.get("class_name") == "CropPadDownsample"]
        if not layers:
            raise ValueError(f"{source} has no CropPadDownsample layer")
        for layer in layers:
            layer["config"]["length_normalization"] = bool(value)
        return config

    keras_file.rewrite(source, target, config=record)
