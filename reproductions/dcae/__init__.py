"""Deep Convolutional Autoencoder features + ANN (Vununu et al.): Table II on
SNPHEp-2, the paper's Figure 2 confusion matrix, and the five official
Split-50-k folds.

Run ``python -m reproductions.dcae --help``. Model builders are in
``reproductions.dcae.models``, the hand-crafted baselines' features in
``reproductions.dcae.features`` (importing this package is cheap).
"""
