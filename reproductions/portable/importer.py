"""``import``: portable runs into ``results/<paper>/portable_<tag>/``.

The runs of a ``train`` folder (its ``results.json``) are checked -- complete
provenance (``records.check``), every run marked portable with its backend
and device, the profile's protocol that of the suite's profile of that name
(same ``protocol_sha256`` as TensorFlow runs of it would record) -- and stored
in their own folder, ``results/<paper>/portable_<profile tag>/``, never in a
folder of TensorFlow runs: ``compare``, ``status`` and the results READMEs read
``results/<paper>/results.json`` and its profile folders, and a portable folder
is none of them. Importing again merges (a run of the same row, seed and
variant is replaced). Runs of the profile on more seeds (``train
--num-seeds N``, the profile's seeds first) are the same protocol with more
seeds: they go to ``portable_<profile tag>_<N>_seeds/``. The README gets a banner naming the backends and
devices, and the figures ``train`` drew are copied.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from reproductions.common import experiment, records, report
from reproductions.common.errors import UserError
from reproductions.common.store import ResultsStore, protocol_fields
from reproductions.portable import papers, trainer

BANNER = ("> **PORTABLE RUNS.** Trained by `python -m reproductions.portable train` from an "
          "exported bundle, without TensorFlow: {where}. They are kept apart from the "
          "TensorFlow runs of this profile; same protocol (profile `{profile}`), uint8 "
          "images and NumPy data order (see the departures below).")


def more_seeds(stored: dict, profile: dict) -> bool:
    """Whether the profile a train folder stored is ``profile`` run on more
    seeds (``train --num-seeds``: the profile's seeds first, then more) and
    otherwise the same protocol."""
    theirs, ours = protocol_fields(stored), protocol_fields(profile)
    extra, own = list(theirs.pop("seeds", ())), list(ours.pop("seeds", ()))
    return theirs == ours and len(extra) > len(own) and extra[:len(own)] == own


def import_runs(source: Path, results_root: Path | None = None, force: bool = False) -> Path:
    """Stores the runs of ``source`` (a ``train`` output folder); returns the
    results folder they went to."""
    path = Path(source) / "results.json"
    if not path.is_file():
        raise UserError(f"{source} has no results.json: pass the folder "
                        "`python -m reproductions.portable train` wrote (--output-dir).")
    problems = [p for p in records.check(path) if "dirty tree" not in p]
    if problems:
        raise UserError("the portable runs are incomplete:\n  " + "\n  ".join(problems))
    data = records.upgrade(json.loads(path.read_text()))
    spec = papers.reproduction(data["paper"])
    unmarked = [f"{r['row']} seed {r['seed']}" for r in data["runs"]
                if not (r["provenance"].get("portable") or {}).get("backend")]
    if unmarked:
        raise UserError(f"{path}: run(s) {', '.join(unmarked)} are not marked as portable "
                        "(no provenance.portable backend): not a portable train folder.")
    name = data["profile"]["name"]
    stock = spec.profiles[name].to_json() if name in spec.profiles else None
    more = stock is not None and more_seeds(data["profile"], stock)
    if stock is None or not more and protocol_fields(data["profile"]) != protocol_fields(stock):
        raise UserError(f"{path}: its runs follow another protocol than the suite's profile "
                        f"{name!r} of {data['paper']} (the profile changed since the bundle "
                        "was exported, or the runs overrode it other than by --num-seeds): "
                        "they cannot stand as that profile's runs.")
    seeds = tuple(data["profile"]["seeds"])
    profile = dataclasses.replace(spec.profiles[name], seeds=seeds, reductions=tuple(
        data["profile"].get("reductions", ())))
    tag = trainer.output_tag({"synthetic": data["synthetic"], "user_data": data["user_data"]},
                             name) + (f"_{len(seeds)}_seeds" if more else "")
    target = (trainer.results_dir(data["paper"], tag) if results_root is None
              else Path(results_root) / data["paper"] / f"portable_{tag}")
    store = ResultsStore(target, spec.paper, profile, data["datasets"], data["synthetic"],
                         force=force, user_data=bool(data["user_data"]))
    store.notes = spec.notes
    store.sections = spec.hook("sections")
    for run in data["runs"]:
        store.add_run(run)
    store.set_extra("portable", trainer.summary(store.runs, data["extra"].get(
        "portable", {}).get("bundle_sha256")))
    experiment.measure(store, spec.throughput_rows)
    for png in Path(source).glob("*.png"):
        shutil.copy2(png, target / png.name)
    readme = report.write_readme(store)
    lines = readme.read_text().splitlines()
    banner = BANNER.format(where=store.extra["portable"]["runs"], profile=name)
    readme.write_text("\n".join(lines[:2] + [banner, ""] + lines[2:]) + "\n")
    return target
