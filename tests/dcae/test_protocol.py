"""Splits, Figure 2's layout, the class-name check, PSNR, the linear probe."""
import numpy as np
import pytest

from reproductions.common import data as data_lib
from reproductions.dcae import data, protocol
from reproductions.dcae.paper import FIGURE2, FIGURE2_CLASSES, PAPER

SNPHEP2_ORDER = ("fine_speckled", "coarse_speckled", "homogeneous", "nucleolar", "centromere")


def test_paper_transcription():
    assert np.allclose(np.sum(FIGURE2, axis=0), 100.0, atol=0.011)  # column-normalised
    assert not np.allclose(np.sum(FIGURE2, axis=1), 100.0, atol=1.0)
    assert [PAPER.table("table2").row(r).values["aca"] for r in
            ("texture_svm", "lbp_svm", "gao_cnn", "dcae")] == [80.90, 85.71, 86.20, 88.08]
    assert np.trace(FIGURE2) / 5 == pytest.approx(88.808)
    assert PAPER.rows == ("texture_svm", "lbp_svm", "gao_cnn", "dcae_autoencoder", "dcae")


def split_of(labels, classes=5):
    labels = np.asarray(labels)
    return data_lib.ArraySplit(np.arange(len(labels), dtype=np.float32)[:, None, None, None],
                               labels, np.array([str(i) for i in range(len(labels))]),
                               tuple(f"c{i}" for i in range(classes)))


def test_validation_is_stratified_seeded_and_disjoint():
    split = split_of(np.repeat(np.arange(5), [181, 182, 180, 180, 182]))  # 905 cells
    train, validation = data.carve_validation(split, 0.1, seed=0)
    assert len(validation) == 90 and len(train) == 815
    assert validation.counts() == [18, 18, 18, 18, 18]
    assert not set(train.ids) & set(validation.ids)
    assert set(train.ids) | set(validation.ids) == set(split.ids)
    again, _ = data.carve_validation(split, 0.1, seed=0)
    np.testing.assert_array_equal(again.ids, train.ids)
    other, _ = data.carve_validation(split, 0.1, seed=1)
    assert set(other.ids) != set(train.ids)
    small_train, small_validation = data.carve_validation(split_of(np.arange(40) % 5), 0.1)
    assert small_validation.counts() == [1] * 5  # at least one cell per class


def test_folds_are_the_builders_configs():
    assert [data.fold_variant(k) for k in data.FOLDS] == [f"split_{k}" for k in range(1, 6)]
    assert data.fold_of("split_3") == 3 and data.fold_of("") is None


def test_figure2_layout_transposes_reorders_and_normalises_columns():
    # scikit-learn layout: rows = true class, in SNPHEp-2's label order
    cm = np.diag([10, 20, 30, 40, 50]).astype(int)
    cm[0, 2] = 10  # 10 fine speckled cells predicted homogeneous
    layout = protocol.figure2_layout(cm, SNPHEP2_ORDER, FIGURE2_CLASSES)
    homo, fine = FIGURE2_CLASSES.index("homogeneous"), FIGURE2_CLASSES.index("fine_speckled")
    assert layout[homo, fine] == pytest.approx(50.0)  # row = output, column = target
    assert layout[fine, fine] == pytest.approx(50.0)
    assert layout[homo, homo] == pytest.approx(100.0)
    np.testing.assert_allclose(layout.sum(axis=0), 100.0)


def test_naming_check_finds_the_names_that_fit_figure2():
    paper = np.asarray(FIGURE2)
    assert protocol.naming_check(paper, paper, FIGURE2_CLASSES)["rank_of_inferred_names"] == 1
    swap = [FIGURE2_CLASSES.index(c) for c in ("coarse_speckled", "homogeneous", "fine_speckled",
                                               "nucleolar", "centromere")]
    swapped = paper[np.ix_(swap, swap)]  # our "homogeneous" is really coarse speckled
    check = protocol.naming_check(swapped, paper, FIGURE2_CLASSES)
    assert check["rank_of_inferred_names"] > 1 and check["best_r"] == pytest.approx(1.0)
    assert check["best_assignment"] == {"homogeneous": "coarse_speckled",
                                        "coarse_speckled": "homogeneous"}


def test_psnr():
    x = np.zeros((2, 4, 4, 1))
    y = x + np.array([0.1, 0.01])[:, None, None, None]
    np.testing.assert_allclose(protocol.psnr(x, y), [20.0, 40.0])


def test_linear_probe_chooses_c_by_cross_validation_on_training_features():
    rng = np.random.default_rng(0)
    labels = np.arange(60) % 3
    x = rng.normal(size=(60, 40)) + labels[:, None] * 0.8
    search = protocol.linear_probe_search(0)
    with protocol.single_threaded():
        search.fit(x, labels)
    assert search.n_splits_ == 5
    assert search.best_params_["logreg__C"] in protocol.PROBE_GRID["logreg__C"]
    assert search.score(x, labels) > 0.9
