"""Table 1 models: parameter counts pinned to keras.applications and to the
paper's layer descriptions, output shapes, where the feature map ends.

The full paper size (227×227) is in ``test_paper_profile.py``; these use the
smallest sizes the backbones accept. What every builder of every paper must
do (forward and backward passes, saving, ``weights=``, ``include_top=False``,
backbones) is in ``tests/test_builders.py``."""
import math

import keras
import pytest

from reproductions.common import registry
from reproductions.super_xception import models

C = 1  # grayscale
LOW = (50, 50, 1)
SR_PARAMS = (9 * 9 * C * 64 + 64) + (5 * 5 * 64 * 32 + 32) + (5 * 5 * 32 * C + C)


def _pooled(size, times):
    """Side after ``times`` 2×2 max-pools with 'same' padding."""
    for _ in range(times):
        size = math.ceil(size / 2)
    return size


def deep_cnn_params(hr, classes=24):
    """§5.3: six 3×3 conv + ReLU + 2×2 max-pool (16, 16, 32, 64, 128, 256
    filters), FC 1024, FC 512 (sigmoid), softmax."""
    convs, c_in = 0, C
    for filters in (16, 16, 32, 64, 128, 256):
        convs += 3 * 3 * c_in * filters + filters
        c_in = filters
    flat = _pooled(hr, 6) ** 2 * 256
    return convs + (flat * 1024 + 1024) + (1024 * 512 + 512) + (512 * classes + classes)


def super_alexnet_params(hr, classes=24):
    """SR block + single-tower AlexNet ('same' padding): conv 11/4 ×96, pool 3/2,
    conv 5 ×256, pool, conv 3 ×384, conv 3 ×384, conv 3 ×256, pool, FC 4096 ×2."""
    side = math.ceil(hr / 4)          # conv1, stride 4
    for _ in range(3):                # three 3/2 max-pools
        side = math.ceil(side / 2)
    convs = ((11 * 11 * C * 96 + 96) + (5 * 5 * 96 * 256 + 256) + (3 * 3 * 256 * 384 + 384)
             + (3 * 3 * 384 * 384 + 384) + (3 * 3 * 384 * 256 + 256))
    fcs = (side * side * 256 * 4096 + 4096) + (4096 * 4096 + 4096)
    return SR_PARAMS + convs + fcs + (4096 * classes + classes)


def test_registered_paper_counts():
    """models.py's paper-size counts (50 → 227 px, 24 classes): closed forms
    for the Deep CNN and Super-AlexNet; the Xception and ResNet-50 trunks are
    fully convolutional, so only their 2048 → 24 head differs from the
    small trunk's registered count."""
    entries = {e.name: e for e in registry.model_entries("super_xception")}
    closed_forms = {"deep_cnn": deep_cnn_params, "super_alexnet": super_alexnet_params}
    for name, entry in entries.items():
        expected = (closed_forms[name](227) if name in closed_forms
                    else entry.counts[1] + 2048 * 24 + 24)
        assert entry.paper_count == expected, name


def test_sr_formula():
    assert SR_PARAMS == 5248 + 51232 + 801
    assert models.sr_parameter_count(C) == SR_PARAMS
    assert models.sr_parameter_count(3) == (9 * 9 * 3 * 64 + 64) + (5 * 5 * 64 * 32 + 32) \
        + (5 * 5 * 32 * 3 + 3)


def test_xception_rows_match_keras_applications():
    hr = 71  # Xception's minimum input
    reference = keras.applications.Xception(weights=None, input_shape=(hr, hr, C),
                                            classes=24).count_params()
    x = models.Xception(input_shape=LOW, hr_size=hr, classes=24)
    sx = models.SuperXception(input_shape=LOW, hr_size=hr, classes=24)
    assert x.count_params() == reference
    assert sx.count_params() == reference + SR_PARAMS
    for model in (x, sx):
        assert model.input_shape == (None, 50, 50, 1)
        assert model.output_shape == (None, 24)
        assert model.get_layer("bicubic_upsample").output.shape == (None, hr, hr, C)
    assert sx.get_layer("super_resolution").output.shape == (None, hr, hr, C)
    assert x.name == "xception" and sx.name == "super_xception"


def test_resnet_rows_match_keras_applications():
    hr = 64
    reference = keras.applications.ResNet50(weights=None, input_shape=(hr, hr, C),
                                            classes=24).count_params()
    r = models.build("resnet50", input_shape=LOW, hr_size=hr, classes=24)
    sr = models.build("super_resnet", input_shape=LOW, hr_size=hr, classes=24)
    assert r.count_params() == reference
    assert sr.count_params() == reference + SR_PARAMS
    assert r.output_shape == sr.output_shape == (None, 24)


@pytest.mark.parametrize("hr", [71, 96])
def test_deep_cnn_and_super_alexnet_follow_the_paper(hr):
    d = models.DeepCNN(input_shape=LOW, hr_size=hr)
    assert d.count_params() == deep_cnn_params(hr)
    assert d.output_shape == (None, 24)
    a = models.SuperAlexNet(input_shape=LOW, hr_size=hr)
    assert a.count_params() == super_alexnet_params(hr)
    assert a.output_shape == (None, 24)
    # FC layers use sigmoid in the Deep CNN (§5.3)
    fc = d.get_layer("deep_cnn_features")
    assert fc.get_layer("fc1").activation.__name__ == "sigmoid"
    assert fc.get_layer("fc2").activation.__name__ == "sigmoid"


def test_deep_cnn_arithmetic_at_227():
    # 227 -> 114 -> 57 -> 29 -> 15 -> 8 -> 4: flatten 4·4·256 = 4096
    assert deep_cnn_params(227) == (
        (3 * 3 * 1 * 16 + 16) + (3 * 3 * 16 * 16 + 16) + (3 * 3 * 16 * 32 + 32)
        + (3 * 3 * 32 * 64 + 64) + (3 * 3 * 64 * 128 + 128) + (3 * 3 * 128 * 256 + 256)
        + (4096 * 1024 + 1024) + (1024 * 512 + 512) + (512 * 24 + 24)) == 5_127_080


@pytest.mark.parametrize("row", ["deep_cnn", "super_alexnet"])
def test_include_top_false_is_the_last_pooling(row):
    """Without top, the Deep CNN and AlexNet end at their last max pooling,
    before their FC layers (like keras.applications' VGG)."""
    model = models.build(row, include_top=False, input_shape=LOW, hr_size=71)
    side = _pooled(71, 6) if row == "deep_cnn" else _pooled(math.ceil(71 / 4), 3)
    assert model.output_shape == (None, side, side, 256)
    assert not [w.path for w in model.weights if w.path.startswith("fc")]


def test_classes_and_name_arguments():
    model = models.build("deep_cnn", input_shape=(40, 40, 1), hr_size=64, classes=7,
                         name="mine", classifier_activation=None)
    assert model.name == "mine" and model.output_shape == (None, 7)
    assert model.get_layer("predictions").activation.__name__ == "linear"
    with pytest.raises(KeyError, match="unknown row"):
        models.build("vgg16")
