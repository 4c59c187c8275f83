"""The three profiles of the DRSN-DC reproduction (data, not code).

The profiles' own settings are :class:`DRSNDCSettings`.

The cpu profile's 64-px input size was chosen by measurement: the benchmark
table and the budget it gives are in ``reproductions/drsn_dc/NOTES.md``
(*The cpu profile's input size, by measurement*).
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
