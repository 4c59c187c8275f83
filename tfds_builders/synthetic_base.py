"""What the embedded synthetic datasets share: seeding, PNG encoding, noise and
spot helpers, and the base TFDS builder.

The generator of each dataset is a plain numpy / OpenCV module next to its
builder (``tfds_builders/synthetic_<name>/generator.py``); tests and notebooks
can call it directly. A synthetic builder derives from
:class:`SyntheticBuilder` and only names its features, its configs and its
generator: config handling, ``_info``, ``_split_generators`` and
``_generate_examples`` are written here once.

Everything is deterministic: an example is a pure function of
``(seed, split, index)`` through :func:`example_rng`, so two runs (or two
``download_and_prepare`` calls) give byte-identical examples, and a larger
config contains the smaller ones as prefixes (same seed).

Public API
----------
- :data:`SPLITS` -- the split names :func:`example_rng` knows.
- :func:`example_rng` -- the seeding scheme.
- :func:`smooth_noise`, :func:`splat` -- smooth random fields, Gaussian spots.
- :func:`png_bytes` -- the deterministic PNG encoding the builders store.
- :class:`SyntheticConfig`, :class:`SyntheticBuilder` -- the TFDS base.
"""
from __future__ import annotations

import abc
import dataclasses
from typing import Iterator

import cv2
import numpy as np
import tensorflow_datasets as tfds

__all__ = [
    "SPLITS",
    "example_rng",
    "smooth_noise",
    "splat",
    "png_bytes",
    "SyntheticConfig",
    "SyntheticBuilder",
]

SPLITS = ("train", "validation", "test")
_SPLIT_CODE = {"train": 0, "validation": 1, "test": 2}


# --------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------
def example_rng(seed: int, split: str, *index: int) -> np.random.Generator:
    """Independent, reproducible generator for one example.

    Seeded from ``(seed, split, *index)`` via ``np.random.SeedSequence``
    (no use of Python's randomised ``hash``), so it is stable across
    processes, platforms and numpy versions that keep PCG64.
    """
    if split not in _SPLIT_CODE:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    entropy = [int(seed), _SPLIT_CODE[split]] + [int(i) for i in index]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


# --------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------
def smooth_noise(rng: np.random.Generator, shape, sigma) -> np.ndarray:
    """Zero-mean, unit-std smooth random field."""
    field = rng.standard_normal(shape, dtype=np.float32)
    field = cv2.GaussianBlur(field, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    std = float(field.std())
    return field / std if std > 0 else field


def splat(shape, xs, ys, amps, sigma) -> np.ndarray:
    """Sum of isotropic Gaussian spots with peak height ``amps``.

    Bilinear splat of (sub-pixel) impulses followed by one Gaussian blur:
    O(pixels), independent of the number of spots.
    """
    h, w = shape
    acc = np.zeros((h + 2, w + 2), np.float32)
    xs = np.asarray(xs, np.float32) + 1.0
    ys = np.asarray(ys, np.float32) + 1.0
    amps = np.asarray(amps, np.float32)
    keep = (xs >= 0) & (xs < w + 1) & (ys >= 0) & (ys < h + 1)
    xs, ys, amps = xs[keep], ys[keep], amps[keep]
    x0 = np.floor(xs).astype(int)
    y0 = np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dy, dx, wgt in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                        (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(acc, (np.minimum(y0 + dy, h + 1), np.minimum(x0 + dx, w + 1)),
                  amps * wgt)
    acc = acc[1:-1, 1:-1]
    out = cv2.GaussianBlur(acc, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    return out * np.float32(2.0 * np.pi * sigma * sigma)


def png_bytes(image: np.ndarray) -> bytes:
    """Lossless 8-bit grayscale PNG of a 2-D uint8 array (deterministic).

    The builders hand TFDS encoded PNGs: encoding with OpenCV is several times
    faster than letting ``tfds.features.Image`` encode through TensorFlow.
    """
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image, np.uint8),
                           [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # pragma: no cover
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


# --------------------------------------------------------------------------
# TFDS base
# --------------------------------------------------------------------------
@dataclasses.dataclass(eq=False)
class SyntheticConfig(tfds.core.BuilderConfig):
    """A synthetic config: the generator seed and a size per split.

    Subclasses add one size field per split, named ``<split><SIZE_SUFFIX>``
    (e.g. ``train_per_class``), and list the splits in ``SPLIT_NAMES``.
    """

    SPLIT_NAMES = SPLITS
    SIZE_SUFFIX = "_per_class"

    seed: int = 0

    def split_sizes(self) -> dict[str, int]:
        """``{split: size}``, the argument each split's generator gets."""
        return {s: getattr(self, s + self.SIZE_SUFFIX) for s in self.SPLIT_NAMES}


class SyntheticBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Base of the generated datasets (nothing to download).

    A subclass sets ``BUILDER_CONFIGS`` (of a :class:`SyntheticConfig`
    subclass) and implements :meth:`_features` and :meth:`_examples`. Its
    examples are numpy dicts; every ``tfds.features.Image`` feature is stored
    as :func:`png_bytes` of a 2-D uint8 array, and keys that are not features
    (e.g. the ``intensity`` of ``synthetic_hep2``) are dropped.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    DEFAULT_BUILDER_CONFIG_NAME = "default"

    @abc.abstractmethod
    def _features(self) -> dict[str, tfds.features.FeatureConnector]:
        """The feature dict (``image`` and ``label`` are the supervised keys)."""

    @abc.abstractmethod
    def _examples(self, split: str, size: int) -> Iterator[tuple[str, dict]]:
        """``(key, example)`` of one split from the dataset's generator."""

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(self._features()),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        del dl_manager  # generated: nothing to download
        return {
            split: self._generate_examples(split, size)
            for split, size in self.builder_config.split_sizes().items()
        }

    def _generate_examples(self, split: str, size: int):
        features = self.info.features
        images = {k for k, f in features.items() if isinstance(f, tfds.features.Image)}
        for key, ex in self._examples(split, size):
            yield key, {k: png_bytes(v) if k in images else v
                        for k, v in ex.items() if k in features}
