"""The profiles of the Super-Xception reproduction (data, not code)."""
import dataclasses
from typing import Mapping

from reproductions.common import profiles
from reproductions.common.profiles import Profile, Settings, optional


@dataclasses.dataclass(frozen=True)
class SuperXceptionSettings(Settings):
    """The Super-Xception profiles' own settings (``profile.settings``).

    Attributes:
      low_res: side of the low-resolution input the networks see (§4: 50).
      length_normalization: scale every chromosome by its karyotype's
        longest before padding (§3.1); ``--no-length-normalization`` turns
        it off.
      bn_recalibration_images: training images the BatchNorm moving
        statistics are re-estimated from after every epoch (``None``: Keras'
        moving averages as they are).
      learning_rate: Adam's learning rate per row (``{"row": rate, "*":
        rate}``) in place of the paper's optimisers (``None``: the paper's;
        the demo only).
      ablation: run the length-normalisation ablation (the demo: no).
    """

    low_res: int
    length_normalization: bool
    bn_recalibration_images: int | None = optional(None)
    learning_rate: Mapping[str, float] | None = optional(None)
    ablation: bool = optional(True)


PAPER_EPOCHS = {"deep_cnn": 150, "resnet50": 30, "super_alexnet": 100,
                "super_resnet": 30, "xception": 50, "super_xception": 80}

#: Early-stopping patience: a tenth of the paper's epochs, at least 5. A schedule
#: written for 150 epochs moves less per epoch than one written for 30, and its
#: noisy validation loss needs longer to show a new low: with 5 for every row
#: the Deep CNN (Adam 1e-4, sigmoid layers) stopped at epoch 48 of 150 with its
#: training and validation losses still falling (training accuracy 73 %).
PATIENCE = {row: max(5, round(epochs / 10)) for row, epochs in PAPER_EPOCHS.items()}

CPU = Profile(
    name="cpu",
    description="the paper's protocol at 72 px on a 2-core CPU, every row trained until "
                "its validation loss stops improving (about 10 CPU-hours for the table)",
    image_size=72, batch_size=32, epochs=PAPER_EPOCHS, patience=PATIENCE,
    seeds=(0, 1, 2), multi_seed_rows=("xception", "super_xception"),
    reductions=(
        "50×50 inputs upsampled to 72×72 instead of 227×227 (about 10× less compute "
        "per image; 72 is just above Xception's minimum of 71)",
        "every row trained until its validation loss has not improved for a tenth of "
        "the paper's epochs, at least 5 (early stopping: 15 / 5 / 10 / 5 / 5 / 8 epochs), "
        "capped at the paper's 150 / 30 / 100 / 30 / 50 / 80 epochs (Deep CNN / "
        "ResNet-50 / Super-AlexNet / Super-ResNet / Xception / Super-Xception); the "
        "weights of the lowest validation loss are tested, as in §5.2",
        "batch size 32 (not stated in the paper)",
        "every network trained from scratch (the paper does not say; ImageNet weights "
        "would need 3-channel 227×227 inputs and cannot be downloaded here)",
        "BioImLab chromosomes are not straightened (the paper assumes straightened ones)",
        "all 5,474 BioImLab images in karyotype-grouped splits instead of the paper's "
        "unspecified 5,256-image subset",
        "BatchNorm moving statistics re-estimated from 512 training images after every "
        "epoch, before validation: Keras' moving averages lag the weights for the first "
        "epochs (validation accuracy at chance while training accuracy climbs, measured "
        "for Xception at 72 px), which would make the validation loss, and so early "
        "stopping and model selection, meaningless early in a run",
        "3 seeds for Xception and Super-Xception (the claim rests on them), 1 for the "
        "other rows (the paper reports single runs)"),
    settings=SuperXceptionSettings(low_res=50, length_normalization=True,
                                   bn_recalibration_images=512))

DEMO = Profile(
    name="demo",
    description="the default: a 5-10 minute demonstration (2-core machine) that every network of the table "
                "learns, on a few hundred chromosomes (Adam 1e-3, a few epochs per row); "
                "not the reproduction (that is cpu)",
    image_size=71, batch_size=32, epochs={"deep_cnn": 30, "super_alexnet": 8, "*": 2},
    subset={"train": 600, "validation": 120, "test": 240},
    reductions=(
        "input upsampled to 71×71 instead of 227×227 (71 is Xception's minimum)",
        "600 / 120 / 240 train / validation / test chromosomes (stratified subsets)",
        "Adam with learning rate 1e-3 for every row but Super-AlexNet (Adam 1e-4, which "
        "does not learn at 1e-3) instead of the paper's optimisers (Adam 1e-4; SGD for "
        "the ResNets), which learn too slowly for a demonstration",
        "30 epochs for the Deep CNN, 8 for Super-AlexNet and 2 for the other rows instead "
        "of 150 / 30 / 100 / 30 / 50 / 80; no early stopping",
        "BatchNorm moving statistics re-estimated from 256 training images after every "
        "epoch (see the cpu profile)",
        "one seed per row; no length-normalisation ablation"),
    settings=SuperXceptionSettings(low_res=50, length_normalization=True,
                                   bn_recalibration_images=256,
                                   learning_rate={"super_alexnet": 1e-4, "*": 1e-3},
                                   ablation=False))

PROFILES = {
    "demo": DEMO,
    "smoke": profiles.smoke(
        image_size=71, multi_seed_rows=("xception",),
        subset={"train": 48, "validation": 24, "test": 24},
        reductions=("input upsampled to 71×71 instead of 227×227 (71 is Xception's minimum)",
                    "1 epoch per row", "48 / 24 / 24 train / validation / test images",
                    "2 seeds for Xception only"),
        settings=SuperXceptionSettings(low_res=50, length_normalization=True,
                                       bn_recalibration_images=16)),
    "cpu": CPU,
    "quick": dataclasses.replace(
        CPU, name="quick",
        description="a fast look (~95 min on an idle 2-core machine): 1-8 epochs per row, "
                    "far from converged; not the reproduction (that is cpu)",
        epochs={"deep_cnn": 8, "resnet50": 1, "super_alexnet": 2, "super_resnet": 1,
                "xception": 2, "super_xception": 2},
        patience=None, multi_seed_rows=("deep_cnn", "xception", "super_xception"),
        reductions=(
            CPU.reductions[0],
            "epochs cut from 150 / 30 / 100 / 30 / 50 / 80 (Deep CNN / ResNet-50 / "
            "Super-AlexNet / Super-ResNet / Xception / Super-Xception) to "
            "8 / 1 / 2 / 1 / 2 / 2 (an Xception epoch takes ~3.5 min here and a "
            "Super-Xception epoch ~4.5 min; 2 epochs of the Xception family is what "
            "fits)",
            "all 5,474 BioImLab images in karyotype-grouped splits instead of the paper's "
            "unspecified 5,256-image subset",
            "BatchNorm moving statistics re-estimated from 512 training images after "
            "every epoch, before validation (with 2 epochs instead of 50 the default "
            "moving averages lag the weights and Xception / ResNet-50 predict one class "
            "in inference mode)")),
    "paper": Profile(
        name="paper",
        description="the exact protocol of §5 (227×227, paper epochs); needs a GPU",
        image_size=227, batch_size=32, epochs=PAPER_EPOCHS, seeds=(0, 1, 2),
        multi_seed_rows=("deep_cnn", "xception", "super_xception"),
        reductions=("batch size 32 (not stated in the paper)",
                    "all 5,474 BioImLab images in karyotype-grouped splits instead of the "
                    "paper's unspecified 5,256-image subset"),
        settings=SuperXceptionSettings(low_res=50, length_normalization=True)),
}
