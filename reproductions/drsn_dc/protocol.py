"""Training protocol and Table 2's metrics.

* **Optimiser** (the paper gives none, nor a learning rate, batch size or
  number of epochs; it used TensorFlow 1.12): Adam with learning rate 1e-4
  for every network, softmax cross-entropy. One optimiser for all rows so
  that Table 2 compares the networks; 1e-4 rather than Keras' 1e-3 because
  VGG-19 has no batch normalisation and is trained from scratch.
* **Model selection**: the weights of the epoch with the lowest validation
  loss (``reproductions.common.training``); the test split is used once,
  after training. The per-epoch error curves (Fig. 7) are 1 − accuracy on
  the training batches and on the validation split.
* **Metrics** (:func:`table2_values`): macro precision and recall over the
  classes, and F1 two ways (see ``reproductions/drsn_dc/paper.py``).
"""
from __future__ import annotations

LEARNING_RATE = 1e-4


def compile_model(model, *, learning_rate: float = LEARNING_RATE,
                  run_eagerly: bool = False) -> None:
    """Adam, sparse categorical cross-entropy, accuracy (for the error curves)."""
    import keras
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=run_eagerly)


def harmonic_mean(precision: float, recall: float) -> float:
    """``2PR / (P + R)``; 0 when both are 0."""
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def table2_values(metrics: dict) -> dict:
    """Table 2's columns in %, from ``common.metrics.classification_metrics``:
    macro P, macro R, ``f1`` = mean of the per-class F1, ``f1_hm`` = harmonic
    mean of macro P and R."""
    macro = metrics["macro"]
    return {"precision": 100 * macro["precision"], "recall": 100 * macro["recall"],
            "f1": 100 * macro["f1"],
            "f1_hm": 100 * harmonic_mean(macro["precision"], macro["recall"])}


def error_curves(history: dict) -> dict:
    """Fig. 7's curves from a Keras history: ``error`` (training batches)
    and ``val_error`` (validation split), 1 − accuracy per epoch."""
    return {f"{prefix}error": [1.0 - a for a in history[f"{prefix}accuracy"]]
            for prefix in ("", "val_") if f"{prefix}accuracy" in history}
