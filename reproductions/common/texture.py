"""Hand-crafted HEp-2 features computed by scikit-image, classified by a
scikit-learn SVM whose hyper-parameters are chosen by cross-validation on the
training split only: the DCAE paper's Table II rows ("Texture features + SVM",
"LPB descriptors + SVM", which the paper names and nothing else) and the
leaderboard's LBP/GLCM + SVM baseline. The choices are the textbook versions,
ours:

* **Texture** (Haralick et al. 1973): grey-level co-occurrence matrices
  (``skimage.feature.graycomatrix``, symmetric, normalised) of the cell
  quantised to :data:`GLCM_LEVELS` grey levels, at distances
  :data:`GLCM_DISTANCES` and the four angles 0°, 45°, 90°, 135°; the
  :data:`GLCM_PROPS` statistics (``graycoprops``) summarised per distance by
  their mean and range over the angles (Haralick's rotation-invariant
  summary): 2 × 6 × 3 = 36 features.
* **LBP** (Ojala et al. 2002): rotation-invariant uniform local binary patterns
  (``skimage.feature.local_binary_pattern``, ``method="uniform"``) at the
  three (points, radius) scales :data:`LBP_SCALES`; the normalised histogram of
  the P + 2 codes per scale: 10 + 18 + 26 = 54 features.
* **SVM**: standardisation → ``sklearn.svm.SVC`` (RBF kernel), C and γ chosen by
  :func:`svm_search` (5-fold stratified cross-validation on the training split,
  accuracy; the grid is :data:`SVM_GRID`).

Both extractors read a cell scaled to [0, 1] (resized to the caller's size)
as 8-bit grey levels.
"""
from __future__ import annotations

import numpy as np

GLCM_LEVELS = 32
GLCM_DISTANCES = (1, 2, 4)
GLCM_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
GLCM_PROPS = ("contrast", "dissimilarity", "homogeneity", "energy", "correlation", "ASM")
LBP_SCALES = ((8, 1), (16, 2), (24, 3))
SVM_GRID = {"svc__C": [0.1, 1.0, 10.0, 100.0, 1000.0],
            "svc__gamma": [1e-4, 1e-3, 1e-2, 1e-1, 1.0]}
CV_FOLDS = 5


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A [0, 1] image (``(H, W)`` or ``(H, W, 1)``) as 8-bit grey levels."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3:
        image = image[..., 0]
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def glcm_features(image: np.ndarray) -> np.ndarray:
    """The 36 co-occurrence statistics of one [0, 1] image."""
    from skimage.feature import graycomatrix, graycoprops

    quantised = (to_uint8(image).astype(np.uint16) * GLCM_LEVELS // 256).astype(np.uint8)
    matrix = graycomatrix(quantised, GLCM_DISTANCES, GLCM_ANGLES, levels=GLCM_LEVELS,
                          symmetric=True, normed=True)
    out = []
    for prop in GLCM_PROPS:
        values = graycoprops(matrix, prop)  # (distances, angles)
        out += [values.mean(axis=1), np.ptp(values, axis=1)]
    return np.concatenate(out)


def lbp_features(image: np.ndarray) -> np.ndarray:
    """The 54-bin multi-scale rotation-invariant uniform LBP histogram of one
    [0, 1] image."""
    from skimage.feature import local_binary_pattern

    grey = to_uint8(image)
    out = []
    for points, radius in LBP_SCALES:
        codes = local_binary_pattern(grey, points, radius, method="uniform")
        out.append(np.bincount(codes.astype(np.int64).ravel(), minlength=points + 2)
                   / codes.size)
    return np.concatenate(out)


def _batch(extract):
    def features(images: np.ndarray) -> np.ndarray:
        return np.stack([extract(image) for image in images]).astype(np.float64)
    features.__name__ = f"{extract.__name__}_of_images"
    return features


#: ``images (N, H, W, 1) -> (N, D)``, the ``features`` of ``experiment.fit_sklearn``.
texture_features = _batch(glcm_features)
lbp_histograms = _batch(lbp_features)


def glcm_and_lbp(images: np.ndarray) -> np.ndarray:
    """Both: the 36 GLCM statistics and the 54 LBP bins of each image, (N, 90)."""
    return np.concatenate([texture_features(images), lbp_histograms(images)], axis=1)


def cross_validation(seed: int):
    from sklearn.model_selection import StratifiedKFold
    return StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)


def svm_search(seed: int = 0):
    """Standardisation → RBF SVC, with C and γ chosen from :data:`SVM_GRID`
    by stratified 5-fold cross-validation (``GridSearchCV``; refits on the whole
    training split)."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    pipeline = Pipeline([("scale", StandardScaler()), ("svc", SVC(kernel="rbf"))])
    return GridSearchCV(pipeline, SVM_GRID, cv=cross_validation(seed), scoring="accuracy")
