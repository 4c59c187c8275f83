"""A preprocessed split in memory (no TensorFlow: the portable runs read
their bundles into it too)."""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class ArraySplit:
    """A preprocessed split in memory."""

    images: np.ndarray  # (N, H, W, C) float32
    labels: np.ndarray  # (N,) int64
    ids: np.ndarray     # (N,) str
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> list[int]:
        return np.bincount(self.labels, minlength=len(self.class_names)).tolist()
