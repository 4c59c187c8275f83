"""The leaderboard's profiles: one recipe for every network, as data.

The recipe's fields are :class:`Recipe` (``profile.settings``); the profile's
own fields give the input size, batch size, epoch cap, patience and seeds.
Why each value was chosen is in ``reproductions/leaderboard/NOTES.md``
(written, with the cpu profile, before any leaderboard test number existed;
``tests/leaderboard/test_profiles.py`` pins the cpu protocol's hash so that
a change after the fact shows).
"""
from __future__ import annotations

import dataclasses

from reproductions.common import profiles
from reproductions.common.profiles import Profile, Settings, optional


@dataclasses.dataclass(frozen=True)
class Recipe(Settings):
    """The common recipe (``profile.settings``), the same for every network.

    Attributes:
      learning_rate: Adam's, constant (β1 0.9, β2 0.999, ε 1e-7: Keras' defaults).
      augmentation: ``"dihedral"``: each training image, each time it is
        drawn, is one of its 8 rotations by 90° and mirror images, drawn
        statelessly from (seed, epoch, position).
      epoch_images: images per epoch in every setting (an epoch is the unit of
        validation, early stopping and the cap). A training split of n cells
        is repeated round(epoch_images / n) times (at least once), each copy
        with its own dihedral draw, and an epoch takes the first
        ``epoch_images`` of the shuffled copies.
      aux_loss_weight: weight of each auxiliary head's cross-entropy in a
        network with several heads (DRI, Inception; the main head: 1); such a
        network predicts with the sum of its heads' probabilities.
      bn_recalibration_images: BatchNorm statistics re-estimated from that
        many training images after every epoch, before validation.
      super_resolution_size: the side Super-Xception upsamples its input to
        before the SR block and Xception.
      validation_fraction, validation_seed: SNPHEp-2 has no validation split;
        a stratified ``validation_fraction`` of its official training cells,
        drawn once with ``validation_seed``, is held out for every network and
        seed (cells of the training specimens: no specimen ids exist).
      tta_views: test-time augmentation of the suite's entry: the mean
        probability over the first ``tta_views`` dihedral transforms.
      ensemble_sizes: ensembles the suite's entry considers: the k networks
        of a setting with the best validation MCA (same seed), mean of their
        probabilities.
      entry_settings: settings on which the suite's entry is chosen and scored.
      extra_seed_gap: after seed 0, a network whose MCA on an
        ``extra_seed_settings`` setting lies within this many points of a
        neighbour in that setting's order gets the profile's other seeds there.
      extra_seed_settings: where that rule applies.
      run_eagerly: Keras eager execution (smoke only: tracing costs more than
        its few steps).
    """

    learning_rate: float
    augmentation: str
    epoch_images: int
    aux_loss_weight: float
    bn_recalibration_images: int
    super_resolution_size: int
    validation_fraction: float
    validation_seed: int
    tta_views: int
    ensemble_sizes: tuple[int, ...]
    entry_settings: tuple[str, ...]
    extra_seed_gap: float
    extra_seed_settings: tuple[str, ...]
    run_eagerly: bool = optional(False)


CPU_RECIPE = Recipe(
    learning_rate=1e-3, augmentation="dihedral", epoch_images=4_352, aux_loss_weight=0.3,
    bn_recalibration_images=512, super_resolution_size=72, validation_fraction=0.2,
    validation_seed=0, tta_views=8, ensemble_sizes=(2, 3),
    entry_settings=("i3a_blocks", "snphep2"), extra_seed_gap=2.0,
    extra_seed_settings=("i3a_blocks", "snphep2"))

CPU_REDUCTIONS = (
    "one recipe for every network instead of each paper's own (optimiser, schedule, "
    "input size, augmentation): reproductions/leaderboard/NOTES.md",
    "64×64 input (per-image min-max scaling, bilinear resize, mask unused); "
    "Super-Xception upsamples to 72×72 (the smallest multiple of 8 Xception accepts), "
    "not 227",
    "the DCAE row is the registered encoder + ANN trained end to end as one "
    "classifier, not the paper's autoencoder followed by an ANN on frozen features",
    "epochs of 4,352 images (136 iterations of 32) in every setting, at most 40; "
    "early stopping after 6 epochs without a lower validation loss; the weights of "
    "the lowest validation loss are tested",
    "seed 0 for every cell; seeds 1 and 2 where neighbouring networks are within "
    "2 MCA points on a specimen-disjoint setting",
)

PROFILES = {
    "smoke": profiles.smoke(
        image_size=48, seeds=(0, 1),
        subset={"train": 48, "validation": 24, "test": 24, "cross_lab": 30},
        reductions=("tiny subsets, one epoch of 48 images, 48×48 input: checks "
                    "that everything runs; the numbers mean nothing",),
        settings=dataclasses.replace(
            CPU_RECIPE, epoch_images=48, bn_recalibration_images=16, tta_views=2,
            extra_seed_gap=100.0, run_eagerly=True)),
    "cpu": Profile(
        name="cpu",
        description="every network under one recipe on I3A (cell-level and specimen "
                    "blocks) and SNPHEp-2, scored across datasets; about 20 CPU-hours, "
                    "resumable (plan in reproductions/leaderboard/NOTES.md)",
        image_size=64, batch_size=32, epochs={"*": 40}, seeds=(0, 1, 2), patience=6,
        reductions=CPU_REDUCTIONS, settings=CPU_RECIPE),
}
