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
