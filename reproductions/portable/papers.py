"""What the portable route knows of each paper it runs: which profile
settings fix the exported arrays, what ``export`` takes from the TensorFlow
command's prepared data, and how ``train`` puts a bundle back into
``ctx.state`` where the paper's own ``run`` function reads it.

The training itself is the paper's: ``REPRODUCTION.run`` of
``reproductions.<paper>.__main__`` (same builders, optimisers, schedules,
values, inference models), with ``ctx.pipeline`` set to NumPy batches.
Nothing here imports TensorFlow at module level; the ``export_*`` functions
run on the TensorFlow side only.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from reproductions.common.errors import UserError

#: Image sets of a Super-Xception bundle: length normalisation on and off
#: (the ablation's variant) -> their names in the bundle.
SUPER_XCEPTION_SETS = {True: "length_normalized", False: "padded"}
DRI_SET = "cells"


@dataclasses.dataclass(frozen=True)
class PaperRecipe:
    """``data_settings(profile) -> dict``: the profile fields the arrays
    depend on (a bundle serves every profile with the same ones);
    ``export(ctx) -> (image sets, extra arrays, notes)`` after the paper's
    ``load`` (TensorFlow side); ``load(ctx, bundle)`` fills ``ctx.state``;
    ``extra_jobs``: the ablations the portable route runs (``None``: the
    paper's)."""

    data_settings: Callable
    export: Callable
    load: Callable
    extra_jobs: Callable | None = None


# --- Super-Xception -----------------------------------------------------------
def _sx_settings(profile) -> dict:
    s = profile.settings
    return {"low_res": s.low_res, "length_normalization": s.length_normalization,
            "subset": dict(profile.subset)}


def _sx_export(ctx):
    from reproductions.super_xception import data

    ln = ctx.profile.settings.length_normalization
    sets = {SUPER_XCEPTION_SETS[ln]: ctx.state[ln]}
    if ln:  # the ablation's crops, padded to their own square
        sets[SUPER_XCEPTION_SETS[False]] = data.load_splits(ctx.builder, ctx.profile, False)
    return sets, {}, {}


def _sx_load(ctx, bundle) -> None:
    for ln, name in SUPER_XCEPTION_SETS.items():
        if name in bundle.manifest["image_sets"]:
            ctx.state[ln] = bundle.splits(name)


# --- DRI ----------------------------------------------------------------------
def _dri_settings(profile) -> dict:
    return {"image_size": profile.image_size, "subset": dict(profile.subset),
            "copies": dict(profile.settings.copies)}


def _dri_export(ctx):
    from reproductions.dri import data

    state = ctx.state[""]
    names = state["split"]["train"].class_names
    copies = data.copies_per_class(names, data.copies_for(names, ctx.profile.settings.copies))
    return ({DRI_SET: state["split"]}, {"train/repeats": np.asarray(state["repeats"], np.int64)},
            {"copies_per_class": copies})


def _dri_load(ctx, bundle) -> None:
    from reproductions.portable import pipeline

    split = bundle.splits(DRI_SET)
    repeats = bundle.arrays["train/repeats"]
    per_epoch = ctx.profile.settings.samples_per_epoch or int(repeats.sum())
    ctx.state[""] = {
        "split": split, "repeats": repeats,
        "per_epoch": min(per_epoch, int(repeats.sum())),
        "augment": pipeline.rotation_variants(bundle.manifest["copies_per_class"]),
        "augmented_train": bundle.manifest["datasets"]["data"].get("augmented_train")}


def _dri_extra_jobs(ctx):
    """No extra runs: the specimen-block row (the cpu profile's sensitivity
    table) needs the ``dri_blocks`` split, which a bundle does not hold."""
    return []


RECIPES = {
    "super_xception": PaperRecipe(_sx_settings, _sx_export, _sx_load),
    "dri": PaperRecipe(_dri_settings, _dri_export, _dri_load, _dri_extra_jobs),
}


def recipe(paper: str) -> PaperRecipe:
    if paper not in RECIPES:
        raise UserError(f"the portable route runs {', '.join(RECIPES)}, not {paper!r}.")
    return RECIPES[paper]


def reproduction(paper: str):
    """The paper's ``Reproduction`` (``reproductions.<paper>.__main__``; no TensorFlow)."""
    import importlib

    recipe(paper)
    return importlib.import_module(f"reproductions.{paper}.__main__").REPRODUCTION
