"""Active learning and cross-modal transfer learning (Vununu, Lee & Kwon,
Sensors 2021): parallel wavelet residual networks trained on SNPHEp-2, then
transferred to a six-class target (I3A Task 1 here, LSHEp-2 in the paper)
with labelling budgets spent at random or by uncertainty.

Run ``python -m reproductions.active_transfer --help`` (the reproduction)
and ``... query --help`` / ``... update --help`` (a real labelling loop on
your own images). Model builders are in
``reproductions.active_transfer.models``, the labelling loop in
``reproductions.active_transfer.active`` (importing this package is cheap).
"""
