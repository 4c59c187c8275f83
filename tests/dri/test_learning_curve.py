"""``python -m reproductions.dri.learning_curve``: the rule that reads N off
a curve (issue #34, protocol in reproductions/dri/NOTES.md) and a tiny run of
the command with a step schedule on the synthetic cells, resumed."""
import csv
import dataclasses

import pytest

from reproductions.dri import learning_curve
from reproductions.dri.learning_curve import read_iterations
from reproductions.dri.profiles import PROFILES

EVERY = 500
N_MAX = 14_500
ITS = list(range(EVERY, N_MAX + 1, EVERY))  # 29 points


def test_rule_finds_where_the_smoothed_loss_stops_improving():
    # falls by 5 % a point up to 7,000 iterations, flat after
    losses = [0.8 * 0.95 ** (min(i, 7_000) // EVERY) for i in ITS]
    reading = read_iterations(ITS, losses, n_max=N_MAX)
    # the 3-point mean still falls up to 8,000 (two points after the last fall)
    assert reading.n == 8_000
    assert reading.smoothed[1_500] == pytest.approx(sum(losses[:3]) / 3)
    assert 1_000 not in reading.smoothed  # fewer than 3 points
    assert "8,000" in reading.reason


def test_rule_reads_nothing_before_the_floor():
    # flat from 2,000 to 5,000 (a plateau at the high rate), then falling by 2 % a
    # point up to 9,000, flat after
    losses = [0.5 if i <= 5_000 else 0.5 * 0.98 ** ((min(i, 9_000) - 5_000) // EVERY)
              for i in ITS]
    reading = read_iterations(ITS, losses, n_max=N_MAX)
    # at 9,500 the mean of (0.98^7, 0.98^8, 0.98^8) is 0.7 % above the flat end
    assert reading.n == 9_500
    # with no floor the plateau would have been taken
    assert read_iterations(ITS, losses, n_max=N_MAX, floor=0).n == 1_500


def test_rule_small_gains_do_not_count():
    losses = [0.5 * 0.999 ** k for k in range(len(ITS))]  # 0.1 % a point: < 1 % over 4
    assert read_iterations(ITS, losses, n_max=N_MAX).n == 5_000


def test_rule_takes_n_max_on_a_curve_still_falling_and_waits_on_a_short_one():
    falling = [0.9 * 0.97 ** k for k in range(len(ITS))]
    reading = read_iterations(ITS, falling, n_max=N_MAX)
    assert reading.n == N_MAX and "budget" in reading.reason
    short = read_iterations(ITS[:12], falling[:12], n_max=N_MAX)
    assert short.n is None and "6,000" in short.reason


def test_rule_needs_even_points_from_zero():
    with pytest.raises(ValueError):
        read_iterations([500, 1_000, 2_000], [0.5, 0.4, 0.3], n_max=N_MAX)
    with pytest.raises(ValueError):
        read_iterations([300, 600], [0.5, 0.4], n_max=600)  # horizon not whole points


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """cpu_schedule with a decay every 2 iterations, batches of 8, on 48 / 12 / 12
    synthetic cells, eager: 3 points of 2 iterations."""
    root = tmp_path_factory.mktemp("dri_curve")
    profile = PROFILES["cpu_schedule"]
    tiny_profile = dataclasses.replace(
        profile, batch_size=8, subset={"train": 48, "validation": 12, "test": 12},
        settings=profile.settings.replace(steps_per_decay=2, run_eagerly=True))
    argv = ["--profile", "cpu_schedule", "--data", "synthetic", "--iterations", "6",
            "--every", "2", "--data-dir", str(root / "data"), "--output-dir",
            str(root / "out"), "--work-dir", str(root / "work")]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(PROFILES, "cpu_schedule", tiny_profile)
        assert learning_curve.main(argv) == 0
    return root, argv, tiny_profile


def _curve(root):
    with open(root / "out" / "curve.csv") as f:
        return list(csv.DictReader(f))


def test_tiny_curve_follows_the_profile_schedule(tiny):
    root, _, _ = tiny
    rows = _curve(root)
    assert [int(r["iteration"]) for r in rows] == [2, 4, 6]
    # the rate of each point's last iteration (1, 3, 5): one step of 0.79 a point
    assert [float(r["lr"]) for r in rows] == pytest.approx([1e-3, 0.79e-3, 0.79 ** 2 * 1e-3])
    assert rows[0]["smoothed_val_loss"] == rows[1]["smoothed_val_loss"] == "nan"
    assert float(rows[2]["smoothed_val_loss"]) == pytest.approx(
        sum(float(r["val_loss"]) for r in rows) / 3)
    readme = (root / "out" / "README.md").read_text()
    assert "Synthetic cells" in readme and "(cpu_schedule profile)" in readme
    # too short for the rule's floor (5,000): N is the curve's end
    assert "**N by the protocol's rule: 6 iterations**" in readme
    for name in ("curve.png", "loss.png"):
        assert (root / "out" / name).stat().st_size > 0


def test_tiny_curve_resumes_and_refuses_other_settings(tiny, capsys):
    root, argv, tiny_profile = tiny
    before = _curve(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(PROFILES, "cpu_schedule", tiny_profile)
        assert learning_curve.main(argv) == 0  # finished: nothing trained again
        assert _curve(root) == before
        other = [a if a != "2" else "3" for a in argv]  # --every 3
        assert learning_curve.main(other) == 2
    assert "learning curve of other settings (every" in capsys.readouterr().err


def test_a_point_lost_to_a_kill_is_rebuilt_from_the_history(tiny, tmp_path):
    """A session killed between an epoch's backup and its evaluation (before
    the backup became the last callback) left no point for that epoch: the
    curve takes its losses from the history and says MCA was not recorded."""
    import shutil

    root, argv, tiny_profile = tiny
    work = tmp_path / "work"
    shutil.copytree(root / "work", work)
    points = work / "dri-seed0" / "points.jsonl"
    lines = points.read_text().splitlines()
    points.write_text("\n".join(lines[:1] + lines[2:]) + "\n")  # iteration 4 lost
    moved = {"--work-dir": str(work), "--output-dir": str(tmp_path / "out")}
    args = [moved.get(before, a) for before, a in zip([None] + argv, argv)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(PROFILES, "cpu_schedule", tiny_profile)
        assert learning_curve.main(args) == 0
    rows, full = _curve(tmp_path), _curve(root)
    assert [int(r["iteration"]) for r in rows] == [2, 4, 6]
    assert rows[1]["val_mca"] == rows[1]["val_aca"] == "nan"
    for key in ("loss", "val_loss", "lr", "smoothed_val_loss"):
        assert [float(r[key]) for r in rows[1:]] == pytest.approx(
            [float(r[key]) for r in full[1:]], rel=1e-6, nan_ok=True), key
    assert rows[0] == full[0] and rows[2] == full[2]
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "| 4 |" in readme and "| — | — |" in readme
    assert "Validation MCA and ACA not recorded (—) at iteration 4:" in readme
