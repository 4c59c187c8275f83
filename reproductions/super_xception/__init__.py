"""Super-Xception (Swati, Sharma & Vig): super-resolution layers + Xception
for low-resolution chromosome images, Table 1, on BioImLab chromosomes.

Run ``python -m reproductions.super_xception --help``. Model builders are in
``reproductions.super_xception.models`` (importing this package is cheap).
"""
