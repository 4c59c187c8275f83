"""Helpers shared by the manual-download TFDS builders of this package.

Everything that the three real-data builders (``snphep2``, ``i3a_task1``,
``bioimlab_chromosomes``) have in common lives here, written once:

* locating and validating the manual download directory, with errors that name
  the expected layout and the official source of the data
  (:class:`ManualDirError`);
* reading an 8-bit grayscale image and re-encoding it as PNG, with errors that
  name the offending file (:class:`CorruptImageError`);
* deterministic, library-version independent ordering / stratified counts used
  to build the splits.

All file access goes through ``etils.epath`` (i.e. ``tf.io.gfile`` for remote
paths), as TFDS requires.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from typing import Iterable, Mapping, Sequence

import cv2
import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from tfds_builders.errors import DatasetInputError

__all__ = [
    "DatasetError",
    "ManualDirError",
    "CorruptImageError",
    "manual_dir_error",
    "resolve_manual_dir",
    "read_csv",
    "read_gray_image",
    "encode_png",
    "gray_png_bytes",
    "hash_order",
    "round_half_up",
    "stratified_assignment",
]


class DatasetError(DatasetInputError):
    """Base class of the errors raised by the real-data builders.

    A :class:`tfds_builders.errors.DatasetInputError` (hence a ``ValueError``),
    the type the suite's pipeline catches to report bad user input.
    """


class ManualDirError(FileNotFoundError, DatasetError):
    """The manual download directory is missing or does not have the expected layout.

    Subclasses both ``FileNotFoundError`` and ``ValueError``; the message always
    contains the builder's ``MANUAL_DOWNLOAD_INSTRUCTIONS`` (expected layout and
    official source of the data).
    """

    def __str__(self) -> str:  # FileNotFoundError would format (errno, strerror)
        return str(self.args[0]) if self.args else ""


class CorruptImageError(DatasetError):
    """An image file cannot be read/decoded; the message names the file."""


def manual_dir_error(name: str, problem: str, instructions: str) -> ManualDirError:
    """Builds a :class:`ManualDirError` whose text names layout and source."""
    return ManualDirError(
        f"{name}: {problem}\n\n"
        f"Expected manual download directory (pass it with "
        f"`download_config=tfds.download.DownloadConfig(manual_dir=...)` or "
        f"`download_and_prepare_kwargs={{'download_config': ...}}`):\n"
        f"{instructions.strip()}\n"
    )


def resolve_manual_dir(
    dl_manager: tfds.download.DownloadManager,
    name: str,
    instructions: str,
    required: Sequence[str],
) -> epath.Path:
    """Returns the dataset root inside the manual dir, after checking its layout.

    The root is the manual dir itself or, if the layout is not found there,
    ``<manual_dir>/<name>`` (so that TFDS's default ``downloads/manual/<name>``
    also works).

    Args:
      dl_manager: the builder's download manager.
      name: dataset name (used in messages and as the optional sub-folder).
      instructions: the builder's ``MANUAL_DOWNLOAD_INSTRUCTIONS``.
      required: relative paths (files or folders; folders end with ``/``)
        that must exist under the root.

    Raises:
      ManualDirError: directory missing/empty, or required entries missing.
    """
    try:
        manual_dir = epath.Path(dl_manager.manual_dir)
    except AssertionError as e:  # TFDS: "does not exist or is empty" / not enabled
        # TFDS's message repeats the instructions; keep its first sentence.
        reason = str(e).split(". Create it")[0].splitlines()[0]
        raise manual_dir_error(name, f"{reason}.", instructions) from None

    def missing_in(root: epath.Path) -> list[str]:
        out = []
        for rel in required:
            p = root / rel.rstrip("/")
            ok = p.is_dir() if rel.endswith("/") else p.is_file()
            if not ok:
                out.append(rel)
        return out

    candidates = [manual_dir, manual_dir / name]
    first_missing = None
    for root in candidates:
        if not root.is_dir():
            continue
        missing = missing_in(root)
        if not missing:
            return root
        if first_missing is None:
            first_missing = (root, missing)
    root, missing = first_missing or (manual_dir, list(required))
    raise manual_dir_error(
        name,
        f"manual download directory {manual_dir} has the wrong layout: "
        f"missing {', '.join(missing)} in {root}.",
        instructions,
    )


def read_csv(
    path: epath.Path,
    columns: Sequence[str],
    name: str,
    instructions: str,
) -> list[dict[str, str]]:
    """Reads a csv file with a header; values and header names are stripped.

    Raises:
      ManualDirError: the file is unreadable or lacks one of ``columns``.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except Exception as e:  # pylint: disable=broad-except
        raise manual_dir_error(name, f"cannot read {path}: {e}", instructions) from e
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise manual_dir_error(name, f"{path} is empty.", instructions) from None
    missing = [c for c in columns if c not in header]
    if missing:
        raise manual_dir_error(
            name,
            f"{path} has columns {header}, expected at least {list(columns)}.",
            instructions,
        )
    rows = []
    for lineno, values in enumerate(reader, start=2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise manual_dir_error(
                name,
                f"{path}:{lineno}: expected {len(header)} fields, got "
                f"{len(values)}: {values!r}.",
                instructions,
            )
        row = {h: v.strip() for h, v in zip(header, values)}
        row["_line"] = str(lineno)
        rows.append(row)
    return rows


def read_gray_image(path: epath.PathLike, data: bytes | None = None) -> np.ndarray:
    """Reads an 8-bit grayscale image as a 2-D ``uint8`` array.

    3-channel images whose channels are identical (R = G = B, as some BMPs of
    the chromosome set) are reduced to one channel; other colour images are
    converted with the ITU-R BT.601 luma weights (``cv2.COLOR_BGR2GRAY``); an
    opaque alpha channel is dropped.

    Args:
      path: image path (for reading and for error messages).
      data: the file's bytes, if already read.

    Raises:
      CorruptImageError: unreadable, undecodable, empty, not 8-bit, or an
        unsupported channel layout. The message names the file.
    """
    return _decode_gray(epath.Path(path), data)[0]


def _read_bytes(path: epath.Path) -> bytes:
    try:
        return path.read_bytes()
    except Exception as e:  # pylint: disable=broad-except
        raise CorruptImageError(f"cannot read image file {path}: {e}") from e


def _decode_gray(path: epath.Path, data: bytes | None) -> tuple[np.ndarray, bool]:
    """Returns ``(2-D uint8 pixels, file_was_single_channel)``."""
    if data is None:
        data = _read_bytes(path)
    if not data:
        raise CorruptImageError(f"image file {path} is empty (0 bytes).")
    detail = ""
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error as e:
        img, detail = None, f": {e}"
    if img is None or img.size == 0:
        raise CorruptImageError(
            f"cannot decode image file {path} (corrupt or not an image){detail}."
        )
    if img.dtype != np.uint8:
        raise CorruptImageError(
            f"image file {path} has pixel type {img.dtype}; expected 8-bit."
        )
    if img.ndim == 2:
        return img, True
    if img.ndim != 3:
        raise CorruptImageError(
            f"image file {path} has shape {img.shape}; expected a 2-D image."
        )
    channels = img.shape[-1]
    if channels == 4:
        if not np.all(img[..., 3] == 255):
            raise CorruptImageError(
                f"image file {path} has a non-opaque alpha channel; "
                "expected an 8-bit grayscale image."
            )
        img, channels = img[..., :3], 3
    if channels == 1:
        return np.ascontiguousarray(img[..., 0]), True
    if channels != 3:
        raise CorruptImageError(
            f"image file {path} has {channels} channels; expected grayscale."
        )
    b, g, r = img[..., 0], img[..., 1], img[..., 2]
    if np.array_equal(b, g) and np.array_equal(g, r):
        return np.ascontiguousarray(b), False
    return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2GRAY), False


def encode_png(img: np.ndarray, path: epath.PathLike = "<array>") -> bytes:
    """Losslessly encodes a 2-D (or H×W×1) ``uint8`` array as PNG bytes."""
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise CorruptImageError(f"cannot re-encode image {path} as PNG.")
    return buf.tobytes()


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def gray_png_bytes(
    path: epath.PathLike, data: bytes | None = None
) -> tuple[bytes, np.ndarray]:
    """Reads and validates an image; returns ``(png_bytes, pixels)``.

    ``pixels`` is the 2-D ``uint8`` array (see :func:`read_gray_image`).
    ``png_bytes`` are the file's own bytes when it already is an 8-bit
    single-channel PNG (no re-encoding), otherwise a lossless PNG encoding
    of ``pixels``.

    Raises:
      CorruptImageError: see :func:`read_gray_image`.
    """
    path = epath.Path(path)
    if data is None:
        data = _read_bytes(path)
    img, single_channel = _decode_gray(path, data)
    if single_channel and data.startswith(_PNG_MAGIC):
        return data, img
    return encode_png(img, path), img


def hash_order(keys: Iterable[str], salt: str) -> list[str]:
    """Deterministic pseudo-random order of ``keys``.

    Keys are sorted by ``sha256(f"{salt}:{key}")``. This behaves like a
    fixed-seed random permutation but does not depend on numpy/Python versions
    and the relative order of two keys does not depend on which other keys are
    present.
    """
    keys = list(keys)
    if len(set(keys)) != len(keys):
        raise ValueError("hash_order: duplicate keys")
    return sorted(
        keys, key=lambda k: hashlib.sha256(f"{salt}:{k}".encode("utf-8")).hexdigest()
    )


def round_half_up(x: float) -> int:
    """Rounds to the nearest integer, halves up (``floor(x + 0.5)``)."""
    return int(math.floor(x + 0.5))


def stratified_assignment(
    groups: Mapping[str, Sequence[str]],
    fractions: Sequence[tuple[str, float]],
    salt: str,
) -> dict[str, list[str]]:
    """Deterministic stratified split of keys grouped by stratum.

    Within each stratum the keys are put in :func:`hash_order` (salted with
    ``salt`` and the stratum name) and cut into consecutive blocks: every split
    but the last gets ``round_half_up(fraction * n)`` keys, the last split gets
    the rest.

    Args:
      groups: stratum -> keys.
      fractions: ``[(split_name, fraction), ...]``; the last fraction is
        implied (the rest) and only its name is used.
      salt: salt of the hash ordering.

    Returns:
      split_name -> sorted list of keys.
    """
    out: dict[str, list[str]] = {name: [] for name, _ in fractions}
    for stratum in sorted(groups):
        ordered = hash_order(groups[stratum], f"{salt}:{stratum}")
        n = len(ordered)
        start = 0
        for i, (split, frac) in enumerate(fractions):
            if i == len(fractions) - 1:
                count = n - start
            else:
                count = min(round_half_up(frac * n), n - start)
            out[split].extend(ordered[start:start + count])
            start += count
    return {k: sorted(v) for k, v in out.items()}
