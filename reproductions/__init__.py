"""Reproductions of HEp-2 cell and chromosome classification papers.

Each paper lives in its own sub-package (``reproductions.<paper>``) and is run
with ``python -m reproductions.<paper>``; shared machinery is in
``reproductions.common``.

The package turns TensorFlow's oneDNN kernels on for every command, test and
benchmark that imports it (:func:`reproductions.common.tf_runtime.prefer_onednn`:
TensorFlow enables them by itself only on CPUs with AVX-512 VNNI and newer;
without them, on an AVX2-only AMD EPYC, training ran 1.6-2.4× slower).
"""
from reproductions.common.tf_runtime import prefer_onednn

prefer_onednn()
