"""common.plots leaves matplotlib's backend alone (a notebook keeps its inline
figures); the commands choose Agg themselves."""
import os
import subprocess
import sys


def test_importing_plots_keeps_the_backend():
    code = ("import matplotlib; import reproductions.common.plots; "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "MPLBACKEND": "svg"})
    assert out.stdout.strip() == "svg"


def test_per_class_grid_writes_a_png(tmp_path):
    from reproductions.common import plots

    path = plots.per_class_grid({"net a": [10.0, 90.0, 55.5], "net b": [0.0, 100.0, 60.0]},
                                ["c1", "c2", "c3"], tmp_path / "grid.png", "title",
                                label="F1 of the class (%)")
    assert path == tmp_path / "grid.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
