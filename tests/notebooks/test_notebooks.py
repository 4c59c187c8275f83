"""Every notebook's code cells run top to bottom without error, on the
embedded synthetic data; every paper has a walkthrough; outputs are stripped."""
import json
import tempfile
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: What the first cell of every notebook reads: which data (auto, real or synthetic) and how
#: many seconds to train (about a minute when a person runs it).
DATA_VARIABLE = "HEP2REPRO_NOTEBOOK_DATA"
SECONDS_VARIABLE = "HEP2REPRO_NOTEBOOK_TRAIN_SECONDS"
TEST_TRAIN_SECONDS = 15


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch, tmp_path):
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, "show", lambda *a, **k: plt.close("all"))
    # the synthetic data even where ../shared/data has the real datasets, a shorter
    # training, and the notebooks' scratch folders under tmp_path
    monkeypatch.setenv(DATA_VARIABLE, "synthetic")
    monkeypatch.setenv(SECONDS_VARIABLE, str(TEST_TRAIN_SECONDS))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = ["".join(c["source"]) for c in code_cells(path)]
    assert code, f"{path.name} has no code"
    namespace: dict = {"__name__": "__notebook__"}
    for i, source in enumerate(code):
        exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)  # noqa: S102


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stripped_and_configurable(path):
    cells = code_cells(path)
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in cells), (
        f"{path.name}: strip the outputs before committing")
    source = "".join("".join(c["source"]) for c in cells)
    assert DATA_VARIABLE in source and SECONDS_VARIABLE in source, (
        f"{path.name} must read {DATA_VARIABLE} and {SECONDS_VARIABLE} (the tests set them)")


def test_every_paper_has_a_walkthrough():
    from reproductions.common.paper import PAPERS

    missing = [p for p in PAPERS if not (ROOT / "notebooks" / f"{p}_walkthrough.ipynb").exists()]
    assert not missing, f"no notebooks/<paper>_walkthrough.ipynb for {missing}"
