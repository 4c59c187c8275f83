"""The Super-Xception / Xception throughput summary written to results.json."""
import numpy as np
import pytest

from reproductions.super_xception.figures import paired_gap, throughput


def _run(row, seed, speed, variant="", wall=10.0):
    return {"row": row, "seed": seed, "variant": variant, "train_images_per_s": speed,
            "wall_time_s": wall}


def test_throughput_pairs_by_seed_and_reports_the_median_ratio():
    runs = [_run("xception", 0, 8.0), _run("super_xception", 0, 16.0),
            _run("xception", 1, 20.0), _run("super_xception", 1, 10.0),
            _run("xception", 2, 20.0), _run("super_xception", 2, 12.0),
            _run("super_xception", 0, 99.0, variant="no_ln"),  # ablation: ignored
            _run("super_xception", 3, 5.0),  # no Xception partner: ignored
            _run("deep_cnn", 0, 500.0)]
    out = throughput(runs)
    assert out["seeds"] == [0, 1, 2]
    assert out["xception_images_per_s"] == [8.0, 20.0, 20.0]
    assert out["super_xception_images_per_s"] == [16.0, 10.0, 12.0]
    assert out["super_xception_over_xception"] == pytest.approx([2.0, 0.5, 0.6])
    assert out["median_super_xception_over_xception"] == pytest.approx(0.6)


def test_throughput_needs_both_networks_of_a_seed():
    assert throughput([_run("xception", 0, 8.0)]) is None
    assert throughput([_run("xception", 0, 8.0), _run("super_xception", 1, 4.0)]) is None
    # a run restored from an earlier process has no measured speed
    assert throughput([_run("xception", 0, 8.0), _run("super_xception", 0, 4.0, wall=0.0)]) is None


def _acc(row, seed, aca, variant=""):
    return {"row": row, "seed": seed, "variant": variant, "metrics": {"aca": aca}}


def test_paired_gap_is_per_seed_super_xception_minus_xception():
    runs = [_acc("xception", 0, 0.70), _acc("super_xception", 0, 0.72),
            _acc("xception", 1, 0.80), _acc("super_xception", 1, 0.79),
            _acc("xception", 2, 0.75), _acc("super_xception", 2, 0.78),
            _acc("super_xception", 0, 0.99, variant="no_ln"), _acc("deep_cnn", 0, 0.4)]
    gap = paired_gap(runs)
    assert gap["seeds"] == [0, 1, 2]
    assert gap["points"] == pytest.approx([2.0, -1.0, 3.0])
    assert gap["mean"] == pytest.approx(4 / 3)
    assert gap["std"] == pytest.approx(np.std([2.0, -1.0, 3.0], ddof=1))
    assert gap["seeds_where_super_xception_is_better"] == 2
    assert gap["paper"] == pytest.approx(92.36 - 91.80)  # Table 1
    assert paired_gap([_acc("xception", 0, 0.7)]) is None
