"""The standard networks the papers build on or train as baselines, in one
place: AlexNet, GoogLeNet (Inception v1), and the ``keras.applications``
networks (ResNet-50, VGG-19, Xception) through one adapter.

Every builder follows the contract of :mod:`reproductions.common.builders`
(``include_top``, ``weights``, ``input_tensor``, ``input_shape``, ``pooling``,
``classes``, ``classifier_activation``, ``name``), is trained from scratch
(``weights=None``: no ImageNet weights) and reads a grayscale image by
default. A paper registers the ones it trains (with its own ``classes``) in
its ``models.py``; the layer names and order here are those of the models the
committed results were trained with, so their checkpoints load.

==================  ============================================================
:func:`AlexNet`     single-tower AlexNet (:func:`alexnet_backbone`) → softmax
:func:`GoogLeNet`   Inception v1 from :class:`layers.InceptionBlock`, with BN
:data:`ResNet50`    ``keras.applications.ResNet50`` (:func:`applications_builder`)
:data:`VGG19`       ``keras.applications.VGG19`` (:func:`applications_builder`)
==================  ============================================================

:func:`alexnet_backbone` and :func:`applications_backbone` give the same
networks as nested trunks without their top, for a paper that puts its own
layers in front (Super-AlexNet, Super-Xception).
"""
from __future__ import annotations

import keras

import layers as repro_layers
from reproductions.common import builders, weight_loading

#: ImageNet's classes, the default of every builder (as ``keras.applications``).
CLASSES = 1000
#: A grayscale image at ImageNet's size.
INPUT_SHAPE = (224, 224, 1)

#: GoogLeNet's Inception modules (Szegedy et al. 2015, Table 1): #1×1,
#: #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
GOOGLENET_INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}
GOOGLENET_DROPOUT = 0.4
INCEPTION_KEYS = ("filters_1x1", "filters_3x3_reduce", "filters_3x3", "filters_5x5_reduce",
                  "filters_5x5", "filters_pool_proj")


# --- AlexNet -------------------------------------------------------------------

def alexnet_backbone(shape, name="alexnet", feature_map=False) -> keras.Model:
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


def _head(inputs, x, *, include_top, pooling, classes, classifier_activation, name, weights):
    """The ``predictions`` softmax (or the feature map pooled as asked), the
    model, and its ``weights``."""
    if include_top:
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = builders.pool(x, pooling)
    return weight_loading.load_weights(keras.Model(inputs, x, name=name), weights,
                                 exact=include_top)


def AlexNet(include_top=True, input_shape=INPUT_SHAPE, classes=CLASSES, pooling=None,
            classifier_activation="softmax", name="alexnet", *, weights=None,
            input_tensor=None) -> keras.Model:
    """The single-tower AlexNet (:func:`alexnet_backbone`, nested as
    ``alexnet``) on the image itself → softmax; ``include_top=False`` ends at
    its last max pooling (``alexnet/pool5``)."""
    weight_loading.check_weights(weights)
    builders.check_pooling(pooling)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    x = alexnet_backbone(tuple(x.shape[1:]), name="alexnet", feature_map=not include_top)(x)
    return _head(inputs, x, include_top=include_top, pooling=pooling, classes=classes,
                 classifier_activation=classifier_activation, name=name, weights=weights)


# --- GoogLeNet -----------------------------------------------------------------

def _conv_bn_relu(x, filters, kernel, stride, name):
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                            name=name)(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def GoogLeNet(include_top=True, input_shape=INPUT_SHAPE, classes=CLASSES, pooling=None,
              classifier_activation="softmax", name="googlenet", *, weights=None,
              input_tensor=None) -> keras.Model:
    """Inception v1 (Szegedy et al. 2015), Table 1's Inception widths
    (:data:`GOOGLENET_INCEPTION`): stem conv 7×7/2 ×64 → max pool 3×3/2 →
    conv 1×1 ×64 → conv 3×3 ×192 → max pool 3×3/2, max pools 3×3/2 after 3b
    and 4e (``pool3``, ``pool4``), global average pooling → dropout 0.4 →
    softmax. Batch normalisation after every convolution (as torchvision's
    GoogLeNet) instead of local response normalisation, and no auxiliary
    classifiers (a training aid of the 2014 network that BN makes
    unnecessary). ``include_top=False`` ends at ``inception_5b``."""
    weight_loading.check_weights(weights)
    builders.check_pooling(pooling)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    x = _conv_bn_relu(x, 64, 7, 2, "conv1")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = _conv_bn_relu(x, 64, 1, 1, "conv2_reduce")
    x = _conv_bn_relu(x, 192, 3, 1, "conv2")
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    for block, widths in GOOGLENET_INCEPTION.items():
        if block in ("4a", "5a"):
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same",
                                          name=f"pool{int(block[0]) - 1}")(x)
        x = repro_layers.InceptionBlock(**dict(zip(INCEPTION_KEYS, widths)), batch_norm=True,
                                        activation="relu", name=f"inception_{block}")(x)
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(GOOGLENET_DROPOUT, name="dropout")(x)
    return _head(inputs, x, include_top=include_top, pooling=pooling, classes=classes,
                 classifier_activation=classifier_activation, name=name, weights=weights)


# --- keras.applications --------------------------------------------------------

def applications_backbone(constructor, shape, name, feature_map=False) -> keras.Model:
    """A ``keras.applications`` network (``constructor``, e.g.
    ``keras.applications.Xception``) from scratch without its top, as a model
    of its own named ``name`` (to nest after other layers): global average
    pooled, or its last feature map with ``feature_map``."""
    return constructor(weights=None, include_top=False, input_shape=shape,
                       pooling=None if feature_map else "avg", name=name)


def applications_builder(constructor, default_name, doc):
    """A builder of the ``keras.applications`` network ``constructor`` from
    scratch on our input (the network's own layers and head, named as
    ``keras.applications`` names them)."""
    def builder(include_top=True, input_shape=INPUT_SHAPE, classes=CLASSES, pooling=None,
                classifier_activation="softmax", name=default_name, *, weights=None,
                input_tensor=None):
        weight_loading.check_weights(weights)
        builders.check_pooling(pooling)
        inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
        app = constructor(include_top=include_top, weights=None, input_tensor=x,
                          input_shape=tuple(x.shape[1:]), pooling=pooling,
                          classes=classes, classifier_activation=classifier_activation,
                          name=name)
        # the same layers, with our input structure: keras.applications makes its
        # inputs a one-element list, and Keras warns when it is called on a tensor
        model = keras.Model(inputs, app.output, name=name)
        return weight_loading.load_weights(model, weights, exact=include_top)
    builder.__name__ = builder.__qualname__ = default_name
    builder.__doc__ = doc
    return builder


ResNet50 = applications_builder(keras.applications.ResNet50, "resnet50",
                                "``keras.applications.ResNet50`` from scratch.")
VGG19 = applications_builder(keras.applications.VGG19, "vgg19",
                             "``keras.applications.VGG19`` from scratch (its classifier has no "
                             "dropout, unlike Simonyan & Zisserman's).")
