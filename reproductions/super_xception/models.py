"""Model builders for every row of Table 1, in the ``keras.applications``
style (``include_top``, ``weights``, ``input_tensor``, ``input_shape``,
``pooling``, ``classes``, ``classifier_activation``, ``name``; the contract is
in ``reproductions.common.builders``, the registry each row is entered in, with
its pinned parameter counts, in ``reproductions.common.registry``).

Every model takes what a user has: the low-resolution grayscale chromosome
(``input_shape``, 50×50×1 in the paper). The bicubic upsampling to the
classifier's size (``hr_size``, 227 in the paper, Fig. 2) is the model's first
layer (:class:`layers.Resize`, the same on every Keras backend), so a saved
model accepts 50×50 crops. Upsampling needs no
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

import functools

import keras

import layers as repro_layers
from reproductions.common import builders, registry, weight_loading, zoo

ROWS = ("deep_cnn", "resnet50", "super_alexnet", "super_resnet", "xception",
        "super_xception")


# Where each trunk's feature map ends (``include_top=False``, ``backbone()``).
FEATURE_LAYERS = ("xception/block14_sepconv2_act", "resnet50/conv5_block3_out",
                  "deep_cnn_features/pool6", "alexnet/pool5")


def _upsample(inputs, hr_size):
    """Bicubic as ``tf.image.resize`` on every Keras backend (:class:`layers.Resize`;
    ``keras.layers.Resizing``, which models saved before it use, is each
    backend's own bicubic: PyTorch's is 3-7 % apart). On TensorFlow the two
    agree to 5e-7 (``tests/super_xception/test_models.py``)."""
    return repro_layers.Resize(hr_size, "bicubic", name="bicubic_upsample")(inputs)


def _wrap(trunk_fn, *, super_resolution, include_top, weights, input_tensor, input_shape,
          hr_size, pooling, classes, classifier_activation, name):
    """Upsampling (→ SR block) → ``trunk_fn`` → the ``predictions`` head.

    With ``include_top`` the trunk ends where the classifier's Dense reads
    (pooled or fully connected features, as the paper's networks have it);
    without, it ends at its last feature map (``feature_map=True``), pooled
    as asked.
    """
    weight_loading.check_weights(weights)
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
    return weight_loading.load_weights(keras.Model(inputs, x, name=name), weights,
                                 exact=include_top)


#: The trunks of the model zoo (``reproductions.common.zoo``), nested as
#: ``xception``, ``resnet50`` and ``alexnet``.
_xception_trunk = functools.partial(zoo.applications_backbone, keras.applications.Xception,
                                    name="xception")
_resnet_trunk = functools.partial(zoo.applications_backbone, keras.applications.ResNet50,
                                  name="resnet50")
alexnet_backbone = zoo.alexnet_backbone


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
                        "SRResidual + single-tower AlexNet (Cai et al.; the model zoo's "
                        "``alexnet_backbone``).")
Xception = _factory(_xception_trunk, False, "xception",
                    "`keras.applications.Xception` (from scratch) on the bicubic-upsampled "
                    "low-resolution input.")
SuperXception = _factory(_xception_trunk, True, "super_xception",
                         "Super-Xception (Fig. 2): bicubic upsampling → SRResidual → "
                         "`keras.applications.Xception` → softmax.")


def _small(row: str) -> dict:
    """A row at a small size for the tests (Xception needs ≥ 71 px, ResNet-50 ≥ 32)."""
    return dict(input_shape=(24, 24, 1), hr_size=71 if "xception" in row else 32, classes=3)


#: The registry (``reproductions.common.registry``): every row, with the
#: parameters the tests pin -- ``counts``: (include_top=True, False) at its
#: small configuration; ``paper_count``: with the defaults (50 → 227 px, 24
#: classes), the models of the committed results.
_register = functools.partial(registry.register_model, "super_xception")
_register("deep_cnn", DeepCNN, small=_small("deep_cnn"), counts=(1_184_147, 394_640),
          paper_count=5_127_080)
_register("resnet50", ResNet50, small=_small("resnet50"), counts=(23_587_587, 23_581_440),
          paper_count=23_630_616)
_register("super_alexnet", SuperAlexNet, small=_small("super_alexnet"),
          counts=(21_627_524, 3_781_249), paper_count=87_773_849)
_register("super_resnet", SuperResNet, small=_small("super_resnet"),
          counts=(23_644_868, 23_638_721), paper_count=23_687_897)
_register("xception", Xception, small=_small("xception"), counts=(20_867_051, 20_860_904),
          paper_count=20_910_080)
_register("super_xception", SuperXception, small=_small("super_xception"),
          counts=(20_924_332, 20_918_185), paper_count=20_967_361)
BUILDERS = registry.builders("super_xception")
SMALL_CONFIGS = registry.small_configs("super_xception")


def build(row: str, **kwargs) -> keras.Model:
    """The model of a Table 1 row (``ROWS``)."""
    if row not in BUILDERS:
        raise KeyError(f"unknown row {row!r}; rows are {', '.join(ROWS)}")
    return BUILDERS[row](**kwargs)


def sr_parameter_count(channels: int) -> int:
    """Weights of the SR block: 9·9·C·64+64 + 5·5·64·32+32 + 5·5·32·C+C."""
    return 9 * 9 * channels * 64 + 64 + 5 * 5 * 64 * 32 + 32 + 5 * 5 * 32 * channels + channels
