"""python -m reproductions.dri — Tables 3(a), 3(b) and 4 of the Deep
Residual Inception paper (Li & Shen, DLMIA 2017) on the I3A Task 1 cells.

With no arguments: the smoke profile on the real I3A cells when
../shared/data/i3a_task1 exists, otherwise on the embedded synthetic HEp-2
cells (a few minutes on 2 CPU cores, marked "synthetic").
``--manual-dir <I3A folder> --profile cpu`` reproduces the tables on the
real data (about 10 CPU-hours, resumable across sessions); ``--profile quick``
is a 75-minute look; ``--profile paper`` is the exact
protocol (290,000 iterations; needs a GPU).
"""
from __future__ import annotations

import sys

from reproductions.common import experiment, provenance, report
from reproductions.common.experiment import Job
from reproductions.dri.paper import PAPER
from reproductions.dri.profiles import PROFILES

NOTES = report.package_notes(__package__)


BLOCKS = "blocks"  # the variant trained on the specimen-block split


def load(ctx) -> None:
    from reproductions.dri import data

    state = ctx.state[""] = data.rotation_set(ctx.builder, ctx.profile)
    ctx.store.set_dataset_info("data", used={k: len(v) for k, v in state["split"].items()},
                               augmented_train=state["augmented_train"])


def extra_jobs(ctx) -> list[Job]:
    """DRI on the specimen-block split (the sensitivity table), on the real
    I3A cells only: the synthetic cells and a user's folder have no IDs in
    specimen order."""
    source = ctx.datasets["data"].source
    if (ctx.profile.settings.block_split and "dri" in ctx.rows
            and not source.synthetic and not source.user_folder):
        return [Job("dri", ctx.profile.seeds[0], BLOCKS)]
    return []


def _blocks(ctx) -> dict:
    """The ``dri_blocks`` config of the same I3A folder, prepared on first use."""
    if BLOCKS not in ctx.state:
        import dataclasses

        from reproductions.common import data as data_lib
        from reproductions.dri import data
        source = dataclasses.replace(ctx.datasets["data"].source, config="dri_blocks")
        builder = data_lib.prepare(source, ctx.options.data_dir)
        state = ctx.state[BLOCKS] = data.rotation_set(builder, ctx.profile)
        ctx.store.set_dataset_info("data", blocks={
            "config": "dri_blocks", "version": str(builder.info.version),
            "used": {k: len(v) for k, v in state["split"].items()}})
    return ctx.state[BLOCKS]


def run_one(ctx, job: Job) -> dict:
    import numpy as np

    from reproductions.common import metrics
    from reproductions.dri import models, protocol

    profile, settings = ctx.profile, ctx.profile.settings
    state = _blocks(ctx) if job.variant == BLOCKS else ctx.state[""]
    split = state["split"]
    class_names = split["train"].class_names
    iterations = profile.epochs_for(job.row) * -(-state["per_epoch"] // profile.batch_size)
    step = settings.steps_per_decay or protocol.step_length(iterations)
    train = dict(augment=state["augment"], repeats=state["repeats"],
                 samples_per_epoch=state["per_epoch"], targets=protocol.head_targets)
    fitted = experiment.fit_and_evaluate(
        ctx, job, splits=split,
        build=lambda: models.DRI(job.row,
                                 input_shape=(profile.image_size, profile.image_size, 1),
                                 classes=len(class_names), bn_momentum=settings.bn_momentum),
        compile=lambda model: protocol.compile_model(
            model, steps_per_decay=step, base_lr=settings.base_lr,
            # eager spares TensorFlow's graph tracing in a few smoke steps; JAX and
            # PyTorch (reproductions.portable) run eagerly op by op, far slower
            # (DRI's smoke run on JAX: 204 s eager, 32 s compiled)
            run_eagerly=settings.run_eagerly and provenance.keras_backend() == "tensorflow"),
        scores=lambda outputs: protocol.summed_predictions(outputs, models.HEADS), **train)
    labels = split["test"].labels
    combos = [(h,) for h in models.HEADS] + [hs for hs in protocol.HEAD_SETS.values()
                                             if len(hs) > 1]
    heads = {"+".join(hs): metrics.classification_metrics(
                 labels, np.argmax(protocol.summed_predictions(fitted.outputs, hs), -1),
                 class_names) for hs in combos}
    m = fitted.metrics  # every network's prediction: the sum layer, FC1+FC2+FC3
    pct = lambda x: 100 * x  # noqa: E731
    first = job.seed == profile.seeds[0]
    if job.variant == BLOCKS:
        values = {"sensitivity": {"dri_blocks": {"mca": pct(m["mca"]), "aca": pct(m["aca"])}}}
    else:
        values = {"table3a": {job.row: {"mca": pct(m["mca"])}}}
    if job.row in ("sri", "dri") and not job.variant:
        values["table4"] = {job.row: {"mca": pct(m["mca"]), "aca": pct(m["aca"])}}
    if job.row == "dri" and not job.variant:
        values["table3b"] = {key: {"mca": pct(heads["+".join(hs)]["mca"])}
                             for key, hs in protocol.HEAD_SETS.items()}
        if first and settings.block_split:
            values["sensitivity"] = {"dri_cells": {"mca": pct(m["mca"]), "aca": pct(m["aca"])}}
    record_extra = {}
    if first and not job.variant:
        import layers as L
        ctx.save_inference_model(
            ctx.run_dir(job), models.inference_model(fitted.model),
            L.PerImageMinMaxResize(profile.image_size), class_names, heads=len(models.HEADS))
    if job.row == "dri" and first and not job.variant:
        if ctx.options.export:
            path = models.export_inference_model(fitted.model,
                                                 ctx.run_dir(job) / "dri_sum.keras")
            ctx.log(f"saved the summed-prediction DRI model to {path}")
        # the training input pipeline alone, in this process, after training
        probe_kwargs = dict(batch_size=profile.batch_size, seed=job.seed,
                            **{**train, "samples_per_epoch": min(int(state["repeats"].sum()),
                                                                 51 * profile.batch_size)})
        if ctx.pipeline is not None:  # NumPy batches (reproductions.portable)
            record_extra["pipeline_images_per_s"] = ctx.pipeline.throughput(
                split["train"], batches=50, **probe_kwargs)
        else:
            import tensorflow as tf

            from reproductions.common import data as data_lib
            probe = data_lib.train_dataset(split["train"], epoch=tf.Variable(0, dtype=tf.int64),
                                           **probe_kwargs)
            record_extra["pipeline_images_per_s"] = data_lib.pipeline_throughput(probe, 50)
    return fitted.record(
        values, head_metrics={k: {"mca": v["mca"], "aca": v["aca"]} for k, v in heads.items()},
        iterations=iterations, steps_per_decay=step, **record_extra)


def sections(store) -> str:
    """Parameters, per-class accuracy and per-head MCA of every network."""
    from reproductions.dri import figures

    notes = ""
    params = {r["row"]: r["parameters"] for r in store.runs if "parameters" in r}
    if params:
        notes += "\n## Parameters\n\n| network | parameters |\n|---|---:|\n" + "".join(
            f"| {PAPER.label(row)} | {params[row]:,} |\n" for row in PAPER.rows
            if row in params)
    table = figures.per_class_table(store)
    if table:
        notes += ("\n## Per-class accuracy (%), test split, first seed, FC1+FC2+FC3\n\n"
                  + table + "\n")
    table = figures.head_table(store)
    if table:
        notes += ("\n## MCA (%) of each head and sum of heads, test split, first seed\n\n"
                  + table + "\n")
    return notes


REPRODUCTION = experiment.Reproduction(
    PAPER, PROFILES, __doc__, run=run_one, load=load, notes=NOTES,
    extra_jobs=extra_jobs,
    sections=sections, throughput_rows=("dri",))
main = REPRODUCTION.main


if __name__ == "__main__":
    sys.exit(main())
