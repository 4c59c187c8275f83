"""The hand-crafted rows of Table II: GLCM texture features or multi-scale LBP
histograms, each classified by a cross-validated RBF SVM. The extractors and
the SVM search are ``reproductions.common.texture`` (shared with the
leaderboard, where the choices are documented); here the rows are mapped to
them. They read the cell crop scaled to [0, 1] and resized to the profile's
``feature_size`` (``reproductions/dcae/data.py``).
"""
from reproductions.common.texture import (  # noqa: F401 - this module's names before the move
    CV_FOLDS, GLCM_ANGLES, GLCM_DISTANCES, GLCM_LEVELS, GLCM_PROPS, LBP_SCALES, SVM_GRID,
    cross_validation, glcm_features, lbp_features, lbp_histograms, svm_search,
    texture_features, to_uint8)

EXTRACTORS = {"texture_svm": texture_features, "lbp_svm": lbp_histograms}
