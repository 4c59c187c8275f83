"""The registry of papers and their models, in the style of timm's
``timm/models/_registry.py``: each paper registers its builders where it
defines them, and the suite (its commands, ``tests/test_builders.py``) walks
what is registered instead of a central list.

Papers
------
A paper is a package ``reproductions/<key>/`` whose ``paper.py`` defines
``PAPER``, a :class:`reproductions.common.paper.PaperSpec` with that key.
:func:`list_papers` finds them by looking, in ``PaperSpec.order``; it imports
the ``paper`` modules only, which need no TensorFlow
(``python -m reproductions.status`` and ``compare`` rely on that).

Models
------
A paper's ``models.py`` registers every builder it trains with
:func:`register_model`, with what the tests need to know about it -- next to
the builder, not in a central table::

    @registry.register_model("my_paper", "my_net", small=dict(input_shape=(32, 32, 1),
                             classes=3), counts=(10_179, 10_128), paper_count=612_101)
    def MyNet(include_top=True, input_shape=(112, 112, 1), classes=5, ...): ...

    registry.register_model("my_paper", "my_net_v2", functools.partial(MyNet, v=2), ...)

``counts`` are ``count_params()`` at the small configuration with
``include_top=True`` and ``False``; ``paper_count`` is ``count_params()``
with the defaults (the paper's size: the paper's own tests check it against
closed forms, as building some of them takes gigabytes). :func:`list_models`
/ :func:`model_entries` import every paper's ``models`` (TensorFlow) and list
what registered, ``"<paper>.<name>"``.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import functools
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Callable, Mapping

#: The folder holding the paper packages (``reproductions/``).
ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One registered builder.

    Attributes:
      paper, name: ``"<paper>.<name>"`` is its key (:attr:`key`).
      builder: ``builder(**kwargs) -> keras.Model`` (the contract of
        ``reproductions.common.builders``).
      small: keyword arguments that build it at a small size, few classes.
      counts: ``count_params()`` at ``small``: ``(include_top=True, False)``.
      paper_count: ``count_params()`` with the defaults (the paper's size).
    """

    paper: str
    name: str
    builder: Callable
    small: Mapping
    counts: tuple[int, int]
    paper_count: int

    @property
    def key(self) -> str:
        return f"{self.paper}.{self.name}"


# paper -> name -> entry, in the order the paper registered them
_MODELS: dict[str, dict[str, ModelEntry]] = {}


def register_model(paper: str, name: str | None = None, builder: Callable | None = None, *,
                   small: Mapping, counts: tuple[int, int], paper_count: int):
    """Registers ``builder`` as ``<paper>.<name>`` (``name``: by default the
    builder's ``__name__``) and returns it unchanged; without ``builder``, a
    decorator that does so."""
    if builder is None:
        return functools.partial(register_model, paper, name, small=small, counts=counts,
                                 paper_count=paper_count)
    top, no_top = counts
    entry = ModelEntry(paper, name or builder.__name__, builder, dict(small),
                       (int(top), int(no_top)), int(paper_count))
    # a module imported again (importlib.reload) registers its builders again;
    # another function under a name already taken is a mistake, not a reload
    old = _MODELS.get(paper, {}).get(entry.name)
    if old is not None and _origin(old.builder) != _origin(builder):
        raise ValueError(f"model {entry.key} is registered already, by "
                         f"{'.'.join(_origin(old.builder))}; give "
                         f"{'.'.join(_origin(builder))} another name")
    _MODELS.setdefault(paper, {})[entry.name] = entry
    return builder


def _origin(builder: Callable) -> tuple[str, ...]:
    """Where a builder is defined, the same across a module's reloads: module
    and qualified name (a ``functools.partial``: its function's, and its
    arguments)."""
    if isinstance(builder, functools.partial):
        return (*_origin(builder.func), repr(builder.args),
                repr(sorted(builder.keywords.items())))
    return (getattr(builder, "__module__", "?"),
            getattr(builder, "__qualname__", type(builder).__name__))


def _paper_spec(key: str):
    """``reproductions.<key>.paper.PAPER`` when it is a paper's spec, else None."""
    from reproductions.common.paper import PaperSpec
    try:
        module = importlib.import_module(f"reproductions.{key}.paper")
    except ModuleNotFoundError as exc:
        if exc.name != f"reproductions.{key}.paper":
            raise
        return None
    spec = getattr(module, "PAPER", None)
    return spec if isinstance(spec, PaperSpec) and spec.key == key else None


@functools.lru_cache(maxsize=None)
def list_papers() -> tuple[str, ...]:
    """The keys of every paper (``reproductions/<key>/paper.py`` with its
    ``PAPER``), in ``PaperSpec.order`` (then by key). No TensorFlow."""
    specs = [spec for info in pkgutil.iter_modules([str(ROOT)]) if info.ispkg
             for spec in [_paper_spec(info.name)] if spec is not None]
    last = max([s.order for s in specs if s.order is not None], default=0) + 1
    return tuple(s.key for s in sorted(specs, key=lambda s: (
        last if s.order is None else s.order, s.key)))


def paper_models(paper: str) -> ModuleType:
    """``reproductions.<paper>.models`` (imported: its builders register)."""
    return importlib.import_module(f"reproductions.{paper}.models")


def model_entries(paper: str | None = None) -> list[ModelEntry]:
    """The entries of ``paper`` (default: every paper, in :func:`list_papers`
    order), in the order each paper registered them."""
    papers = list_papers() if paper is None else (paper,)
    for key in papers:
        paper_models(key)
    return [entry for key in papers for entry in _MODELS.get(key, {}).values()]


def list_models(pattern: str = "*", paper: str | None = None) -> list[str]:
    """Keys ``"<paper>.<name>"`` of the registered models that match the
    shell-style ``pattern`` (``"drsn_dc.*"``, ``"*resnet*"``)."""
    return [e.key for e in model_entries(paper) if fnmatch.fnmatchcase(e.key, pattern)]


def model_entry(key: str) -> ModelEntry:
    """The entry of ``"<paper>.<name>"``."""
    paper, _, name = key.partition(".")
    if paper not in list_papers():
        raise KeyError(f"no paper {paper!r}; papers are {', '.join(list_papers())}")
    entries = {e.name: e for e in model_entries(paper)}
    if name not in entries:
        raise KeyError(f"{paper} has no model {name!r}; it has {', '.join(entries)}")
    return entries[name]


def create_model(key: str, **kwargs):
    """``model_entry(key).builder(**kwargs)``: e.g.
    ``create_model("drsn_dc.googlenet", input_shape=(64, 64, 1), classes=6)``."""
    return model_entry(key).builder(**kwargs)


def builders(paper: str) -> dict[str, Callable]:
    """name -> builder of what ``paper`` registered so far (a ``models.py``
    makes its ``BUILDERS`` with it, after its registrations)."""
    return {name: e.builder for name, e in _MODELS.get(paper, {}).items()}


def small_configs(paper: str) -> dict[str, dict]:
    """name -> small configuration of what ``paper`` registered so far."""
    return {name: dict(e.small) for name, e in _MODELS.get(paper, {}).items()}
