"""python -m reproductions.dcae — Table II and Figure 2 of the DCAE paper
(Vununu et al.) on SNPHEp-2, the five official Split-50-k folds, and a linear
probe of the DCAE features.

With no arguments: the smoke profile on the real SNPHEp-2 cells when
../shared/data/snphep2 exists, otherwise on the embedded synthetic SNPHEp-2
cells (about a minute on 2 CPU cores, marked "synthetic").
``--manual-dir <SNPHEp-2 folder> --profile cpu`` reproduces the tables on the
real data (≤ ~6 CPU-hours); ``--profile cell_level`` runs the same networks on
a cell-level split (specimens mixed, issue #34; results/dcae/cell_level/);
``--profile paper`` is Table I's 825 M-parameter network at 224 px (needs a GPU).
"""
from __future__ import annotations

import dataclasses
import sys

from reproductions.common import experiment, report
from reproductions.common.errors import UserError
from reproductions.common.experiment import Job
from reproductions.common.options import switch_off
from reproductions.dcae.paper import PAPER, paper_for
from reproductions.dcae.profiles import PROFILES, SPLITS

AUTOENCODER = "dcae_autoencoder"
SVM_ROWS = ("texture_svm", "lbp_svm")

NOTES = report.package_notes(__package__)


@dataclasses.dataclass(frozen=True)
class Options:
    """The command's own options (``ctx.options.paper``)."""

    folds: bool = switch_off("--no-folds", "skip the five official Split-50-k folds")


def adjust_profile(options, profile):
    if profile.image_size % 16:
        raise UserError(f"The DCAE's input side must be a multiple of 16 (four 2×2 "
                        f"poolings); got --image-size {profile.image_size}.")
    if profile.settings.split not in SPLITS:
        raise UserError(f"Unknown split {profile.settings.split!r}: one of {', '.join(SPLITS)}.")
    if _cell_level(profile) and options.image_folder:
        raise UserError("The cell-level split pools SNPHEp-2's official train and test sets; "
                        "run an image folder with another profile.")
    reason = ("--no-folds" if not options.paper.folds else
              "an image folder has no official folds" if options.image_folder else None)
    if reason is None or not profile.settings.folds:
        return profile
    return dataclasses.replace(profile, settings=profile.settings.replace(folds=()),
                               reductions=profile.reductions + (f"folds skipped ({reason})",))


def adjust_paper(profile, paper):
    """A cell-level profile's tables say which cells they tested."""
    return paper_for(profile.settings.split)


def _cell_level(profile) -> bool:
    return profile.settings.split == "cell_level"


# --- data --------------------------------------------------------------------
def splits(ctx, variant: str, kind: str, seed: int):
    """The cells of the official split (``variant=""``) or of fold
    ``split_k`` for one kind of row: ``"dcae"`` (the autoencoder's input
    size), ``"gao"`` or ``"features"``; read once, kept in ``ctx.state``.
    A cell-level profile's split depends on the job's ``seed`` (kept for
    the last seed asked for only; re-reading takes seconds)."""
    from reproductions.dcae import data

    cell_seed = seed if _cell_level(ctx.profile) and not variant else None
    key = ("splits", variant, kind, cell_seed)
    if key not in ctx.state:
        for old in [k for k in ctx.state if isinstance(k, tuple) and k[:3] == key[:3]]:
            del ctx.state[old]  # another seed's cell-level split
        settings = ctx.profile.settings
        k = data.fold_of(variant)
        if k is None:
            builder = ctx.builder
        else:
            if ("builder", k) not in ctx.state:
                ctx.state["builder", k] = data.fold_builder(ctx.datasets["data"].source, k,
                                                            ctx.options.data_dir)
            builder = ctx.state["builder", k]
        size = {"dcae": ctx.profile.image_size, "gao": settings.gao_size,
                "features": settings.feature_size}[kind]
        ctx.state[key] = data.load_splits(
            builder, size, pad=kind != "features", subset=ctx.profile.subset,
            seed=ctx.profile.seeds[0], validation_fraction=settings.validation_fraction,
            cell_level_seed=cell_seed)
    return ctx.state[key]


def split_fields(ctx, job: Job) -> dict:
    """A cell-level run's record of its cells: ``{"cell_level_split": {seed,
    ids_sha256 per part, official test cells per part}}``; ``{}`` otherwise
    (the builder's split hashes in the provenance say it all)."""
    if not _cell_level(ctx.profile) or job.variant:
        return {}
    return {"cell_level_split": {"seed": job.seed,
                                 **splits(ctx, "", "features", job.seed).identity()}}


def load(ctx) -> None:
    from reproductions.dcae import data

    first = ctx.profile.seeds[0]
    official = splits(ctx, "", "dcae", first)
    own = "validation" in ctx.builder.info.splits
    fraction = ctx.profile.settings.validation_fraction
    info = {"used": official.sizes(),
            "validation": "the dataset's own validation split" if own else
                          f"stratified {fraction:.0%} of the training split, seed {first}"}
    if _cell_level(ctx.profile):
        info["validation"] = (f"stratified {fraction:.0%} of each seed's cell-level training "
                              "cells, drawn with that seed")
        info["cell_level"] = {}
        for seed in ctx.profile.seeds:  # the cells only: the smallest images
            cells = splits(ctx, "", "features", seed)
            info["cell_level"][str(seed)] = {**cells.sizes(), **cells.identity()}
    folds = {}
    for k in ctx.profile.settings.folds:
        folds[data.fold_variant(k)] = splits(ctx, data.fold_variant(k), "dcae", first).sizes()
    if folds:
        info["folds"] = folds
    ctx.store.set_dataset_info("data", **info)


def extra_jobs(ctx) -> list[Job]:
    """Every row on each official fold, first seed."""
    from reproductions.dcae import data
    first = ctx.profile.seeds[0]
    return [Job(row, first, data.fold_variant(k)) for k in ctx.profile.settings.folds
            for row in ctx.rows]


# --- runs --------------------------------------------------------------------
def percent(metrics: dict) -> dict:
    return {"aca": 100 * metrics["aca"], "mca": 100 * metrics["mca"]}


def scores(job: Job, metrics: dict) -> dict:
    """``{table: {row: {"aca", "mca"}}}`` in %: Table II for the official split,
    the folds table for a fold."""
    return {"folds" if job.variant else "table2": {job.row: percent(metrics)}}


def _eager(ctx) -> bool:
    return ctx.profile.settings.run_eagerly


def run_svm(ctx, job: Job) -> dict:
    import skimage

    from reproductions.dcae import features, protocol

    split = splits(ctx, job.variant, "features", job.seed).sklearn()
    extract = features.EXTRACTORS[job.row]
    with protocol.single_threaded():
        fitted = experiment.fit_sklearn(job, features.svm_search(job.seed), extract, split)
    return fitted.record(scores(job, fitted.metrics),
                         feature_dim=int(extract(split["train"].images[:1]).shape[1]),
                         feature_library=f"scikit-image {skimage.__version__}",
                         **split_fields(ctx, job))


def run_gao(ctx, job: Job) -> dict:
    from reproductions.common import augment
    from reproductions.dcae import models, protocol

    split = splits(ctx, job.variant, "gao", job.seed)
    size = ctx.profile.settings.gao_size
    fitted = experiment.fit_and_evaluate(
        ctx, job, splits=split.keras(),
        build=lambda: models.GaoCNN(input_shape=(size, size, 1),
                                    classes=len(split.train.class_names)),
        compile=lambda model: protocol.compile_classifier(model, _eager(ctx)),
        **augment.rotation_set(split.train, ctx.profile.settings.gao_rotations))
    if not job.variant and job.seed == ctx.profile.seeds[0]:
        _save_inference_model(ctx, job, fitted.model, size, split.train.class_names)
    return fitted.record(scores(job, fitted.metrics), **split_fields(ctx, job))


def _save_inference_model(ctx, job: Job, classifier, size: int, class_names) -> None:
    """``<run dir>/inference.keras``: raw image -> ``data.make_preprocess(size)``
    as a layer -> ``classifier``."""
    import layers as L
    ctx.save_inference_model(
        ctx.run_dir(job), classifier,
        L.PerImageMinMaxResize(size, pad_to_square=True, antialias=True), class_names)


def predict(model, images, batch_size: int):
    """``model`` on ``images`` in batches (direct calls: no graph tracing)."""
    import numpy as np
    import keras
    return np.concatenate([keras.ops.convert_to_numpy(model(images[i:i + batch_size],
                                                            training=False))
                           for i in range(0, len(images), batch_size)])


def autoencoder(ctx, seed: int, variant: str):
    """The trained autoencoder of ``(seed, variant)``: trained here (resumable)
    or, once finished, rebuilt from its best weights. Returns ``(model,
    TrainOutcome)``; the last one is kept in ``ctx.state``."""
    from reproductions.common import training
    from reproductions.dcae import models, protocol

    key = (seed, variant)
    cached = ctx.state.get("autoencoder")
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    ctx.state.pop("autoencoder", None)  # one autoencoder in memory at a time
    profile, settings = ctx.profile, ctx.profile.settings
    split = splits(ctx, variant, "dcae", seed)
    training.set_determinism(seed)
    with ctx.strategy.scope():  # variables on every replica (--strategy)
        model = models.DCAE(input_shape=(profile.image_size, profile.image_size, 1),
                            width=settings.width, latent_dim=settings.latent_dim,
                            conv5_input=settings.conv5_input)
        protocol.compile_autoencoder(model, settings.ae_learning_rate, _eager(ctx))
    outcome = training.train(
        model, split.train, split.validation, run_dir=ctx.run_dir(Job(AUTOENCODER, seed, variant)),
        epochs=profile.epochs_for(AUTOENCODER), batch_size=profile.batch_size, seed=seed,
        targets=protocol.reconstruction_target, early_stopping_patience=profile.patience,
        verbose=ctx.verbose, tensorboard=ctx.options.tensorboard)
    ctx.state["autoencoder"] = (key, model, outcome)
    return model, outcome


def run_autoencoder(ctx, job: Job) -> dict:
    """Trains the DCAE of ``job`` and scores its reconstruction of the test
    cells; the first seed on the official split also draws reconstructions."""
    import numpy as np

    from reproductions.common import records
    from reproductions.dcae import figures, protocol

    stored = ctx.store.find_run(*job)
    if stored is not None:  # already trained and stored by a dcae run of this process
        return stored
    model, outcome = autoencoder(ctx, job.seed, job.variant)
    test = splits(ctx, job.variant, "dcae", job.seed).test
    recon = predict(model, test.images, ctx.profile.batch_size)
    psnr = protocol.psnr(test.images, recon)
    mse = float(np.mean((test.images - recon) ** 2))
    values = {} if job.variant else {"reconstruction": {AUTOENCODER: {"psnr": float(psnr.mean())}}}
    if not job.variant and job.seed == ctx.profile.seeds[0]:
        figures.reconstructions(test, recon, ctx.output_dir / "reconstructions.png",
                                f"DCAE reconstructions of test cells (seed {job.seed}, "
                                f"profile {ctx.profile.name}, {model.count_params():,} "
                                "parameters)")
    return records.run_record(
        job.row, job.seed, values, variant=job.variant, **outcome.record_fields(),
        parameters=model.count_params(), test_mse=mse, test_psnr_db=float(psnr.mean()),
        **split_fields(ctx, job))


def run_dcae(ctx, job: Job) -> dict:
    """The paper's method: Conv5 features of the trained autoencoder → the
    4096-250-50-5 ANN; and the linear probe on the same features."""
    from reproductions.common import data as data_lib
    from reproductions.dcae import models, protocol

    ae_job = Job(AUTOENCODER, job.seed, job.variant)
    if ctx.store.find_run(*ae_job) is None:  # --rows without dcae_autoencoder
        ctx.log(f"training its autoencoder first: {ae_job.describe()}")
        ctx.store.add_run(run_autoencoder(ctx, ae_job))
    model, _ = autoencoder(ctx, job.seed, job.variant)
    encoder = models.encoder(model)
    split = splits(ctx, job.variant, "dcae", job.seed)
    latent = {}
    for name in ("train", "validation", "test", "whole_train"):
        part = getattr(split, name)
        latent[name] = data_lib.ArraySplit(predict(encoder, part.images, ctx.profile.batch_size),
                                           part.labels, part.ids, part.class_names)
    classes = len(split.train.class_names)

    def build():
        ann = models.MLP(input_dim=latent["train"].images.shape[1], classes=classes)
        ann.get_layer("feature_norm").adapt(latent["train"].images)
        return ann

    fitted = experiment.fit_and_evaluate(
        ctx, job, build=build, compile=lambda ann: protocol.compile_classifier(ann, _eager(ctx)),
        splits={name: latent[name] for name in ("train", "validation", "test")})
    with protocol.single_threaded():
        probe = experiment.fit_sklearn(job, protocol.linear_probe_search(job.seed),
                                       lambda x: x, {"train": latent["whole_train"],
                                                     "test": latent["test"]})
    ann, linear = percent(fitted.metrics), percent(probe.metrics)
    if job.variant:
        values = {"folds": {"dcae": ann, "dcae_linear": linear}}
    else:
        values = {"table2": {"dcae": ann}, "probe": {"dcae_mlp": ann, "dcae_linear": linear}}
    extra = {}
    if not job.variant and job.seed == ctx.profile.seeds[0]:
        with protocol.single_threaded():
            coords = protocol.tsne(latent["test"].images, job.seed)
        extra["tsne"] = {"x": [round(float(v), 3) for v in coords[:, 0]],
                         "y": [round(float(v), 3) for v in coords[:, 1]],
                         "labels": latent["test"].labels.tolist(),
                         "split": "test", "features": "Conv5 (standardised, PCA to "
                         f"{min(protocol.TSNE_PCA_DIMS, *latent['test'].images.shape)})"}
        if ctx.options.export:
            import keras  # the assembled classifier: image -> Conv5 features -> the ANN
            _save_inference_model(
                ctx, job, keras.Model(encoder.input, fitted.model(encoder.output),
                                      name="dcae_classifier"),
                ctx.profile.image_size, split.train.class_names)
    dead = float((latent["whole_train"].images.max(axis=0) <= 0).mean())
    return fitted.record(
        values, encoder_parameters=encoder.count_params(),
        latent_dim=int(latent["train"].images.shape[1]), dead_latent_fraction=dead,
        linear_probe={"metrics": probe.metrics, "hyperparameters": probe.hyperparameters,
                      "fit_time_s": probe.fit_time_s, "cv_accuracy": probe.cv_accuracy},
        **extra, **split_fields(ctx, job))


#: The function that runs each row.
RUNS = {**{row: run_svm for row in SVM_ROWS}, "gao_cnn": run_gao,
        AUTOENCODER: run_autoencoder, "dcae": run_dcae}

REPRODUCTION = experiment.Reproduction(
    PAPER, PROFILES, __doc__, run=RUNS, load=load, notes=NOTES, extra_jobs=extra_jobs,
    sections="report:sections", throughput_rows=(AUTOENCODER,),
    options=Options, adjust_profile=adjust_profile, adjust_paper=adjust_paper)
main = REPRODUCTION.main


if __name__ == "__main__":
    sys.exit(main())
