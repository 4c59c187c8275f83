"""``python -m reproductions.finetune`` (issue #33) on a tiny preset and a tiny
generated folder: fine-tuning with a new head, from scratch, the exported
preset folder and its card; and a preset's classifier into a builder's model
(``presets.load_into``)."""
import keras
import numpy as np
import pytest

from reproductions import finetune, predict, presets
from reproductions.common import export
from reproductions.presets import card as card_lib
from reproductions.presets import make as make_lib
from tests.test_presets import tiny_inference_model, write_folder


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    base = tmp_path_factory.mktemp("finetune")
    source = tiny_inference_model(base / "tiny-seed0" / export.FILE_NAME,
                                  classes=("x", "y"), seed=5)
    return make_lib.make_preset(source, "tiny_xy", dest_root=base / "zoo", paper="tiny",
                                row="tiny", work_tag="smoke-0", profile="smoke",
                                log=lambda *a: None)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("cells"), per_class=10, seed=1)


def test_build_network_keeps_or_replaces_the_head(preset):
    _, classifier = finetune.preset_parts(presets.load(preset))
    same, how = finetune.build_network(classifier, ["x", "y"], ["x", "y"],
                                       from_scratch=False, seed=0)
    assert same is classifier and "same classes" in how
    new, how = finetune.build_network(classifier, ["x", "y"], ["a", "b", "c"],
                                      from_scratch=False, seed=0)
    assert new.output.shape[-1] == 3 and "new 3-class head" in how
    # the trunk is the preset's, the head is new
    np.testing.assert_array_equal(new.get_layer("tiny_conv").kernel.numpy(),
                                  classifier.get_layer("tiny_conv").kernel.numpy())
    scratch, how = finetune.build_network(classifier, ["x", "y"], ["a", "b", "c"],
                                          from_scratch=True, seed=0)
    assert "random weights" in how
    assert [type(layer) for layer in scratch.layers] == [type(layer) for layer in new.layers]
    assert not np.array_equal(scratch.get_layer("tiny_conv").kernel.numpy(),
                              classifier.get_layer("tiny_conv").kernel.numpy())


@pytest.mark.parametrize("from_scratch", [False, True])
def test_finetune_exports_a_preset_with_its_card(preset, folder, tmp_path, from_scratch):
    dest = finetune.finetune(preset, folder, out=tmp_path, from_scratch=from_scratch,
                             epochs=3, patience=2, batch_size=8, verbose=0,
                             log=lambda *a: None)
    assert dest.parent == tmp_path
    meta = presets.metadata(dest)
    assert card_lib.missing_fields(meta) == []
    assert meta["classes"] == ["horizontal", "vertical"]
    ft = meta["finetune"]
    assert ft["from_scratch"] is from_scratch and ft["from_preset"] == "tiny_xy"
    assert 1 <= ft["epochs_run"] <= 3 and 1 <= ft["best_epoch"] <= ft["epochs_run"]
    assert ft["learning_rate"] == finetune.DEFAULT_LR["scratch" if from_scratch
                                                      else "finetune"]
    (metric,) = meta["metrics"]
    assert metric["dataset"] == "image_folder" and metric["n"] == 4
    assert f"--image-folder {folder}" in metric["command"]
    card = (dest / presets.CARD_FILE).read_text()
    assert card == card_lib.render_card(meta) and "Not for diagnosis" in card
    model = presets.load(dest)  # hash checked
    assert export.class_names(model) == ["horizontal", "vertical"]
    assert predict.main(["--model", str(dest), str(folder / "vertical" / "vertical_0.png")]) == 0


def test_finetune_says_how_many_steps_it_takes_and_when_the_cap_cut_it(preset, folder,
                                                                          tmp_path):
    logged = []
    dest = finetune.finetune(preset, folder, out=tmp_path, epochs=2, patience=5,
                             batch_size=8, verbose=0, log=logged.append)
    ft = presets.metadata(dest)["finetune"]
    (line,) = [line for line in logged if "training images:" in line]
    n = int(line.split()[0])  # the reader's training split of the 20 images (64 %)
    assert 10 <= n <= 14
    steps = -(-n // 8)
    assert line == (f"{n} training images: {steps} batch(es) of 8 per epoch, at most "
                    f"{2 * steps} steps in 2 epochs")
    # patience 5 > 2 epochs: the cap ended it, with its best epoch within the last 5
    assert ft["epochs_run"] == 2
    assert any(line.startswith("note: stopped by the 2-epoch cap") for line in logged)


def test_cli_refuses_a_folder_with_one_class(preset, tmp_path, capsys):
    write_folder(tmp_path / "one", classes=("horizontal",))
    assert finetune.main(["--preset", str(preset), "--image-folder", str(tmp_path / "one"),
                          "--out", str(tmp_path / "out"), "--epochs", "1"]) == 2
    assert "error:" in capsys.readouterr().err


def test_load_into_a_model_with_another_head(preset):
    inputs = keras.Input((16, 16, 1))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="tiny_conv")(inputs)
    x = keras.layers.BatchNormalization(name="tiny_bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="tiny_pool")(x)
    x = keras.layers.Dense(3, activation="softmax", name="tiny_head")(x)
    model = keras.Model(inputs, x)
    transfer = presets.load_into(model, preset)
    assert sorted(transfer.loaded) == ["tiny_bn", "tiny_conv"]
    assert "tiny_head" in transfer.mismatched
    np.testing.assert_array_equal(model.get_layer("tiny_conv").kernel.numpy(),
                                  presets.classifier(preset).get_layer("tiny_conv")
                                  .kernel.numpy())


def test_validation_sees_batch_norm_statistics_of_the_trained_weights(preset):
    """After training, the BatchNorm moving mean is the mean of its inputs
    over the training images under the kept weights (re-estimated before
    every validation), not a lagging moving average: a from-scratch network
    on a small folder would otherwise validate as a one-class predictor."""
    import keras

    classifier = presets.classifier(preset)
    network, _ = finetune.build_network(classifier, ["x", "y"], ["x", "y"], from_scratch=True,
                                        seed=3)
    rng = np.random.default_rng(0)
    x = rng.random((16, 16, 16, 1)).astype("float32")
    y = rng.integers(0, 2, 16)
    finetune.train(network, {"train": (x, y), "validation": (x[:8], y[:8])}, epochs=2,
                   patience=2, batch_size=8, learning_rate=1e-2, seed=0, verbose=0)
    bn = network.get_layer("tiny_bn")
    inputs = keras.Model(network.inputs, bn.input)(x)
    np.testing.assert_allclose(bn.moving_mean.numpy(), np.mean(inputs, axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-5)
