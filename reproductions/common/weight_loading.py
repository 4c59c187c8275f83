"""The builders' ``weights=`` argument, and weights moved between models.

A ``.weights.h5`` file stores the weights by position in the model, not by
layer name (Keras 3 has no ``by_name``), so it loads only into the
architecture it was saved from; :func:`load_weights` checks that first and
names the file and the differences when it does not fit. A ``.keras`` file
(or a model) carries its layer names: :func:`load_backbone_weights` copies
every layer whose name and variable shapes match (transfer learning into a
model with another head) and reports which layers it loaded.
"""
from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from pathlib import Path

import keras

WEIGHTS_ACCEPTED = ("None (random initialisation, trained from scratch), the path of an "
                    "existing '.weights.h5' file (Model.save_weights) or '.keras' file "
                    "(Model.save), or the name of a preset (python -m reproductions.presets "
                    "lists them)")
_SHOWN = 5  # differences quoted in an error message


def check_weights(weights) -> Path | None:
    """The ``weights`` argument as a path (``None`` stays ``None``); a
    ``ValueError`` saying what is accepted for anything else. Builders call
    it before building, so a wrong argument fails fast."""
    if weights is None:
        return None
    if isinstance(weights, str) and not weights.endswith((".h5", ".keras")):
        from reproductions import presets

        if presets.is_preset(weights):  # its inference model, sha256 checked
            return presets.check(weights)
    if isinstance(weights, (str, os.PathLike)):
        path = Path(weights)
        if path.name.endswith(".weights.h5") or path.suffix == ".keras":
            if not path.is_file():
                raise ValueError(f"weights file {str(path)!r} does not exist")
            return path
    raise ValueError(f"weights must be {WEIGHTS_ACCEPTED}; got {weights!r}")


@dataclasses.dataclass
class WeightTransfer:
    """Which layers of a model a source has. Layers with weights are matched
    by name (nested models opened); the ones Keras named itself (such as the
    shortcut convolutions ``keras.applications.Xception`` leaves unnamed:
    ``conv2d``, ``conv2d_1`` ... after a global counter) by their order
    among the unmatched layers of their class.

    Attributes:
      loaded: layers (of the model) whose every variable the source has,
        with its shape.
      mismatched: layer -> what differs (variable, model shape, source shape).
      missing: layers of the model the source does not have.
      unused: layers of the source the model does not have.
    """

    loaded: list[str]
    mismatched: dict[str, str]
    missing: list[str]
    unused: list[str]
    _pairs: list = dataclasses.field(default_factory=list, repr=False)

    def apply(self) -> "WeightTransfer":
        """Copies the source's values into the ``loaded`` layers."""
        for target, source in self._pairs:
            target.assign(keras.ops.convert_to_numpy(source))
        return self

    def __str__(self) -> str:
        lines = [f"loaded {len(self.loaded)} layers"]
        for label, items in (("mismatched", [f"{k} ({v})" for k, v in self.mismatched.items()]),
                             ("missing from the source", self.missing),
                             ("not in the model", self.unused)):
            if items:
                lines.append(f"{label}: {', '.join(items)}")
        return "; ".join(lines)


def _weighted_layers(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """name -> every layer with weights, nested models opened."""
    found: dict[str, keras.layers.Layer] = {}
    for layer in model.layers:
        inner = _weighted_layers(layer) if isinstance(layer, keras.Model) else (
            {layer.name: layer} if layer.weights else {})
        for name in inner:
            if name in found:
                raise ValueError(f"model {model.name!r} has two layers named {name!r}; "
                                 "weights cannot be matched by name")
        found.update(inner)
    return found


def _variables(layer) -> dict[str, object]:
    """A layer's variables by their path inside it (``kernel``, ``b1_1x1/bn/gamma``)."""
    return {v.path.split("/", 1)[-1]: v for v in layer.weights}


def _keras_named(layer) -> bool:
    """Whether Keras made the layer's name (``conv2d_4``) from its class."""
    snake = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", type(layer).__name__)
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", snake).lower()
    return re.sub(r"_\d+$", "", layer.name) == snake


def _pair_layers(targets: dict, sources: dict) -> dict[str, str]:
    """model layer -> source layer: same names, then Keras-named ones by order."""
    pairs = {name: name for name in targets if name in sources}
    unnamed: dict[str, tuple[list, list]] = {}
    for side, layers in enumerate((targets, sources)):
        for name, layer in layers.items():
            if name not in pairs and _keras_named(layer):
                unnamed.setdefault(type(layer).__name__, ([], []))[side].append(name)
    for mine, theirs in unnamed.values():
        if len(mine) == len(theirs):
            pairs.update(zip(mine, theirs))
    return pairs


def match_weights(model: keras.Model, source: keras.Model) -> WeightTransfer:
    """Pairs the layers of ``model`` with those of ``source`` (see
    :class:`WeightTransfer`); copies nothing."""
    targets, sources = _weighted_layers(model), _weighted_layers(source)
    pairs = _pair_layers(targets, sources)
    used = set(pairs.values())
    transfer = WeightTransfer([], {}, [name for name in targets if name not in pairs],
                              [name for name in sources if name not in used])
    for name, source_name in pairs.items():
        theirs = _variables(sources[source_name])
        matched, problems = [], []
        for path, variable in _variables(targets[name]).items():
            other = theirs.get(path)
            if other is None:
                problems.append(f"{path}: not in the source")
            elif tuple(other.shape) != tuple(variable.shape):
                problems.append(f"{path}: model {tuple(variable.shape)}, "
                                f"source {tuple(other.shape)}")
            else:
                matched.append((variable, other))
        if problems:
            transfer.mismatched[name] = "; ".join(problems)
        else:
            transfer.loaded.append(name)
            transfer._pairs.extend(matched)
    return transfer


def _source_model(source) -> keras.Model:
    if isinstance(source, keras.Model):
        return source
    path = check_weights(source)
    if path is None or path.suffix != ".keras":
        raise ValueError(
            f"the source must be a keras.Model or a '.keras' file, got {source!r}: a "
            "'.weights.h5' file has no layer names; load it into the model it was saved "
            "from (same builder and arguments) and pass that model")
    return keras.saving.load_model(path, compile=False)


def load_backbone_weights(model: keras.Model, source) -> WeightTransfer:
    """Transfer learning: copies into ``model`` every layer of ``source`` (a
    model or a ``.keras`` file) with the same name and variable shapes --
    e.g. a trained classifier's trunk into a model with a new head
    (``classes`` changed) or without one (``include_top=False``). Returns
    the :class:`WeightTransfer` (``str()`` of it is a one-line report);
    raises ``ValueError`` when no layer matches."""
    transfer = match_weights(model, _source_model(source))
    if not transfer.loaded:
        raise ValueError(f"no layer of model {model.name!r} matches {source!r}: {transfer}")
    transfer.apply()
    _finalize_states(model)
    return transfer


def _finalize_states(model: keras.Model) -> None:
    """Layers that derive state from their variables (``Normalization``
    keeps mean / variance tensors computed from its stored statistics)
    re-derive it after their variables were assigned, as Keras' own loading
    does."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Normalization) and layer.built:
            layer.finalize_state()


def _quote(items: list[str]) -> str:
    more = f" (+{len(items) - _SHOWN} more)" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def _h5_shapes(path) -> dict[str, tuple]:
    """Dataset -> shape of a ``.weights.h5`` file's layer variables."""
    import h5py
    shapes: dict[str, tuple] = {}

    def visit(name, item):
        if isinstance(item, h5py.Dataset):
            shapes[f"layers/{name}"] = tuple(item.shape)
    with h5py.File(path, "r") as f:
        if "layers" in f:
            f["layers"].visititems(visit)
    return shapes


def _check_h5_fits(model: keras.Model, path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        layout = Path(tmp) / "model.weights.h5"
        model.save_weights(layout)
        expected = _h5_shapes(layout)
    found = _h5_shapes(path)
    differences = [f"{k}: file {found[k]}, model {v}" for k, v in expected.items()
                   if k in found and found[k] != v]
    differences += [f"{k} {v}: not in the file" for k, v in expected.items() if k not in found]
    differences += [f"{k} {v}: not in the model" for k, v in found.items() if k not in expected]
    if differences:
        raise ValueError(
            f"weights file {str(path)!r} does not fit model {model.name!r} "
            f"({len(differences)} differences: {_quote(differences)}). A .weights.h5 file "
            "loads only into the architecture it was saved from (same builder, "
            "include_top, classes, input channels); to take the matching layers of "
            "another model, save it as .keras and use load_backbone_weights()")


def load_weights(model: keras.Model, weights, *, exact: bool = True) -> keras.Model:
    """The builders' ``weights=`` argument, applied to the built ``model``.

    ``None``: nothing. ``.weights.h5``: loaded exactly; the file must hold
    the same variables as the model. ``.keras``: every variable of the model
    is taken from the saved model's variable of the same name and shape;
    with ``exact`` (the builders pass ``exact=include_top``) the saved model
    must have no other layer, without it the rest (the classifier head a
    trunk does not have) is ignored. A ``ValueError`` naming the file and
    the mismatch otherwise."""
    path = check_weights(weights)
    if path is None:
        return model
    if path.suffix == ".keras":
        transfer = match_weights(model, keras.saving.load_model(path, compile=False))
        problems = [f"{k} ({v})" for k, v in transfer.mismatched.items()]
        problems += [f"{k}: not in the file" for k in transfer.missing]
        problems += [f"{k}: not in the model" for k in transfer.unused] if exact else []
        if problems:
            raise ValueError(f"weights file {str(path)!r} does not fit model "
                             f"{model.name!r}: {_quote(problems)}")
        transfer.apply()
        _finalize_states(model)
    else:
        _check_h5_fits(model, path)
        model.load_weights(path)
    return model
