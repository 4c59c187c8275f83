"""A scikit-learn row through the shared harness: features -> cross-validated
SVC -> test metrics -> a run record with its own provenance."""
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

from reproductions.common import data as data_lib, experiment, results


def _split(n, seed):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    images = rng.normal(size=(n, 4, 4, 1)).astype(np.float32) + labels[:, None, None, None]
    return data_lib.ArraySplit(images, labels, np.array([str(i) for i in range(n)]),
                               ("a", "b", "c"))


def test_fit_sklearn_chooses_by_cross_validation_and_records_it():
    splits = {"train": _split(60, 0), "test": _split(30, 1)}
    search = GridSearchCV(SVC(), {"C": [0.01, 10.0]}, cv=3)
    fitted = experiment.fit_sklearn(experiment.Job("svm", 0), search,
                                    lambda images: images.reshape(len(images), -1), splits)
    assert fitted.hyperparameters == {"C": 10.0}  # 0.01 underfits these blobs
    assert fitted.metrics["aca"] > 0.9 and fitted.metrics["n"] == 30
    assert fitted.features_per_s > 0 and fitted.fit_time_s > 0
    run = fitted.record({"t": {"svm": {"aca": 100 * fitted.metrics["aca"]}}})
    assert results.missing_fields(run) == []
    assert run["kind"] == "sklearn" and "epochs" not in run
    assert run["hyperparameters"] == {"C": 10.0}
    assert search.get_params()["estimator__C"] == 1.0  # the given estimator is not fitted
    assert not hasattr(search, "best_params_")
    assert run["cv_accuracy"] == fitted.estimator.best_score_ > 0.9


def test_cv_accuracy_only_when_the_search_scores_accuracy():
    splits = {"train": _split(60, 0), "test": _split(30, 1)}
    flat = lambda images: images.reshape(len(images), -1)  # noqa: E731
    other = GridSearchCV(SVC(), {"C": [0.01, 10.0]}, cv=3, scoring="f1_macro")
    assert "cv_accuracy" not in experiment.fit_sklearn(
        experiment.Job("svm", 0), other, flat, splits).record({})
    assert "cv_accuracy" not in experiment.fit_sklearn(  # a plain estimator: no search
        experiment.Job("svm", 0), SVC(), flat, splits).record({})
