"""The three profiles of the DRI reproduction (data, not code).

``extra`` keys:

* ``copies``: rotated versions per class (§3.2), ``{"golgi": 60, "*": 20}``.
* ``samples_per_epoch``: images drawn per epoch from the augmented set
  (``None``: all 192,540, each once).
* ``steps_per_decay``: Caffe ``stepsize`` of the γ = 0.79 learning-rate steps
  (``None``: the run's iterations / 29, the paper's 290,000 / 10,000 shape).
* ``base_lr``: initial learning rate (the paper: 0.001).
* ``run_eagerly``: Keras eager execution (smoke only: tracing the training
  graph of these networks takes longer than a few smoke steps).
"""
from reproductions.common.profiles import Profile
from reproductions.dri.data import PAPER_COPIES

ROWS = ("shallow_inception", "sri", "inception", "dri")
MULTI_SEED_ROWS = ("inception", "dri")

PROFILES = {
    "smoke": Profile(
        name="smoke",
        description="seconds per row on a few images; checks that everything runs",
        image_size=76, batch_size=8, epochs={"*": 1}, seeds=(0, 1),
        multi_seed_rows=("dri",),
        subset={"train": 48, "validation": 12, "test": 12},
        reductions=("48 / 12 / 12 train / validation / test images",
                    "1 epoch of 16 rotated images, batch 8",
                    "2 seeds for DRI only",
                    "eager execution (no graph tracing, which would take longer than "
                    "the few steps themselves)"),
        extra={"copies": PAPER_COPIES, "samples_per_epoch": 16, "steps_per_decay": None,
               "base_lr": 1e-3, "run_eagerly": True}),
    "cpu": Profile(
        name="cpu",
        description="the paper's protocol scaled to a 2-core CPU (~90 min for the tables)",
        image_size=76, batch_size=24, epochs={"*": 3}, seeds=(0, 1, 2),
        multi_seed_rows=MULTI_SEED_ROWS,
        subset={"validation": 360},
        reductions=(
            "3 epochs of 2,400 images drawn (class-balanced, without replacement) from "
            "the 192,540-image rotation-augmented set = 300 iterations of 24 instead of "
            "290,000 (0.1 % of the paper's training)",
            "learning rate 0.001 decayed by 0.79 every 10 iterations (the paper's 29 "
            "steps over the shorter run)",
            "model selection on a stratified 360-image subset of the 2,176 validation "
            "cells (the test split is complete: 2,719 cells)"),
        extra={"copies": PAPER_COPIES, "samples_per_epoch": 2_400, "steps_per_decay": None,
               "base_lr": 1e-3}),
    "paper": Profile(
        name="paper",
        description="the exact protocol of §2.3 and §3.2 (290k iterations); needs a GPU",
        image_size=76, batch_size=24, epochs={"*": 36}, seeds=(0, 1, 2),
        multi_seed_rows=MULTI_SEED_ROWS,
        reductions=(
            "36 passes over the 192,540-image augmented set = 288,828 iterations of 24 "
            "(the paper: 290,000; the rest would be a partial 37th pass)",
            "learning-rate step of 10,000 iterations (not stated in the paper)",
            "weights of the epoch with the lowest validation loss are tested (the paper "
            "does not say how it chose the model)",
            "3 seeds for DRI and Inception (the paper reports one run)"),
        extra={"copies": PAPER_COPIES, "samples_per_epoch": None, "steps_per_decay": 10_000,
               "base_lr": 1e-3}),
}
