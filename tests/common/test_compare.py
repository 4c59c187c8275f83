"""python -m reproductions.compare on empty, filled and broken results folders."""
import json
import subprocess
import sys

import pytest

from reproductions.common import provenance, results
from reproductions.common.profiles import Profile
from reproductions.super_xception.paper import PAPER

PROFILE = Profile(name="cpu", description="test", image_size=8, batch_size=2,
                  epochs={"*": 1}, seeds=(0, 1), multi_seed_rows=("xception",))


def compare(*args):
    return subprocess.run([sys.executable, "-m", "reproductions.compare", *args],
                          capture_output=True, text=True, timeout=120)


def _fill(results_dir):
    store = results.ResultsStore(results_dir / "super_xception", PAPER, PROFILE,
                                 {"data": {"name": "bioimlab_chromosomes"}}, synthetic=False)
    for seed, aca in ((0, 90.0), (1, 92.0)):
        store.add_run(results.run_record(
            "xception", seed, {"table1": {"xception": {"aca": aca}}}, epochs=1,
            wall_time_s=1.0, train_images_per_s=1.0))
    store.add_run(results.run_record(
        "deep_cnn", 0, {"table1": {"deep_cnn": {"aca": 88.25}}}, epochs=1,
        wall_time_s=1.0, train_images_per_s=1.0))
    for run in store.runs:  # as from a clean tree, whatever this checkout's state
        run["provenance"]["dirty"] = False
        run["provenance"].update(provenance.run_fields(
            [provenance.session()], store.datasets, PROFILE.to_json(), {}))
    store.save()
    return store


def test_empty_results_dir(tmp_path):
    proc = compare("--results-dir", str(tmp_path), "--check")
    assert proc.returncode == 0, proc.stderr
    assert "No results yet" in proc.stdout
    assert "| super_xception | table1 | Super-Xception (proposed) | ACA / accuracy (%) | 92.36 | no result yet | — | — |" in proc.stdout


def test_filled_results_dir_shows_values_and_deltas(tmp_path):
    _fill(tmp_path)
    proc = compare("--results-dir", str(tmp_path), "--check")
    assert proc.returncode == 0, proc.stderr
    assert "No results yet" not in proc.stdout
    lines = proc.stdout.splitlines()
    # Xception: mean 91.00 ± 1.41 over 2 seeds, paper 91.80
    assert ("| super_xception | table1 | Xception network [8] | ACA / accuracy (%) | 91.80 | "
            "91.00 ± 1.41 (n=2) | -0.80 | cpu |") in lines
    assert ("| super_xception | table1 | Traditional Deep CNN [31] | ACA / accuracy (%) | "
            "87.50 | 88.25 | +0.75 | cpu |") in lines
    assert ("| super_xception | table1 | ResNet-50 [17] | ACA / accuracy (%) | 87.64 | "
            "no result yet | — | — |") in lines


def test_check_fails_when_provenance_is_missing(tmp_path):
    store = _fill(tmp_path)
    data = json.loads(store.path.read_text())
    del data["runs"][1]["provenance"]["hardware"]
    store.path.write_text(json.dumps(data))
    proc = compare("--results-dir", str(tmp_path), "--check")
    assert proc.returncode == 1
    assert "provenance lacks 'hardware'" in proc.stderr
    # without --check it still prints the table and exits 0
    proc = compare("--results-dir", str(tmp_path))
    assert proc.returncode == 0 and "91.00 ± 1.41 (n=2)" in proc.stdout


def test_check_fails_when_a_run_lacks_its_commit_span(tmp_path):
    store = _fill(tmp_path)
    data = json.loads(store.path.read_text())
    del data["runs"][2]["provenance"]["commit_span"]
    store.path.write_text(json.dumps(data))
    proc = compare("--results-dir", str(tmp_path), "--check")
    assert proc.returncode == 1
    assert "run 2 (deep_cnn, seed 0): provenance lacks 'commit_span'" in proc.stderr


def test_check_fails_on_a_run_from_a_dirty_tree(tmp_path):
    store = _fill(tmp_path)
    store.runs[0]["provenance"]["dirty"] = True
    store.save()
    proc = compare("--results-dir", str(tmp_path), "--check")
    assert proc.returncode == 1
    assert "run 0 (xception, seed 0): run from a dirty tree" in proc.stderr


def test_curve_points_the_paper_reports_are_compared(tmp_path, monkeypatch):
    """A curve table's points appear as ``metric at x`` cells next to the paper's."""
    from reproductions.common.paper import PaperSpec, Row, Table, DatasetSpec
    paper = PaperSpec(
        key="fake", title="Fake", citation="A.", source="fake.txt",
        datasets={"data": DatasetSpec("fake", "fake_synth")},
        tables=(Table("curve", "Accuracy vs budget", ("mca",), (
            Row("al", "AL", {"mca": {20: 90.35, 40: 93.0}}),), x=(10, 20, 40),
            x_label="budget (%)"),))
    store = results.ResultsStore(tmp_path / "fake", paper, PROFILE, {"data": {"name": "fake"}},
                                 synthetic=False)
    for seed, points in ((0, {"10": 50.0, "20": 80.0}), (1, {"10": 60.0, "20": 90.0})):
        store.add_run(results.run_record("al", seed, {"curve": {"al": {"mca": points}}},
                                         epochs=1, wall_time_s=1.0, train_images_per_s=1.0))
    cells = {(t.key, r.key, m): (p, a, d) for t, r, m, p, a, d in
             results.comparison_rows(paper, store.runs, "cpu")}
    assert set(cells) == {("curve", "al", "mca@20"), ("curve", "al", "mca@40")}
    paper_value, agg, delta = cells[("curve", "al", "mca@20")]
    assert paper_value == 90.35 and agg["mean"] == 85.0 and agg["n"] == 2
    assert delta == pytest.approx(85.0 - 90.35)
    assert cells[("curve", "al", "mca@40")][1:] == (None, None)  # not run yet
    assert results.metric_label("mca@20") == "MCA (%) at 20"
    table = results.markdown_tables(paper, store.runs, "cpu", False)
    assert ("| AL | MCA (%) | 55.00 ± 7.07 (n=2) | 85.00 ± 7.07 (n=2) [paper 90.35] | "
            "— [paper 93.00] | cpu |") in table.splitlines()
    assert "| model | metric | budget (%) 10 | budget (%) 20 | budget (%) 40 | profile |" in table


def test_missing_results_dir_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope"
    proc = compare("--results-dir", str(missing))
    assert proc.returncode == 2
    assert str(missing) in proc.stderr and "not a folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_curve_tables_are_drawn_with_the_seed_range(tmp_path):
    from reproductions.common import plots
    from reproductions.common.paper import DatasetSpec, PaperSpec, Row, Table
    paper = PaperSpec(
        key="fake", title="Fake", citation="A.", source="fake.txt",
        datasets={"data": DatasetSpec("fake", "fake_synth")},
        tables=(Table("budget", "Accuracy vs budget", ("mca",), (
            Row("al", "AL", {"mca": {20: 90.35}}), Row("rs", "RS", {})),
            x=(10, 20, 40), x_label="budget (%)"),
            Table("t", "plain", ("mca",), (Row("al", "AL", {"mca": 1.0}),))))
    runs = [{"values": {"budget": {"al": {"mca": {"10": 50.0, "20": 80.0}}}}},
            {"values": {"budget": {"al": {"mca": {"10": 60.0, "20": 90.0, "40": 95.0}}}}}]
    (path,) = plots.curve_tables(paper, runs, tmp_path)
    assert path == tmp_path / "budget.png" and path.stat().st_size > 5000
    assert plots.curve_tables(paper, [], tmp_path) == []
