"""Deep Residual Inception (Li & Shen, DLMIA 2017): Tables 3(a), 3(b) and 4
on the I3A Task 1 HEp-2 cells.

Run ``python -m reproductions.dri --help``. Model builders are in
``reproductions.dri.models`` (importing this package is cheap).
"""
