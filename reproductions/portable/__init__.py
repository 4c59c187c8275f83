"""The portable paper profile: a paper's runs on any Keras 3 backend.

``python -m reproductions.portable export|train|import`` (issue #36): export
a paper's prepared splits on a TensorFlow machine as a small array bundle
(:mod:`.bundle`), train its profile from the bundle on JAX, PyTorch or
TensorFlow without importing TensorFlow (:mod:`.trainer`, NumPy batches:
:mod:`.pipeline`), and import the run records into ``results/`` marked with
their backend and device (:mod:`.importer`). How to run it, measured sizes
and times: ``reproductions/portable/NOTES.md``.
"""
