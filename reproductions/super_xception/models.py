"""Model builders for every row of Table 1, in the ``keras.applications``
calling style (``include_top``, ``input_shape``, ``classes``, ``name``).

Every model takes what a user has: the low-resolution grayscale chromosome
(``input_shape``, 50×50×1 in the paper). The bicubic upsampling to the
classifier's size (``hr_size``, 227 in the paper, Fig. 2) is the model's first
layer, so a saved model accepts 50×50 crops. Upsampling needs no
anti-aliasing; the anti-aliased bicubic *down*-sampling to 50×50 happens in
the input pipeline (``reproductions.super_xception.data``).

The "Super-" rows insert :class:`layers.SRResidual` (conv 9×9×64 → ReLU →
conv 5×5×32 → ReLU → conv 5×5×C, output = input + residual; §4 and Cai et
al.) between the upsampling and the classifier. Standard networks come from
``keras.applications`` (``weights=None``: the paper trains from scratch).
"""
from __future__ import annotations

import keras

import layers as repro_layers

ROWS = ("deep_cnn", "resnet50", "super_alexnet", "super_resnet", "xception",
        "super_xception")


def _head(x, include_top, classes, pooling, classifier_activation):
    if include_top:
        return keras.layers.Dense(classes, activation=classifier_activation,
                                  name="predictions")(x)
    return x


def _upsample(inputs, hr_size):
    return keras.layers.Resizing(hr_size, hr_size, interpolation="bicubic",
                                 name="bicubic_upsample")(inputs)


def _wrap(backbone_fn, *, super_resolution, include_top, input_shape, hr_size, classes,
          classifier_activation, name):
    inputs = keras.Input(shape=input_shape, name="low_res")
    x = _upsample(inputs, hr_size)
    if super_resolution:
        x = repro_layers.SRResidual(name="super_resolution")(x)
    backbone = backbone_fn((hr_size, hr_size, input_shape[-1]))
    x = backbone(x)
    outputs = _head(x, include_top, classes, None, classifier_activation)
    return keras.Model(inputs, outputs, name=name)


def _xception_backbone(shape):
    return keras.applications.Xception(weights=None, include_top=False, input_shape=shape,
                                       pooling="avg", name="xception")


def _resnet_backbone(shape):
    return keras.applications.ResNet50(weights=None, include_top=False, input_shape=shape,
                                       pooling="avg", name="resnet50")


def alexnet_backbone(shape, name="alexnet"):
    """Single-tower AlexNet (Krizhevsky et al. 2012, as used by Cai et al.)
    without the top layer: conv 11×11/4 ×96 → max 3/2 → conv 5×5 ×256 →
    max 3/2 → conv 3×3 ×384 → conv 3×3 ×384 → conv 3×3 ×256 → max 3/2 →
    FC 4096 → dropout 0.5 → FC 4096 → dropout 0.5.

    Local response normalisation is left out (Keras has no LRN layer and it
    is known to change little); 'same' padding keeps small inputs valid.
    """
    inputs = keras.Input(shape)
    x = inputs
    for i, (filters, kernel, stride, pool) in enumerate(
            [(96, 11, 4, True), (256, 5, 1, True), (384, 3, 1, False),
             (384, 3, 1, False), (256, 3, 1, True)], start=1):
        x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same",
                                activation="relu", name=f"conv{i}")(x)
        if pool:
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i in (6, 7):
        x = keras.layers.Dense(4096, activation="relu", name=f"fc{i}")(x)
        x = keras.layers.Dropout(0.5, name=f"drop{i}")(x)
    return keras.Model(inputs, x, name=name)


def DeepCNN(include_top=True, input_shape=(50, 50, 1), hr_size=227, classes=24,
            classifier_activation="softmax", name="deep_cnn"):
    """The "traditional deep CNN" of §5.3 (Sharma et al. 2017): six 3×3
    conv + ReLU + 2×2 max-pool blocks with 16, 16, 32, 64, 128, 256 filters,
    FC 1024 and FC 512 with sigmoid, softmax over ``classes``. The kernel size
    is not stated in the paper; 3×3 'same' is assumed."""
    def backbone(shape):
        inputs = keras.Input(shape)
        x = inputs
        for i, filters in enumerate((16, 16, 32, 64, 128, 256), start=1):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                    name=f"conv{i}")(x)
            x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(1024, activation="sigmoid", name="fc1")(x)
        x = keras.layers.Dense(512, activation="sigmoid", name="fc2")(x)
        return keras.Model(inputs, x, name="deep_cnn_features")
    return _wrap(backbone, super_resolution=False, include_top=include_top,
                 input_shape=input_shape, hr_size=hr_size, classes=classes,
                 classifier_activation=classifier_activation, name=name)


def _factory(backbone_fn, super_resolution, default_name, doc):
    def builder(include_top=True, input_shape=(50, 50, 1), hr_size=227, classes=24,
                classifier_activation="softmax", name=default_name):
        return _wrap(backbone_fn, super_resolution=super_resolution,
                     include_top=include_top, input_shape=input_shape, hr_size=hr_size,
                     classes=classes, classifier_activation=classifier_activation,
                     name=name)
    builder.__name__ = builder.__qualname__ = default_name
    builder.__doc__ = doc
    return builder


ResNet50 = _factory(_resnet_backbone, False, "resnet50",
                    "`keras.applications.ResNet50` (from scratch) on the bicubic-upsampled "
                    "low-resolution input.")
SuperResNet = _factory(_resnet_backbone, True, "super_resnet",
                       "SRResidual + `keras.applications.ResNet50`.")
SuperAlexNet = _factory(alexnet_backbone, True, "super_alexnet",
                        "SRResidual + single-tower AlexNet (Cai et al.).")
Xception = _factory(_xception_backbone, False, "xception",
                    "`keras.applications.Xception` (from scratch) on the bicubic-upsampled "
                    "low-resolution input.")
SuperXception = _factory(_xception_backbone, True, "super_xception",
                         "Super-Xception (Fig. 2): bicubic upsampling → SRResidual → "
                         "`keras.applications.Xception` → softmax.")

BUILDERS = {"deep_cnn": DeepCNN, "resnet50": ResNet50, "super_alexnet": SuperAlexNet,
            "super_resnet": SuperResNet, "xception": Xception,
            "super_xception": SuperXception}


def build(row: str, **kwargs) -> keras.Model:
    """The model of a Table 1 row (``ROWS``)."""
    if row not in BUILDERS:
        raise KeyError(f"unknown row {row!r}; rows are {', '.join(ROWS)}")
    return BUILDERS[row](**kwargs)


def sr_parameter_count(channels: int) -> int:
    """Weights of the SR block: 9·9·C·64+64 + 5·5·64·32+32 + 5·5·32·C+C."""
    return 9 * 9 * channels * 64 + 64 + 5 * 5 * 64 * 32 + 32 + 5 * 5 * 32 * channels + channels
