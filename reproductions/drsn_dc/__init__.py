"""DRSN-DC (Wang et al., IIP 2022): a deep residual shrinkage network with
dilated convolutions for HEp-2 images; Table 2 (and an ablation) on the
I3A Task 1 cells as a stand-in for the paper's private 9-class ANA images.

Run ``python -m reproductions.drsn_dc --help``. Model builders are in
``reproductions.drsn_dc.models`` (importing this package is cheap).
"""
