"""The four networks of Table 3(a) from one builder, in the
``keras.applications`` calling style::

    model = DRI(variant="dri", input_shape=(76, 76, 1), classes=6)
    fc1, fc2, fc3 = model.outputs          # three softmax heads
    summed = inference_model(model)        # the paper's sum layer

Variants (Li & Shen 2017, §2 and §3.3):

=====================  =====================================================
``dri``                stem, DRI blocks 1-1, 1-2 | 2-1, 2-2, 2-3 | 3-1, 3-2
``sri``                DRI without blocks 1-2, 2-3 and 3-2
``inception``          DRI's layout with original Inception modules
``shallow_inception``  SRI's layout with original Inception modules
=====================  =====================================================

Fig. 1 of the paper (the full layer diagram) is missing from the text; what
the text gives is: 76×76 grayscale input; green convolution layers; max and
average pooling whose printed number is the kernel size; strides 2 and 3
("1/2", "1/3"); PReLU everywhere; three classifiers FC1 (after stage 1), FC2
(after stage 2), FC3 (at the end); FC1-0 and FC2-0 followed by dropout 0.7;
Table 1 for the seven blocks. Everything else below is **our reading**,
modelled on GoogLeNet (Szegedy et al. 2015, the paper's ref. [16], whose
Inception 3a/3b widths Table 1's blocks 1-1 and 1-2 copy):

* **Stem** (every variant): conv 7×7/2, 64 → BN → PReLU → max pool 3×3/2 →
  conv 1×1, 64 → BN → PReLU → conv 3×3, 192 → BN → PReLU. This is
  GoogLeNet's stem without its second max pooling (and without LRN, which
  batch normalisation replaces): 76 → 38 → 19, so stage 1 works on 19×19
  maps, stage 2 on 10×10 and stage 3 on 5×5 -- the same ratio of map size to
  final pooling window (5×5 here, 7×7 in GoogLeNet at 224×224) as GoogLeNet.
  Convolutions followed by BN have no bias.
* **Between stages**: max pooling 3×3/2 ('same' padding: 19 → 10 → 5).
* **Auxiliary classifiers FC1, FC2** (GoogLeNet's auxiliary head, strides
  kept): average pooling 5×5/3 ('valid': 19×19 → 5×5 after stage 1, 10×10 →
  2×2 after stage 2) → conv 1×1, 128 → PReLU → flatten → FC*n*-0 (1024) →
  PReLU → dropout 0.7 → FC*n* (``classes``, softmax).
* **Main classifier FC3**: average pooling 5×5 over the final 5×5 maps (=
  global average pooling) → FC3 (``classes``, softmax). The text gives
  dropout only for FC1-0 and FC2-0, so FC3 has none and no hidden layer.
* **Head input normalisation**: DRI blocks are pre-activation units (BN and
  PReLU *before* each convolution), so their outputs are sums of raw
  convolutions. As in pre-activation ResNets (He et al., ECCV 2016), a
  BN → PReLU is put on a stage output before it enters a head (``sri`` and
  ``dri`` only; Inception modules already end in BN → PReLU). The trunk
  itself passes the raw output on (the next block normalises it).
* **DRI blocks**: :class:`layers.DRIBlock` with Table 1 as printed (including
  DRI 2-3's "244"), parameter-free zero-padded identity shortcuts
  (``shortcut="zero_pad"``, He et al.'s option A; ``"projection"`` is option
  B), see ``layers/dri.py``.
* **Inception modules** are Table 1's widths with the paper's two changes
  undone: no shortcuts and no extra 3×3 convolution at the end of the 5×5
  branch (the 5×5 branch ends with the 5×5 convolution of Table 1's width;
  Table 1's blocks 1-1 and 1-2 then *are* GoogLeNet's Inception 3a and 3b).
  Post-activation conv → BN → PReLU (:class:`layers.InceptionBlock` with
  ``activation="prelu"``). GoogLeNet had no batch normalisation; we keep it
  (``inception_batch_norm=True``) so that the comparison with DRI is about
  the shortcuts and the deeper branch rather than about normalisation, and
  so that the short CPU runs converge. ``inception_batch_norm=False`` gives
  the 2014 module.
* **Initialisation**: Glorot uniform for every convolution and FC layer
  (Caffe's "xavier"), zero biases, PReLU slopes 0.25 (He et al. 2015).

``include_top=False`` returns the trunk (stem and stages, plus the final
BN → PReLU for pre-activation variants) without any head: its last feature
map, or that map pooled with ``pooling="avg"|"max"``, like
``keras.applications`` (the contract, ``weights=`` and ``FEATURE_LAYERS`` are in
``reproductions.common.builders``, the registry in
``reproductions.common.registry``). Average pooling gives what FC3 reads.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

import keras

import layers as repro_layers
from reproductions.common import builders, registry, weight_loading

VARIANTS = ("shallow_inception", "sri", "inception", "dri")
#: Table 1 block names per stage, for the deep and the shallow layout.
DEEP_STAGES = (("1-1", "1-2"), ("2-1", "2-2", "2-3"), ("3-1", "3-2"))
SHALLOW_STAGES = (("1-1",), ("2-1", "2-2"), ("3-1",))
HEADS = ("fc1", "fc2", "fc3")
#: Loss weights of the three heads (eq. 2).
LOSS_WEIGHTS = (0.3, 0.3, 1.0)

STEM = ((7, 64, 2), (1, 64, 1), (3, 192, 1))  # (kernel, filters, stride)
AUX_POOL = (5, 3)        # average pooling kernel, stride
AUX_CONV = 128           # 1×1 convolution of the auxiliary heads
AUX_FC = 1024            # FC1-0 / FC2-0 width
AUX_DROPOUT = 0.7
PRELU_INIT = 0.25


def stages(variant: str) -> tuple[tuple[str, ...], ...]:
    """Table 1 block names of each stage of ``variant``."""
    _check_variant(variant)
    return DEEP_STAGES if variant in ("dri", "inception") else SHALLOW_STAGES


def uses_dri_blocks(variant: str) -> bool:
    _check_variant(variant)
    return variant in ("dri", "sri")


def inception_config(block: str) -> dict:
    """``InceptionBlock`` widths for a Table 1 block: the 5×5 branch ends with
    its 5×5 convolution (no extra 3×3, no shortcut)."""
    config = dict(repro_layers.DRI_TABLE1[block])
    config.pop("filters_5x5_3x3")
    return config


def _check_variant(variant):
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")


def _prelu(name, spatial=True):
    return keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(PRELU_INIT),
                              shared_axes=[1, 2] if spatial else None, name=name)


def _conv_bn_prelu(x, kernel, filters, stride, name, bn_momentum):
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                            kernel_initializer="glorot_uniform", name=name)(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name=name + "_bn")(x)
    return _prelu(name + "_prelu")(x)


def _norm(x, name, bn_momentum):
    """BN → PReLU on a pre-activation stage output before it is used."""
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name=name + "_bn")(x)
    return _prelu(name + "_prelu")(x)


def _aux_head(x, index, classes, activation):
    p = f"fc{index}"
    x = keras.layers.AveragePooling2D(AUX_POOL[0], strides=AUX_POOL[1], padding="valid",
                                      name=f"{p}_avgpool")(x)
    x = keras.layers.Conv2D(AUX_CONV, 1, name=f"{p}_conv")(x)
    x = _prelu(f"{p}_conv_prelu")(x)
    x = keras.layers.Flatten(name=f"{p}_flatten")(x)
    x = keras.layers.Dense(AUX_FC, name=f"{p}_0")(x)
    x = _prelu(f"{p}_0_prelu", spatial=False)(x)
    x = keras.layers.Dropout(AUX_DROPOUT, name=f"{p}_0_dropout")(x)
    return keras.layers.Dense(classes, activation=activation, name=p)(x)


def DRI(variant: str = "dri", include_top: bool = True, input_shape=(76, 76, 1),
        classes: int = 6, pooling: str | None = None,
        classifier_activation: str | None = "softmax", shortcut: str = "zero_pad",
        inception_batch_norm: bool = True, bn_momentum: float = 0.99,
        name: str | None = None, *, weights=None, input_tensor=None) -> keras.Model:
    """Builds one of the four networks (see the module docstring).

    Args:
      variant: ``"dri"``, ``"sri"``, ``"inception"`` or ``"shallow_inception"``.
      include_top: the three classifier heads (outputs ``[fc1, fc2, fc3]``);
        otherwise the trunk's last feature map.
      input_shape: ``(H, W, C)``; the paper uses 76×76×1. Smaller inputs work
        down to 33×33 (the 5×5/3 pooling of FC2 needs 5×5 maps after stage 2).
      classes: classes of every head.
      pooling: with ``include_top=False``: ``None``, ``"avg"`` or ``"max"``.
      classifier_activation: of the three heads (``None``: logits).
      shortcut: DRI-block shortcut, ``"zero_pad"`` (default) or ``"projection"``.
      inception_batch_norm: batch normalisation in the Inception modules.
      bn_momentum: of every batch normalisation's moving statistics (Keras
        default 0.99; short runs need less, see ``reproductions/dri/profiles.py``).
      name: model name (default: the variant).
      weights: ``None`` (from scratch) or a ``.weights.h5`` / ``.keras`` file
        (``reproductions.common.weight_loading.load_weights``).
      input_tensor: a Keras tensor to build on instead of a new input.
    """
    _check_variant(variant)
    builders.check_pooling(pooling)
    weight_loading.check_weights(weights)
    preact = uses_dri_blocks(variant)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    for i, (kernel, filters, stride) in enumerate(STEM, start=1):
        x = _conv_bn_prelu(x, kernel, filters, stride, f"stem_conv{i}", bn_momentum)
        if i == 1:
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    stage_outputs = []
    for s, blocks in enumerate(stages(variant), start=1):
        if s > 1:
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{s}")(x)
        for block in blocks:
            tag = block.replace("-", "_")
            if preact:
                x = repro_layers.DRIBlock(**repro_layers.DRI_TABLE1[block], shortcut=shortcut,
                                          prelu_init=PRELU_INIT, bn_momentum=bn_momentum,
                                          name=f"dri_{tag}")(x)
            else:
                x = repro_layers.InceptionBlock(**inception_config(block), activation="prelu",
                                                batch_norm=inception_batch_norm,
                                                bn_momentum=bn_momentum,
                                                name=f"inception_{tag}")(x)
        stage_outputs.append(x)
    name = name or variant
    if not include_top:
        x = _norm(x, "stage3_out", bn_momentum) if preact else x
        return weight_loading.load_weights(keras.Model(inputs, builders.pool(x, pooling), name=name),
                                     weights, exact=False)
    heads = []
    for s, features in enumerate(stage_outputs, start=1):
        if preact:
            features = _norm(features, f"stage{s}_out", bn_momentum)
        if s < 3:
            heads.append(_aux_head(features, s, classes, classifier_activation))
        else:
            size = features.shape[1:3]
            x = keras.layers.AveragePooling2D(tuple(size), name="fc3_avgpool")(features)
            x = keras.layers.Flatten(name="fc3_flatten")(x)
            heads.append(keras.layers.Dense(classes, activation=classifier_activation,
                                            name="fc3")(x))
    return weight_loading.load_weights(keras.Model(inputs, heads, name=name), weights)


#: The registry of ``reproductions.common.builders``: one builder per variant.
#: The registry (``reproductions.common.registry``): every variant, with the
#: parameters the tests pin -- (include_top=True, False) at 40 px and 3
#: classes, and with the defaults (76 px, 6 classes; ``tests/dri`` derives them).
COUNTS = {"shallow_inception": ((2_819_169, 2_048_152), 5_973_546),
          "sri": ((3_363_721, 2_575_552), 6_518_482),
          "inception": ((5_531_261, 4_716_148), 8_686_214),
          "dri": ((6_733_185, 5_899_220), 9_888_522)}
for _variant in VARIANTS:
    registry.register_model("dri", _variant, functools.partial(DRI, _variant),
                            small=dict(input_shape=(40, 40, 1), classes=3),
                            counts=COUNTS[_variant][0], paper_count=COUNTS[_variant][1])
BUILDERS = registry.builders("dri")
SMALL_CONFIGS = registry.small_configs("dri")
#: Where the trunk ends: the normalised stage-3 output of the pre-activation
#: variants, else the last Inception module (3-2, or 3-1 in the shallow layout).
FEATURE_LAYERS = ("stage3_out_prelu", "inception_3_2", "inception_3_1")


def build(variant: str, **kwargs) -> keras.Model:
    """``DRI(variant=variant, **kwargs)`` (the harness's per-row builder)."""
    return DRI(variant=variant, **kwargs)


def inference_model(model: keras.Model, heads: Sequence[str] = HEADS,
                    name: str | None = None) -> keras.Model:
    """The paper's sum layer: one output, the sum of the softmax outputs of
    ``heads`` (Table 3(b): ``("fc3",)``, ``("fc1", "fc3")``, ``("fc2",
    "fc3")``, ``("fc1", "fc2", "fc3")``). Shares the trained weights. The sum
    of *k* softmax vectors adds up to *k*; divide by *k* for probabilities
    (the argmax is the same)."""
    outputs = [model.get_layer(h).output for h in heads]
    out = outputs[0] if len(outputs) == 1 else keras.layers.Add(name="sum")(outputs)
    return keras.Model(model.inputs, out,
                       name=name or f"{model.name}_{'_'.join(h[2:] for h in heads)}")


def export_inference_model(model: keras.Model, path: Path | str,
                           heads: Sequence[str] = HEADS) -> Path:
    """Saves :func:`inference_model` as a ``.keras`` file (loads without
    ``custom_objects``: the custom layers are registered)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inference_model(model, heads, name=f"{model.name}_sum").save(path)
    return path
