"""The profiles of the DCAE reproduction (data, not code).

``image_size`` is the autoencoder's input side. The profiles' own settings are
:class:`DCAESettings`.

How the cpu profile was chosen (measured). One training step of the
autoencoder (graph mode, Adam, MSE, batch 32, median of 6 steps after 2
warm-up steps; ``/tmp`` script, ``train_on_batch`` on random images) at
candidate settings, with latent_dim 4096 throughout, on the shared 2-core Xeon
while two other trainings ran (load average 8-12, so wall-clock times are
meaningless): process CPU seconds per step (both threads):

=====  =====  ===========  ===============  =================
input  width  parameters   CPU-s per step   CPU-s per image
=====  =====  ===========  ===============  =================
 64    1/4     16,975,617  0.35             0.011
 96    1/4     37,947,137  0.59             0.018
112    1/4     51,578,625  0.79             0.025
128    1/4     67,307,265  1.09, 1.22       0.034-0.038
 64    1/2     34,334,209  0.92             0.029
112    1/2    103,540,225  1.70             0.053
128    1/2    134,997,505  2.57             0.080
 64    1       70,212,609  2.19             0.068
224    1      825,187,329  (not measured: the paper's network needs ~17 GB to train)
=====  =====  ===========  ===============  =================

Budget of the autoencoders (the only expensive rows): an epoch is 815 training
+ 90 validation cells (validation is a forward pass, ~1/3 of a training step),
~845 image-equivalents on the official split and ~423 on a fold, so one epoch
of all 8 runs (3 seeds + 5 folds) is ~4,650. With the epoch cap of 100 (early
stopping usually ends sooner): 128 px × 1/4 costs 4,650 × 100 × 0.036 =
16,700 CPU-s = 4.6 CPU-hours at worst; 128 × 1/2 would be 10.3 and 112 × 1/2
6.9 CPU-hours for the autoencoders alone. The other rows are cheap: the ANN
(1.1 M weights on 4096-d vectors), Gao's CNN (50,597 weights at 78 px),
feature extraction, the SVM and probe grids and t-SNE take minutes. So the cpu
profile is **128 px, width 1/4, latent 4096** (≤ ~6 CPU-hours for the whole
command, ~3-4 h on the idle 2-core machine).

The autoencoder's learning rate (measured). Three epochs of the cpu setting on
the real SNPHEp-2 training split (815 cells, validation on the 90 carved
ones, seed 0, batch 32): Adam 1e-3 took the validation MSE from 0.0865 to
0.0398 and 0.0222 (48 % of the 4096 latent units were zero on every
validation cell afterwards: dead ReLUs, the rest carry the features); Adam
1e-4 from 0.0897 to 0.0894 and 0.0891 (23 % dead). So the cpu profile uses 1e-3.
The paper profile's 1e-4 is that rate scaled by Conv5's fan-in (8·8·128 = 8,192
here, 14·14·512 = 100,352 in Table I: Adam moves every weight by about the
learning rate, so a pre-activation moves with the fan-in); it is not measured.

What it keeps: Table I's topology exactly (four 3×3 conv + 2×2 switch-recording
max-pool stages, Conv5 to a 1×1×4096 latent vector, the mirrored
Deconv5/Unpool/Deconv decoder using the matching pool's switches), so the ANN
is the paper's 4096-250-50-5; and the cells' native resolution (SNPHEp-2 crops
are 32-125 px: 128 px keeps every cell at or above its imaged size, 224 px
only interpolates). What it reduces: the maps of Conv1-Conv4 to 16, 32, 64,
128, and so Conv5 / Deconv5 from 14·14·512·4096 to 8·8·128·4096 weights each
(67 M parameters instead of 825 M).
"""
import dataclasses

from reproductions.common import profiles
from reproductions.common.profiles import Profile, Settings, optional
from reproductions.dcae.paper import GAO_INPUT_SIZE, INPUT_SIZE, LATENT


@dataclasses.dataclass(frozen=True)
class DCAESettings(Settings):
    """The DCAE profiles' own settings (``profile.settings``).

    Attributes:
      width: multiplier of the maps of Conv1-Conv4 and their mirrored
        deconvolutions (1: Table I's 64, 128, 256, 512).
      latent_dim: Conv5's maps, the feature vector the ANN reads (4096).
      ae_learning_rate: Adam's learning rate for the autoencoder.
      gao_size: input side of Gao et al.'s CNN (78 in their paper).
      gao_rotations: rotated versions of each training cell for Gao's CNN,
        ``360° / gao_rotations`` apart, every version once per epoch. Gao et al.'s
        augmentation as the DCAE paper credits it to them ("rotation in different
        angles"); the step, 18° (×20), is the one Vununu et al.'s 2021 paper (same
        first author, §3.1) gives "as proposed in" Gao et al. for SNPHEp-2.
      feature_size: side the cells are resized to for the texture and LBP
        features (64 ≈ the median SNPHEp-2 crop, so most cells are resized by less
        than 2× and the LBP radii 1-3 px measure texture at the imaged scale).
      folds: which official Split-50-k folds to run (every row, first seed).
      validation_fraction: of the training split, carved off for validation.
      run_eagerly: Keras eager execution (smoke only).
      split: ``"official"``: SNPHEp-2's specimen-disjoint train / test sets;
        ``"cell_level"``: both pooled and split again per seed, stratified,
        with the official sizes (specimens mixed; ``data.cell_level_split``,
        issue #34's verdict experiment).
      conv5_input: where Conv5 reads: ``"pool4"`` (Table I as run) or
        ``"conv4"`` (before Pool 4; ``models.DCAE``), the second factor of the
        cell-level follow-up rule (``reproductions/dcae/screen.py``).
    """

    width: float
    latent_dim: int
    ae_learning_rate: float
    gao_size: int
    gao_rotations: int
    feature_size: int
    folds: tuple[int, ...]
    validation_fraction: float
    run_eagerly: bool = optional(False)
    split: str = optional("official")
    conv5_input: str = optional("pool4")


#: Fraction of the training split carved off for validation (stratified).
VALIDATION_FRACTION = 0.1
#: The official folds (configs ``split_1`` … ``split_5``).
FOLDS = (1, 2, 3, 4, 5)

#: The splits a profile may test on (``DCAESettings.split``).
SPLITS = ("official", "cell_level")
MULTI_SEED_ROWS = ("gao_cnn", "dcae_autoencoder", "dcae")
GAO_ROTATIONS = 20  # 18° apart (see DCAESettings.gao_rotations)
EPOCH_CAPS = {"dcae_autoencoder": 100, "*": 200}

#: The committed cpu profile (results/dcae/).
CPU = Profile(
    name="cpu",
    description="Table II, the official folds and the linear probe with the DCAE at "
                "128 px and 1/4 of Table I's maps (same topology, latent 4096), every "
                "network trained until its validation loss stops improving; "
                "≤ ~6 CPU-hours",
    image_size=128, batch_size=32, epochs=EPOCH_CAPS, patience=10,
    seeds=(0, 1, 2), multi_seed_rows=MULTI_SEED_ROWS,
    reductions=(
        "DCAE input 128×128 instead of 224×224 (SNPHEp-2 crops are 32-125 px, so "
        "128 px keeps each cell at or above its imaged resolution) and 1/4 of Table I's "
        "maps (Conv1-Conv4: 16, 32, 64, 128; Conv5 8×8 → 1×1×4096, Deconv5 8×8): the same "
        "topology and latent size, 67 M instead of 825 M parameters (measurement in "
        "reproductions/dcae/profiles.py)",
        "every network trained until its validation loss has not improved for 10 epochs "
        "(early stopping), capped at 100 epochs (autoencoder) / 200 (ANN, Gao's CNN); the "
        "weights of the lowest validation loss are used (the paper gives no schedule)",
        "validation: a stratified 10 % of the training split (seeded, the same cells "
        "for every row and seed), never the test split",
        "optimiser, learning rate and batch size are not stated: Adam 1e-3 for every "
        "network (for the autoencoder chosen by a 3-epoch probe against 1e-4, see "
        "reproductions/dcae/profiles.py), batches of 32",
        "3 seeds for the DCAE (autoencoder + ANN) and Gao's CNN, 1 for the "
        "deterministic SVM rows (the paper reports single runs)",
        "the five official Split-50-k folds run for every row (first seed)"),
    settings=DCAESettings(width=1 / 4, latent_dim=LATENT, ae_learning_rate=1e-3,
                          gao_size=GAO_INPUT_SIZE, gao_rotations=GAO_ROTATIONS,
                          feature_size=64, folds=FOLDS,
                          validation_fraction=VALIDATION_FRACTION))

PROFILES = {
    "smoke": profiles.smoke(
        image_size=32, epochs={"dcae_autoencoder": 2, "*": 1},
        multi_seed_rows=("dcae_autoencoder", "dcae"),
        subset={"train": 40, "test": 20}, patience=1,
        reductions=("40 / 20 train / test cells (5 of the training cells, one per class, "
                    "for validation)",
                    "autoencoder at 32 px with 1/16 of Table I's maps (4, 8, 16, 32), "
                    "latent 4096", "Gao's CNN at 42 px with 4 rotations (90° apart), "
                    "features at 32 px",
                    "2 autoencoder epochs, 1 epoch for the classifiers",
                    "fold 1 only", "2 seeds for the DCAE rows only",
                    "eager execution (no graph tracing, which would take longer than the "
                    "few steps themselves)"),
        settings=DCAESettings(width=1 / 16, latent_dim=LATENT, ae_learning_rate=1e-3,
                              gao_size=42, gao_rotations=4, feature_size=32, folds=(1,),
                              validation_fraction=VALIDATION_FRACTION, run_eagerly=True)),
    "cpu": CPU,
    # the cpu protocol on issue #34's cell-level split (NOTES.md): only the split,
    # the folds and the SVMs' seeds differ
    "cell_level": dataclasses.replace(
        CPU, name="cell_level",
        description="issue #34's verdict experiment: the cpu profile's networks and "
                    "settings on a cell-level split of SNPHEp-2 (all 1,884 cells pooled, a "
                    "stratified 905 / 979 split per seed, specimens mixed), every row on 3 "
                    "seeds, no folds; ~4-6 h on an idle 2-core machine",
        multi_seed_rows=("texture_svm", "lbp_svm") + MULTI_SEED_ROWS,
        reductions=CPU.reductions[:2] + (
            "split: not SNPHEp-2's specimen-disjoint train (905) / test (979) sets but, per "
            "seed s, all 1,884 cells pooled and split again with the same sizes, stratified "
            "by class and by official half, drawn with seed s: test cells share specimens "
            "with training cells (the protocol the paper's numbers imply, issue #34; fixed "
            "in reproductions/dcae/NOTES.md, *Verdict experiment: cell-level split*)",
            "validation: a stratified 10 % of each seed's cell-level training cells, drawn "
            "with that seed, never the test cells",
            CPU.reductions[3],
            "3 seeds for every row, the SVMs included (each seed has its own split)",
            "no Split-50-k folds (they are subsets of the specimen-disjoint halves)"),
        settings=CPU.settings.replace(folds=(), split="cell_level")),
    "paper": Profile(
        name="paper",
        description="Table I's DCAE at 224×224 (825 M parameters) and the paper's ANN; "
                    "needs a GPU with ≥ 24 GB",
        image_size=INPUT_SIZE, batch_size=32, epochs=EPOCH_CAPS, patience=10,
        seeds=(0, 1, 2), multi_seed_rows=MULTI_SEED_ROWS,
        reductions=(
            "optimiser, learning rate, batch size (32) and epochs are not stated: Adam "
            "(1e-4 for the autoencoder: the cpu profile's measured 1e-3 scaled by Conv5's "
            "fan-in, 8,192 → 100,352; 1e-3 for the classifiers), early stopping after 10 "
            "epochs without a lower validation loss, capped at 100 / 200 epochs",
            "validation: a stratified 10 % of the training split (seeded), never the test "
            "split",
            "3 seeds for the DCAE and Gao's CNN (the paper reports single runs)",
            "the five official Split-50-k folds run for every row (first seed)"),
        settings=DCAESettings(width=1.0, latent_dim=LATENT, ae_learning_rate=1e-4,
                              gao_size=GAO_INPUT_SIZE, gao_rotations=GAO_ROTATIONS,
                              feature_size=64, folds=FOLDS,
                              validation_fraction=VALIDATION_FRACTION)),
}
