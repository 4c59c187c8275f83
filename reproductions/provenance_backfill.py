"""Adds the per-run provenance fields to runs stored before they existed.

    python -m reproductions.provenance_backfill            # every results/**/results.json
    python -m reproductions.provenance_backfill --dry-run  # say what it would add

A run stored before ``provenance.RUN_FIELDS`` were recorded lacks its
session log, commit span, data identity and profile hash. This command
derives what follows from what the run did record, and marks the rest
``"unknown"``; nothing is filled in by hand and no stored value changes:

- ``sessions``: the one session the record names (its commit, CPU, time);
  earlier sessions of a resumed run were not recorded, so
- ``commit_span``: ``last`` = the recorded commit, ``first`` and
  ``training_code_changed`` unknown;
- ``data``: per role, the dataset and config of the results file; the
  builder's ``VERSION`` read from the builder's source *at the run's
  commit*; each split's id hash computed with today's builder only when the
  builder's code is the same at the run's commit as now (else unknown);
- ``profile``: the results file's profile (every run of a file has its
  protocol, ``ResultsStore`` enforces it) and its protocol hash.

Each run it touches gets ``provenance.backfilled``: the command, the commit
it ran at, the time, and the fields it derived.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from reproductions.common import provenance
from reproductions.common.store import atomic_write, locked, protocol_fields, run_key
from reproductions.common.provenance import REPO_ROOT, UNKNOWN

COMMAND = "python -m reproductions.provenance_backfill"
_VERSION = re.compile(r"VERSION\s*=\s*tfds\.core\.Version\(\s*[\"']([^\"']+)[\"']")


def _git(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=60, check=False)


def builder_paths(name: str) -> list[str]:
    """The files a dataset's splits are made by."""
    return [f"tfds_builders/{name}", "tfds_builders/_common.py"]


def builder_version(name: str, commit: str) -> str:
    """The builder's ``VERSION`` in its source at ``commit``."""
    listing = _git("ls-tree", "-r", "--name-only", commit, f"tfds_builders/{name}/")
    for path in listing.stdout.split():
        if path.endswith("_dataset_builder.py"):
            found = _VERSION.search(_git("show", f"{commit}:{path}").stdout)
            if found:
                return found.group(1)
    return UNKNOWN


def builder_unchanged(name: str, commit: str) -> bool:
    """Whether the builder's code at ``commit`` is today's (working tree)."""
    return _git("diff", "--quiet", commit, "--", *builder_paths(name)).returncode == 0


class SplitHashes:
    """Today's split id hashes per (dataset, config), computed once each on
    the real data (``--manual-dir NAME=PATH``, else ``../shared/data``)."""

    def __init__(self, manual: dict[str, Path]):
        self.manual = manual
        self.cache: dict[tuple, dict | str] = {}

    def __call__(self, name: str, config: str | None) -> dict | str:
        if (name, config) not in self.cache:
            self.cache[name, config] = self._compute(name, config)
        return self.cache[name, config]

    def _compute(self, name: str, config: str | None) -> dict | str:
        from reproductions.common import data as data_lib
        from reproductions.common import tf_runtime

        if name not in data_lib.REAL_DATASETS:
            return UNKNOWN
        folder = self.manual.get(name) or data_lib.shared_data() / data_lib.REAL_DATASETS[name][0]
        if not folder.is_dir():
            print(f"  {name}: no data at {folder} (pass --manual-dir {name}=PATH); its "
                  "split hashes stay unknown", file=sys.stderr)
            return UNKNOWN
        tf_runtime.import_tensorflow()
        source = data_lib.DataSource(name, config, False, folder.resolve())
        print(f"  hashing the split ids of {name} ({config}) from {folder}", flush=True)
        return data_lib.split_ids_sha256(data_lib.prepare(source))


def derive(run: dict, top: dict, hashes: SplitHashes) -> list[str]:
    """Adds the missing ``RUN_FIELDS`` to ``run['provenance']``; returns
    the names of the fields it added."""
    prov = run["provenance"]
    commit = prov.get("commit", UNKNOWN)
    added = []
    if "sessions" not in prov:
        hw = prov.get("hardware", {})
        prov["sessions"] = [{"commit": commit, "dirty": prov.get("dirty"),
                             "cpu": hw.get("cpu", UNKNOWN), "cpu_count": hw.get("cpu_count"),
                             "time": prov.get("time", UNKNOWN),
                             "recorded": "the run's last session only"}]
        added.append("sessions")
    if "commit_span" not in prov:
        prov["commit_span"] = {"first": UNKNOWN, "last": commit,
                               "training_code_changed": UNKNOWN, "dirty": prov.get("dirty")}
        added.append("commit_span")
    if "data" not in prov:
        prov["data"] = {}
        for role, d in top.get("datasets", {}).items():
            name, known = d.get("name"), commit != UNKNOWN
            split_ids = (hashes(name, d.get("config"))
                         if known and builder_unchanged(name, commit) else UNKNOWN)
            prov["data"][role] = {"name": name, "config": d.get("config"),
                                  "version": builder_version(name, commit) if known else UNKNOWN,
                                  "split_ids_sha256": split_ids}
        added.append("data")
    if "profile" not in prov:
        profile = top.get("profile", {})
        prov["profile"] = provenance.profile_identity(profile,
                                                      protocol_fields(profile))
        added.append("profile")
    if added:
        prov["backfilled"] = {"by": COMMAND, "commit": provenance.git_commit()["commit"],
                              "time": provenance.now(), "fields": added}
    return added


def backfill(path: Path, hashes: SplitHashes, dry_run: bool = False) -> int:
    """Backfills one results.json in place; returns how many runs changed."""
    data = json.loads(path.read_text())
    changed = 0
    for run in data.get("runs", []):
        added = derive(run, data, hashes)
        if added:
            changed += 1
            print(f"  {run['row']}{' (' + run['variant'] + ')' if run.get('variant') else ''}"
                  f", seed {run['seed']}: {', '.join(added)}")
    if changed and not dry_run:
        with locked(path.parent):  # a running command may save meanwhile
            current = json.loads(path.read_text())
            by_key = {run_key(r): r for r in data["runs"]}
            for i, run in enumerate(current.get("runs", [])):
                key = run_key(run)
                if "backfilled" in by_key.get(key, {}).get("provenance", {}) and not all(
                        f in run["provenance"] for f in provenance.RUN_FIELDS):
                    current["runs"][i]["provenance"] = by_key[key]["provenance"]
            atomic_write(path, json.dumps(current, indent=1) + "\n")
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path,
                        help="results.json files (default: every results/**/results.json)")
    parser.add_argument("--manual-dir", action="append", default=[], metavar="NAME=PATH",
                        help="where a real dataset is (default: ../shared/data/<name>)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be added")
    args = parser.parse_args(argv)
    manual = {}
    for value in args.manual_dir:
        name, sep, folder = value.partition("=")
        if not sep:
            parser.error(f"--manual-dir {value}: give NAME=PATH, e.g. snphep2=/data/snphep2")
        manual[name] = Path(folder).expanduser()
    paths = args.paths or sorted((REPO_ROOT / "results").glob("**/results.json"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such results file: {', '.join(map(str, missing))}")
    hashes = SplitHashes(manual)
    total = 0
    for path in paths:
        print(f"{path}:", flush=True)
        total += backfill(path, hashes, args.dry_run)
    print(f"{'would backfill' if args.dry_run else 'backfilled'} {total} run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
