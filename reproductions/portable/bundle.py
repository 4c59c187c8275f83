"""The array bundle: a paper's prepared splits, written on a TensorFlow
machine (``export``) and read where TensorFlow may not be installed
(``train``). NumPy, JSON and hashlib only.

A bundle is a folder of two files:

* ``arrays.npz`` (``numpy.savez_compressed``): per split ``<split>/ids``
  (str), ``<split>/labels`` (int64) and, per image set (one preprocessing of
  the same examples: Super-Xception's length-normalised and padded crops),
  ``<set>/<split>/images``, uint8 ``(N, H, W, C)``: the float images in
  [0, 1] the TensorFlow runs train on, times 255 and rounded (at most 0.5/255
  from them), each a PNG file (Pillow, lossless; stored as
  ``<set>/<split>/images.png``, the files' bytes end to end, and
  ``.png_offsets``): I3A's 13,596 cells at 76×76 take 44 MiB so, 61 MiB as a
  deflated array; further arrays a paper needs (DRI's ``train/repeats``);
* ``manifest.json``: what it is -- paper, the profile it was exported with
  and the data settings that fix its arrays (:data:`FORMAT`), the datasets'
  facts as the TensorFlow command records them (name, version, split sizes,
  ``split_ids_sha256`` of the whole splits), the class names, per split the
  ``ids_sha256`` of the examples kept (``provenance.ids_sha256``: the same
  hash, so a split kept whole has the dataset's), the sha256 of every array
  and of ``arrays.npz`` itself, and the provenance of the export.

:func:`read` checks every hash and refuses (:class:`BundleError`, a
``UserError``: the command ends with its message and exit status 2) a bundle
whose file, arrays or ids do not match its manifest.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Mapping

import numpy as np

from reproductions.common import provenance
from reproductions.common.arrays import ArraySplit
from reproductions.common.errors import UserError

FORMAT = "hep2repro-portable-bundle"
FORMAT_VERSION = 1
ARRAYS = "arrays.npz"
MANIFEST = "manifest.json"
SPLITS = ("train", "validation", "test")
QUANTISATION = ("uint8 images: round(255 x) of the float images in [0, 1] the TensorFlow "
                "runs train on (at most 0.5/255 from them), divided by 255 again on loading")


class BundleError(UserError):
    """A bundle that is missing, of another format, or does not match its hashes."""


@dataclasses.dataclass
class Bundle:
    """A bundle read and checked: its manifest, folder and arrays."""

    manifest: dict
    path: Path
    arrays: Mapping[str, np.ndarray]

    @property
    def paper(self) -> str:
        return self.manifest["paper"]

    @property
    def sha256(self) -> str:
        """The bundle's identity: the sha256 of ``arrays.npz``."""
        return self.manifest["file"]["sha256"]

    def splits(self, image_set: str) -> dict[str, ArraySplit]:
        """``{"train", "validation", "test"}`` of ``image_set``, images as float32."""
        names = tuple(self.manifest["class_names"])
        return {split: ArraySplit(
                    self.arrays[f"{image_set}/{split}/images"].astype(np.float32) / 255.0,
                    self.arrays[f"{split}/labels"].astype(np.int64),
                    self.arrays[f"{split}/ids"], names)
                for split in SPLITS}


def quantise(images: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] as uint8 (``round(255 x)``)."""
    images = np.asarray(images, np.float32)
    low, high = float(images.min(initial=0.0)), float(images.max(initial=0.0))
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(f"images must lie in [0, 1] to be stored as uint8, not "
                         f"[{low:.4g}, {high:.4g}]")
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)


def array_sha256(array: np.ndarray) -> str:
    """sha256 of an array's dtype, shape and bytes (C order)."""
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def png_encode(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 ``(N, H, W, 1)`` images as PNG files: ``(bytes end to end,
    offsets)`` (``N + 1`` offsets, image ``i`` is ``bytes[offsets[i]:offsets[i+1]]``)."""
    import io

    from PIL import Image

    files = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image[..., 0]).save(buffer, format="PNG", optimize=True)
        files.append(buffer.getvalue())
    offsets = np.cumsum([0] + [len(f) for f in files]).astype(np.int64)
    return np.frombuffer(b"".join(files), np.uint8), offsets


def png_decode(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The images :func:`png_encode` encoded, ``(N, H, W, 1)`` uint8."""
    import io

    from PIL import Image

    raw = data.tobytes()
    images = [np.asarray(Image.open(io.BytesIO(raw[a:b]))) for a, b in zip(offsets[:-1],
                                                                           offsets[1:])]
    return np.stack(images)[..., None] if images else np.zeros((0, 0, 0, 1), np.uint8)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(folder: Path, *, image_sets: Mapping[str, Mapping[str, object]],
          extra_arrays: Mapping[str, np.ndarray] | None = None, manifest: dict) -> dict:
    """Writes a bundle to ``folder`` and returns its manifest.

    ``image_sets``: set name -> split -> ``ArraySplit`` (float images in [0, 1];
    every set holds the same examples in the same order); ``extra_arrays``:
    more named arrays; ``manifest``: paper, profile, data settings, datasets,
    provenance ... (completed here with the class names, splits and hashes).
    """
    folder = Path(folder)
    first = next(iter(image_sets.values()))
    arrays: dict[str, np.ndarray] = {}
    splits = {}
    for split in SPLITS:
        ids, labels = np.asarray(first[split].ids).astype(str), np.asarray(first[split].labels)
        for name, sets in image_sets.items():
            if not (np.array_equal(np.asarray(sets[split].ids).astype(str), ids)
                    and np.array_equal(sets[split].labels, labels)):
                raise ValueError(f"image set {name!r} holds other {split} examples than "
                                 f"{next(iter(image_sets))!r}")
            arrays[f"{name}/{split}/images"] = quantise(sets[split].images)
        arrays[f"{split}/ids"] = ids
        arrays[f"{split}/labels"] = labels.astype(np.int64)
        splits[split] = {"examples": int(len(labels)),
                         "counts": np.bincount(labels, minlength=len(first[split].class_names)
                                               ).tolist(),
                         "ids_sha256": provenance.ids_sha256(ids, labels)}
    arrays.update(extra_arrays or {})
    stored = dict(arrays)
    for key in [k for k in arrays if k.endswith("/images") and arrays[k].shape[-1] == 1]:
        stored[f"{key}.png"], stored[f"{key}.png_offsets"] = png_encode(stored.pop(key))
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / ARRAYS, **stored)
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest,
                "class_names": list(first["train"].class_names),
                "image_sets": sorted(image_sets),
                "image_shape": list(arrays[f"{next(iter(image_sets))}/train/images"].shape[1:]),
                "quantisation": QUANTISATION, "splits": splits,
                "arrays": {k: {"shape": list(v.shape), "dtype": v.dtype.str,
                               "sha256": array_sha256(v)} for k, v in arrays.items()},
                "file": {"name": ARRAYS, "bytes": (folder / ARRAYS).stat().st_size,
                         "sha256": file_sha256(folder / ARRAYS)}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def read_manifest(folder: Path) -> dict:
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise BundleError(f"{folder} is not a bundle: it has no {MANIFEST} (write one with "
                          "`python -m reproductions.portable export PAPER --out FOLDER` on a "
                          "machine with TensorFlow).")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}): the bundle is damaged; "
                          "export it again.") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{path} is not a {FORMAT} of version {FORMAT_VERSION} (format "
                          f"{manifest.get('format')!r}, version "
                          f"{manifest.get('format_version')!r}): export it again with this "
                          "version of the suite.")
    return manifest


def read(folder: Path) -> Bundle:
    """Reads a bundle and checks it against its manifest: the sha256 of
    ``arrays.npz``, of every array, and the ids hash of every split."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    path = folder / manifest["file"]["name"]
    if not path.is_file():
        raise BundleError(f"bundle {folder}: {path.name} is missing; export it again.")
    got = file_sha256(path)
    if got != manifest["file"]["sha256"]:
        raise BundleError(
            f"bundle {folder} is corrupted: {path.name} has sha256 {got[:16]}..., its "
            f"manifest says {manifest['file']['sha256'][:16]}... (the file was changed or "
            "damaged after export). Export it again or copy it anew; nothing was trained.")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files if not key.endswith(".png_offsets")}
        for key in [k for k in arrays if k.endswith(".png")]:
            arrays[key[:-len(".png")]] = png_decode(arrays.pop(key), npz[f"{key}_offsets"])
    problems = sorted(set(manifest["arrays"]) ^ set(arrays))
    problems += [key for key, info in manifest["arrays"].items()
                 if key in arrays and array_sha256(arrays[key]) != info["sha256"]]
    problems += [f"{split}/ids" for split, info in manifest["splits"].items()
                 if provenance.ids_sha256(arrays.get(f"{split}/ids", ()),
                                          arrays.get(f"{split}/labels", ())) != info["ids_sha256"]]
    if problems:
        raise BundleError(f"bundle {folder} is corrupted: arrays {', '.join(problems)} do not "
                          "match the hashes of its manifest. Export it again; nothing was "
                          "trained.")
    return Bundle(manifest, folder, arrays)
