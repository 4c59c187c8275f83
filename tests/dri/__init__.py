"""Tests of reproductions.dri (Li & Shen 2017)."""
