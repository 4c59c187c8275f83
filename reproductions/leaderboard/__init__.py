"""The HEp-2 leaderboard (issue #35): ``python -m reproductions.leaderboard``.

A cross-paper consumer of the model registry, not a paper: it builds every
network through ``reproductions.common.registry.create_model`` and imports no
paper package.
"""
