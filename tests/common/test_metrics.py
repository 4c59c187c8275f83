"""classification_metrics against confusion matrices computed by hand."""
import numpy as np
import pytest

from reproductions.common.metrics import classification_metrics

NAMES = ("a", "b", "c")


def test_balanced_case():
    # true:  a a b b c c ; pred: a b b b c a
    m = classification_metrics([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], NAMES)
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert m["aca"] == pytest.approx(4 / 6)
    assert m["mca"] == pytest.approx((1 / 2 + 2 / 2 + 1 / 2) / 3)
    assert m["n"] == 6


def test_imbalanced_case_mca_differs_from_aca():
    # 8 examples of a (all right), 2 of b (1 right), 2 of c (0 right, both -> a)
    y_true = [0] * 8 + [1] * 2 + [2] * 2
    y_pred = [0] * 8 + [1, 0] + [0, 0]
    m = classification_metrics(y_true, y_pred, NAMES)
    cm = [[8, 0, 0],
          [1, 1, 0],
          [2, 0, 0]]
    assert m["confusion_matrix"] == cm  # rows = true class, columns = predicted
    aca = (8 + 1 + 0) / 12                         # trace / total = 0.75
    mca = (8 / 8 + 1 / 2 + 0 / 2) / 3              # mean per-class recall = 0.5
    assert m["aca"] == pytest.approx(aca) and aca == 0.75
    assert m["mca"] == pytest.approx(mca) and mca == 0.5
    assert m["aca"] != pytest.approx(m["mca"])
    pc = m["per_class"]
    # a: predicted 11 times, 8 right; b: predicted once, right; c: never predicted
    assert pc["a"]["precision"] == pytest.approx(8 / 11)
    assert pc["a"]["recall"] == pytest.approx(1.0)
    assert pc["a"]["f1"] == pytest.approx(2 * (8 / 11) * 1 / (8 / 11 + 1))
    assert pc["b"]["precision"] == pytest.approx(1.0)
    assert pc["b"]["recall"] == pytest.approx(0.5)
    assert pc["b"]["f1"] == pytest.approx(2 / 3)
    assert pc["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert [pc[n]["support"] for n in NAMES] == [8, 2, 2]
    assert m["macro"]["recall"] == pytest.approx(mca)
    assert m["macro"]["precision"] == pytest.approx((8 / 11 + 1 + 0) / 3)
    assert m["macro"]["f1"] == pytest.approx(
        (pc["a"]["f1"] + pc["b"]["f1"] + pc["c"]["f1"]) / 3)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_orientation_rows_are_true_classes():
    # every true "a" is predicted as "c": the count must sit in row a, column c
    m = classification_metrics([0, 0, 0], [2, 2, 2], NAMES)
    assert m["confusion_matrix"] == [[0, 0, 3], [0, 0, 0], [0, 0, 0]]
    assert m["per_class"]["a"]["support"] == 3 and m["per_class"]["c"]["support"] == 0


def test_class_absent_from_both_is_listed_with_zero_support():
    m = classification_metrics(np.array([0, 1]), np.array([0, 1]), NAMES)
    assert m["aca"] == 1.0 and m["mca"] == 1.0
    assert len(m["confusion_matrix"]) == 3
    assert m["per_class"]["c"]["support"] == 0
