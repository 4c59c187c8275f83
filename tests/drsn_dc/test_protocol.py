"""Table 2's metrics against hand-computed confusion matrices, and the
error-rate curves of Fig. 7."""
import numpy as np
import pytest

from reproductions.common import metrics
from reproductions.drsn_dc import protocol


def from_confusion(cm):
    """``(y_true, y_pred)`` with the confusion matrix ``cm`` (rows = true)."""
    cm = np.asarray(cm)
    pairs = [(t, p) for t in range(len(cm)) for p in range(len(cm)) for _ in range(cm[t, p])]
    return np.array([t for t, _ in pairs]), np.array([p for _, p in pairs])


def values(cm):
    y_true, y_pred = from_confusion(cm)
    m = metrics.classification_metrics(y_true, y_pred, ("a", "b", "c"))
    assert m["confusion_matrix"] == np.asarray(cm).tolist()
    return m, protocol.table2_values(m)


def test_three_classes_by_hand():
    #            predicted a  b  c
    cm = [[8, 2, 0],   # true a: 10
          [1, 3, 0],   # true b: 4
          [1, 1, 4]]   # true c: 6
    # precision a 8/10, b 3/6, c 4/4; recall a 8/10, b 3/4, c 4/6
    p = (0.8, 0.5, 1.0)
    r = (0.8, 0.75, 4 / 6)
    f1 = (0.8, 2 * 0.5 * 0.75 / 1.25, 2 * 1.0 * (4 / 6) / (1 + 4 / 6))  # 0.8, 0.6, 0.8
    m, v = values(cm)
    assert [m["per_class"][c]["f1"] for c in "abc"] == pytest.approx(f1)
    assert v["precision"] == pytest.approx(100 * np.mean(p))        # 76.667
    assert v["recall"] == pytest.approx(100 * np.mean(r))           # 73.889
    assert v["f1"] == pytest.approx(100 * np.mean(f1)) == pytest.approx(100 * 2.2 / 3)
    hm = 2 * np.mean(p) * np.mean(r) / (np.mean(p) + np.mean(r))
    assert v["f1_hm"] == pytest.approx(100 * hm) == pytest.approx(75.2522, abs=1e-4)
    assert v["f1_hm"] != pytest.approx(v["f1"], abs=0.5)  # the two averagings differ


def test_a_class_never_predicted_counts_as_precision_zero():
    cm = [[5, 0, 0],
          [0, 5, 0],
          [3, 2, 0]]   # c (5 images) is never predicted
    m, v = values(cm)
    # precision a 5/8, b 5/7, c 0 (zero_division=0); recall 1, 1, 0
    assert v["precision"] == pytest.approx(100 * (5 / 8 + 5 / 7) / 3)
    assert v["recall"] == pytest.approx(100 * 2 / 3)
    f1_a, f1_b = 2 * (5 / 8) / (1 + 5 / 8), 2 * (5 / 7) / (1 + 5 / 7)
    assert v["f1"] == pytest.approx(100 * (f1_a + f1_b) / 3)
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 5}


def test_perfect_and_hopeless():
    assert values(np.diag([3, 4, 5]))[1] == pytest.approx(
        {"precision": 100, "recall": 100, "f1": 100, "f1_hm": 100})
    assert values([[0, 4, 0], [0, 0, 4], [4, 0, 0]])[1] == pytest.approx(
        {"precision": 0, "recall": 0, "f1": 0, "f1_hm": 0})
    assert protocol.harmonic_mean(0.0, 0.0) == 0.0


def test_error_curves_are_one_minus_accuracy():
    history = {"loss": [1.0, 0.5], "accuracy": [0.25, 0.75], "val_accuracy": [0.5, 0.625]}
    assert protocol.error_curves(history) == {"error": [0.75, 0.25],
                                              "val_error": [0.5, 0.375]}
