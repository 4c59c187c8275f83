"""Model builders for every row of Table 1, in the ``keras.applications``
style (``include_top``, ``weights``, ``input_tensor``, ``input_shape``,
``pooling``, ``classes``, ``classifier_activation``, ``name``; the contract and
the registry -- ``BUILDERS``, ``SMALL_CONFIGS``, ``FEATURE_LAYERS`` -- are in
``reproductions.common.builders``).

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

``include_top=False`` returns the trunk's last feature map (Xception's
``block14_sepconv2_act``, ResNet-50's ``conv5_block3_out``, the last max
pooling of the Deep CNN and of AlexNet), pooled with ``pooling="avg"|"max"``.
The classifiers are unchanged by it: Xception and ResNet-50 average-pool
before ``predictions``, the Deep CNN and AlexNet flatten into their FC layers.
"""
from __future__ import annotations

import keras

import layers as repro_layers
from reproductions.common import builders

ROWS = ("deep_cnn", "resnet50", "super_alexnet", "super_resnet", "xception",
        "super_xception")


# Where each trunk's feature map ends (``include_top=False``, ``backbone()``).
FEATURE_LAYERS = ("xception/block14_sepconv2_act", "resnet50/conv5_block3_out",
                  "deep_cnn_features/pool6", "alexnet/pool5")


def _upsample(inputs, hr_size):
    return keras.layers.Resizing(hr_size, hr_size, interpolation="bicubic",
                                 name="bicubic_upsample")(inputs)


def _wrap(trunk_fn, *, super_resolution, include_top, weights, input_tensor, input_shape,
          hr_size, pooling, classes, classifier_activation, name):
    """Upsampling (→ SR block) → ``trunk_fn`` → the ``predictions`` head.

    With ``include_top`` the trunk ends where the classifier's Dense reads
    (pooled or fully connected features, as the paper's networks have it);
    without, it ends at its last feature map (``feature_map=True``), pooled
    as asked.
    """
    builders.check_weights(weights)
    builders.check_pooling(pooling)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "low_res")
    x = _upsample(x, hr_size)
    if super_resolution:
        x = repro_layers.SRResidual(name="super_resolution")(x)
    x = trunk_fn((hr_size, hr_size, x.shape[-1]), feature_map=not include_top)(x)
    if include_top:
        x = keras.layers.Dense(classes, activation=classifier_activation,
                               name="predictions")(x)
    else:
        x = builders.pool(x, pooling)
    return builders.load_weights(keras.Model(inputs, x, name=name), weights,
                                 exact=include_top)


def _xception_trunk(shape, feature_map=False):
    return keras.applications.Xception(weights=None, include_top=False, input_shape=shape,
                                       pooling=None if feature_map else "avg",
                                       name="xception")


def _resnet_trunk(shape, feature_map=False):
    return keras.applications.ResNet50(weights=None, include_top=False, input_shape=shape,
                                       pooling=None if feature_map else "avg",
                                       name="resnet50")


def alexnet_backbone(shape, name="alexnet", feature_map=False):
    """Single-tower AlexNet (Krizhevsky et al. 2012, as used by Cai et al.)
    without the top layer: conv 11×11/4 ×96 → max 3/2 → conv 5×5 ×256 →
    max 3/2 → conv 3×3 ×384 → conv 3×3 ×384 → conv 3×3 ×256 → max 3/2 →
    FC 4096 → dropout 0.5 → FC 4096 → dropout 0.5 (``feature_map``: up to
    the last max pooling).

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
    if not feature_map:
        x = keras.layers.Flatten(name="flatten")(x)
        for i in (6, 7):
            x = keras.layers.Dense(4096, activation="relu", name=f"fc{i}")(x)
            x = keras.layers.Dropout(0.5, name=f"drop{i}")(x)
    return keras.Model(inputs, x, name=name)


def _deep_cnn_trunk(shape, feature_map=False):
    inputs = keras.Input(shape)
    x = inputs
    for i, filters in enumerate((16, 16, 32, 64, 128, 256), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(x)
    if not feature_map:
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(1024, activation="sigmoid", name="fc1")(x)
        x = keras.layers.Dense(512, activation="sigmoid", name="fc2")(x)
    return keras.Model(inputs, x, name="deep_cnn_features")


_ARGS = """

    Args (``keras.applications`` style, see ``reproductions.common.builders``):
      include_top: the ``predictions`` softmax over ``classes``; otherwise
        the trunk's last feature map (4-D), or 2-D with ``pooling``.
      input_shape: the low-resolution input (50×50×1 in the paper).
      hr_size: side the input is bicubic-upsampled to (227 in the paper).
      classes, classifier_activation, name: of the head / the model.
      weights: ``None`` (from scratch) or a ``.weights.h5`` / ``.keras`` file.
      input_tensor: a Keras tensor to build on instead of a new input.
      pooling: with ``include_top=False``: ``None``, ``"avg"`` or ``"max"``.
    """


def _factory(trunk_fn, super_resolution, default_name, doc):
    def builder(include_top=True, input_shape=(50, 50, 1), hr_size=227, classes=24,
                classifier_activation="softmax", name=default_name, *, weights=None,
                input_tensor=None, pooling=None):
        return _wrap(trunk_fn, super_resolution=super_resolution, include_top=include_top,
                     weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                     hr_size=hr_size, pooling=pooling, classes=classes,
                     classifier_activation=classifier_activation, name=name)
    builder.__name__ = builder.__qualname__ = default_name
    builder.__doc__ = doc + _ARGS
    return builder


DeepCNN = _factory(_deep_cnn_trunk, False, "deep_cnn",
                   "The \"traditional deep CNN\" of §5.3 (Sharma et al. 2017): six 3×3 "
                   "conv + ReLU + 2×2 max-pool blocks with 16, 16, 32, 64, 128, 256 "
                   "filters, FC 1024 and FC 512 with sigmoid, softmax over ``classes``. The "
                   "kernel size is not stated in the paper; 3×3 'same' is assumed.")
ResNet50 = _factory(_resnet_trunk, False, "resnet50",
                    "`keras.applications.ResNet50` (from scratch) on the bicubic-upsampled "
                    "low-resolution input.")
SuperResNet = _factory(_resnet_trunk, True, "super_resnet",
                       "SRResidual + `keras.applications.ResNet50`.")
SuperAlexNet = _factory(alexnet_backbone, True, "super_alexnet",
                        "SRResidual + single-tower AlexNet (Cai et al.).")
Xception = _factory(_xception_trunk, False, "xception",
                    "`keras.applications.Xception` (from scratch) on the bicubic-upsampled "
                    "low-resolution input.")
SuperXception = _factory(_xception_trunk, True, "super_xception",
                         "Super-Xception (Fig. 2): bicubic upsampling → SRResidual → "
                         "`keras.applications.Xception` → softmax.")

BUILDERS = {"deep_cnn": DeepCNN, "resnet50": ResNet50, "super_alexnet": SuperAlexNet,
            "super_resnet": SuperResNet, "xception": Xception,
            "super_xception": SuperXception}
#: Each row at a small size for the tests (Xception needs ≥ 71 px, ResNet-50 ≥ 32).
SMALL_CONFIGS = {row: dict(input_shape=(24, 24, 1), hr_size=71 if "xception" in row else 32,
                           classes=3) for row in ROWS}


def build(row: str, **kwargs) -> keras.Model:
    """The model of a Table 1 row (``ROWS``)."""
    if row not in BUILDERS:
        raise KeyError(f"unknown row {row!r}; rows are {', '.join(ROWS)}")
    return BUILDERS[row](**kwargs)


def sr_parameter_count(channels: int) -> int:
    """Weights of the SR block: 9·9·C·64+64 + 5·5·64·32+32 + 5·5·32·C+C."""
    return 9 * 9 * channels * 64 + 64 + 5 * 5 * 64 * 32 + 32 + 5 * 5 * 32 * channels + channels
