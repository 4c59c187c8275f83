"""python -m reproductions.active_transfer — the active-transfer paper
(Vununu, Lee & Kwon, Sensors 2021): initial learning on SNPHEp-2, transfer
to a six-class target, labelling budgets spent at random or by uncertainty.

With no arguments: the smoke profile on the real SNPHEp-2 and I3A cells when
../shared/data has them, otherwise on the embedded synthetic look-alikes
(a few minutes on 2 CPU cores, marked "synthetic"). ``--profile cpu`` runs
the protocol at 64 px on every budget (about 5-9 hours on 2 cores, resumable
across sessions: every labelling round is saved); ``--profile paper`` is the
protocol at 112 px (needs a GPU). The target is I3A Task 1 (stand-in for
LSHEp-2, which cannot be had); with LSHEp-2 run
``--image-folder target=ROOT`` (ROOT/<class>/<image>, or ROOT/train and
ROOT/test as the paper split it 80/20).

A real labelling loop on your own images (see ``... query --help``):

  python -m reproductions.active_transfer query --model SAVED.keras --pool DIR --n 200
  python -m reproductions.active_transfer update --model SAVED.keras --labels to_label.csv

``... benchmark`` measures the training speed behind the cpu profile.
"""
from __future__ import annotations

import sys

from reproductions.active_transfer.paper import CASES, PAPER
from reproductions.active_transfer.profiles import PROFILES, ActiveTransferSettings
from reproductions.common import experiment, records, report, summary
from reproductions.common.experiment import Job

SUBCOMMANDS = ("query", "update", "benchmark")

#: The code behind a fine-tuning, hashed into its cache key
#: (:func:`training_code_sha256`). Documented choice: the modules that
#: build, transfer, feed and fit the target network -- this command (the
#: fine-tuning's settings), the labelling loop, the data, the network and
#: its wavelet layer, the common training loop, data pipeline, builder
#: pieces and weight transfer (``builders``, ``weight_loading``). The initial
#: learning's own code (augmentation) is left out: what it produced enters
#: the key as the source's weights.
TRAINING_CODE = ("reproductions/active_transfer/__main__.py",
                 "reproductions/active_transfer/active.py",
                 "reproductions/active_transfer/data.py",
                 "reproductions/active_transfer/models.py",
                 "reproductions/common/training.py", "reproductions/common/data.py",
                 "reproductions/common/builders.py",
                 "reproductions/common/weight_loading.py", "layers/wavelet.py")

NOTES = report.package_notes(__package__)


def load(ctx) -> None:
    from reproductions.active_transfer import data

    settings, subset = ctx.profile.settings, ctx.profile.subset
    ctx.state["source"] = data.load_splits(
        ctx.datasets["source"].builder, ctx.profile, train="train",
        validation_fraction=settings.source_validation_fraction,
        subsets={k[len("source_"):]: v for k, v in subset.items() if k.startswith("source_")},
        keep_duplicates_together=settings.validation_keeps_duplicates)
    ctx.state["target"] = data.load_splits(
        ctx.datasets["target"].builder, ctx.profile, train="pool",
        validation_fraction=settings.validation_fraction,
        subsets={k: v for k, v in subset.items() if not k.startswith("source_")},
        keep_duplicates_together=settings.validation_keeps_duplicates)
    for role in ("source", "target"):
        splits = ctx.state[role]
        ctx.store.set_dataset_info(role, used={k: len(v) for k, v in splits.items()},
                                   per_class={k: v.counts() for k, v in splits.items()})


def extra_jobs(ctx) -> list[Job]:
    """IN-AL at the headline budget with the other uncertainty criteria."""
    settings = ctx.profile.settings
    if "in_al" not in ctx.rows or settings.headline_budget not in settings.budgets:
        return []
    seeds = ctx.profile.seeds_for("in_al")[:settings.criteria_seeds]
    return [Job("in_al", seed, criterion) for seed in seeds
            for criterion in settings.criteria if criterion != "entropy"]


def source_seed(ctx, seed: int) -> int:
    """The initial-learning network a seed transfers from: its own when the
    initial learning is run on several seeds, else the first seed's."""
    return seed if seed in ctx.profile.seeds_for("initial") else ctx.profile.seeds[0]


def _compile(ctx):
    import keras

    def compile_model(model):
        model.compile(optimizer=keras.optimizers.Adam(ctx.profile.settings.learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      run_eagerly=ctx.profile.settings.run_eagerly)
    return compile_model


def source_fit(ctx, seed: int):
    """The initial learning of ``seed`` (trained once, then read back from its
    checkpoint): :class:`reproductions.common.experiment.Fitted`."""
    from reproductions.active_transfer import models
    from reproductions.common import augment

    if ("fitted", seed) not in ctx.state:
        splits, settings, size = ctx.state["source"], ctx.profile.settings, ctx.profile.image_size
        ctx.state["fitted", seed] = experiment.fit_and_evaluate(
            ctx, Job("initial", seed), splits=splits,
            build=lambda: models.ParallelWaveletResNet(
                input_shape=(size, size, 1), classes=len(splits["train"].class_names),
                wavelet=settings.wavelet, bn_momentum=settings.bn_momentum,
                name="initial_learning"),
            compile=_compile(ctx), samples_per_epoch=settings.source_samples_per_epoch,
            bn_recalibration_images=settings.bn_recalibration_images,
            **augment.rotation_set(splits["train"], settings.rotation_copies))
    return ctx.state["fitted", seed]


def training_code_sha256(ctx) -> str:
    """:func:`reproductions.common.lineage.code_sha256` of
    :data:`TRAINING_CODE` (once per command)."""
    from reproductions.common import lineage

    if "code_sha256" not in ctx.state:
        ctx.state["code_sha256"] = lineage.code_sha256(TRAINING_CODE)
    return ctx.state["code_sha256"]


def source_weights_sha256(ctx, seed: int) -> str:
    """:func:`reproductions.common.lineage.weights_sha256` of the initial
    learning of ``seed`` (:func:`source_fit`; once per command)."""
    from reproductions.common import lineage

    if ("weights_sha256", seed) not in ctx.state:
        ctx.state["weights_sha256", seed] = lineage.weights_sha256(source_fit(ctx, seed).model)
    return ctx.state["weights_sha256", seed]


def _percent(m: dict) -> dict:
    return {"mca": 100 * m["mca"], "aca": 100 * m["aca"]}


def _save_inference_model(ctx, model, class_names, folder) -> None:
    """``folder/inference.keras``: raw image -> ``data.preprocess_image`` as a
    layer -> ``model``."""
    import layers as L
    ctx.save_inference_model(
        folder, model, L.PerImageMinMaxResize(ctx.profile.image_size, method="bicubic",
                                              clip=True), class_names)


def run_initial(ctx, job: Job) -> dict:
    from reproductions.active_transfer import labelling

    fitted = source_fit(ctx, job.seed)
    if job.seed == ctx.profile.seeds[0] and ctx.options.export:
        path = labelling.save_model(fitted.model, ctx.run_dir(job) / "initial.keras",
                                    classes=ctx.state["source"]["train"].class_names,
                                    note="initial learning on the source dataset")
        ctx.log(f"saved the initial-learning network to {path}")
        _save_inference_model(ctx, fitted.model, ctx.state["source"]["train"].class_names,
                              ctx.run_dir(job))
    return fitted.record({"initial": {"initial": _percent(fitted.metrics)}},
                         weights_sha256=source_weights_sha256(ctx, job.seed))


def source_summary(seed: int, fitted, weights_sha256: str) -> dict:
    """What an IN-* run transferred from: the initial-learning network's seed,
    epochs, best epoch (0-based, as ``best_epoch`` everywhere), best
    validation loss, source-test MCA/ACA (%) and the hash of its weights
    (:func:`reproductions.common.lineage.weights_sha256`). A network
    retrained in another session (its checkpoint gone, another CPU) is not
    bit-identical to the one the ``initial`` record describes; this says
    which one the run used, and the hash equals the ``initial`` record's
    ``weights_sha256`` exactly when it is the same network."""
    return {"seed": seed, "epochs": fitted.outcome.epochs,
            "best_epoch": fitted.outcome.best_epoch,
            "best_val_loss": summary.best_val_loss(fitted.outcome.history),
            **_percent(fitted.metrics), "weights_sha256": weights_sha256}


def run_case(ctx, job: Job) -> dict:
    """One case on one seed: a labelling loop per budget (the headline budget
    first), each scored on the test split.

    The fine-tunings are cached under a key (:func:`active.fit_key`) of what
    they start from, the cells they see and the code that trains them: the
    loop's ``start`` names the seed (the new head's initialisation), the
    source network by the hash of its weights (IN-* cases; also recorded as
    ``start_sha256``) and the training code by :func:`training_code_sha256`.
    A source retrained differently, or changed code, gives new keys: no
    fine-tuning of another network is reused."""
    import numpy as np

    from reproductions.active_transfer import active, data, labelling, models
    from reproductions.common import metrics, training

    profile, settings = ctx.profile, ctx.profile.settings
    target = ctx.state["target"]
    pool, classes, size = target["pool"], target["pool"].class_names, profile.image_size
    init, uses_al = job.row.startswith("in_"), job.row.endswith("al")
    criterion = job.variant or ("entropy" if uses_al else active.RANDOM)
    headline = settings.headline_budget
    budgets = [headline] if job.variant else sorted(
        settings.budgets, key=lambda b: (b != headline, b))
    first = job.seed == profile.seeds[0]
    scored, record_extra, fits, wall = {}, {"budgets": {}}, [], 0.0
    code = training_code_sha256(ctx)
    if init:
        from_seed = source_seed(ctx, job.seed)
        source_fitted = source_fit(ctx, from_seed)
        source, weights = source_fitted.model, source_weights_sha256(ctx, from_seed)
        start = f"source{from_seed}-seed{job.seed}-weights{weights}-code{code}"
        record_extra.update(source=source_summary(from_seed, source_fitted, weights),
                            start_sha256=weights)
    else:
        start = f"scratch-seed{job.seed}-code{code}"
    compile_model = _compile(ctx)

    def make_model():
        training.set_determinism(job.seed)
        with ctx.strategy.scope():
            if init:
                return models.transfer(source, len(classes), bn_momentum=settings.bn_momentum)
            return models.ParallelWaveletResNet(input_shape=(size, size, 1),
                                                classes=len(classes),
                                                wavelet=settings.wavelet,
                                                bn_momentum=settings.bn_momentum)

    def fit(model, labelled, run_dir):
        with ctx.strategy.scope():
            compile_model(model)
        return training.train(model, data.take(pool, labelled), target["validation"],
                              run_dir=run_dir, epochs=profile.epochs_for(job.row),
                              batch_size=profile.batch_size, seed=job.seed,
                              early_stopping_patience=profile.patience, verbose=ctx.verbose,
                              tensorboard=ctx.options.tensorboard,
                              bn_recalibration_images=settings.bn_recalibration_images)

    def predict(model, indices):
        return training.predict_proba(model, data.take(pool, indices), profile.batch_size)

    learner = active.Learner(make_model, fit, predict)
    for budget in budgets:
        plan = active.budget_plan(len(pool), budget / 100,
                                  sampling="uncertainty" if uses_al else active.RANDOM,
                                  initial_fraction=settings.initial_fraction,
                                  step_fraction=settings.step_fraction)
        ctx.log(f"{job.describe()}: budget {budget} % = {plan.budget} of {len(pool)} cells "
                f"in {plan.rounds} round(s)")
        result = active.run_loop(learner, plan, criterion=criterion, seed=job.seed,
                                 loop_dir=ctx.run_dir(job) / f"budget{budget}",
                                 fits_dir=ctx.work_dir / "fits", start=start,
                                 labels=pool.labels, log=ctx.log)
        outputs = training.predict_proba(result.model, target["test"], profile.batch_size)
        m = metrics.classification_metrics(target["test"].labels, np.argmax(outputs, -1),
                                           classes)
        scored[budget] = m
        fits += result.fits
        wall += result.wall_time_s
        record_extra["budgets"][str(budget)] = {
            "plan": plan.to_json(), "mca": m["mca"], "aca": m["aca"],
            "per_class_recall": {c: v["recall"] for c, v in m["per_class"].items()},
            "confusion_matrix": m["confusion_matrix"],
            "labelled_per_class": np.bincount(pool.labels[result.state.labelled()],
                                              minlength=len(classes)).tolist(),
            "rounds": [{k: v for k, v in r.items() if k != "added"}
                       for r in result.state.rounds]}
        if budget == headline and first and not job.variant:
            if job.row in ("rs", "in_al"):
                record_extra["tsne"] = tsne(result.model, target["test"], settings.tsne_points,
                                            job.seed)
            if job.row == "in_al" and ctx.options.export:
                path = labelling.save_model(
                    result.model, ctx.run_dir(job) / f"budget{budget}" / "final.keras",
                    classes=classes, note=f"IN-AL, {budget} % of the target pool, seed "
                    f"{job.seed}")
                ctx.log(f"saved the IN-AL network ({budget} %) to {path}")
                _save_inference_model(ctx, result.model, classes,
                                      ctx.run_dir(job) / f"budget{budget}")
        if budget == headline and not uses_al:
            (single,) = result.fits  # random sampling: one fine-tuning, shown as the paper does
            record_extra.update(history=single.history, best_epoch=single.best_epoch,
                                stopped_by=single.stopped_by)
    values = case_values(job, scored, settings)
    speeds = [f.train_images_per_s for f in fits if f.wall_time_s > 0]
    headline_metrics = scored.get(headline) or next(iter(scored.values()))
    return records.run_record(
        job.row, job.seed, values, variant=job.variant, epochs=sum(f.epochs for f in fits),
        wall_time_s=wall, train_images_per_s=float(np.median(speeds)) if speeds else 0.0,
        wall_time_across_resumes=all(f.wall_time_complete for f in fits),
        metrics=headline_metrics, parameters=result.model.count_params(),
        criterion=criterion, fine_tunings=len(fits), **record_extra)


def case_values(job: Job, scored: dict, settings: ActiveTransferSettings) -> dict:
    """The run's entries in the paper's tables, from ``{budget: metrics}``."""
    from reproductions.active_transfer import active
    from reproductions.common.paper import format_x

    headline, case = settings.headline_budget, job.row
    at = scored.get(headline)
    if job.variant:
        return {"criteria": {job.variant: _percent(at)}}
    values = {f"curve_{m}": {case: {m: {format_x(b): 100 * s[m] for b, s in scored.items()}}}
              for m in ("aca", "mca")}
    if len(scored) > 1:
        xs = sorted(scored)
        values["auc"] = {case: {f"{m}_auc": active.normalised_area(
            xs, [100 * scored[b][m] for b in xs]) for m in ("aca", "mca")}}
    if at is not None:
        values["headline"] = {case: _percent(at)}
        values["per_class"] = {case: {c: 100 * v["recall"] for c, v in at["per_class"].items()}}
        if case == "in_al":
            values["criteria"] = {"entropy": _percent(at)}
    if 100 in scored and case in ("rs", "in_rs"):
        values["init_100"] = {"init" if case == "in_rs" else "no_init": _percent(scored[100])}
    return values


def tsne(model, split, points: int, seed: int) -> dict:
    """2-D t-SNE of the fused features (global average pooling, 128-d) of a
    stratified subset of ``split``: ``{"x", "y", "label"}``."""
    import keras
    import numpy as np
    from sklearn.manifold import TSNE

    from reproductions.active_transfer import data, models
    from reproductions.common import builders, data as data_lib

    subset = data.take(split, data_lib.stratified_subset(split.labels, points, seed))
    trunk = builders.backbone(model, "avg", feature_layer=models.FEATURES)
    features = np.concatenate([keras.ops.convert_to_numpy(trunk(subset.images[i:i + 256]))
                               for i in range(0, len(subset), 256)])  # eager: no tracing
    perplexity = float(min(30.0, max(2.0, (len(subset) - 1) / 3)))
    xy = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(
        np.asarray(features, np.float64))
    return {"x": np.round(xy[:, 0], 2).tolist(), "y": np.round(xy[:, 1], 2).tolist(),
            "label": subset.labels.tolist(), "classes": list(split.class_names)}


REPRODUCTION = experiment.Reproduction(
    PAPER, PROFILES, __doc__, load=load, notes=NOTES, extra_jobs=extra_jobs,
    run={"initial": run_initial, **dict.fromkeys(CASES, run_case)},
    sections="figures:sections")


def main(argv=None) -> int:
    """The reproduction, or a subcommand (``query``, ``update``, ``benchmark``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        from reproductions.active_transfer import labelling
        return labelling.main(argv)
    if argv and argv[0] == "run":
        argv = argv[1:]
    return REPRODUCTION.main(argv)


if __name__ == "__main__":
    sys.exit(main())
