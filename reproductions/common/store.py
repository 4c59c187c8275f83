"""The results folder of one paper: ``ResultsStore`` keeps its runs in
``results/<paper>/results.json`` (what a run holds: ``common.records``).

Runs are saved as they finish, so an interrupted table resumes with the runs
it still lacks. Several processes may store runs of one paper in one folder
(different ``--rows`` at once): each save takes in, under a lock on the
folder (:func:`locked`), what the others stored since. A folder holds the
runs of one setting: a profile's protocol fields (:func:`protocol_fields`)
on one dataset (:func:`data_identity`, :func:`same_splits`).
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Callable

from reproductions.common.errors import UserError
from reproductions.common.paper import PaperSpec
from reproductions.common.profiles import Profile
from reproductions.common.records import (SCHEMA_VERSION, SYNTHETIC_MARK, USER_DATA_MARK,
                                          missing_fields, upgrade)
from reproductions.common.summary import aggregate


def atomic_write(path: Path, text: str) -> None:
    """Writes ``path`` whole or not at all (a reader never sees half a file)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # one per process
    tmp.write_text(text)
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(folder: Path):
    """Holds an exclusive lock on ``folder`` (POSIX ``flock``; where there is
    none, e.g. Windows, no lock: run one process per results folder there)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def run_key(run: dict) -> tuple:
    """What identifies a stored run: its row, seed and ablation variant."""
    return run["row"], run["seed"], run.get("variant", "")


# Profile fields that are prose about the protocol rather than the protocol:
# rewording them must not invalidate stored runs (every override made on the
# command line also changes a protocol field, e.g. ``epochs``).
PROSE_PROFILE_FIELDS = ("description", "reductions")


def protocol_fields(profile: dict) -> dict:
    """The settings of a profile that change what a run computes, as JSON
    stores them (tuples become lists)."""
    return json.loads(json.dumps({k: v for k, v in profile.items()
                                  if k not in PROSE_PROFILE_FIELDS}))


class ResultsStore:
    """Reads and writes one paper's results folder.

    Refuses (``UserError``) to mix results of another profile or another
    dataset into an existing folder unless ``force`` is set, in which case
    the old ``results.json`` is kept as ``results.json.bak``; results of the
    same settings are always kept (a rerun resumes, ``force`` or not). Profiles are
    compared on their protocol fields: a reworded description or list of
    reductions keeps the stored runs and takes the new wording.
    """

    def __init__(self, output_dir: Path, paper: PaperSpec, profile: Profile,
                 datasets: dict, synthetic: bool, force: bool = False,
                 user_data: bool = False):
        """``datasets``: role -> ``{"name", "config", "version", "splits", ...}``."""
        self.dir = Path(output_dir)
        self.paper = paper
        self.path = self.dir / "results.json"
        self.notes = ""  # the README's prose; kept by every rewrite
        self.sections: Callable[[ResultsStore], str] | None = None
        self.data = {
            "schema_version": SCHEMA_VERSION,
            "paper": paper.key,
            "title": paper.title,
            "profile": profile.to_json(),
            "datasets": json.loads(json.dumps(datasets)),  # a copy: facts are added to it
            "synthetic": synthetic,
            "user_data": user_data,
            "note": (SYNTHETIC_MARK if synthetic else USER_DATA_MARK if user_data else ""),
            "runs": [],
            "extra": {},
        }
        # what this process stored: it wins over the file when saving (below)
        self._own_runs: set[tuple] = set()
        self._own_extra: set[str] = set()
        if self.path.exists():
            old = upgrade(json.loads(self.path.read_text()))
            # --force replaces results of *other* settings; the same settings
            # always resume (rerunning a long command with --force keeps its runs)
            if self._same_settings(old):
                self._take_in(old)
            elif not force:
                moved = ("" if same_splits(old.get("datasets", {}), datasets) else
                         "; its splits hold other examples than these (the dataset "
                         "builder changed)")
                raise UserError(
                    f"{self.path} holds results of profile "
                    f"{old.get('profile', {}).get('name')!r} on "
                    f"{_names(old.get('datasets', {}))}"
                    f"{' (synthetic)' if old.get('synthetic') else ''} with other "
                    f"settings than this run (profile {profile.name!r} on "
                    f"{_names(datasets)}{moved}). Results are not overwritten: pass "
                    "--output-dir to write elsewhere, or --force to replace them "
                    "(the old file is kept as results.json.bak).")
            else:
                atomic_write(self.path.with_name("results.json.bak"),
                              self.path.read_text())

    def _same_settings(self, old: dict) -> bool:
        """Whether a stored results.json holds runs of this store's settings
        (profile, protocol, data), i.e. runs this store resumes and keeps."""
        mine = self.data
        return (old.get("profile", {}).get("name") == mine["profile"]["name"]
                and old.get("synthetic") == mine["synthetic"]
                and bool(old.get("user_data")) == mine["user_data"]
                and data_identity(old.get("datasets", {})) == data_identity(mine["datasets"])
                and protocol_fields(old.get("profile", {})) == protocol_fields(mine["profile"])
                and same_splits(old.get("datasets", {}), mine["datasets"]))

    def _take_in(self, stored: dict) -> None:
        """Merges a results.json of the same settings into this store: its runs
        and extras, except those this process stored itself (they are newer)."""
        runs = {run_key(r): r for r in stored.get("runs", [])}
        for run in self.data["runs"]:
            key = run_key(run)
            if key in self._own_runs or key not in runs:
                runs[key] = run
        self.data["runs"] = list(runs.values())
        self.data["extra"] = {**stored.get("extra", {}),
                              **{k: self.data["extra"][k] for k in self._own_extra}}
        # facts a stored run recorded about its data (e.g. the sizes of a split
        # only one variant uses) stay, unless this process states them anew
        for role, info in stored.get("datasets", {}).items():
            if role in self.data["datasets"]:
                self.data["datasets"][role] = {**info, **self.data["datasets"][role]}

    def _take_in_file(self) -> None:
        """:meth:`_take_in` of results.json if it holds runs of these settings
        (the caller holds the folder's lock)."""
        if self.path.exists():
            stored = upgrade(json.loads(self.path.read_text()))
            if self._same_settings(stored):
                self._take_in(stored)

    def reload(self) -> None:
        """Takes in the runs another process stored in the folder since."""
        if self.dir.exists():
            with locked(self.dir):
                self._take_in_file()

    # -- runs ---------------------------------------------------------------
    def find_run(self, row: str, seed: int, variant: str = "") -> dict | None:
        for run in self.data["runs"]:
            if run_key(run) == (row, seed, variant):
                return run
        return None

    @property
    def runs(self) -> list[dict]:
        return self.data["runs"]

    @property
    def extra(self) -> dict:
        return self.data["extra"]

    @property
    def profile(self) -> dict:
        """The stored profile (as JSON: lists for tuples)."""
        return self.data["profile"]

    def first_seed_runs(self, variants: bool = False) -> dict:
        """Row -> the stored run of the profile's first seed (the runs a
        paper's figures show); with ``variants`` also the ablation variants,
        keyed by the variant's name."""
        first = self.profile["seeds"][0]
        return {(r.get("variant") or r["row"]): r for r in self.runs
                if r["seed"] == first and (variants or not r.get("variant"))}

    @property
    def datasets(self) -> dict:
        """Role -> what is stored about the data (name, splits, sizes used ...)."""
        return self.data["datasets"]

    def set_dataset_info(self, role: str, **info) -> None:
        """Adds facts about the data a role's runs used (sizes after
        subsetting, augmented counts ...) to ``datasets[role]``."""
        self.data["datasets"][role].update(info)
        self.save()

    def add_run(self, run: dict) -> None:
        """Stores one finished run (replacing an older one with the same key)."""
        missing = missing_fields(run)
        if missing:
            raise ValueError(f"run record lacks {missing}")
        key = run_key(run)
        self.data["runs"] = [r for r in self.data["runs"] if run_key(r) != key]
        self.data["runs"].append(run)
        self._own_runs.add(key)
        self.save()

    def set_extra(self, key: str, value) -> None:
        self.data["extra"][key] = value
        self._own_extra.add(key)
        self.save()

    def save(self) -> None:
        """Writes results.json, first taking in what other processes stored
        in it since (under a lock on the folder, so no run is lost)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with locked(self.dir):
            self._take_in_file()
            atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=False) + "\n")

    # -- tables -------------------------------------------------------------
    def table_rows(self) -> dict:
        return aggregate(self.paper, self.data["runs"])


def data_identity(datasets: dict) -> dict:
    """What makes two runs' data the same: name, config and (for a user's
    folder, whose content can change) version, per role."""
    return {role: (d.get("name"), d.get("config"),
                   d.get("version") if d.get("name") == "image_folder" else None)
            for role, d in datasets.items()}


def same_splits(old: dict, new: dict) -> bool:
    """Whether the splits' example ids are the same in both (where both
    recorded them): a builder change that moved cells between splits makes
    stored runs incomparable with new ones."""
    return all(old[role]["split_ids_sha256"] == d["split_ids_sha256"]
               for role, d in new.items()
               if "split_ids_sha256" in d and "split_ids_sha256" in old.get(role, {}))


def _names(datasets: dict) -> str:
    return ", ".join(f"{d.get('name')!r}" for d in datasets.values())
