"""The training input of the portable runs: NumPy batches on any Keras backend.

:class:`NumpyPipeline` is ``training.train``'s ``pipeline`` (set as
``ctx.pipeline``): it gives what ``reproductions.common.data.train_dataset``
and ``eval_dataset`` give through ``tf.data`` -- one epoch of shuffled
batches of the (copies of the) training examples, the first
``samples_per_epoch`` of them, augmented, with the model's targets -- as
``keras.utils.PyDataset`` objects. The order of epoch ``e`` is a function of
``(seed, e)`` only (NumPy's generator seeded with both), so a run resumed at
epoch ``e`` sees the batches it would have seen; it is not the permutation
TensorFlow's stateless shuffle draws, so a portable run and a TensorFlow run
of one seed see the examples in another order (the seed's noise, not a
change of protocol).

Augmentation works on a batch: ``augment(images, labels, variants) ->
images`` (``variants`` numbers the copies of each example). DRI's class-balanced
rotation set is :func:`rotation_variants`: ``keras.ops.image.affine_transform``
with the transform ``reproductions.common.augment.rotate`` gives
TensorFlow's ``ImageProjectiveTransformV3`` (equal to it to 2e-7 on JAX and
PyTorch; ``tests/portable``).
"""
from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import keras
import numpy as np


class Epoch:
    """The epoch about to start (``training.EpochCounter`` assigns it)."""

    def __init__(self):
        self.value = 0

    def assign(self, epoch) -> None:
        self.value = int(epoch)


class TrainBatches(keras.utils.PyDataset):
    """One epoch of shuffled, augmented training batches."""

    def __init__(self, split, *, batch_size: int, seed: int, epoch: Epoch,
                 augment: Callable | None = None, repeats=None,
                 samples_per_epoch: int | None = None, targets: Callable | None = None):
        super().__init__()
        n = len(split)
        repeats = np.ones(n, np.int64) if repeats is None else np.asarray(repeats, np.int64)
        self.split, self.batch_size, self.seed, self.epoch = split, batch_size, seed, epoch
        self.augment, self.targets = augment, targets
        self.example = np.repeat(np.arange(n), repeats)
        self.variant = (np.concatenate([np.arange(r) for r in repeats]) if n
                        else np.zeros(0, np.int64))
        total = len(self.example)
        self.take = total if samples_per_epoch is None else min(samples_per_epoch, total)
        self._order = (None, None)

    def __len__(self) -> int:
        return -(-self.take // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """Positions in the set of copies, in epoch ``epoch``'s order."""
        if self._order[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._order = (epoch, rng.permutation(len(self.example))[:self.take])
        return self._order[1]

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(index)
        positions = self.order(self.epoch.value)[index * self.batch_size:
                                                 (index + 1) * self.batch_size]
        examples = self.example[positions]
        images = self.split.images[examples]
        labels = self.split.labels[examples]
        if self.augment is not None:
            images = self.augment(images, labels, self.variant[positions])
        return images, (labels if self.targets is None else self.targets(images, labels))


class EvalBatches(keras.utils.PyDataset):
    """Batches of ``(images, targets)`` in the split's order."""

    def __init__(self, split, *, batch_size: int, targets: Callable | None = None):
        super().__init__()
        self.split, self.batch_size, self.targets = split, batch_size, targets

    def __len__(self) -> int:
        return -(-len(self.split) // self.batch_size)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(index)
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        images, labels = self.split.images[part], self.split.labels[part]
        return images, (labels if self.targets is None else self.targets(images, labels))


class NumpyPipeline:
    """``training.train``'s ``pipeline``: ``(epoch, training batches,
    validation batches)``; :meth:`throughput` measures the training batches
    alone (DRI's ``pipeline_images_per_s``)."""

    def __call__(self, train_split, val_split, *, batch_size: int, seed: int, **kwargs):
        epoch = Epoch()
        return (epoch, TrainBatches(train_split, batch_size=batch_size, seed=seed, epoch=epoch,
                                    **kwargs),
                EvalBatches(val_split, batch_size=batch_size, targets=kwargs.get("targets")))

    def throughput(self, split, *, batches: int = 50, **kwargs) -> float:
        """Images per second of the training batches (the first one, a
        warm-up, left out)."""
        data = TrainBatches(split, epoch=Epoch(), **kwargs)
        data[0]
        count, start = 0, time.perf_counter()
        for i in range(1, min(batches + 1, len(data))):
            count += len(data[i][0])
        return count / max(time.perf_counter() - start, 1e-9)


def rotation_transforms(angles_degrees: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(N, 8)`` projective transforms (output -> input pixel coordinates) of
    counter-clockwise rotations about the image centre: the transform of
    ``reproductions.common.augment.rotation_transform``, in NumPy."""
    theta = np.asarray(angles_degrees, np.float32) * np.float32(math.pi / 180.0)
    c, s = np.cos(theta), np.sin(theta)
    w, h = np.float32(width - 1), np.float32(height - 1)
    x_offset = (w - (c * w - s * h)) / 2.0
    y_offset = (h - (s * w + c * h)) / 2.0
    zero = np.zeros_like(c)
    return np.stack([c, -s, x_offset, s, c, y_offset, zero, zero], axis=1).astype(np.float32)


def rotation_variants(copies: Sequence[int], fill_value: float = 0.0) -> Callable:
    """``augment(images, labels, variants)``: copy ``variant`` of an example of
    class ``label`` rotated by ``variant · 360° / copies[label]`` (bilinear,
    corners filled with ``fill_value``), as ``augment.rotation_variants``."""
    step = np.array([360.0 / c for c in copies], np.float32)

    def augment(images, labels, variants):
        angles = np.asarray(variants, np.float32) * step[np.asarray(labels)]
        transforms = rotation_transforms(angles, images.shape[1], images.shape[2])
        out = keras.ops.image.affine_transform(images, transforms, interpolation="bilinear",
                                               fill_mode="constant", fill_value=fill_value)
        return keras.ops.convert_to_numpy(out)

    return augment
