"""Table II's hand-crafted rows: the feature extractors against direct
scikit-image calls, and the scikit-learn fits' records."""
import numpy as np
import pytest
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

from reproductions.common import data as data_lib
from reproductions.common import experiment, results
from reproductions.dcae import features


@pytest.fixture
def image():
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[:48, :48]
    cell = np.exp(-((yy - 24) ** 2 + (xx - 22) ** 2) / 300.0)  # a bright blob ...
    return np.clip(cell * 0.8 + rng.random((48, 48)) * 0.2, 0, 1)[..., None]  # ... textured


def test_texture_features_are_graycoprops_of_the_quantised_image(image):
    grey = np.clip(np.rint(image[..., 0] * 255), 0, 255).astype(np.uint8)
    quantised = grey // 8  # 32 levels
    matrix = graycomatrix(quantised, [1, 2, 4], [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4],
                          levels=32, symmetric=True, normed=True)
    got = features.glcm_features(image)
    assert got.shape == (36,)
    for p, prop in enumerate(("contrast", "dissimilarity", "homogeneity", "energy",
                              "correlation", "ASM")):
        values = graycoprops(matrix, prop)
        np.testing.assert_allclose(got[6 * p:6 * p + 3], values.mean(axis=1))
        np.testing.assert_allclose(got[6 * p + 3:6 * p + 6], values.max(1) - values.min(1))


def test_lbp_features_are_uniform_lbp_histograms(image):
    grey = np.clip(np.rint(image[..., 0] * 255), 0, 255).astype(np.uint8)
    got = features.lbp_features(image)
    assert got.shape == (10 + 18 + 26,)
    start = 0
    for points, radius in ((8, 1), (16, 2), (24, 3)):
        codes = local_binary_pattern(grey, points, radius, method="uniform")
        hist, _ = np.histogram(codes, bins=np.arange(points + 3) - 0.5)
        np.testing.assert_allclose(got[start:start + points + 2], hist / codes.size)
        assert got[start:start + points + 2].sum() == pytest.approx(1.0)
        start += points + 2


def test_lbp_is_rotation_invariant_on_a_quarter_turn(image):
    """Rotation-invariant uniform codes: a 90° turn permutes the sampling
    points of radius-1, 8-point LBP exactly, so the histogram is unchanged."""
    turned = np.rot90(image, 1, axes=(0, 1))
    np.testing.assert_allclose(features.lbp_features(turned)[:10],
                               features.lbp_features(image)[:10], atol=1e-12)


def _split(n, seed, classes=3, size=32):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    yy, xx = np.mgrid[:size, :size]
    images = []
    for label in labels:  # class = stripe frequency, plus noise
        stripes = 0.5 + 0.4 * np.sin(xx * (0.4 + 0.6 * label) + rng.random() * 6)
        images.append(np.clip(stripes + rng.normal(0, 0.1, (size, size)), 0, 1))
    return data_lib.ArraySplit(np.asarray(images, np.float32)[..., None], labels,
                               np.array([f"{seed}-{i}" for i in range(n)]),
                               ("a", "b", "c"))


@pytest.mark.parametrize("row", ["texture_svm", "lbp_svm"])
def test_svm_rows_record_their_cross_validated_fit(row):
    splits = {"train": _split(45, 0), "test": _split(30, 1)}
    fitted = experiment.fit_sklearn(experiment.Job(row, 0), features.svm_search(0),
                                    features.EXTRACTORS[row], splits)
    search = fitted.estimator
    assert search.n_splits_ == 5 and len(search.cv_results_["params"]) == 25
    assert search.best_estimator_.named_steps["svc"].n_features_in_ == (36 if row == "texture_svm"
                                                                         else 54)
    # the search and its refit saw the 45 training cells only
    assert search.best_estimator_.named_steps["scale"].n_samples_seen_ == 45
    assert set(fitted.hyperparameters) == {"svc__C", "svc__gamma"}
    assert fitted.hyperparameters["svc__C"] in features.SVM_GRID["svc__C"]
    assert fitted.metrics["n"] == 30 and fitted.metrics["aca"] > 0.6  # stripes are easy
    record = fitted.record({"table2": {row: {"aca": 100 * fitted.metrics["aca"]}}})
    assert record["kind"] == "sklearn" and not results.missing_fields(record)
    assert record["fit_time_s"] > 0 and record["features_per_s"] > 0
    assert record["hyperparameters"] == fitted.hyperparameters
