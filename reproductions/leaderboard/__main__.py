"""python -m reproductions.leaderboard — the suite's HEp-2 networks under one
recipe (issue #35): I3A cell-level vs I3A specimen blocks vs SNPHEp-2's
official specimen-disjoint split, and I3A-trained networks scored on
SNPHEp-2's cells over the classes both share.

With no arguments: the smoke profile (tiny subsets, one epoch; on the real
datasets when ../shared/data has them, else on the embedded synthetic cells).
``--profile cpu`` is the leaderboard (about 20 CPU-hours, resumable; plan in
reproductions/leaderboard/NOTES.md), written to results/leaderboard/.
Each I3A dataset role needs its folder (``--manual-dir i3a=PATH --manual-dir
i3a_blocks=PATH --manual-dir snphep2=PATH``; the same I3A folder twice).
``python -m reproductions.leaderboard.cost`` measures each network's training
and inference speed at a profile's input size first.
"""
from __future__ import annotations

import resource
import sys
import time
import types

from reproductions.common import cli, experiment, provenance, report
from reproductions.common.errors import UserError
from reproductions.common.experiment import Job
from reproductions.common.store import protocol_fields
from reproductions.leaderboard import scoring
from reproductions.leaderboard.profiles import PROFILES
from reproductions.leaderboard.spec import (LEADERBOARD, ROWS, TRAINED_SETTINGS, network,
                                            setting)

NOTES = report.package_notes(__package__)


# -- data ----------------------------------------------------------------------
def _take(split, index):
    from reproductions.common.data import ArraySplit
    return ArraySplit(split.images[index], split.labels[index], split.ids[index],
                      split.class_names)


def _snphep2_splits(builder, profile) -> dict:
    """Official train (less a stratified validation carve) / test, and every
    cell (``cross_lab``: nothing trains on SNPHEp-2 there)."""
    import numpy as np

    from reproductions.common import data as data_lib
    recipe, subset = profile.settings, profile.subset
    preprocess = data_lib.minmax_preprocess(profile.image_size)
    train = data_lib.load_arrays(builder, "train", preprocess)
    test = data_lib.load_arrays(builder, "test", preprocess)
    n_val = round(recipe.validation_fraction * len(train))
    val = data_lib.stratified_subset(train.labels, n_val, recipe.validation_seed)
    rest = np.setdiff1d(np.arange(len(train)), val)
    every = data_lib.ArraySplit(*(np.concatenate([getattr(train, k), getattr(test, k)])
                                  for k in ("images", "labels", "ids")), train.class_names)
    out = {"train": _take(train, rest), "validation": _take(train, val), "test": test,
           "cross_lab": every}
    return {k: _take(s, data_lib.stratified_subset(s.labels, subset.get(k), 0))
            for k, s in out.items()}


def arrays(ctx, role: str) -> dict:
    """The role's splits at the profile's input size, loaded on first use."""
    if role not in ctx.state:
        from reproductions.common import data as data_lib
        builder = ctx.datasets[role].builder
        ctx.log(f"loading {role}")
        splits = (_snphep2_splits(builder, ctx.profile) if role == "snphep2"
                  else data_lib.load_minmax_splits(builder, ctx.profile))
        ctx.state[role] = splits
        ctx.store.set_dataset_info(role, used={k: len(v) for k, v in splits.items()})
    return ctx.state[role]


# -- one run ---------------------------------------------------------------------
def dihedral_augment(image, label, variant, seed_pair):
    """One of the 8 rotations by 90° and mirror images, drawn statelessly."""
    import tensorflow as tf
    k = tf.random.stateless_uniform([], seed_pair, 0, 4, dtype=tf.int32)
    return tf.image.stateless_random_flip_left_right(tf.image.rot90(image, k), seed_pair + 1)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build_model(net, profile, classes: int):
    """The network's registered builder at the recipe's input size."""
    from reproductions.common import registry
    size = profile.image_size
    kwargs = ({"hr_size": profile.settings.super_resolution_size} if net.hr_size == "recipe"
              else {"hr_size": size} if net.hr_size == "input" else {})
    return registry.create_model(net.model, input_shape=(size, size, 1), classes=classes,
                                 **kwargs)


def compile_model(model, heads: int, recipe) -> None:
    """Adam at the recipe's rate; several heads: auxiliary heads weighted."""
    import keras
    multi = heads > 1
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate),
                  loss=["sparse_categorical_crossentropy"] * heads if multi
                  else "sparse_categorical_crossentropy",
                  loss_weights=[recipe.aux_loss_weight] * (heads - 1) + [1.0] if multi else None,
                  metrics=[["accuracy"]] * heads if multi else ["accuracy"],
                  run_eagerly=recipe.run_eagerly)


def run_keras(ctx, job: Job) -> dict:
    import numpy as np

    from reproductions.common import training

    net, where = network(job.row), setting(job.variant)
    profile, recipe = ctx.profile, ctx.profile.settings
    split = arrays(ctx, where.role)
    names = split["train"].class_names
    heads = net.heads

    def scores(outputs):
        return np.sum(outputs, axis=0) if heads > 1 else np.asarray(outputs)

    n = len(split["train"])
    copies = max(1, round(recipe.epoch_images / n))
    resumed = (ctx.run_dir(job) / "history.csv").exists()
    cpu = _cpu_seconds()
    fitted = experiment.fit_and_evaluate(
        ctx, job, splits=split,
        build=lambda: build_model(net, profile, len(names)),
        compile=lambda model: compile_model(model, heads, recipe), scores=scores,
        augment=dihedral_augment,
        repeats=np.full(n, copies), samples_per_epoch=min(recipe.epoch_images, n * copies),
        targets=(lambda image, label: tuple(label for _ in range(heads))) if heads > 1 else None,
        bn_recalibration_images=recipe.bn_recalibration_images)
    cpu = _cpu_seconds() - cpu

    def proba(images):
        return scores(training.predict_proba(fitted.model, types.SimpleNamespace(images=images),
                                             profile.batch_size))

    start = time.perf_counter()
    val = proba(split["validation"].images)
    inference = len(val) / max(time.perf_counter() - start, 1e-9)
    test = scores(fitted.outputs)
    values = {where.key: {job.row: scoring.pct(fitted.metrics)}}
    extra = {}
    if where.key in recipe.entry_settings:
        saved = {"val": val, "test": test, "val_labels": split["validation"].labels,
                 "test_labels": split["test"].labels}
        if recipe.tta_views > 1:
            saved["val_tta"] = scoring.tta_proba(proba, split["validation"].images,
                                                 recipe.tta_views)
            saved["test_tta"] = scoring.tta_proba(proba, split["test"].images, recipe.tta_views)
        scoring.save_probabilities(ctx.run_dir(job), **saved)
    if where.key == "i3a_blocks":
        extra["cross_lab"] = _cross_lab(ctx, job, proba(arrays(ctx, "snphep2")["cross_lab"].images),
                                        names, values)
    return fitted.record(values, setting=where.key, inference_images_per_s=inference,
                         train_cpu_s=None if fitted.outcome.wall_time_s == 0 else cpu,
                         train_cpu_complete=not resumed and fitted.outcome.wall_time_s > 0,
                         **extra)


def _cross_lab(ctx, job: Job, source_scores, source_classes, values: dict) -> dict:
    """Scores the I3A-trained run on every SNPHEp-2 cell (over the shared
    classes), adds them to ``values`` and returns what the record keeps."""
    cells = arrays(ctx, "snphep2")["cross_lab"]
    result = scoring.cross_lab_scores(source_scores, cells.labels, source_classes,
                                      cells.class_names)
    m = result.pop("metrics")
    values["cross_lab"] = {job.row: {k: result[k] for k in ("mca", "aca", "f1")}}
    return {"outside_shared": result["outside_shared"], "n": m["n"],
            "confusion_matrix": m["confusion_matrix"], "classes": list(m["per_class"])}


def run_sklearn(ctx, job: Job) -> dict:
    from reproductions.common import texture

    where = setting(job.variant)
    split = arrays(ctx, where.role)
    cpu = _cpu_seconds()
    fitted = experiment.fit_sklearn(job, texture.svm_search(job.seed), texture.glcm_and_lbp,
                                    split)
    cpu = _cpu_seconds() - cpu
    values = {where.key: {job.row: scoring.pct(fitted.metrics)}}
    extra = {}
    if where.key == "i3a_blocks":
        cells = arrays(ctx, "snphep2")["cross_lab"]
        scores = fitted.estimator.decision_function(texture.glcm_and_lbp(cells.images))
        extra["cross_lab"] = _cross_lab(ctx, job, scores, split["train"].class_names, values)
    support = fitted.estimator.best_estimator_[-1].n_support_
    return fitted.record(values, setting=where.key,
                         inference_images_per_s=fitted.features_per_s, train_cpu_s=cpu,
                         train_cpu_complete=True, support_vectors=int(support.sum()),
                         **extra)


def run_one(ctx, job: Job) -> dict:
    return (run_sklearn if network(job.row).kind == "sklearn" else run_keras)(ctx, job)


# -- the plan ------------------------------------------------------------------
def plan(ctx) -> list[Job]:
    """Seed 0 of every network on every trained setting (specimen blocks
    first), then the other seeds the rule gives (:func:`scoring.extra_seed_rows`),
    once every network of the leaderboard has seed 0 in that setting."""
    profile = ctx.profile
    first, rest = profile.seeds[0], profile.seeds[1:]
    jobs = [Job(row, first, key) for key in TRAINED_SETTINGS for row in ctx.rows]
    extra = scoring.extra_seed_rows(ctx.store.runs, ctx.rows, ROWS, first,
                                    profile.settings.extra_seed_gap,
                                    profile.settings.extra_seed_settings)
    jobs += [Job(row, seed, key) for seed in rest for key, rows in extra.items()
             for row in rows]
    return jobs


def check_protocol(store) -> None:
    """Refuses a results folder holding a run of another protocol (the
    store already refuses a folder of other settings; this catches runs
    carried in by hand)."""
    mine = provenance.profile_identity(store.profile, protocol_fields(store.profile))
    other = [f"{r['row']}/{r.get('variant')}/seed {r['seed']}" for r in store.runs
             if r["provenance"].get("profile", {}).get("protocol_sha256")
             != mine["protocol_sha256"]]
    if other:
        raise UserError(f"{store.path} holds runs of another protocol than profile "
                        f"{mine['name']!r} ({', '.join(other)}): the leaderboard never mixes "
                        "protocols. Move them away or pass another --output-dir.")


def update_entry(ctx) -> None:
    """The suite's entry of every entry setting and seed, from the stored
    runs' saved probabilities (chosen on validation only). A setting and
    seed whose stored Keras runs do not all have their probabilities in the
    work folder (a cache lost between sessions) keeps its stored entry, and
    the log says which are missing: an entry is never chosen among fewer
    networks than were run."""
    import numpy as np

    recipe = ctx.profile.settings
    entry = dict(ctx.store.extra.get("suite_entry", {}))
    for key in recipe.entry_settings:
        for seed in sorted({r["seed"] for r in ctx.store.runs if r.get("variant") == key}):
            paths = {r["row"]: ctx.run_dir(Job(r["row"], seed, key)) / scoring.PROBS_FILE
                     for r in ctx.store.runs if r.get("variant") == key and r["seed"] == seed
                     and network(r["row"]).kind == "keras"}
            missing = sorted(row for row, path in paths.items() if not path.exists())
            if missing:
                ctx.log(f"suite entry {key}, seed {seed}: kept as stored; the saved "
                        f"probabilities of {', '.join(missing)} are not in {ctx.work_dir}")
                continue
            candidates = {row: dict(np.load(path)) for row, path in paths.items()}
            names = next((r["metrics"]["per_class"] for r in ctx.store.runs
                          if r.get("variant") == key), None)
            chosen = scoring.choose_entry(candidates, list(names or []), recipe.ensemble_sizes)
            if chosen is not None:
                entry.setdefault(key, {})[str(seed)] = chosen
    if entry:
        ctx.store.set_extra("suite_entry", entry)


REPRODUCTION = experiment.Reproduction(
    LEADERBOARD, PROFILES, __doc__, run=run_one, notes=NOTES,
    figures="readme:figures", readme="readme:write_readme")


@cli.entry_point
def main(argv=None) -> int:
    ctx = experiment.setup(REPRODUCTION, argv)
    check_protocol(ctx.store)
    if ctx.options.report_only:
        if not ctx.store.runs:
            raise UserError(f"--report-only: no runs stored in {ctx.store.path}.")
    else:
        done: set = set()
        while True:
            todo = [j for j in experiment.only_seeds(plan(ctx), ctx.options.only_seeds)
                    if j not in done]
            if not todo:
                break
            experiment.run_all(ctx, REPRODUCTION, todo)
            done.update(todo)
    update_entry(ctx)  # from every stored run, on --report-only too
    path = experiment.refresh(ctx, REPRODUCTION)
    from reproductions.leaderboard import readme
    print("\n" + readme.matrix_markdown(ctx.store.data) + "\n")
    ctx.log(f"wrote {ctx.store.path} and {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
