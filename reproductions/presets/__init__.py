"""Trained networks that ship with the suite, loaded by name.

A *preset* is a folder ``reproductions/presets/<name>/`` with

* ``model.keras``: an inference model (:mod:`reproductions.common.export`:
  raw uint8 image -> the paper's preprocessing -> the trained classifier ->
  class probabilities, class names inside), loadable without
  ``custom_objects``; its weights may be stored as float16 (the model still
  computes in float32, see :mod:`reproductions.presets.precision`);
* ``metadata.json``: what the network is -- dataset and split, classes, test
  metrics each with the command that measured it, protocol, commit, versions,
  parameter count, file size and sha256, expected input, intended use and
  limits (fields: :data:`reproductions.presets.card.REQUIRED_FIELDS`);
* ``MODEL_CARD.md``: the same, for people, generated from ``metadata.json``.

::

    from reproductions import presets
    presets.list_presets()                  # ['super_xception_bioimlab', ...]
    model = presets.load("super_xception_bioimlab")   # sha256 checked
    presets.metadata("super_xception_bioimlab")["metrics"]

    python -m reproductions.presets                       # list, with metrics
    python -m reproductions.predict --model super_xception_bioimlab cells/

A preset's classifier goes into a builder's model (another head, another
input size of the same trunk ...) with
:func:`reproductions.common.weight_loading.load_backbone_weights`::

    model = models.build("super_xception", classes=5, ...)
    presets.load_into(model, "super_xception_bioimlab")  # matching layers copied

``load`` also takes the path of a preset folder (one written by
``python -m reproductions.finetune``), so fine-tuned networks load the same way.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

__all__ = ["PresetError", "PRESETS_DIR", "MODEL_FILE", "METADATA_FILE", "CARD_FILE",
           "SIZE_BUDGET_BYTES", "list_presets", "path", "folder", "metadata", "load",
           "classifier", "nested_classifier", "load_into", "sha256_file", "check",
           "is_preset", "resolve_model"]

#: Where the committed presets live (one folder each).
PRESETS_DIR = Path(__file__).resolve().parent
MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"
CARD_FILE = "MODEL_CARD.md"
#: All presets in the repository together (issue #33).
SIZE_BUDGET_BYTES = 50 * 1024 * 1024
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


class PresetError(ValueError):
    """A preset that does not exist, is incomplete or fails its hash check."""


def list_presets(root: Path | None = None) -> list[str]:
    """Names of the presets in ``root`` (default: the committed ones), sorted."""
    root = PRESETS_DIR if root is None else Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and (p / METADATA_FILE).is_file())


def folder(name) -> Path:
    """The folder of preset ``name``: a committed preset's name, or the path
    of a preset folder (one holding ``metadata.json`` and ``model.keras``)."""
    candidate = Path(name).expanduser()
    if candidate.is_dir() and (candidate / METADATA_FILE).is_file():
        return candidate
    name = str(name)
    if NAME_PATTERN.match(name) and (PRESETS_DIR / name / METADATA_FILE).is_file():
        return PRESETS_DIR / name
    known = ", ".join(list_presets()) or "none is installed yet"
    raise PresetError(f"no preset {name!r} (presets: {known}; or give the path of a "
                      "preset folder, one with metadata.json and model.keras)")


def is_preset(name) -> bool:
    """Whether ``name`` names a preset (see :func:`folder`)."""
    try:
        folder(name)
    except PresetError:
        return False
    return True


def metadata(name) -> dict:
    """The preset's ``metadata.json``."""
    return json.loads((folder(name) / METADATA_FILE).read_text())


def sha256_file(file) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(name) -> Path:
    """The preset's model file, after checking it against the sha256 in its
    metadata; :class:`PresetError` naming both hashes when they differ."""
    where = folder(name)
    meta = metadata(where)
    model_file = where / meta.get("file", {}).get("name", MODEL_FILE)
    if not model_file.is_file():
        raise PresetError(f"preset {meta.get('name', name)!r}: {model_file} is missing")
    expected = meta.get("file", {}).get("sha256")
    if not expected:
        raise PresetError(f"preset {meta.get('name', name)!r}: metadata.json has no "
                          "file.sha256 to check the model against")
    actual = sha256_file(model_file)
    if actual != expected:
        raise PresetError(
            f"preset {meta.get('name', name)!r}: {model_file} has sha256 {actual}, but "
            f"metadata.json expects {expected}. The file was changed or damaged (a Git "
            "LFS pointer or a partial download?); restore it (git checkout / reinstall) "
            "or package it again with `python -m reproductions.presets make`.")
    return model_file


def path(name) -> Path:
    """The checked model file of preset ``name`` (see :func:`check`)."""
    return check(name)


def load(name):
    """The preset's inference model (``keras.Model``: uint8 images of any size
    -> class probabilities), its file checked against its sha256 first."""
    from reproductions import predict

    return predict.load_model(check(name))


def nested_classifier(model):
    """The trained classifier inside an inference model (preprocessed float
    images -> probabilities): the one nested model between the preprocessing
    layer and the class names."""
    import keras

    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(nested) != 1:
        raise PresetError(f"{model.name}: expected one nested classifier model, found "
                          f"{[layer.name for layer in nested]}")
    return nested[0]


def classifier(name):
    """The trained classifier inside the preset (:func:`nested_classifier`
    of :func:`load`), e.g. for :func:`load_into`."""
    return nested_classifier(load(name))


def load_into(model, name):
    """Copies every layer of the preset's classifier whose name and variable
    shapes match into ``model`` (a builder's model, e.g. with another number
    of classes) -- :func:`reproductions.common.weight_loading.load_backbone_weights`.
    Returns its :class:`~reproductions.common.weight_loading.WeightTransfer`."""
    from reproductions.common import weight_loading

    return weight_loading.load_backbone_weights(model, classifier(name))


def resolve_model(value) -> Path:
    """``predict --model VALUE``: an existing file stays a path; a preset name
    or preset folder becomes its (hash-checked) model file."""
    candidate = Path(value).expanduser()
    if candidate.is_file():
        return candidate
    if is_preset(value):
        return check(value)
    return candidate
