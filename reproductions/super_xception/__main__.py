"""python -m reproductions.super_xception — Table 1 of the Super-Xception paper.

With no arguments: the demo profile -- every network of Table 1 trained for a
few epochs on 600 chromosomes, 5-10 minutes on a 2-core machine -- on the
embedded synthetic chromosomes (marked "synthetic"), or on the real BioImLab
chromosomes when ../shared/data/bioimlab_chromosomes exists.
``--manual-dir <BioImLab folder> --profile cpu`` reproduces the table on the
real data; ``--profile paper`` is the exact protocol (needs a GPU).
"""
from __future__ import annotations

import dataclasses
import sys

from reproductions.common import experiment, report
from reproductions.common.errors import UserError
from reproductions.common.experiment import Job
from reproductions.common.options import switch_off
from reproductions.super_xception.paper import PAPER
from reproductions.super_xception.profiles import PROFILES

ABLATION = "no_ln"

NOTES = report.package_notes(__package__)


def optimizer_for(row: str, learning_rate: float | None = None):
    """The paper's optimiser of ``row``; ``learning_rate``: Adam with that rate
    instead (the demo profile)."""
    import keras
    if learning_rate is not None:
        return keras.optimizers.Adam(learning_rate=learning_rate)
    if row in ("resnet50", "super_resnet"):
        schedule = keras.optimizers.schedules.InverseTimeDecay(
            1e-3, decay_steps=1, decay_rate=1e-6)
        return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True)
    return keras.optimizers.Adam(learning_rate=1e-4)


def _demo_learning_rate(profile, row: str) -> float | None:
    """The demo profile's Adam learning rate for ``row`` (``None``: the paper's
    optimiser)."""
    rates = profile.settings.learning_rate
    return None if rates is None else rates.get(row, rates["*"])


@dataclasses.dataclass(frozen=True)
class Options:
    """The command's own options (``ctx.options.paper``)."""

    length_normalization: bool = switch_off(
        "--no-length-normalization",
        "pad each crop to its own square instead (changes every row)")
    ablation: bool = switch_off(
        "--no-ablation", "skip the extra Super-Xception run without length normalisation")


def adjust_profile(options, profile):
    if options.paper.length_normalization:
        return profile
    return dataclasses.replace(
        profile, settings=profile.settings.replace(length_normalization=False),
        reductions=profile.reductions + ("length normalisation switched off",))


def load(ctx) -> None:
    from reproductions.super_xception import data

    if "karyotype" not in ctx.builder.info.features:
        if ctx.profile.settings.length_normalization:
            raise UserError(
                "Length normalisation needs the karyotype of every chromosome, which "
                "an image folder does not give: add --no-length-normalization.")
    ln = ctx.profile.settings.length_normalization
    ctx.state[ln] = data.load_splits(ctx.builder, ctx.profile, ln)
    ctx.store.set_dataset_info("data", used={k: len(v) for k, v in ctx.state[ln].items()})


def _ablation_on(ctx) -> bool:
    return (ctx.profile.settings.length_normalization
            and ctx.profile.settings.ablation and ctx.options.paper.ablation)


def extra_jobs(ctx) -> list[Job]:
    """The length-normalisation ablation: Super-Xception without it, first seed."""
    if "super_xception" in ctx.rows and _ablation_on(ctx):
        return [Job("super_xception", ctx.profile.seeds[0], ABLATION)]
    return []


def run_one(ctx, job: Job) -> dict:
    from reproductions.super_xception import figures, models

    ln = ctx.profile.settings.length_normalization and job.variant != ABLATION
    if ln not in ctx.state:
        from reproductions.super_xception import data
        ctx.state[ln] = data.load_splits(ctx.builder, ctx.profile, ln)
    split = ctx.state[ln]
    low = ctx.profile.settings.low_res
    classes = len(split["train"].class_names)
    fitted = experiment.fit_and_evaluate(
        ctx, job, splits=split,
        build=lambda: models.build(job.row, input_shape=(low, low, 1),
                                   hr_size=ctx.profile.image_size, classes=classes),
        compile=lambda model: model.compile(
            optimizer=optimizer_for(job.row, _demo_learning_rate(ctx.profile, job.row)),
            loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
        bn_recalibration_images=ctx.profile.settings.bn_recalibration_images)
    aca = 100 * fitted.metrics["aca"]
    first = job.seed == ctx.profile.seeds[0]
    if job.variant == ABLATION:
        values = {"ablation": {"super_xception_no_ln": {"aca": aca}}}
    else:
        values = {"table1": {job.row: {"aca": aca}}}
        if job.row == "super_xception" and first and _ablation_on(ctx):
            values["ablation"] = {"super_xception_ln": {"aca": aca}}
    if job.row == "super_xception" and first and not job.variant:
        figures.super_resolution_examples(fitted.model, split["test"],
                                          ctx.output_dir / "sr_examples.png")
    if first:
        _save_inference_model(ctx, job, fitted.model, split["train"].class_names, low, ln)
    return fitted.record(values)


def _save_inference_model(ctx, job: Job, model, class_names, low_res: int, ln: bool) -> None:
    """``<run dir>/inference.keras`` for ``python -m reproductions.predict``.
    Its preprocessing layer records whether the network was trained with
    length normalisation: one image file does not have the other chromosomes
    of its karyotype, so ``predict`` groups the files (by folder, or
    ``--group-by``) and sizes each group's canvas from its longest chromosome
    as training did; the layer alone pads each chromosome to its own square."""
    import layers as L
    ctx.save_inference_model(
        ctx.run_dir(job), model, L.CropPadDownsample(low_res, length_normalization=ln),
        class_names,
        note=("; trained with length normalisation: predict normalises the chromosomes of "
              "each folder (or --group-by group) together" if ln else ""))


REPRODUCTION = experiment.Reproduction(
    PAPER, PROFILES, __doc__, run=run_one, load=load, notes=NOTES, extra_jobs=extra_jobs,
    throughput_rows=("xception", "super_xception"),
    options=Options, adjust_profile=adjust_profile, default_profile="demo")
main = REPRODUCTION.main


if __name__ == "__main__":
    sys.exit(main())
