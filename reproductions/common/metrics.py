"""Classification metrics, computed by scikit-learn.

ACA is the overall accuracy, MCA the mean per-class accuracy (= recall
averaged over classes = scikit-learn's balanced accuracy).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn import metrics as skm


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int],
                           class_names: Sequence[str]) -> dict:
    """All the numbers the papers report, as plain JSON-able Python values.

    Returns a dict with ``aca``, ``mca`` (fractions in [0, 1]), ``per_class``
    (precision / recall / f1 / support per class name), ``macro``
    (precision / recall / f1) and ``confusion_matrix`` (rows = true class).
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    labels = np.arange(len(class_names))
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    macro = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average="macro", zero_division=0)
    return {
        "aca": float(skm.accuracy_score(y_true, y_pred)),
        # Recall averaged over the classes present in y_true: the papers' MCA.
        "mca": float(skm.balanced_accuracy_score(y_true, y_pred)),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f),
                   "support": int(s)}
            for name, p, r, f, s in zip(class_names, precision, recall, f1, support)
        },
        "macro": {"precision": float(macro[0]), "recall": float(macro[1]),
                  "f1": float(macro[2])},
        "confusion_matrix": skm.confusion_matrix(
            y_true, y_pred, labels=labels).tolist(),
        "n": int(len(y_true)),
    }
