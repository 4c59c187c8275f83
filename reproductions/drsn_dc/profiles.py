"""The three profiles of the DRSN-DC reproduction (data, not code).

The profiles' own settings are :class:`DRSNDCSettings`.

The cpu profile's input size, by measurement
--------------------------------------------
``python -m reproductions.drsn_dc.benchmark`` (``train_on_batch`` with Adam,
batch 32, after two warm-up steps; 5 batches), on the shared 2-core Xeon
@ 2.5 GHz at load average 8-12 (other training runs; about one core for
us). Train images/s on the wall clock / from this process's CPU time
(≈ the machine alone with both cores busy); inference (``predict_on_batch``)
from CPU time:

=========================  =========  ==========  =========  ========================
network                    48 px      64 px       96 px      inference (48 / 64 / 96)
=========================  =========  ==========  =========  ========================
ResNet50                   66 / 151   35 / 113    24 / 57    593 / 482 / 267
                                      31 / 116               (64 px, measured again)
DRSN-DC (32 per branch)    17 / 73    23 / 51     12 / 26    367 / 199 / 118
DRSN-DC (16 per branch)               11 / 61                - / 271
+ shrinkage only (drsn)               18 / 71                - / 376
AlexNet                    136 / 392  47 / 340               2603 / 1818
GoogLeNet                  187 / 485  79 / 320               1939 / 1360
VGG-19                     10 / 63    9 / 41                 266 / 155
=========================  =========  ==========  =========  ========================

DRSN-DC trains at 0.45× ResNet-50's speed at every size: the 16 soft
thresholds' FC layers (Zhao et al.'s, as wide as the channels: 40.3 M of its
64.2 M weights) and Adam's update of them cost as much per step as the
convolutions at these sizes (shrinkage alone: 0.62×); the dilated module
(the first convolution then reads 96 channels) takes it from 0.62× to 0.45×.
Going from 64 to 48 px gains only 1.3-1.5× (the per-step cost does not
shrink with the image) and shrinks cells that are 54-111 px in I3A to
three quarters of the 64-px size; 96 px halves the speed again. **64 px**: the
cells keep about their native resolution.

Budget at 64 px, taking 0.75 × the CPU-time figures for the machine alone
(ResNet50 86 / DRSN-DC 38 / shrinkage only 53 / AlexNet 255 / GoogLeNet 240
/ VGG-19 31 train images/s; 380 / 150 / 280 / 1360 / 1020 / 116 inference):
an epoch is 8,609 training images (``i3a_task1/dri_blocks``) plus 2,186
validation and 512 BatchNorm-recalibration images at inference speed; at 20
epochs per run (best epoch ~15 + patience 5) that is ResNet50 36 min,
DRSN-DC 81 min (3 seeds each: 108 + 244 min), the two ablation steps 57 + 81
min, VGG-19 101 min, AlexNet 12 min, GoogLeNet 13 min: **≈ 10.3 CPU-hours**,
plus about 10 minutes of tracing, testing and loading. The cap (40 epochs)
bounds a run at twice that; at today's load the wall clock is 2-4× longer.

The machines differ (measured 2026-12-03, same command, 64 px, the machine
alone): on an AMD EPYC (AVX2, no AVX-512) TensorFlow leaves its oneDNN kernels
off, and ResNet50 / DRSN-DC train at 14.0 / 9.0 images/s; with them on (as
every command now does, ``reproductions.common.tf_runtime.prefer_onednn``)
34.0 / 17.5 — still 2-3× below the Xeon's figures above. There a DRSN-DC
epoch takes about 8.5-11 minutes with its validation (first epoch of seed 0
without oneDNN: 22 minutes; a ResNet50 epoch 5.5 minutes) and a converged
run about 3 hours, longer than one working session of ours: such a run is
resumed from its last epoch in the next session when its checkpoint in
``~/.cache/hep2repro`` is still there (usually; it was lost between some
sessions), and made alone on the Xeon (``lscpu``: an Intel Xeon with AVX-512
flags) when one is available.
"""
import dataclasses

from reproductions.common.profiles import Profile, Settings, optional
from reproductions.drsn_dc.paper import INPUT_SIZE
from reproductions.drsn_dc.protocol import LEARNING_RATE


@dataclasses.dataclass(frozen=True)
class DRSNDCSettings(Settings):
    """The DRSN-DC profiles' own settings (``profile.settings``).

    Attributes:
      learning_rate: Adam's (not in the paper; ``protocol.LEARNING_RATE``).
      whole_expanded_set: an epoch is every one of the 144 versions of every
        training image (the paper's expanded set, §4.1) when true; otherwise an
        epoch draws as many versions as there are training images (without
        replacement from the expanded set, reshuffled every epoch).
      bn_recalibration_images: BatchNorm moving statistics re-estimated from
        that many training images after every epoch, before validation
        (``reproductions.common.training.BatchNormRecalibration``; ``None``: off).
      run_eagerly: Keras eager execution (smoke only: tracing these networks
        takes longer than a few smoke steps).
    """

    learning_rate: float
    whole_expanded_set: bool
    bn_recalibration_images: int | None
    run_eagerly: bool = optional(False)


MULTI_SEED_ROWS = ("resnet50", "drsn_dc")
NOT_IN_THE_PAPER = ("Adam, learning rate 1e-4, softmax cross-entropy for every network, batch "
                    "32 in the cpu and paper profiles (the paper gives no optimiser, learning "
                    "rate, batch size or epochs)")
STAND_IN = ("I3A Task 1 cells (6 classes, specimen-block split 64/16/20 %) instead of the "
            "paper's private 9-class whole-specimen ANA images: only the ranking of the "
            "rows is comparable")
SPLIT_FIRST = ("split first, then the 144 rotation/flip versions drawn from the training "
               "split only (the paper expands before splitting, §4.1)")

PROFILES = {
    "smoke": Profile(
        name="smoke",
        description="seconds per network on a few images; checks that everything runs",
        image_size=32, batch_size=8, epochs={"*": 1}, seeds=(0, 1),
        multi_seed_rows=MULTI_SEED_ROWS,
        subset={"train": 24, "validation": 12, "test": 12},
        reductions=("32×32 inputs (the smallest ResNet-50 takes)",
                    "24 / 12 / 12 train / validation / test images, 1 epoch of 24 "
                    "rotated/flipped versions, batch 8", "2 seeds for ResNet50 and DRSN-DC",
                    "eager execution (no graph tracing, which would take longer than the "
                    "few steps themselves)", NOT_IN_THE_PAPER),
        settings=DRSNDCSettings(learning_rate=LEARNING_RATE, whole_expanded_set=False,
                                bn_recalibration_images=8, run_eagerly=True)),
    "cpu": Profile(
        name="cpu",
        description="the protocol at 64 px on a 2-core CPU, every network trained until its "
                    "validation loss stops improving (about 10 CPU-hours for the tables)",
        image_size=64, batch_size=32, epochs={"*": 40}, patience=5, seeds=(0, 1, 2),
        multi_seed_rows=MULTI_SEED_ROWS,
        reductions=(
            "64×64 inputs instead of 224×224 (measured: profiles.py; I3A cells are 54-111 px)",
            "an epoch draws as many rotated/flipped versions as there are training images "
            "(8,609), not the whole 144× expanded set",
            "every network trained until its validation loss has not improved for 5 epochs "
            "(early stopping), capped at 40 epochs (the paper gives no number)",
            "BatchNorm moving statistics re-estimated from 512 training images after every "
            "epoch, before validation (Keras' moving averages lag the weights of networks "
            "trained from scratch for the first epochs, measured for ResNet-50 and Xception "
            "in the Super-Xception reproduction)",
            "3 seeds for ResNet50 and DRSN-DC (the paper's claim rests on them), 1 for the "
            "other networks and the ablation (the paper reports single runs)",
            NOT_IN_THE_PAPER, STAND_IN, SPLIT_FIRST),
        settings=DRSNDCSettings(learning_rate=LEARNING_RATE, whole_expanded_set=False,
                                bn_recalibration_images=512)),
    "paper": Profile(
        name="paper",
        description="224×224 inputs, every epoch the whole 144× expanded training set; "
                    "needs a GPU",
        image_size=INPUT_SIZE, batch_size=32, epochs={"*": 20}, patience=3, seeds=(0, 1, 2),
        multi_seed_rows=MULTI_SEED_ROWS,
        reductions=(
            NOT_IN_THE_PAPER,
            "early stopping after 3 epochs without a lower validation loss, capped at 20 "
            "epochs of the expanded set (the paper gives no number)",
            "3 seeds for ResNet50 and DRSN-DC (the paper reports single runs)",
            STAND_IN, SPLIT_FIRST),
        settings=DRSNDCSettings(learning_rate=LEARNING_RATE, whole_expanded_set=True,
                                bn_recalibration_images=None)),
}
