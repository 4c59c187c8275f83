"""python -m reproductions.compare on empty, filled and broken results folders."""
import json
import subprocess
import sys

from reproductions.common import results
from reproductions.common.profiles import Profile
from reproductions.super_xception.paper import PAPER

PROFILE = Profile(name="cpu", description="test", image_size=8, batch_size=2,
                  epochs={"*": 1}, seeds=(0, 1), multi_seed_rows=("xception",))


def compare(*args):
    return subprocess.run([sys.executable, "-m", "reproductions.compare", *args],
                          capture_output=True, text=True, timeout=120)


def _fill(results_dir):
    store = results.ResultsStore(results_dir / "super_xception", PAPER, PROFILE,
                                 {"name": "bioimlab_chromosomes"}, synthetic=False)
    for seed, aca in ((0, 90.0), (1, 92.0)):
        store.add_run(results.run_record(
            "xception", seed, {"table1": {"xception": {"aca": aca}}}, epochs=1,
            wall_time_s=1.0, train_images_per_s=1.0))
    store.add_run(results.run_record(
        "deep_cnn", 0, {"table1": {"deep_cnn": {"aca": 88.25}}}, epochs=1,
        wall_time_s=1.0, train_images_per_s=1.0))
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


def test_missing_results_dir_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope"
    proc = compare("--results-dir", str(missing))
    assert proc.returncode == 2
    assert str(missing) in proc.stderr and "not a folder" in proc.stderr
    assert "Traceback" not in proc.stderr
