"""The profiles of the active-transfer reproduction (data, not code), and
the arithmetic that sized the cpu profile.

The profiles' own settings are :class:`ActiveTransferSettings`.

``subset`` keys: ``source_train``, ``source_validation``, ``source_test``,
``pool``, ``validation``, ``test`` (stratified, after the validation cut).

Measured speed (``python -m reproductions.active_transfer benchmark``, and
the same with ``fit`` on cached batches: batches of 128 random cells, Adam,
6–12 steps after two that pay for tracing; from the CPU time of the process,
because two other training processes shared the 2-core Xeon @ 2.5 GHz, load
average 10–12), training images per CPU-second -- all layers (from scratch,
and the initial learning) / early layers frozen (fine-tuning after
transfer) / prediction:

=======  ==============  ===============  ==============
input    all layers      frozen           prediction
=======  ==============  ===============  ==============
112 px   105–106         233–242          389–420
64 px    304–334         672–716          1,110–1,207
48 px    601             1,218            1,895–2,068
=======  ==============  ===============  ==============

On the machine alone, wall-clock images/s ≈ 1.5 × these (two threads at
75 % scaling, the DRI profile's rule, which predicted its quick profile
within 5 %). :func:`estimated_hours` adds up every training epoch
(training cells + a validation pass), every pool scoring and every test
pass of a profile. What the number of epochs will be is not known before
the runs (early stopping): with 15 epochs per labelling round (warm-started
from the previous round; at least 6 with patience 5), 20 per single
fine-tuning, 25 for the initial learning (the paper: 32) and the smaller
speeds above, the cpu profile (every case on 3 seeds since protocol v2)
comes to **9.0 hours**; with 25 / 30 / 40 epochs to 14.3 hours. At 112 px
the same plan is 25.9 hours (41.4 pessimistic), so the cpu profile trains at
64 px: at 112 px even a 4,000-cell pool (13.7 / 21.9 hours) or budgets
10 / 20 / 40 / 100 (13.0 / 20.5 hours) would not fit, and both cut what the
paper's curves are about (the pool is already 5× smaller than LSHEp-2's).
(With RS and AL on one seed, protocol v1, the figures were 5.6 / 8.8 hours.)

Another of our machines, an AMD EPYC with 2 cores (AVX2, no AVX-512),
measured on 2026-12-03 by the same benchmark at 64 px while one other
training shared it: 93 / 182 / 376 images per CPU-second with TensorFlow's
oneDNN kernels on (what every command now does,
``reproductions.common.tf_runtime.prefer_onednn``), 59 / 134 / 326 with them
off (TensorFlow's default on that CPU) -- about 3× below the Xeon. There the
initial learning takes 71 s per epoch alone, the 20 % IN-AL loop of one seed
took 20 minutes at half the machine (10 rounds of 7-15 epochs), and the
profile as a whole about three times the hours above: an IN-AL or AL seed
over every budget is then longer than one of our working sessions and is
resumed at its last round in the next one when its checkpoints in
``~/.cache/hep2repro`` are still there (usually; they were lost between some
sessions), or made on the Xeon.
"""
from __future__ import annotations

import dataclasses

from reproductions.active_transfer import paper
from reproductions.active_transfer.active import budget_plan, round_half_up
from reproductions.common import profiles
from reproductions.common.profiles import Profile, Settings, optional


@dataclasses.dataclass(frozen=True)
class ActiveTransferSettings(Settings):
    """The active-transfer profiles' own settings (``profile.settings``).

    Attributes:
      wavelet: of the in-graph DWT (the paper names none: Haar).
      budgets: labelling budgets run, % of the pool.
      headline_budget: the one of the headline, per-class and criteria tables (20).
      initial_fraction, step_fraction: k and m as fractions of a budget.
      rotation_copies: rotated versions of each source training cell
        (initial learning only, §3.1).
      source_samples_per_epoch: images drawn per epoch from the rotation set
        (``None``: all of it, each once).
      source_validation_fraction, validation_fraction: validation sets cut
        (stratified, the same for every seed) from the source training cells
        / the target pool when the dataset has no validation split.
      learning_rate: Adam's, every training.
      bn_momentum: of the batch normalisations' moving statistics.
      bn_recalibration_images: training images the BatchNorm statistics are
        re-estimated from after every epoch, before validation
        (``common.training.BatchNormRecalibration``): a fine-tuning on a few
        hundred labelled cells takes 2-8 steps of 128 per epoch, far too few
        for the moving averages to leave the source's (or the initial 0 / 1)
        statistics, and the validation loss that stops it would then measure
        stale statistics (the notebook measured a moving variance of 0.030
        against a batch variance of 0.0019 after 34 steps at momentum 0.9).
      criteria: the uncertainty criteria compared at the headline budget.
      criteria_seeds: how many of ``seeds`` run the ones other than entropy
        (entropy is IN-AL itself).
      tsne_points: test cells in the t-SNE of RS and IN-AL (first seed).
      validation_keeps_duplicates: a validation cell's pixel-identical twins
        are held out with it (I3A holds 194 NuMem cells twice; without it
        about 25-30 validation cells had a copy in the pool, issue #31 item 5).
      run_eagerly: Keras eager execution (smoke: tracing costs more than its
        few steps).
    """

    wavelet: str
    budgets: tuple[int, ...]
    headline_budget: int
    initial_fraction: float
    step_fraction: float
    rotation_copies: int
    source_samples_per_epoch: int | None
    source_validation_fraction: float
    validation_fraction: float
    learning_rate: float
    bn_momentum: float
    bn_recalibration_images: int | None
    criteria: tuple[str, ...]
    criteria_seeds: int
    tsne_points: int
    validation_keeps_duplicates: bool = optional(False)
    run_eagerly: bool = optional(False)


#: Measured images per CPU-second (the lower ends of the table above):
#: (train all layers, train with the early layers frozen, predict).
SPEED = {112: (105, 233, 389), 64: (304, 672, 1110), 48: (601, 1218, 1895)}
WALL_PER_CPU = 1.5
#: Epochs assumed by the estimate: per labelling round, per single fit,
#: for the initial learning.
NOMINAL_EPOCHS = (15, 20, 25)
PESSIMISTIC_EPOCHS = (25, 30, 40)
#: Sizes of the real datasets after the validation cuts: I3A ap80 (pool,
#: validation, test) and SNPHEp-2 (train, validation, test).
I3A_AP80 = (9_760, 1_116, 2_720)
SNPHEP2 = (724, 181, 979)

SETTINGS = ActiveTransferSettings(
    wavelet="haar", budgets=paper.BUDGETS, headline_budget=paper.HEADLINE_BUDGET,
    initial_fraction=paper.INITIAL_FRACTION, step_fraction=paper.STEP_FRACTION,
    rotation_copies=paper.ROTATION_COPIES, source_samples_per_epoch=None,
    source_validation_fraction=0.2, validation_fraction=0.1,
    learning_rate=paper.LEARNING_RATE, bn_momentum=0.9, bn_recalibration_images=512,
    criteria=paper.CRITERIA, criteria_seeds=3, tsne_points=1000,
    validation_keeps_duplicates=True)
MULTI_SEED_ROWS = ("initial", "in_al", "in_rs", "al", "rs")
COMMON_REDUCTIONS = (
    "target: I3A Task 1 (13,596 cells, `i3a_task1/ap80`: 80 / 20 % train / test) "
    "instead of LSHEp-2 (63,445 cells), which cannot be had; same six classes",
    "a stratified 10 % of the target's training cells is the validation set for early "
    "stopping (the paper validated on its test set), with the pixel-identical twins of its "
    "cells (I3A's duplicated NuMem cells); the other cells are the pool the budgets are "
    "fractions of (the paper's: 50,758)",
    "a stratified 20 % of SNPHEp-2's training cells is the initial learning's "
    "validation set; its score is on the official test set",
    "optimiser Adam, batch 128, BN momentum 0.9 (the paper gives the learning rate "
    "0.001, the stopping rule and, for its comparison models, batch 128)",
    "BatchNorm statistics re-estimated from up to 512 training images after every "
    "epoch, before validation (short fine-tunings would otherwise validate stale "
    "statistics)",
    "early stopping on the validation loss for every fine-tuning (the text says \"the "
    "loss\"); the weights of the lowest validation loss are kept",
    "3 seeds for the initial learning, each of the four cases and the criteria comparison "
    "(the paper reports single runs)",
)

CPU = Profile(
    name="cpu",
    description="the paper's protocol at 64 px on every budget of Fig. 16, every fine-tuning "
                "early-stopped on the validation loss; about 9-14 CPU-hours",
    image_size=64, batch_size=paper.BATCH_SIZE, epochs={"*": 100}, patience=paper.PATIENCE,
    seeds=(0, 1, 2), multi_seed_rows=MULTI_SEED_ROWS,
    reductions=("cells resized to 64×64 instead of 112×112 (DWT 32×32, fusion at 8×8): "
                "3× less compute per image, what fits every budget and 3 seeds of every case "
                "into 9-14 CPU-hours (arithmetic in reproductions/active_transfer/profiles.py)",
                "every training capped at 100 epochs (the paper gives no cap)")
               + COMMON_REDUCTIONS,
    settings=SETTINGS)

PROFILES = {
    "smoke": profiles.smoke(
        image_size=32, multi_seed_rows=("in_al",),
        subset={"source_train": 20, "source_validation": 10, "source_test": 10,
                "pool": 24, "validation": 12, "test": 18},
        reductions=("32×32 cells", "1 epoch per training, batch 8",
                    "20 / 10 / 10 source cells, a pool of 24 target cells, 12 validation, "
                    "18 test", "budgets 20 and 100 %", "rotation set: 4 copies, 16 images "
                    "per epoch", "2 seeds for IN-AL only; criteria on the first seed",
                    "eager execution"),
        settings=SETTINGS.replace(budgets=(20, 100), rotation_copies=4,
                                  source_samples_per_epoch=16, criteria_seeds=1,
                                  tsne_points=18, run_eagerly=True)),
    "cpu": CPU,
    "paper": Profile(
        name="paper",
        description="the protocol of §3 at 112 px on every budget of Fig. 16; needs a GPU",
        image_size=paper.INPUT_SIZE, batch_size=paper.BATCH_SIZE, epochs={"*": 500},
        patience=paper.PATIENCE, seeds=(0, 1, 2), multi_seed_rows=MULTI_SEED_ROWS,
        reductions=("every training capped at 500 epochs (early stopping ends it long "
                    "before; the paper gives no cap)",) + COMMON_REDUCTIONS,
        settings=SETTINGS),
}


def estimated_hours(profile: Profile, epochs=NOMINAL_EPOCHS, *, target=I3A_AP80,
                    source=SNPHEP2, speed=None) -> float:
    """Wall-clock hours of ``profile``'s full command on the 2-core machine
    alone, from :data:`SPEED` (or ``speed``) and ``epochs`` = (per labelling
    round, per single fine-tuning, initial learning). Counts every training
    epoch (the cells it trains on plus a validation pass), every scoring of
    the unlabelled pool, every test pass; fine-tunings shared between loops
    (round 0 of the criteria, the 100 % budget) once."""
    per_round, per_fit, per_source = epochs
    full, frozen, predict = (WALL_PER_CPU * s for s in (speed or SPEED[profile.image_size]))
    pool, validation, test = target
    settings = profile.settings

    def fit(cells, n_epochs, train_speed):
        return n_epochs * (cells / train_speed + validation / predict) + test / predict

    def active(fraction, train_speed, skip_first=False):
        plan = budget_plan(pool, fraction, initial_fraction=settings.initial_fraction,
                           step_fraction=settings.step_fraction)
        seconds = test / predict
        for r, labelled in enumerate(plan.labelled_after()):
            if r:
                seconds += (pool - plan.labelled_after()[r - 1]) / predict  # scoring
            if r or not skip_first:
                seconds += fit(labelled, per_round, train_speed) - test / predict
        return seconds

    def seeds(row):
        return len(profile.seeds_for(row))

    s_train, s_val, s_test = source
    per_epoch = settings.source_samples_per_epoch or s_train * settings.rotation_copies
    seconds = seeds("initial") * (per_source * (per_epoch / full + s_val / predict)
                                  + s_test / predict)
    budgets = [b / 100 for b in settings.budgets if b < 100]
    for init, speed_ in (("in_", frozen), ("", full)):
        single = sum(fit(round_half_up(f * pool), per_fit, speed_) for f in budgets)
        if 100 in settings.budgets:
            single += fit(pool, per_fit, speed_)
        seconds += seeds(init + "rs") * single
        seconds += seeds(init + "al") * sum(active(f, speed_) for f in budgets)
    others = [c for c in settings.criteria if c != "entropy"]
    criteria_seeds = min(settings.criteria_seeds, len(profile.seeds))
    seconds += criteria_seeds * len(others) * active(settings.headline_budget / 100, frozen,
                                                     skip_first=True)
    return seconds / 3600


def at_size(profile: Profile, image_size: int) -> Profile:
    """``profile`` at another input size (for :func:`estimated_hours`)."""
    return dataclasses.replace(profile, image_size=image_size)

