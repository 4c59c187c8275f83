"""python -m reproductions.drsn_dc — Table 2 of the DRSN-DC paper (Wang et al.,
IIP 2022) and an ablation of its three modules.

The paper's 9-class ANA images are private: the command runs on I3A Task 1
(6 classes, specimen-block split) as a stand-in, where only the ranking of
the rows is comparable with the paper. With an ANA folder of your own,
``--image-folder ROOT`` (ROOT/<class>/<image> or ROOT/<split>/<class>/<image>)
runs the same protocol on it; the classifiers get one output per class folder.

With no arguments: the smoke profile on the real I3A cells when
../shared/data/i3a_task1 exists, otherwise on the embedded synthetic HEp-2
cells (minutes on 2 CPU cores, marked "synthetic"). ``--profile cpu`` is the
converged reproduction at a reduced input size (about 10 CPU-hours);
``--profile paper`` the paper's 224×224 inputs and expanded training set
(needs a GPU).
"""
from __future__ import annotations

import dataclasses
import sys

from reproductions.common import experiment, report
from reproductions.common.experiment import Job
from reproductions.common.options import switch_off
from reproductions.drsn_dc.paper import PAPER
from reproductions.drsn_dc.profiles import PROFILES

#: The ablation's intermediate steps, run as variants of the drsn_dc row.
ABLATION_VARIANTS = ("drsn", "drsn_dilated")

NOTES = report.package_notes(__package__)


@dataclasses.dataclass(frozen=True)
class Options:
    """The command's own options (``ctx.options.paper``)."""

    ablation: bool = switch_off("--no-ablation", "skip the ablation's two intermediate "
                                f"networks ({', '.join(ABLATION_VARIANTS)})")


def load(ctx) -> None:
    from reproductions.drsn_dc import data

    split = data.load_splits(ctx.builder, ctx.profile)
    train = split["train"]
    repeats = data.repeats(len(train))
    per_epoch = None if ctx.profile.settings.whole_expanded_set else len(train)
    ctx.state.update(split=split, repeats=repeats, per_epoch=per_epoch)
    ctx.store.set_dataset_info(
        "data", used={k: len(v) for k, v in split.items()}, class_names=list(train.class_names),
        expanded_train=data.expanded_counts(train.labels, len(train.class_names)))


def extra_jobs(ctx) -> list[Job]:
    """The ablation's intermediate steps, first seed (see ABLATION_VARIANTS)."""
    if "drsn_dc" not in ctx.rows or not ctx.options.paper.ablation:
        return []
    return [Job("drsn_dc", ctx.profile.seeds[0], variant) for variant in ABLATION_VARIANTS]


def run_one(ctx, job: Job) -> dict:
    from reproductions.drsn_dc import data, models, protocol

    profile, settings, state = ctx.profile, ctx.profile.settings, ctx.state
    split = state["split"]
    classes = len(split["train"].class_names)
    name = job.variant or job.row
    fitted = experiment.fit_and_evaluate(
        ctx, job, splits=split,
        build=lambda: models.build(name, input_shape=(profile.image_size,) * 2 + (1,),
                                   classes=classes),
        compile=lambda model: protocol.compile_model(
            model, learning_rate=settings.learning_rate,
            run_eagerly=settings.run_eagerly),
        augment=data.augment, repeats=state["repeats"], samples_per_epoch=state["per_epoch"],
        bn_recalibration_images=settings.bn_recalibration_images)
    values = protocol.table2_values(fitted.metrics)
    if job.variant:
        stored = {"ablation": {job.variant: values}}
    else:
        stored = {"table2": {job.row: values}}
        if job.seed == profile.seeds[0] and job.row in models.ABLATION:
            stored["ablation"] = {job.row: values}
    if job.seed == profile.seeds[0] and not job.variant:
        import layers as L
        ctx.save_inference_model(  # the preprocessing of dri.data.load_splits
            ctx.run_dir(job), fitted.model, L.PerImageMinMaxResize(profile.image_size),
            split["train"].class_names)
    return fitted.record(stored, model=name, classes=classes)


def sections(store) -> str:
    """The architecture at the profile's input size, parameters and per-class F1."""
    from reproductions.drsn_dc import figures, models

    size = store.data["profile"]["image_size"]
    classes = len(store.data["datasets"]["data"].get("class_names", ())) or 9
    notes = ("\n## Architecture\n\nDRSN-DC as built for these runs "
             f"({size}×{size} grayscale input, {classes} classes); our reading of Figs. 2-6, "
             "see `reproductions/drsn_dc/models.py`.\n\n```\n"
             + models.architecture_diagram(size, classes) + "\n```\n")
    table = figures.parameters_table(store)
    if table:
        notes += "\n## Parameters\n\n" + table
    table = figures.per_class_table(store)
    if table:
        notes += "\n## Per-class F1 (%), test split, first seed (Fig. 8)\n\n" + table + "\n"
    return notes


REPRODUCTION = experiment.Reproduction(
    PAPER, PROFILES, __doc__, run=run_one, load=load, notes=NOTES, extra_jobs=extra_jobs,
    sections=sections, throughput_rows=("resnet50", "drsn_dc"),
    options=Options)
main = REPRODUCTION.main


if __name__ == "__main__":
    sys.exit(main())
