"""Every network of Table 2 and of the ablation, in the ``keras.applications``
calling style::

    model = DRSNDC(input_shape=(224, 224, 1), classes=9)   # the proposed model
    model = build("resnet50", input_shape=(64, 64, 1), classes=6)

==================  ============================================================
``drsn_dc``         dilated module → residual shrinkage network → fusion → FC
``drsn_dilated``    ablation: dilated module → residual shrinkage network → FC
``drsn``            ablation: residual shrinkage network → FC (DRSN-CW, ResNet-50 depth)
``resnet50``        ``keras.applications.ResNet50`` (``reproductions.common.zoo``)
``vgg19``           ``keras.applications.VGG19`` (``reproductions.common.zoo``)
``googlenet``       Inception v1 from :class:`layers.InceptionBlock` (the zoo's)
``alexnet``         single-tower AlexNet (the zoo's, as in Super-AlexNet)
==================  ============================================================

Every network is trained from scratch (``weights=None``) on the grayscale
image (``input_shape[-1] == 1``), ends in one softmax over ``classes`` (the
classes of the data, not the paper's 9) and follows the contract of
``reproductions.common.builders`` (``include_top``, ``weights``,
``input_tensor``, ``pooling``; ``FEATURE_LAYERS``); each is entered in
``reproductions.common.registry`` at the end of this module.

DRSN-DC: our reading of the missing figures
-------------------------------------------
The text names three modules (§3.1) and gives their parts; Figs. 2-6, which
would show how they connect, are not in the text. Documented choices:

* **Fig. 2 (model architecture)**: input → dilated-convolution module →
  residual shrinkage network → multi-scale feature fusion → classifier. The
  shrinkage network "removes noise and redundant data from the features
  extracted by the dilated convolution network" (§3.1), so it reads the
  dilated module's output (the three branches concatenated), not the image.
* **Fig. 3 (dilated convolutions)**: :class:`layers.DilatedBlock` -- three
  parallel 3×3 convolutions with dilation rates 1, 2 and 3 on the input image
  (stride 1, 'same' padding: receptive fields 3, 5 and 7 px), each followed
  by batch normalisation and ReLU (the paper names neither; the residual
  network after it uses conv → BN → ReLU throughout). Widths are not given:
  :data:`DILATED_FILTERS` filters per branch (see that constant for why).
* **Fig. 4 (50-layer residual network)**: ResNet-50 (He et al. 2016) as
  ``keras.applications.ResNet50`` builds it -- conv 7×7/2 ×64 → BN → ReLU →
  max pool 3×3/2, then bottleneck stages of 3 / 4 / 6 / 3 units with
  256 / 512 / 1024 / 2048 outputs (1×1 → 3×3 → 1×1, post-activation, a 1×1
  projection shortcut in each stage's first unit, stride 2 from the second
  stage on), the layer names of ``keras.applications`` included. Only its
  first convolution sees other channels (the dilated features instead of the
  image). "A fully connected layer containing 1000 neurons, classified by
  softmax" (§3.3) is ImageNet's classifier; ours has ``classes`` units.
* **Fig. 5 (residual shrinkage module)**: Zhao et al.'s RSBU-CW, as the
  paper's ref. [13] and its author describe it: on the residual branch, after
  the last convolution's batch normalisation and before the addition, a
  :class:`layers.SoftThreshold` with one threshold per channel,
  ``tau = GAP(|x|) · sigmoid(FC → BN → ReLU → FC)`` with as many FC units as
  channels (``shrinkage_reduction=1``), then ``sign(x)·max(|x| − tau, 0)``
  (eq. 1). In every one of the 16 residual units ("each residual module
  embeds a soft threshold learning sub-network", abstract). Zhao's unit is
  pre-activation; the paper builds on the post-activation ResNet-50 of
  Fig. 4, so the shrinkage goes on its post-activation bottleneck.
* **Fig. 6 (multi-scale feature fusion)**: "fuses the features extracted
  after convolution of three different scales of dilated convolution and
  features after removing noise and redundant data, and uses Concatenate to
  stitch the multi-channel extracted feature maps into a complete feature
  map" (§3.5). Each dilated branch's map (full resolution) is average-pooled
  to the shrinkage network's output grid (32×32 windows, stride 32, 'same':
  the residual network's total stride, so both grids are ⌈side/32⌉) and
  concatenated with that output along channels; the fused map goes through
  global average pooling to the softmax classifier, as in ResNet-50.

``include_top=False`` returns the last feature map before the classifier's
pooling: the fused map (``fusion``) or, without fusion, the residual
network's ``conv5_block3_out``. :func:`architecture_diagram` draws the
network as text with its shapes at a given input size.

Ablation (not in the paper): ``resnet50`` → ``drsn`` (+ shrinkage) →
``drsn_dilated`` (+ dilated module) → ``drsn_dc`` (+ fusion). With every
option off, :func:`DRSNDC` builds exactly ``keras.applications.ResNet50``
(same layers, names, shapes and parameters; ``tests/drsn_dc`` checks it).

Baselines
---------
The model zoo's (``reproductions.common.zoo``), with the paper's 9 classes by
default:

* **ResNet50, VGG-19**: ``keras.applications`` with ``weights=None`` (VGG-19's
  classifier has no dropout there, unlike Simonyan & Zisserman's).
* **GoogLeNet**: Szegedy et al. (2015), Table 1's Inception widths, with
  batch normalisation after every convolution (as torchvision's GoogLeNet)
  instead of local response normalisation, and no auxiliary classifiers (a
  training aid of the 2014 network that BN makes unnecessary; the paper does
  not mention them).
* **AlexNet**: the single-tower AlexNet built for Super-AlexNet (no LRN,
  'same' padding, FC 4096 → dropout 0.5 twice) → softmax.
"""
from __future__ import annotations

import functools
import math

import keras

import layers as repro_layers
from reproductions.common import builders, registry, weight_loading, zoo

ROWS = ("alexnet", "googlenet", "vgg19", "resnet50", "drsn_dc")
#: The ablation, step by step: ResNet-50 and what each step adds.
ABLATION = ("resnet50", "drsn", "drsn_dilated", "drsn_dc")

DILATION_RATES = (1, 2, 3)
#: Filters per dilated branch (not in the paper): 32, so that the three
#: branches together (96 channels) are of the order of the 64-channel stem of
#: ResNet-50 that reads them, while the fused vector stays dominated by the
#: shrinkage network's 2048 channels (2048 + 3·32). Its cost is mostly the
#: first convolution reading 96 channels instead of the image's one: measured
#: (``profiles.py``), it takes DRSN-DC's training speed at 64 px from 0.62× of
#: ResNet-50's (shrinkage alone) to 0.45× (16 per branch: 0.53×).
DILATED_FILTERS = 32
#: ResNet-50's stages: (name, bottleneck width, units, stride of the first unit).
#: Outputs are 4 × the width: 256 / 512 / 1024 / 2048 (§3.3).
RESNET50_STAGES = (("conv2", 64, 3, 1), ("conv3", 128, 4, 2), ("conv4", 256, 6, 2),
                   ("conv5", 512, 3, 2))
#: Total stride of ResNet-50 (its output grid is ⌈side / 32⌉).
RESNET_STRIDE = 32
BN_EPSILON = 1.001e-5  # keras.applications' ResNet
#: The paper's classes (nine ANA patterns): every builder's default.
CLASSES = 9

#: Column of the shapes in :func:`architecture_diagram`.
DIAGRAM_COLUMN = 56
#: Where each trunk ends (``reproductions.common.builders``): the fused map,
#: ResNet-50's last unit, VGG-19's last pooling, GoogLeNet's last module,
#: AlexNet's last pooling (inside its nested model).
FEATURE_LAYERS = ("fusion", "conv5_block3_out", "block5_pool", "inception_5b",
                  "alexnet/pool5")


def feature_side(side: int) -> int:
    """Side of ResNet-50's output grid for an input of ``side`` pixels: every
    stride-2 step (conv1, pool1, conv3-5) maps ``n`` to ``⌈n / 2⌉``."""
    for _ in range(5):
        side = math.ceil(side / 2)
    return side


def _classifier(x, include_top, pooling, classes, classifier_activation):
    """Global average pooling → softmax (``keras.applications``' layer names),
    or the feature map pooled as asked."""
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return keras.layers.Dense(classes, activation=classifier_activation,
                                  name="predictions")(x)
    return builders.pool(x, pooling)


def _bn(x, name):
    return keras.layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name=name)(x)


def residual_unit(x, width, *, stride=1, projection=False, shrinkage=False,
                  shrinkage_reduction=1, name):
    """One bottleneck unit of ``keras.applications``' ResNet-50
    (``residual_block_v1``), with a :class:`layers.SoftThreshold` on the
    residual branch before the addition when ``shrinkage`` (RSBU-CW)."""
    if projection:
        shortcut = keras.layers.Conv2D(4 * width, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    x = keras.layers.Conv2D(width, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = keras.layers.Activation("relu", name=f"{name}_1_relu")(_bn(x, f"{name}_1_bn"))
    x = keras.layers.Conv2D(width, 3, padding="SAME", name=f"{name}_2_conv")(x)
    x = keras.layers.Activation("relu", name=f"{name}_2_relu")(_bn(x, f"{name}_2_bn"))
    x = keras.layers.Conv2D(4 * width, 1, name=f"{name}_3_conv")(x)
    x = _bn(x, f"{name}_3_bn")
    if shrinkage:
        x = repro_layers.SoftThreshold(reduction=shrinkage_reduction, name=f"{name}_shrink")(x)
    x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return keras.layers.Activation("relu", name=f"{name}_out")(x)


def residual_network(x, *, shrinkage=True, shrinkage_reduction=1):
    """ResNet-50's convolutional part on ``x`` (layer for layer what
    ``keras.applications.ResNet50(include_top=False)`` builds), with a soft
    threshold in every residual unit when ``shrinkage``."""
    x = keras.layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(x)
    x = keras.layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(_bn(x, "conv1_bn"))
    x = keras.layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, width, units, stride in RESNET50_STAGES:
        for i in range(1, units + 1):
            x = residual_unit(x, width, stride=stride if i == 1 else 1, projection=i == 1,
                              shrinkage=shrinkage, shrinkage_reduction=shrinkage_reduction,
                              name=f"{stage}_block{i}")
    return x


def DRSNDC(include_top=True, input_shape=(224, 224, 1), classes=9, pooling=None,
           classifier_activation="softmax", name="drsn_dc", *, weights=None,
           input_tensor=None, dilated=True, shrinkage=True, fusion=True,
           dilated_filters=DILATED_FILTERS, shrinkage_reduction=1) -> keras.Model:
    """DRSN-DC (see the module docstring), or one of its ablations.

    Args (``keras.applications`` style, see ``reproductions.common.builders``):
      include_top: the softmax over ``classes``; otherwise the last feature
        map (the fused map, or ``conv5_block3_out`` without fusion), 2-D with
        ``pooling``.
      input_shape: ``(side, side, channels)``; the paper: 224×224, grayscale
        here. At least 32 px.
      dilated: the dilated-convolution module before the residual network.
      shrinkage: a soft threshold in every residual unit (off: ResNet-50).
      fusion: concatenate the pooled dilated branches with the residual
        network's output (needs ``dilated``).
      dilated_filters: filters per dilated branch.
      shrinkage_reduction: ``SoftThreshold``'s FC reduction (1: Zhao et al.).
      classes, classifier_activation, name, weights, input_tensor, pooling:
        as in ``keras.applications``.
    """
    if fusion and not dilated:
        raise ValueError("fusion concatenates the dilated branches: it needs dilated=True")
    weight_loading.check_weights(weights)
    builders.check_pooling(pooling)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    branches = []
    if dilated:
        branches = repro_layers.DilatedBlock(dilated_filters, rates=DILATION_RATES, merge=None,
                                             batch_norm=True, name="dilated")(x)
        x = keras.layers.Concatenate(name="dilated_concat")(branches)
    x = residual_network(x, shrinkage=shrinkage, shrinkage_reduction=shrinkage_reduction)
    if fusion:
        pooled = [keras.layers.AveragePooling2D(RESNET_STRIDE, strides=RESNET_STRIDE,
                                                padding="same", name=f"fusion_pool_d{rate}")(b)
                  for rate, b in zip(DILATION_RATES, branches)]
        x = keras.layers.Concatenate(name="fusion")([x] + pooled)
    x = _classifier(x, include_top, pooling, classes, classifier_activation)
    return weight_loading.load_weights(keras.Model(inputs, x, name=name), weights,
                                 exact=include_top)


#: The baselines of Table 2, from the model zoo.
ResNet50 = functools.partial(zoo.ResNet50, classes=CLASSES)
VGG19 = functools.partial(zoo.VGG19, classes=CLASSES)
GoogLeNet = functools.partial(zoo.GoogLeNet, classes=CLASSES)
AlexNet = functools.partial(zoo.AlexNet, classes=CLASSES)


#: Each model at the smallest input ResNet-50 and VGG-19 accept.
SMALL = dict(input_shape=(32, 32, 1), classes=3)
#: The registry (``reproductions.common.registry``): Table 2's rows and the two
#: intermediate steps of the ablation, with the parameters the tests pin --
#: ``counts``: (include_top=True, False) at ``SMALL``; ``paper_count``: with
#: the defaults (224 px, 9 classes; ``tests/drsn_dc`` derives them).
_register = functools.partial(registry.register_model, "drsn_dc", small=SMALL)
_register("alexnet", AlexNet, counts=(21_570_243, 3_723_968), paper_count=71_926_473)
_register("googlenet", GoogLeNet, counts=(5_992_195, 5_989_120), paper_count=5_998_345)
_register("vgg19", VGG19, counts=(38_918_083, 20_023_232), paper_count=139_605_961)
_register("resnet50", ResNet50, counts=(23_587_587, 23_581_440), paper_count=23_599_881)
_register("drsn_dc", DRSNDC, counts=(64_201_667, 64_195_232), paper_count=64_214_537)
_register("drsn", functools.partial(DRSNDC, dilated=False, fusion=False, name="drsn"),
          counts=(63_902_211, 63_896_064), paper_count=63_914_505)
_register("drsn_dilated", functools.partial(DRSNDC, fusion=False, name="drsn_dilated"),
          counts=(64_201_379, 64_195_232), paper_count=64_213_673)
BUILDERS = registry.builders("drsn_dc")
SMALL_CONFIGS = registry.small_configs("drsn_dc")


def build(name: str, **kwargs) -> keras.Model:
    """The model of a Table 2 row or an ablation step (a name of ``BUILDERS``)."""
    if name not in BUILDERS:
        raise KeyError(f"unknown model {name!r}; choose one of {', '.join(BUILDERS)}")
    return BUILDERS[name](**kwargs)


def architecture_diagram(side: int = 224, classes: int = 9, channels: int = 1,
                         dilated_filters: int = DILATED_FILTERS) -> str:
    """DRSN-DC as a text diagram, with the output shape of every step for a
    ``side × side × channels`` input (the shapes the built model has;
    ``tests/drsn_dc`` compares them)."""
    d, grid, n = dilated_filters, feature_side(side), len(DILATION_RATES)
    rates = ", ".join(map(str, DILATION_RATES))

    def row(text, shape):
        return f"{text:<{DIAGRAM_COLUMN}}{shape}"

    s2 = math.ceil(side / 2)
    size = math.ceil(s2 / 2)
    lines = [row("", "output shape"),
             row("input", f"{side}×{side}×{channels}"),
             row(f"dilated module: 3×3 conv ×{d}, rates {rates}", f"{n} × {side}×{side}×{d}"),
             row("  each → BN → ReLU", ""),
             row("├─ concatenate", f"{side}×{side}×{n * d}"),
             row("│  residual shrinkage network (ResNet-50 depth):", ""),
             row("│  conv1 7×7/2, 64 → BN → ReLU", f"{s2}×{s2}×64"),
             row("│  max pool 3×3/2", f"{size}×{size}×64")]
    for stage, width, units, stride in RESNET50_STAGES:
        size = math.ceil(size / stride)
        lines.append(row(f"│  {stage}: {units} RSBU-CW [1×1 {width}, 3×3 {width}, "
                         f"1×1 {4 * width}]" + (f" /{stride}" if stride > 1 else ""),
                         f"{size}×{size}×{4 * width}"))
    window = f"{RESNET_STRIDE}×{RESNET_STRIDE}/{RESNET_STRIDE}"
    lines += [row(f"└─ each branch: average pool {window}", f"{n} × {grid}×{grid}×{d}"),
              row("fusion: concatenate [conv5 output, pooled branches]",
                  f"{grid}×{grid}×{2048 + n * d}"),
              row("global average pooling", f"{2048 + n * d}"),
              row("FC → softmax", f"{classes}"),
              "",
              "RSBU-CW (every one of the 16 residual units):",
              "  x ─┬─ 1×1 conv → BN → ReLU → 3×3 conv → BN → ReLU → 1×1 conv → BN → z",
              "     │   z → soft threshold: sign(z) · max(|z| − τ, 0), one τ per channel:",
              "     │       τ = GAP(|z|) · sigmoid(FC → BN → ReLU → FC)",
              "     └─ shortcut: identity (a stage's first unit: 1×1 conv, stride → BN)",
              "  output = ReLU(shortcut + thresholded z)"]
    return "\n".join(line.rstrip() for line in lines)
