"""``python -m reproductions.drsn_dc --profile smoke`` end to end on the
synthetic HEp-2 cells (eager, a few steps per network), then a resumed
re-run; Table 2, the ablation, the paired claim, figures and README."""
import json

import pytest

from reproductions.common import results
from reproductions.drsn_dc import __main__ as command
from reproductions.drsn_dc.paper import PAPER
from tests.commands import run_smoke

EXPECTED = {("alexnet", 0, ""), ("googlenet", 0, ""), ("vgg19", 0, ""), ("resnet50", 0, ""),
            ("drsn_dc", 0, ""), ("drsn_dc", 0, "drsn"), ("drsn_dc", 0, "drsn_dilated"),
            ("resnet50", 1, ""), ("drsn_dc", 1, "")}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    return run_smoke(command.main, tmp_path_factory.mktemp("drsn_dc_smoke"))


def test_smoke_writes_table2_ablation_and_claims(smoke):
    root, _ = smoke
    path = root / "out" / "results.json"
    data = json.loads(path.read_text())
    assert data["synthetic"] and data["profile"]["name"] == "smoke"
    # complete provenance (a dirty working tree aside: this runs before a commit)
    assert [p for p in results.check(path) if "dirty tree" not in p] == []
    runs = {(r["row"], r["seed"], r["variant"]): r for r in data["runs"]}
    assert set(runs) == EXPECTED
    info = data["datasets"]["data"]
    assert info["name"] == "synthetic_hep2" and info["used"] == {"train": 24, "validation": 12,
                                                                "test": 12}
    assert info["expanded_train"] == [144 * 4] * 6  # 24 images, 4 per class, 144 versions
    for (row, seed, variant), run in runs.items():
        assert run["model"] == (variant or row) and run["classes"] == 6
        assert run["epochs"] == 1 and run["stopped_by"].startswith("epoch cap")
        values = run["values"]["ablation" if variant else "table2"][variant or row]
        m = run["metrics"]
        assert values["f1"] == pytest.approx(100 * m["macro"]["f1"])
        assert values["precision"] == pytest.approx(100 * m["macro"]["precision"])
        p, r = m["macro"]["precision"], m["macro"]["recall"]
        assert values["f1_hm"] == pytest.approx(200 * p * r / (p + r) if p + r else 0)
        assert sum(map(sum, m["confusion_matrix"])) == 12
        assert {"accuracy", "val_accuracy"} <= set(run["history"])
    for row in ("resnet50", "drsn_dc"):  # the ablation's ends are the Table 2 runs (seed 0)
        assert runs[row, 0, ""]["values"]["ablation"][row] == \
            runs[row, 0, ""]["values"]["table2"][row]
        assert "ablation" not in runs[row, 1, ""]["values"]
    for key, metric in (("drsn_dc_minus_resnet50", "f1"),
                        ("drsn_dc_minus_resnet50_f1_hm", "f1_hm")):
        gap = data["extra"][key]
        assert gap["seeds"] == [0, 1] and gap["paper"] == pytest.approx(6.95)
        assert gap["points"] == [pytest.approx(
            runs["drsn_dc", s, ""]["values"]["table2"]["drsn_dc"][metric]
            - runs["resnet50", s, ""]["values"]["table2"]["resnet50"][metric]) for s in (0, 1)]
    assert data["extra"]["throughput"]["seeds"] == [0, 1]


def test_smoke_readme_and_figures(smoke):
    root, _ = smoke
    readme = (root / "out" / "README.md").read_text()
    assert results.SYNTHETIC_MARK.upper() in readme
    for table in PAPER.tables:
        assert table.title in readme
        for row in table.rows:
            assert f"| {row.label} |" in readme
    assert "| DRSN-DC | F1 = harmonic mean of macro P and R (%) | 92.82 |" in readme
    assert "## Architecture" in readme and "32×32×96" in readme and "1×1×2144" in readme
    assert "## Per-class F1" in readme and "| golgi |" in readme and "## Parameters" in readme
    assert "Only the ranking of Table 2's rows is" in readme
    for figure in ("confusion_drsn_dc.png", "error_rate_curves.png", "per_class_f1.png",
                   "run_curves.png"):
        png = (root / "out" / figure).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000, figure
        assert f"]({figure})" in readme


def test_rerun_resumes_without_training(smoke, capsys):
    root, argv = smoke
    before = json.loads((root / "out" / "results.json").read_text())["runs"]
    assert command.main(argv) == 0
    assert "9 of 9 runs already stored" in capsys.readouterr().out
    assert json.loads((root / "out" / "results.json").read_text())["runs"] == before


def test_bad_rows_is_a_user_error(capsys):
    assert command.main(["--rows", "resnet101", "--data", "synthetic"]) == 2
    assert "Unknown row" in capsys.readouterr().err
