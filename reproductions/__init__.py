"""Reproductions of HEp-2 cell and chromosome classification papers.

Each paper lives in its own sub-package (``reproductions.<paper>``) and is run
with ``python -m reproductions.<paper>``; shared machinery is in
``reproductions.common``.

Importing the package (or any of its modules) leaves the process environment
as it was; the commands set what they need when they start, such as
TensorFlow's oneDNN kernels on
(:func:`reproductions.common.tf_runtime.command_environment`).
"""
