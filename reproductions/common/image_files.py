"""One image file, read as the suite reads it: decoded and converted to uint8
with the channels asked for (:func:`read_image`): every file of a user's image folder
(:mod:`reproductions.common.image_folder`) and every file a saved model
classifies or a labelling round queries.

Decoding: PNG, JPEG and BMP are decoded by ``tf.io.decode_image`` (what
``tfds.ImageFolder`` uses), 16-bit PNG by ``tf.io.decode_png``, TIFF by
OpenCV (TensorFlow has no TIFF decoder). Then, counted in
:attr:`ImageFolderDataset.converted`
(:mod:`reproductions.common.image_folder`):

* ``alpha_dropped``: an alpha channel is dropped (transparency is ignored);
* ``rgb_to_gray`` (``channels=1``): colour to grey by luminance, ITU-R BT.601
  weights ``0.299 R + 0.587 G + 0.114 B`` (``cv2.COLOR_RGB2GRAY``, as the
  suite's builders convert);
* ``gray_to_rgb`` (``channels=3``): the grey channel repeated;
* ``16bit``: 16-bit images scaled to 8 bits by the **dtype range**,
  ``round(v * 255 / 65535)`` (``v / 257``), after any colour conversion.
  The scale is the same for every image, so brightness stays comparable
  between images. A 12-bit microscope image (values up to 4095) becomes
  0..16 and keeps only about 4 bits of its grey levels; per-image min-max
  normalisation (:func:`reproductions.common.data.minmax_normalize`, the
  suite's HEp-2 preprocessing) restores its contrast but not the lost levels.
  Convert such images to 8 bits yourself (e.g. per-image min-max) if the
  fine grey levels matter.

Files that cannot be used raise :class:`BadImage` with the reason.
"""
from __future__ import annotations

import collections
import re
from pathlib import Path

import cv2
import numpy as np
import tensorflow as tf

__all__ = ["read_image", "decode_and_convert", "decode", "convert", "BadImage",
           "IMAGE_EXTENSIONS", "CONVERSIONS"]

IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff")
CONVERSIONS = ("alpha_dropped", "rgb_to_gray", "gray_to_rgb", "16bit")

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


class BadImage(Exception):
    """A file that is not an image the suite reads; the message says why."""


def _decode_tiff(data: bytes) -> np.ndarray:
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # libtiff chatter
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        image = None
    finally:
        cv2.utils.logging.setLogLevel(level)
    if image is None or image.size == 0:
        raise BadImage("cannot be decoded (corrupt, truncated or not a TIFF image)")
    if image.ndim == 2:
        return image[..., None]
    if image.shape[-1] in (3, 4):  # OpenCV's BGR(A) -> RGB(A)
        image = np.concatenate([image[..., 2::-1], image[..., 3:]], axis=-1)
    return image


def decode(data: bytes) -> np.ndarray:
    """``(H, W, C)`` pixels in the file's own depth (uint8 or uint16), RGB(A)."""
    if not data:
        raise BadImage("an empty file (0 bytes)")
    if data[:4] in _TIFF_MAGICS:
        image = _decode_tiff(data)
    else:
        try:
            if data[:8] == _PNG_MAGIC and len(data) > 24 and data[24] == 16:
                image = tf.io.decode_png(data, channels=0, dtype=tf.uint16).numpy()
            else:
                image = tf.io.decode_image(data, channels=0, dtype=tf.uint8,
                                           expand_animations=False).numpy()
        except (tf.errors.OpError, ValueError) as exc:
            detail = re.sub(r"\{\{[^}]*\}\}\s*|\s*\[Op:\w+\]", "", str(exc)).strip().splitlines()
            raise BadImage("cannot be decoded (corrupt, truncated or not an image"
                            + (f": {detail[0]}" if detail else "") + ")") from None
    if image.dtype not in (np.uint8, np.uint16):
        raise BadImage(f"pixel type {image.dtype} is not supported; save it as an 8- "
                        "or 16-bit image")
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4) or 0 in image.shape:
        raise BadImage(f"unsupported image shape {image.shape}")
    return image


def convert(image: np.ndarray, channels: int, converted: collections.Counter) -> np.ndarray:
    """To uint8 with ``channels`` channels, counting each conversion in
    ``converted`` (see the module docstring)."""
    if image.shape[-1] in (2, 4):
        image = image[..., :-1]
        converted["alpha_dropped"] += 1
    if image.shape[-1] == 3 and channels == 1:
        image = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)[..., None]
        converted["rgb_to_gray"] += 1
    elif image.shape[-1] == 1 and channels == 3:
        image = np.repeat(image, 3, axis=-1)
        converted["gray_to_rgb"] += 1
    if image.dtype == np.uint16:
        image = np.rint(image / 257.0).astype(np.uint8)  # 65535 -> 255
        converted["16bit"] += 1
    return np.ascontiguousarray(image)


def decode_and_convert(data: bytes, channels: int,
                       converted: collections.Counter) -> np.ndarray:
    """The bytes of one image file as uint8 ``(H, W, channels)``
    (:func:`decode`, then :func:`convert`); :class:`BadImage` when they are
    not an image the suite reads."""
    return convert(decode(data), channels, converted)


def read_image(path, channels: int = 1,
               converted: collections.Counter | None = None) -> np.ndarray:
    """One image file as uint8 ``(H, W, channels)``, decoded and converted
    exactly as
    :func:`reproductions.common.image_folder.open_image_folder` does (one file of a pool to be
    labelled, say); ``ValueError`` with the reason when it cannot be read.
    ``converted``, when given, counts the conversions made (``rgb_to_gray``,
    ``gray_to_rgb``, ``alpha_dropped``, ``16bit``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    try:
        return decode_and_convert(data, channels,
                                  collections.Counter() if converted is None else converted)
    except BadImage as exc:
        raise ValueError(str(exc)) from None
