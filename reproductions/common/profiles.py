"""Profiles (``smoke`` / ``cpu`` / ``paper``) as data.

Each paper module declares ``PROFILES = {"smoke": Profile(...), ...}``. A
profile says how the paper's protocol is scaled to the machine: input size,
epochs, batch size, subset sizes, seeds, and ``reductions`` -- the
human-readable list of every way it departs from the paper, which is copied
into the results. Per-paper knobs that only one paper has go in
``settings``: a frozen dataclass the paper declares (a :class:`Settings`
subclass in ``reproductions/<paper>/profiles.py``), read as typed attributes,
``ctx.profile.settings.low_res``.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any, Mapping

from reproductions.common.errors import UserError


def optional(default: Any = None) -> Any:
    """A :class:`Settings` field that only some profiles set: while it holds
    ``default`` it is left out of the profile's JSON, as the key was absent
    from the dictionary the settings replaced (so stored results and work
    tags of the profiles that never set it stay the same)."""
    return dataclasses.field(default=default, metadata={"optional": True})


@dataclasses.dataclass(frozen=True)
class Settings:
    """A paper's own profile settings; each paper subclasses it as a frozen
    dataclass, one field per knob, documented where it is declared.

    :meth:`to_json` is what results files store under the profile's
    ``"extra"`` key (the name the settings had as a dictionary): every
    field in declaration order (JSON writes tuples as lists), except the
    :func:`optional` ones that hold their default. A knob added later is
    declared :func:`optional` at the value that reproduces the protocol
    before it, so that the profiles' work tags and stored results stay valid.
    """

    def to_json(self) -> dict:
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.metadata.get("optional") and value == field.default:
                continue
            out[field.name] = copy.deepcopy(value)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]):
        """The settings a results file stored (:meth:`to_json`); keys this
        class does not declare (an older protocol's) are left out."""
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class Profile:
    """How one reproduction is run on one kind of machine.

    Attributes:
      name: ``smoke``, ``cpu`` or ``paper``.
      description: one line for ``--help`` and the results README.
      image_size: side of the (square) network input, in pixels.
      batch_size: mini-batch size.
      epochs: epochs per model row (``{"row": epochs}``); a row that is not
        listed uses ``epochs["*"]``.
      seeds: seeds used for rows run with several seeds.
      multi_seed_rows: rows run once per seed in ``seeds`` (the others use
        ``seeds[0]`` only).
      subset: maximum number of examples per split (``None``: all).
      patience: early stopping -- a run ends after that many epochs without
        a lower validation loss (``None``: it runs its ``epochs``, which are
        then the cap otherwise); a mapping gives it per row, like ``epochs``.
      reductions: every departure from the paper's protocol, in words.
      settings: the paper's own settings (a :class:`Settings` subclass),
        stored under ``"extra"`` by :meth:`to_json`.
    """

    name: str
    description: str
    image_size: int
    batch_size: int
    epochs: Mapping[str, int]
    seeds: tuple[int, ...] = (0,)
    multi_seed_rows: tuple[str, ...] = ()
    subset: Mapping[str, int | None] = dataclasses.field(default_factory=dict)
    patience: int | Mapping[str, int] | None = None
    reductions: tuple[str, ...] = ()
    settings: Settings = Settings()

    def epochs_for(self, row: str) -> int:
        if row in self.epochs:
            return int(self.epochs[row])
        if "*" in self.epochs:
            return int(self.epochs["*"])
        raise KeyError(f"profile {self.name!r} gives no epochs for row {row!r}")

    def patience_for(self, row: str) -> int | None:
        if self.patience is None or isinstance(self.patience, int):
            return self.patience
        if row in self.patience:
            return int(self.patience[row])
        if "*" in self.patience:
            return int(self.patience["*"])
        raise KeyError(f"profile {self.name!r} gives no patience for row {row!r}")

    def seeds_for(self, row: str) -> tuple[int, ...]:
        return self.seeds if row in self.multi_seed_rows else self.seeds[:1]

    def to_json(self) -> dict:
        """The profile as results files store it; the settings under ``"extra"``."""
        data = {field.name: copy.deepcopy(getattr(self, field.name))
                for field in dataclasses.fields(self)}
        data["extra"] = data.pop("settings").to_json()
        return data


SMOKE_DESCRIPTION = "seconds per row on a few images; checks that everything runs"


def smoke(**fields) -> Profile:
    """Every paper's ``smoke`` profile: one epoch per row and two seeds of the
    multi-seed rows on tiny subsets, batches of 8; ``fields`` give the paper's
    input size, subsets, reductions and settings."""
    return Profile(**{"name": "smoke", "description": SMOKE_DESCRIPTION, "batch_size": 8,
                      "epochs": {"*": 1}, "seeds": (0, 1), **fields})


def seed_range(profile_seeds, first: int | None = None,
               count: int | None = None) -> tuple[int, ...] | None:
    """The seeds ``--seed`` / ``--num-seeds`` ask for: ``count`` seeds (the
    profile's number by default) from ``first`` (the profile's first seed by
    default); ``None`` when neither is given (the profile's own seeds)."""
    if first is None and count is None:
        return None
    if count is not None and count < 1:
        raise UserError(f"--num-seeds must be at least 1, got {count}.")
    start = profile_seeds[0] if first is None else first
    return tuple(start + i for i in range(len(profile_seeds) if count is None else count))


def select(profiles: Mapping[str, Profile], name: str, *, epochs: int | None = None,
           batch_size: int | None = None, image_size: int | None = None,
           seeds: tuple[int, ...] | None = None) -> Profile:
    """Returns profile ``name`` with command-line overrides applied.

    Every override is appended to ``reductions`` so that the results say the
    run departed from the stored profile.
    """
    if name not in profiles:
        raise UserError(
            f"Unknown profile {name!r}. Choose one of: {', '.join(profiles)} "
            "(smoke = seconds on tiny data, cpu = the paper's protocol scaled "
            "to a 2-core CPU, paper = the exact protocol, needs a GPU).")
    profile = profiles[name]
    changes: dict[str, Any] = {}
    notes = []
    if epochs is not None:
        if epochs < 1:
            raise UserError(f"--epochs must be at least 1, got {epochs}.")
        changes["epochs"] = {"*": epochs}
        notes.append(f"--epochs {epochs} overrides the profile's epochs for every row")
    if batch_size is not None:
        if batch_size < 1:
            raise UserError(f"--batch-size must be at least 1, got {batch_size}.")
        changes["batch_size"] = batch_size
        notes.append(f"--batch-size {batch_size} overrides {profile.batch_size}")
    if image_size is not None:
        if image_size < 8:
            raise UserError(f"--image-size must be at least 8, got {image_size}.")
        changes["image_size"] = image_size
        notes.append(f"--image-size {image_size} overrides {profile.image_size}")
    if seeds is not None:
        changes["seeds"] = tuple(seeds)
        notes.append(f"--seeds {','.join(map(str, seeds))} overrides "
                     f"{','.join(map(str, profile.seeds))}")
    if changes:
        changes["reductions"] = tuple(profile.reductions) + tuple(notes)
        profile = dataclasses.replace(profile, **changes)
    return profile
