"""The Super-Xception / Xception throughput summary written to results.json."""
import pytest

from reproductions.super_xception.figures import throughput


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

