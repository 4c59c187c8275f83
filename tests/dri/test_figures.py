"""The DRI training / input-pipeline throughput summary written to results.json."""
import pytest

from reproductions.dri.figures import throughput


def _run(row, seed, speed, wall=10.0, pipeline=None):
    run = {"row": row, "seed": seed, "variant": "", "train_images_per_s": speed,
           "wall_time_s": wall}
    if pipeline is not None:
        run["pipeline_images_per_s"] = pipeline
    return run


def test_median_training_speed_over_seeds_next_to_the_pipeline():
    runs = [_run("dri", 0, 4.0, pipeline=2000.0), _run("dri", 1, 10.0), _run("dri", 2, 12.0),
            _run("inception", 0, 50.0), _run("dri", 3, 99.0, wall=0.0)]  # restored: no speed
    out = throughput(runs)
    assert out["seeds"] == [0, 1, 2]
    assert out["dri_train_images_per_s_per_seed"] == [4.0, 10.0, 12.0]
    assert out["dri_train_images_per_s"] == 10.0
    assert out["input_pipeline_images_per_s"] == 2000.0
    assert out["pipeline_over_training"] == pytest.approx(200.0)


def test_no_summary_without_a_pipeline_measurement_or_a_dri_run():
    assert throughput([_run("dri", 0, 4.0)]) is None
    assert throughput([_run("inception", 0, 4.0, pipeline=100.0)]) is None
