"""The parallel wavelet residual networks of Vununu, Lee & Kwon (Sensors
2021, Fig. 5), in the ``keras.applications`` calling style::

    model = ParallelWaveletResNet(input_shape=(112, 112, 1), classes=5)
    target = transfer(model, classes=6)   # new head, early layers frozen

Fig. 5 itself is not in the text. What the text gives (§2.1, §3.1): a
112×112 grey cell; a one-level 2-D DWT (56×56 coefficients); network 1 on
the approximation, network 2 on the sum of the three detail bands; "five
residual blocks in total. Each network has two residual blocks and another
is used after the feature fusion"; "every residual block has two
convolutional layers, two ReLU layers and two batch normalization layers";
"the convolutional layers preserve the spatial dimensions [...] only the
pooling layers perform the spatial downsampling"; the concatenation is
14×14×128 and goes through a 1×1 convolution (the fusion); the last residual
block outputs 14×14×128; global average pooling gives 128 features; a
softmax layer classifies. Fine-tuning freezes "all the layers before the
second residual block, which means from the first convolutional layer to the
second pooling layer".

Everything else is **our reading**, chosen as the simplest network that
satisfies all of it:

* **Wavelet**: the paper names none; Haar (``wavelet="haar"``, any discrete
  PyWavelets wavelet can be passed), periodization extension, computed in
  the graph by :class:`layers.WaveletTransform2D` (``output_mode=
  "details_sum"``: ``(cA, cH + cV + cD)``), so a saved model takes the
  112×112 image.
* **Each network** (the two are identical, weights not shared):
  conv 3×3 ×64 → BN → ReLU → max pool 2×2 (56 → 28) → residual block 1 →
  max pool 2×2 (28 → 14) → residual block 2. Two poolings are what turn 56
  into the 14 of the concatenation, and "the first convolutional layer to
  the second pooling layer" places them before block 2 with block 1 between
  them and a convolution before both.
* **Widths**: 64 filters throughout each network. The blocks have no
  projection convolution (two convolutions each), so their identity
  shortcuts need the block's input width; the first convolution therefore
  has the blocks' width, and the concatenation of two 64-channel maps is
  the 128 channels the text gives.
* **Kernels**: 3×3 'same' convolutions (the text gives no size; 'same'
  follows from "preserve the spatial dimensions"); 2×2 max pooling with
  stride 2.
* **Residual block**: He et al.'s basic block (the paper's ref. [23]):
  conv → BN → ReLU → conv → BN → add the input → ReLU (two of each, as the
  text counts).
* **Fusion**: concatenation → conv 1×1 ×128 → BN → ReLU (a convolution
  followed by BN and ReLU like the first one), then residual block 5 (128
  filters) → global average pooling → ``predictions`` (Dense, softmax).
* Convolutions followed by BN have no bias; Keras' default initialisers
  (Glorot uniform) and BN momentum 0.99 unless ``bn_momentum`` says
  otherwise (short CPU runs use less; see ``profiles.py``).

Parameters (``count_params``, BN moving statistics included): each network
832 + 2 × 74,240 = 149,312; fusion 16,896; block 5 295,936; head
129 × classes: 612,101 with SNPHEp-2's 5 classes, 612,230 with I3A's 6.

``include_top=False`` returns block 5's output (14×14×128 at 112 px), or it
pooled (``pooling="avg"`` is the 128-d feature vector of the t-SNE figures).
Layers are named so that :func:`early_layers` can find "everything before
the second residual block" and so that
``reproductions.common.weight_loading.load_backbone_weights`` moves a trained
network into one with another head by name.
"""
from __future__ import annotations

import keras

import layers as repro_layers
from reproductions.common import builders, registry, weight_loading

BRANCHES = ("approx", "detail")   # network 1 (approximation), network 2 (sum of details)
FILTERS = 64
FUSION_FILTERS = 128
KERNEL = 3
HEAD = "predictions"
FEATURES = "block5_out"  # the trunk's last feature map
#: Layer-name stems, per network, of what fine-tuning keeps fixed: "from the
#: first convolutional layer to the second pooling layer".
EARLY_STEMS = ("conv1", "pool1", "block1", "pool2")


def _conv_bn(x, filters, kernel, name, bn_momentum):
    x = keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=name)(x)
    return keras.layers.BatchNormalization(momentum=bn_momentum, name=name + "_bn")(x)


def residual_block(x, filters, name, bn_momentum=0.99):
    """He et al.'s basic block: conv-BN-ReLU-conv-BN, identity added, ReLU."""
    y = _conv_bn(x, filters, KERNEL, f"{name}_conv1", bn_momentum)
    y = keras.layers.ReLU(name=f"{name}_relu1")(y)
    y = _conv_bn(y, filters, KERNEL, f"{name}_conv2", bn_momentum)
    y = keras.layers.Add(name=f"{name}_add")([x, y])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def _network(x, branch, filters, bn_momentum):
    """One of the two parallel networks, up to its second residual block."""
    x = _conv_bn(x, filters, KERNEL, f"{branch}_conv1", bn_momentum)
    x = keras.layers.ReLU(name=f"{branch}_conv1_relu")(x)
    x = keras.layers.MaxPooling2D(2, name=f"{branch}_pool1")(x)
    x = residual_block(x, filters, f"{branch}_block1", bn_momentum)
    x = keras.layers.MaxPooling2D(2, name=f"{branch}_pool2")(x)
    return residual_block(x, filters, f"{branch}_block2", bn_momentum)


#: In the registry (``reproductions.common.registry``), with the parameters the
#: tests pin: (include_top=True, False) at 32 px, 3 classes, widths 8 / 16; and
#: with the defaults (112 px, SNPHEp-2's 5 classes: :func:`parameter_count`).
@registry.register_model("active_transfer", "parallel_wavelet_resnet",
                         small=dict(input_shape=(32, 32, 1), classes=3, filters=8,
                                    fusion_filters=16),
                         counts=(10_179, 10_128), paper_count=612_101)
def ParallelWaveletResNet(include_top: bool = True, input_shape=(112, 112, 1),
                          classes: int = 5, pooling: str | None = None,
                          classifier_activation: str | None = "softmax",
                          wavelet: str = "haar", filters: int = FILTERS,
                          fusion_filters: int = FUSION_FILTERS, bn_momentum: float = 0.99,
                          name: str = "parallel_wavelet_resnet", *, weights=None,
                          input_tensor=None) -> keras.Model:
    """Builds the network of Fig. 5 (see the module docstring).

    Args:
      include_top: the ``predictions`` softmax over ``classes``; otherwise
        block 5's feature map (4-D), or 2-D with ``pooling``.
      input_shape: ``(H, W, C)``, H and W divisible by 8; the paper: 112×112×1.
      classes: 5 for SNPHEp-2 (initial learning), 6 for I3A / LSHEp-2.
      pooling: with ``include_top=False``: ``None``, ``"avg"`` or ``"max"``.
      classifier_activation: of the head (``None``: logits).
      wavelet: PyWavelets name of the one-level DWT (the paper names none).
      filters, fusion_filters: widths of the two networks / after fusion.
      bn_momentum: of every batch normalisation's moving statistics.
      name: model name.
      weights: ``None`` (from scratch) or a ``.weights.h5`` / ``.keras`` file.
      input_tensor: a Keras tensor to build on instead of a new input.
    """
    weight_loading.check_weights(weights)
    builders.check_pooling(pooling)
    if any(side is not None and side % 8 for side in input_shape[:2]):
        raise ValueError(f"input height and width must be divisible by 8 (DWT and two "
                         f"poolings), got {tuple(input_shape)}")
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    approx, details = repro_layers.WaveletTransform2D(
        wavelet=wavelet, mode="periodization", output_mode="details_sum", name="dwt")(x)
    features = [_network(band, branch, filters, bn_momentum)
                for band, branch in zip((approx, details), BRANCHES)]
    x = keras.layers.Concatenate(name="fusion_concat")(features)
    x = _conv_bn(x, fusion_filters, 1, "fusion_conv", bn_momentum)
    x = keras.layers.ReLU(name="fusion_relu")(x)
    x = residual_block(x, fusion_filters, "block5", bn_momentum)
    if not include_top:
        return weight_loading.load_weights(keras.Model(inputs, builders.pool(x, pooling), name=name),
                                     weights, exact=False)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dense(classes, activation=classifier_activation, name=HEAD)(x)
    return weight_loading.load_weights(keras.Model(inputs, x, name=name), weights)


def early_layers(model: keras.Model) -> list[str]:
    """Names of the layers fine-tuning keeps fixed (each network's first
    convolution, its BN and ReLU, pooling 1, residual block 1, pooling 2)."""
    prefixes = tuple(f"{branch}_{stem}" for branch in BRANCHES for stem in EARLY_STEMS)
    return [layer.name for layer in model.layers if layer.name.startswith(prefixes)]


def freeze_early_layers(model: keras.Model) -> list[str]:
    """Sets the :func:`early_layers` non-trainable (their batch
    normalisations then run in inference mode: moving statistics fixed);
    returns their names. Compile the model afterwards."""
    names = early_layers(model)
    for name in names:
        model.get_layer(name).trainable = False
    return names


def transfer(source: keras.Model, classes: int, *, freeze: bool = True,
             bn_momentum: float | None = None) -> keras.Model:
    """The paper's transfer step: the same network with a new ``classes``-way
    head (randomly initialised), every other layer copied from ``source``
    (by name, ``load_backbone_weights``) and, with ``freeze``, the early
    layers fixed. Input shape and wavelet are the source's."""
    dwt = source.get_layer("dwt")
    config = {"input_shape": tuple(source.input_shape[1:]), "classes": classes,
              "wavelet": dwt.wavelet,
              "filters": source.get_layer(f"{BRANCHES[0]}_conv1").filters,
              "fusion_filters": source.get_layer("fusion_conv").filters,
              "bn_momentum": (source.get_layer("fusion_conv_bn").momentum
                              if bn_momentum is None else bn_momentum)}
    model = ParallelWaveletResNet(**config, name=source.name)
    report = weight_loading.load_backbone_weights(model, source)
    if set(report.mismatched) - {HEAD} or report.missing:
        raise ValueError(f"the source does not fit the target network: {report}")
    if freeze:
        freeze_early_layers(model)
    return model


def parameter_count(classes: int, channels: int = 1, filters: int = FILTERS,
                    fusion_filters: int = FUSION_FILTERS) -> int:
    """Closed form of ``count_params`` (BN: 4 numbers per channel). The DWT
    sums the details of each input channel; a grey cell has one."""
    def conv_bn(c_in, k, f):
        return k * k * c_in * f + 4 * f

    def block(f):
        return 2 * conv_bn(f, KERNEL, f)
    network = conv_bn(channels, KERNEL, filters) + 2 * block(filters)
    fusion = conv_bn(2 * filters, 1, fusion_filters)
    return 2 * network + fusion + block(fusion_filters) + fusion_filters * classes + classes


BUILDERS = registry.builders("active_transfer")
SMALL_CONFIGS = registry.small_configs("active_transfer")
FEATURE_LAYERS = (FEATURES,)
