"""What ``results/<paper>/results.json`` holds: its schema, the record of
one run, and the check that a stored file is complete.

A reproduction records one *run* per trained model and seed. A run carries
its own provenance (commit, hardware, wall time, throughput) and the values it
produced for one or more table rows (one trained DRI gives all of Table 3(b)).
:func:`run_record` and :func:`sklearn_record` build a run with this process's
provenance; :func:`check` (``compare --check``) lists what makes a stored file
unusable; :func:`upgrade` reads a file of an older schema. Storing the runs
is ``common.store``'s job.
"""
from __future__ import annotations

import json
from pathlib import Path

from reproductions.common import provenance

SCHEMA_VERSION = 2  # 2: datasets by role (1 had one "dataset"; read and converted)
# A results.json's ``note``: whose data its numbers come from.
SYNTHETIC_MARK = "synthetic — not comparable to the paper"
USER_DATA_MARK = "user data — the paper's protocol on your images, not the paper's data"
# What every stored run must say about itself (checked by compare --check), by
# kind of run: a Keras training run, or a scikit-learn fit (no epochs).
REQUIRED_RUN_FIELDS = ("row", "seed", "values", "provenance", "wall_time_s")
REQUIRED_KIND_FIELDS = {"keras": ("train_images_per_s", "epochs"),
                        "sklearn": ("fit_time_s", "features_per_s", "hyperparameters")}
REQUIRED_PROVENANCE_FIELDS = ("commit", "packages", "hardware", "command", "time")
REQUIRED_TOP_FIELDS = ("paper", "profile", "datasets", "synthetic", "runs")


def missing_fields(run: dict) -> list[str]:
    """The fields a stored run lacks for its kind (``keras`` by default)."""
    kind = run.get("kind", "keras")
    if kind not in REQUIRED_KIND_FIELDS:
        return [f"kind ({kind!r} is not one of {', '.join(REQUIRED_KIND_FIELDS)})"]
    return [f for f in REQUIRED_RUN_FIELDS + REQUIRED_KIND_FIELDS[kind] if f not in run]


def upgrade(data: dict) -> dict:
    """A results.json of an older schema in today's form (schema 1 had one
    ``dataset``, the paper's only one, under the role ``data``)."""
    if "datasets" not in data and "dataset" in data:
        data["datasets"] = {"data": data.pop("dataset")}
    data.setdefault("user_data", False)
    return data


def run_record(row: str, seed: int, values: dict, *, epochs: int, wall_time_s: float,
               train_images_per_s: float, variant: str = "",
               wall_time_across_resumes: bool = True, **extra) -> dict:
    """One Keras training run's entry for ``results.json`` with this
    process's provenance; ``wall_time_s`` covers every session the run was
    resumed in (``common.training.ElapsedTime``), unless
    ``wall_time_across_resumes`` is False."""
    return {"row": row, "variant": variant, "seed": seed, "kind": "keras",
            "values": values, "epochs": epochs, "wall_time_s": wall_time_s,
            "wall_time_across_resumes": wall_time_across_resumes,
            "train_images_per_s": train_images_per_s,
            "provenance": provenance.collect(), **extra}


def sklearn_record(row: str, seed: int, values: dict, *, fit_time_s: float,
                   features_per_s: float, hyperparameters: dict, wall_time_s: float,
                   variant: str = "", **extra) -> dict:
    """One scikit-learn row's entry (e.g. an SVM on hand-crafted features):
    its own provenance -- fit time, features/s through the feature
    extractor, the hyper-parameters cross-validation chose -- and no epochs."""
    return {"row": row, "variant": variant, "seed": seed, "kind": "sklearn",
            "values": values, "fit_time_s": fit_time_s, "features_per_s": features_per_s,
            "hyperparameters": hyperparameters, "wall_time_s": wall_time_s,
            "provenance": provenance.collect(), **extra}


def check(results_json: Path) -> list[str]:
    """Problems that make a stored result unusable (missing provenance)."""
    try:
        data = json.loads(Path(results_json).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{results_json}: unreadable ({exc})"]
    data = upgrade(data)
    problems = [f"{results_json}: missing top-level field {f!r}"
                for f in REQUIRED_TOP_FIELDS if f not in data]
    for i, run in enumerate(data.get("runs", [])):
        where = f"{results_json}: run {i} ({run.get('row')}, seed {run.get('seed')})"
        problems += [f"{where}: missing {f!r}" for f in missing_fields(run)]
        prov = run.get("provenance", {})
        problems += [f"{where}: provenance lacks {f!r}"
                     for f in REQUIRED_PROVENANCE_FIELDS if f not in prov]
        problems += [f"{where}: {p}" for p in provenance.run_problems(prov)]
        if prov.get("dirty"):
            problems.append(f"{where}: run from a dirty tree (commit "
                            f"{str(prov.get('commit'))[:10]} plus uncommitted changes): "
                            "its code cannot be recovered; commit and run it again")
    if "profile" in data and "name" not in data["profile"]:
        problems.append(f"{results_json}: profile has no name")
    return problems
