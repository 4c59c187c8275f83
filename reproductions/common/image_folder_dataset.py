"""A decoded image folder held in memory, read like a prepared TFDS builder:
:class:`ImageFolderDataset` (made by
:func:`reproductions.common.image_folder.open_image_folder`), with
``info.splits``, ``info.name``, ``info.version``,
``info.features["label"].names`` and ``as_dataset(split=...)`` yielding
``{"image", "label", "id"}``.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from reproductions.common.errors import UserError

__all__ = ["ImageFolderDataset", "ImageFolderInfo", "SplitInfo", "DecodedSplit"]


@dataclasses.dataclass(frozen=True)
class SplitInfo:
    name: str
    num_examples: int


@dataclasses.dataclass(frozen=True)
class ImageFolderInfo:
    """The subset of ``tfds.core.DatasetInfo`` the suite's pipeline reads."""

    name: str
    version: str
    splits: Mapping[str, SplitInfo]
    features: tfds.features.FeaturesDict
    description: str


@dataclasses.dataclass
class DecodedSplit:
    """The decoded images of one split, sorted by id."""

    images: list[np.ndarray]  # uint8 (H, W, C), varying H, W
    labels: np.ndarray        # int64
    ids: list[str]            # paths relative to ROOT, with "/"


class ImageFolderDataset:
    """A decoded image folder that reads like a prepared TFDS builder.

    Attributes:
      root: the folder (resolved).
      layout: ``"classes"`` (``ROOT/<class>/<image>``) or ``"splits"``
        (``ROOT/<split>/<class>/<image>``).
      class_names: sorted class folder names; ``label`` indexes them.
      channels: channels of every image (1 or 3).
      seed: seed of the splits made here.
      generated_splits: names of the splits made here rather than read from
        folders (all of them in the class layout, ``("validation",)`` when it
        was cut out of ``train``).
      counts: split -> {class name: number of images}.
      converted: conversion -> number of images (only those that happened):
        ``alpha_dropped``, ``rgb_to_gray``, ``gray_to_rgb``, ``16bit``.
      info: ``name`` ("image_folder"), ``version`` (short hash of the file
        list and sizes), ``splits``, ``features``.
    """

    def __init__(self, root: Path, layout: str, class_names: Sequence[str], channels: int,
                 seed: int, splits: Mapping[str, DecodedSplit], generated_splits: Sequence[str],
                 converted: Mapping[str, int], version: str):
        self.root = root
        self.version = version
        self.layout = layout
        self.class_names = tuple(class_names)
        self.channels = channels
        self.seed = seed
        self.generated_splits = tuple(generated_splits)
        self.converted = dict(converted)
        self._splits = dict(splits)
        self.counts = {
            name: dict(zip(self.class_names, np.bincount(
                s.labels, minlength=len(self.class_names)).tolist()))
            for name, s in self._splits.items()}
        features = tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(None, None, channels), dtype=np.uint8),
            "label": tfds.features.ClassLabel(names=list(self.class_names)),
            "id": tfds.features.Text(),
        })
        self.info = ImageFolderInfo(
            name="image_folder", version=version,
            splits={name: SplitInfo(name, len(s.ids)) for name, s in self._splits.items()},
            features=features, description=self.describe())

    def describe(self) -> str:
        """One line for logs."""
        sizes = ", ".join(f"{name} {len(s.ids)}" for name, s in self._splits.items())
        made = ""
        if self.generated_splits:
            made = f"; {', '.join(self.generated_splits)} split here (seed {self.seed})"
        converted = ", ".join(f"{k} {v}" for k, v in self.converted.items()) or "none"
        return (f"image folder {self.root} ({self.layout} layout{made}): "
                f"{len(self.class_names)} classes, {sizes} images, {self.channels} "
                f"channel(s), converted: {converted}, version {self.version}")

    def download_and_prepare(self, **unused) -> None:
        """Nothing to do (decoded at open time); here so that the object can
        stand wherever a TFDS builder is prepared."""

    def as_dataset(self, split: str, shuffle_files: bool = False,
                   as_supervised: bool = False, **unused) -> tf.data.Dataset:
        """The examples of ``split`` in a fixed order (sorted by ``id``).

        Yields ``{"image": uint8 (H, W, channels), "label": int64, "id":
        string}``, or ``(image, label)`` with ``as_supervised``.
        ``shuffle_files`` changes nothing: like a one-shard TFDS dataset, the
        order is always the same (shuffle in the training pipeline).
        """
        del shuffle_files, unused
        if split not in self._splits:
            raise UserError(f"The image folder {self.root} has no split {split!r}; it has "
                            f"{', '.join(self._splits)}.")
        s = self._splits[split]
        shapes = np.array([im.shape[:2] for im in s.images], np.int64)
        sizes = shapes.prod(axis=1) * self.channels
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        flat = tf.constant(np.concatenate([im.ravel() for im in s.images]))
        channels = self.channels

        def unpack(offset, shape, label, ident):
            pixels = flat[offset:offset + shape[0] * shape[1] * channels]
            image = tf.reshape(pixels, [shape[0], shape[1], channels])
            if as_supervised:
                return image, label
            return {"image": image, "label": label, "id": ident}

        ds = tf.data.Dataset.from_tensor_slices((offsets, shapes, s.labels, s.ids))
        return ds.map(unpack)  # sequential: ordered

    def __repr__(self) -> str:
        return f"<ImageFolderDataset {self.describe()}>"
