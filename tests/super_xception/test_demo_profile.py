"""The demo profile: the default of ``python -m reproductions.super_xception``
(the README's first command), every row on a few hundred chromosomes in
about five minutes; and the cpu profile's early-stopping rule."""
from reproductions.common import experiment
from reproductions.super_xception import __main__ as sx
from reproductions.super_xception.models import ROWS
from reproductions.super_xception.profiles import PAPER_EPOCHS, PROFILES


def test_demo_is_the_default_profile():
    parser = experiment.cli.build_parser(
        "super_xception", "", PROFILES, ROWS, default_profile=sx.REPRODUCTION.default_profile)
    assert parser.parse_args([]).profile == "demo"


def test_demo_trains_every_row_with_adam_and_no_ablation():
    import keras

    demo = PROFILES["demo"]
    assert demo.subset == {"train": 600, "validation": 120, "test": 240}
    assert demo.settings.ablation is False and demo.patience is None
    for row in ROWS:
        assert 2 <= demo.epochs_for(row) <= 30
        optimizer = sx.optimizer_for(row, sx._demo_learning_rate(demo, row))
        assert isinstance(optimizer, keras.optimizers.Adam)
        expected = 1e-4 if row == "super_alexnet" else 1e-3
        assert abs(float(optimizer.learning_rate) - expected) < 1e-9
    # the other profiles keep the paper's optimisers
    assert sx._demo_learning_rate(PROFILES["cpu"], "resnet50") is None
    assert isinstance(sx.optimizer_for("resnet50"), keras.optimizers.SGD)


def test_cpu_patience_is_a_tenth_of_the_paper_epochs_at_least_five():
    cpu = PROFILES["cpu"]
    assert {row: cpu.patience_for(row) for row in ROWS} == {
        "deep_cnn": 15, "resnet50": 5, "super_alexnet": 10, "super_resnet": 5,
        "xception": 5, "super_xception": 8}
    assert all(cpu.patience_for(r) < PAPER_EPOCHS[r] for r in ROWS)
