"""Profiles (``smoke`` / ``cpu`` / ``paper``) as data.

Each paper module declares ``PROFILES = {"smoke": Profile(...), ...}``. A
profile says how the paper's protocol is scaled to the machine: input size,
epochs, batch size, subset sizes, seeds, and ``reductions`` -- the
human-readable list of every way it departs from the paper, which is copied
into the results. Per-paper knobs that only one paper has go in ``extra``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from reproductions.common.errors import UserError

PROFILE_NAMES = ("smoke", "cpu", "paper")


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
      extra: paper-specific settings.
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
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

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
        return dataclasses.asdict(self)


SMOKE_DESCRIPTION = "seconds per row on a few images; checks that everything runs"


def smoke(**fields) -> Profile:
    """Every paper's ``smoke`` profile: one epoch per row and two seeds of the
    multi-seed rows on tiny subsets, batches of 8; ``fields`` give the paper's
    input size, subsets, reductions and extras."""
    return Profile(**{"name": "smoke", "description": SMOKE_DESCRIPTION, "batch_size": 8,
                      "epochs": {"*": 1}, "seeds": (0, 1), **fields})


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
