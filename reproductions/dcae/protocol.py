"""Training and evaluation protocol of the DCAE reproduction, and the numbers
computed from its outputs (the figures only draw them).

The paper states none of the training settings; ours are:

* **Autoencoder**: Adam (learning rate = the profile's ``ae_learning_rate``),
  mean squared error between the [0, 1] input and the sigmoid output, batches
  of the profile's size, trained on the training split minus the validation
  cells only (no test image is ever seen by the autoencoder), early stopping on
  the validation reconstruction loss, the weights of the lowest one kept.
* **ANN and Gao's CNN**: Adam (1e-3), sparse categorical cross-entropy, early
  stopping on the validation loss, the weights of the lowest one tested.
* **Linear probe** (not in the paper): standardisation → multinomial logistic
  regression on the same Conv5 features, C chosen by 5-fold cross-validation on
  the training split (:func:`linear_probe_search`).
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

CLASSIFIER_LEARNING_RATE = 1e-3
PROBE_GRID = {"logreg__C": [1e-4, 1e-3, 1e-2, 1e-1, 1.0]}
TSNE_PCA_DIMS = 50


def single_threaded():
    """A context in which NumPy / scikit-learn use one BLAS / OpenMP thread.

    Measured on the shared 2-core machine under load: a logistic regression on
    40 × 4096 features took 14 s with OpenBLAS's 2 threads and 0.06 s with one
    (the threads spin while they wait for a core). The scikit-learn steps here
    (SVM and probe grids, t-SNE) are small, so one thread loses nothing.
    """
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1)


def compile_autoencoder(model, learning_rate: float, run_eagerly: bool = False) -> None:
    import keras
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse",
                  run_eagerly=run_eagerly)


def compile_classifier(model, run_eagerly: bool = False) -> None:
    import keras
    model.compile(optimizer=keras.optimizers.Adam(CLASSIFIER_LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=run_eagerly)


def reconstruction_target(image, label):
    """The autoencoder's target is its input (``targets`` of the pipeline)."""
    return image


def linear_probe_search(seed: int = 0):
    """Standardisation → logistic regression, C by stratified 5-fold CV."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from reproductions.dcae.features import cross_validation

    pipeline = Pipeline([("scale", StandardScaler()),
                         ("logreg", LogisticRegression(max_iter=2000))])
    return GridSearchCV(pipeline, PROBE_GRID, cv=cross_validation(seed), scoring="accuracy")


def psnr(images: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Per-image PSNR (dB) of [0, 1] images: 10·log10(1 / MSE)."""
    mse = np.mean((np.asarray(images, np.float64) - reconstructions) ** 2,
                  axis=tuple(range(1, np.ndim(images))))
    return 10.0 * np.log10(1.0 / np.maximum(mse, 1e-12))


def tsne(features: np.ndarray, seed: int) -> np.ndarray:
    """2-D t-SNE (scikit-learn) of standardised features, after PCA to
    :data:`TSNE_PCA_DIMS` dimensions (the usual speed-up), perplexity 30 (less
    for tiny sets)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    x = StandardScaler().fit_transform(np.asarray(features, np.float64))
    dims = min(TSNE_PCA_DIMS, x.shape[0], x.shape[1])
    x = PCA(dims, random_state=seed).fit_transform(x)
    perplexity = min(30.0, (len(x) - 1) / 3)
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)


# --- Figure 2 ----------------------------------------------------------------
def figure2_layout(confusion, class_names: Sequence[str], order: Sequence[str]) -> np.ndarray:
    """A confusion matrix (rows = true class, scikit-learn's layout, classes in
    ``class_names`` order) laid out like the paper's Figure 2: rows = output
    class, columns = target class, both in ``order``, each column in % of its
    target class."""
    cm = np.asarray(confusion, dtype=np.float64)
    index = [list(class_names).index(name) for name in order]
    cm = cm[np.ix_(index, index)].T  # rows = output, columns = target
    return 100.0 * cm / np.maximum(cm.sum(axis=0, keepdims=True), 1.0)


def off_diagonal(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    return matrix[~np.eye(len(matrix), dtype=bool)]


def naming_check(ours: np.ndarray, paper: np.ndarray, names: Sequence[str]) -> dict:
    """How well the inferred class names fit the paper's pattern of
    confusions: the Pearson correlation of the 20 off-diagonal cells of our
    Figure-2 matrix with the paper's, for our names and for every other
    assignment of the five names to our five classes (a permutation ``p``
    reads our class ``i`` as the paper's class ``p[i]``). The names are
    supported when no other assignment fits better; ``rank`` is 1 for the best."""
    ours, paper = np.asarray(ours, np.float64), np.asarray(paper, np.float64)
    target = off_diagonal(paper)
    scores = []
    for perm in itertools.permutations(range(len(names))):
        inverse = np.argsort(perm)
        renamed = ours[np.ix_(inverse, inverse)]
        x = off_diagonal(renamed)
        r = float(np.corrcoef(x, target)[0, 1]) if np.std(x) > 0 else float("nan")
        scores.append((perm, r))
    identity = tuple(range(len(names)))
    valid = [(p, r) for p, r in scores if not np.isnan(r)]
    best_perm, best_r = max(valid, key=lambda s: s[1]) if valid else (identity, float("nan"))
    ours_r = dict(scores)[identity]
    rank = 1 + sum(r > ours_r for _, r in valid) if not np.isnan(ours_r) else None
    return {"r_inferred_names": ours_r, "rank_of_inferred_names": rank,
            "assignments": len(scores), "best_r": best_r,
            "best_assignment": {names[i]: names[best_perm[i]] for i in range(len(names))
                                if best_perm[i] != i}}
