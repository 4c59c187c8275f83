"""Reproductions of HEp-2 cell and chromosome classification papers.

Each paper lives in its own sub-package (``reproductions.<paper>``) and is run
with ``python -m reproductions.<paper>``; shared machinery is in
``reproductions.common``.
"""
