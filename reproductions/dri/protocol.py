"""Training and evaluation protocol of §2.3 and Table 3(b).

* Joint loss ``0.3·L1 + 0.3·L2 + 1·L3`` (eq. 2): one softmax cross-entropy
  per head, combined by Keras ``compile(loss_weights=...)``.
* SGD, momentum 0.9, learning rate 0.001 decayed by γ = 0.79 with Caffe's
  ``step`` policy ``lr = 0.001 · 0.79^floor(iteration / step)``
  (``keras.optimizers.schedules.ExponentialDecay(staircase=True)`` is that
  policy). The paper does not give the step; see :data:`PAPER_STEP`.
* Predictions: the sum of the softmax outputs of a set of heads (the paper's
  sum layer); Table 3(b) scores four sets.
"""
from __future__ import annotations

import numpy as np

from reproductions.dri.models import HEADS, LOSS_WEIGHTS

BASE_LR = 1e-3
GAMMA = 0.79
MOMENTUM = 0.9
#: Our choice of Caffe's ``stepsize``: 10,000 iterations, i.e. 29 decays over
#: the paper's 290,000 iterations, so that the learning rate ends at
#: 0.001·0.79^29 ≈ 1.1e-6 (a thousandth of the start; a round step length as
#: Caffe solvers use). Shorter runs keep the shape: 29 equal steps.
PAPER_STEP = 10_000
PAPER_ITERATIONS = 290_000
DECAYS = PAPER_ITERATIONS // PAPER_STEP  # 29

#: Table 3(b) rows -> heads whose softmax outputs are summed.
HEAD_SETS = {"dri_3": ("fc3",), "dri_1_3": ("fc1", "fc3"), "dri_2_3": ("fc2", "fc3"),
             "dri_1_2_3": ("fc1", "fc2", "fc3")}


def step_length(total_iterations: int) -> int:
    """Iterations per learning-rate step: :data:`PAPER_STEP` for the paper's
    290,000 iterations, and the same 29 steps over a shorter run."""
    return max(1, round(total_iterations / DECAYS))


def learning_rate_schedule(steps_per_decay: int, base_lr: float = BASE_LR):
    """Caffe's ``step`` policy: ``base_lr · γ^floor(iteration / steps_per_decay)``."""
    import keras
    return keras.optimizers.schedules.ExponentialDecay(
        base_lr, decay_steps=steps_per_decay, decay_rate=GAMMA, staircase=True)


def compile_model(model, *, steps_per_decay: int, base_lr: float = BASE_LR,
                  **compile_kwargs) -> None:
    """SGD with the step schedule and the joint loss of eq. 2; accuracy per head."""
    import keras
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate_schedule(steps_per_decay, base_lr),
                                       momentum=MOMENTUM),
        loss=["sparse_categorical_crossentropy"] * len(HEADS),
        loss_weights=list(LOSS_WEIGHTS),
        metrics=[["accuracy"] for _ in HEADS], **compile_kwargs)


def head_targets(image, label):
    """The label once per head (``targets`` of the training pipeline)."""
    return tuple(label for _ in HEADS)


def summed_predictions(outputs, heads) -> np.ndarray:
    """Sum of the softmax outputs of ``heads`` (``outputs`` as returned by
    ``model.predict``: one array per head, in :data:`HEADS` order)."""
    by_head = dict(zip(HEADS, outputs))
    return np.sum([by_head[h] for h in heads], axis=0)
