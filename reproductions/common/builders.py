"""Every paper's model builders: the ``keras.applications`` contract they
follow, the pieces they share (inputs, pooling), backbone extraction, and the
registry the tests walk.

The convention
--------------
Each paper (:func:`reproductions.common.registry.list_papers`) registers its
builders in its ``reproductions/<paper>/models.py`` with
:func:`reproductions.common.registry.register_model` (each with a small
configuration for the tests and its pinned parameter counts), and exposes

``BUILDERS: dict[str, Callable[..., keras.Model]]``
    row / variant name -> builder (``registry.builders(paper)``). A builder
    takes (by keyword) the ``keras.applications`` arguments

    * ``include_top=True``: the classifier; every head outputs
      ``(batch, classes)``. ``include_top=False``: the trunk's last feature map
      ``(batch, h, w, c)``, or ``(batch, c)`` with ``pooling="avg"|"max"``
      (:func:`pool`; ``pooling`` is ignored with ``include_top=True``).
    * ``weights=None`` (random initialisation: the papers train from scratch)
      or the path of a saved ``.weights.h5`` / ``.keras`` file, loaded by
      :func:`reproductions.common.weight_loading.load_weights` into the built
      model, or the name of a preset
      (:mod:`reproductions.presets`: its inference model's classifier, so the
      builder's arguments must rebuild that architecture; for another head
      use ``presets.load_into(model, name)``). Nothing else (no
      ``"imagenet"``): :func:`reproductions.common.weight_loading.check_weights`
      raises ``ValueError``.
    * ``input_tensor=None`` (:func:`model_inputs`), ``input_shape``,
      ``classes``, ``classifier_activation="softmax"``, ``name``,

    plus its own (``hr_size``, ``bn_momentum`` ...), all with defaults.
``SMALL_CONFIGS: dict[str, dict]``
    name -> keyword arguments that build that model at a small input size
    with few classes (``registry.small_configs(paper)``).
``FEATURE_LAYERS: tuple[str, ...]``
    where the trunk ends in this paper's models: a layer name, or
    ``"nested_model/layer"`` for a layer inside a nested model (e.g. a
    ``keras.applications`` backbone). It is the layer whose output
    ``include_top=False`` returns without pooling, and whose output the
    classifier's head reads. The first entry a model has is its feature
    layer (so list the more specific ones first); :func:`backbone` cuts a
    model there.

:func:`all_builders` yields ``(paper, name, builder, small_kwargs)`` over all
of them; ``tests/test_builders.py`` tests every registered builder.

Loading a ``weights=`` argument and moving weights between models is
:mod:`reproductions.common.weight_loading`.
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable, Iterator, Sequence

import keras

from reproductions.common import registry

POOLINGS = (None, "avg", "max")


# --- the registry ---------------------------------------------------------

def paper_models(paper: str) -> ModuleType:
    """``reproductions.<paper>.models``."""
    return registry.paper_models(paper)


def all_builders(papers: Sequence[str] | None = None
                 ) -> Iterator[tuple[str, str, Callable[..., keras.Model], dict]]:
    """``(paper, name, builder, small_kwargs)`` for every registered builder
    of every paper (default: :func:`reproductions.common.registry.list_papers`)."""
    for paper in registry.list_papers() if papers is None else papers:
        for entry in registry.model_entries(paper):
            yield paper, entry.name, entry.builder, dict(entry.small)


# --- pieces every builder uses -------------------------------------------

def model_inputs(input_tensor, input_shape, name: str):
    """``(model inputs, tensor to build on)`` as in ``keras.applications``:
    a new ``keras.Input`` named ``name``, or the given ``input_tensor`` (a
    Keras tensor: the model's inputs are its source inputs)."""
    if input_tensor is None:
        inputs = keras.Input(shape=input_shape, name=name)
        return inputs, inputs
    if not keras.backend.is_keras_tensor(input_tensor):
        inputs = keras.Input(tensor=input_tensor, name=name)
        return inputs, inputs
    inputs = keras.utils.get_source_inputs(input_tensor)
    return (inputs[0] if len(inputs) == 1 else inputs), input_tensor


def check_pooling(pooling) -> None:
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be None, 'avg' or 'max', got {pooling!r}")


def pool(x, pooling):
    """A feature map pooled as ``keras.applications`` does (layers
    ``avg_pool`` / ``max_pool``), or unchanged for ``pooling=None``."""
    check_pooling(pooling)
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


# --- backbones --------------------------------------------------------------

def _find(model: keras.Model, path: str):
    outer, _, inner = path.partition("/")
    names = {layer.name: layer for layer in model.layers}
    layer = names.get(outer)
    if not inner or layer is None:
        return layer
    if not isinstance(layer, keras.Model):
        return None
    return {sub.name: sub for sub in layer.layers}.get(inner)


def find_feature_layer(model: keras.Model, papers: Sequence[str] | None = None) -> str:
    """The first of the papers' ``FEATURE_LAYERS`` that ``model`` has
    (default: every paper, :func:`reproductions.common.registry.list_papers`)."""
    for paper in registry.list_papers() if papers is None else papers:
        for path in paper_models(paper).FEATURE_LAYERS:
            if _find(model, path) is not None:
                return path
    raise ValueError(f"model {model.name!r} has none of the papers' FEATURE_LAYERS; "
                     "pass feature_layer=")


def backbone(model: keras.Model, pooling: str | None = None, *,
             feature_layer: str | None = None, name: str | None = None) -> keras.Model:
    """The feature extractor of ``model`` (a classifier or a trunk): the
    model up to its feature layer (default: :func:`find_feature_layer`), sharing
    its layers and weights, optionally pooled (:func:`pool`). Its output is
    what the same builder returns with ``include_top=False``."""
    check_pooling(pooling)
    path = feature_layer or find_feature_layer(model)
    layer = _find(model, path)
    if layer is None:
        raise ValueError(f"model {model.name!r} has no layer {path!r}")
    outer_name, _, inner_name = path.partition("/")
    if inner_name:
        nested = model.get_layer(outer_name)
        if len(nested._inbound_nodes) != 1:
            raise ValueError(f"{outer_name!r} is called {len(nested._inbound_nodes)} times "
                             f"in {model.name!r}; its features are ambiguous")
        (feed,) = nested._inbound_nodes[0].input_tensors
        x = keras.Model(nested.input, layer.output, name=nested.name)(feed)
    else:
        x = layer.output
    return keras.Model(model.input, pool(x, pooling), name=name or f"{model.name}_backbone")
