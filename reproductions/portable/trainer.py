"""``train``: a paper's profile from a bundle, on the Keras backend of this
process (``KERAS_BACKEND=jax|torch|tensorflow``), without TensorFlow.

The run is the paper command's own run loop (``experiment.run_all``: jobs
planned and stored as they finish, resumable, README and figures after every
run) and the paper's own ``run`` function (builders, optimisers, schedules,
values, inference models), on a context whose data come from the bundle and
whose ``pipeline`` is NumPy batches (:mod:`reproductions.portable.pipeline`).
Every run record says where it ran (``provenance.portable``: backend, its
version, device, bundle).
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import os
import sys
import types
from pathlib import Path

from reproductions.common import experiment, jobs, profiles, provenance
from reproductions.common.errors import UserError
from reproductions.common.options import RunOptions
from reproductions.common.store import ResultsStore
from reproductions.portable import bundle as bundle_lib
from reproductions.portable import papers
from reproductions.portable.pipeline import NumpyPipeline

#: Added to the profile's departures from the paper (prose: the protocol and
#: its hash stay the TensorFlow runs').
REDUCTIONS = (
    "portable run (reproductions.portable): trained from an exported bundle on the Keras "
    "backend named in each run's provenance, without TensorFlow; images stored as uint8 "
    "(round(255 x), at most 0.5/255 from the float images of the TensorFlow runs); each "
    "epoch's order drawn by NumPy from (seed, epoch) instead of TensorFlow's stateless "
    "shuffle; no TensorBoard logs",)


class NoStrategy:
    """``ctx.strategy`` of a portable run: one device, no ``tf.distribute``."""

    scope = staticmethod(contextlib.nullcontext)


def device() -> str:
    """The device the Keras backend of this process computes on, in words."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        d = jax.devices()[0]
        return f"{d.platform}: {d.device_kind} (x{len(jax.devices())})"
    if backend == "torch":
        import torch
        if torch.cuda.is_available():
            return f"cuda: {torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})"
        return f"cpu: {provenance.cpu_model()}"
    gpus = provenance.gpu_models()
    return f"gpu: {', '.join(gpus)}" if gpus else f"cpu: {provenance.cpu_model()}"


def backend_fields() -> dict:
    """Backend, its version and device (``provenance.portable`` of a run)."""
    import keras

    backend = keras.backend.backend()
    package = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}[backend]
    try:
        version = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        version = None
    return {"backend": backend, "backend_version": version, "keras": keras.__version__,
            "device": device()}


def output_tag(manifest: dict, profile: str) -> str:
    """``synthetic-smoke``, ``paper`` ...: the results folder's tag, as the
    paper command names its folders."""
    return (f"user-{profile}" if manifest.get("user_data") else
            f"synthetic-{profile}" if manifest.get("synthetic") else profile)


def results_dir(paper: str, tag: str) -> Path:
    """``results/<paper>/portable_<tag>/``: where ``import`` puts the portable
    runs, beside (never inside) the TensorFlow runs' folders."""
    return provenance.project_root() / "results" / paper / f"portable_{tag}"


def default_runs_dir(paper: str, tag: str, backend: str) -> Path:
    """Where ``train`` writes by default: ``_runs/<backend>`` under
    :func:`results_dir` (git ignores ``results/**/_runs/``, so a run there
    leaves the tree clean)."""
    return results_dir(paper, tag) / "_runs" / backend


def check_profile(recipe, profile, manifest: dict) -> None:
    wanted = recipe.data_settings(profile)
    if wanted != manifest["data_settings"]:
        raise UserError(
            f"the bundle holds the {manifest['paper']} data of profile "
            f"{manifest['profile']!r} ({manifest['data_settings']}); profile "
            f"{profile.name!r} needs {wanted}. Export a bundle with --profile {profile.name}.")


def train(bundle_dir: Path, *, profile: str | None = None, rows: str = "all",
          only_seeds=None, output_dir: Path | None = None, work_dir: Path | None = None,
          export: bool = True, rerun: bool = False, verbose: int | None = None,
          seed: int | None = None, num_seeds: int | None = None) -> int:
    import keras

    from reproductions.common import cli
    from reproductions.portable import no_tensorflow

    if keras.backend.backend() != "tensorflow":
        no_tensorflow.block()  # as where it is not installed (Keras imports it if it can)
    bundle = bundle_lib.read(bundle_dir)
    manifest = bundle.manifest
    recipe, spec = papers.recipe(bundle.paper), papers.reproduction(bundle.paper)
    name = profile or manifest["profile"]
    if name not in spec.profiles:
        raise UserError(f"unknown profile {name!r}; {bundle.paper} has "
                        f"{', '.join(spec.profiles)}.")
    # --seed / --num-seeds, as the paper's command: a departure
    seeds = profiles.seed_range(spec.profiles[name].seeds, seed, num_seeds)
    prof = profiles.select(spec.profiles, name, seeds=seeds)
    check_profile(recipe, prof, manifest)
    prof = dataclasses.replace(prof, reductions=tuple(prof.reductions) + REDUCTIONS)
    backend = backend_fields()
    tag = output_tag(manifest, prof.name)
    output_dir = Path(output_dir or default_runs_dir(bundle.paper, tag, backend["backend"]))
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    work_dir = Path(work_dir or cache / "hep2repro" / "portable" / bundle.paper
                    / f"{tag}-{backend['backend']}-{bundle.sha256[:8]}")
    experiment.log(f"{spec.paper.title}: profile {prof.name} from bundle {bundle.path} "
                   f"(sha256 {bundle.sha256[:12]}...), Keras {backend['keras']} on "
                   f"{backend['backend']} {backend['backend_version']}, {backend['device']}")
    datasets = {role: {**info, "bundle_sha256": bundle.sha256}
                for role, info in manifest["datasets"].items()}
    store = ResultsStore(output_dir, spec.paper, prof, datasets, manifest["synthetic"],
                         user_data=bool(manifest.get("user_data")))
    store.notes = spec.notes
    store.sections = spec.hook("sections")
    sources = {role: types.SimpleNamespace(name=info.get("name"), synthetic=manifest["synthetic"],
                                           user_folder=bool(manifest.get("user_data")))
               for role, info in manifest["datasets"].items()}
    ctx = experiment.Context(
        spec.paper,
        RunOptions(export=export, tensorboard=False, rerun=rerun, only_seeds=only_seeds,
                   paper=spec.options() if spec.options else None),
        prof, {role: experiment.Dataset(source, None) for role, source in sources.items()},
        store, output_dir, work_dir, cli.parse_rows(rows, spec.paper.rows),
        verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
        strategy=NoStrategy(), pipeline=NumpyPipeline())
    recipe.load(ctx, bundle)
    marks = {**backend, "bundle_sha256": bundle.sha256,
             "bundle_exported_at": manifest["provenance"].get("commit")}

    def run(ctx, job):
        record = spec.run_job(ctx, job)
        record["provenance"]["portable"] = {
            **marks, "tensorflow_imported": "tensorflow" in sys.modules}
        return record

    portable = dataclasses.replace(spec, run=run, load=None, extra_jobs=None)
    extra = (recipe.extra_jobs or spec.hook("extra_jobs"))(ctx) if spec.extra_jobs else []
    ctx.log(f"results -> {output_dir}; checkpoints and resume state -> {work_dir}")
    experiment.run_all(ctx, portable, jobs.only_seeds(jobs.plan_jobs(prof, ctx.rows, extra),
                                                      only_seeds))
    store.set_extra("portable", summary(store.runs, bundle.sha256))
    experiment.finish(ctx, portable)
    keras.backend.clear_session()
    return 0


def summary(runs: list[dict], bundle_sha256: str) -> dict:
    """``extra.portable`` of a results folder: where its runs were trained."""
    where: dict[str, int] = {}
    for run in runs:
        mark = run["provenance"].get("portable")
        key = (f"{mark['backend']} {mark['backend_version']} on {mark['device']}" if mark
               else "TensorFlow (not portable)")
        where[key] = where.get(key, 0) + 1
    return {"bundle_sha256": bundle_sha256,
            "runs": "; ".join(f"{n} on {k}" for k, n in sorted(where.items()))}
