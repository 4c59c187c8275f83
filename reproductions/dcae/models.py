"""The networks of the DCAE paper, in the ``keras.applications`` calling style::

    autoencoder = DCAE(input_shape=(224, 224, 1))         # Table I
    features = encoder(autoencoder)                       # image -> 4096 latent values
    ann = MLP(input_dim=4096, classes=5)                  # the 4096-250-50-5 ANN
    cnn = GaoCNN(input_shape=(78, 78, 1), classes=5)      # Table II's "5 layers CNN"

**DCAE, Table I.** Conv1-Conv4: 3×3 convolutions (stride 1, 'same', i.e.
Table I's padding 1) with 64, 128, 256, 512 maps, each followed by a 2×2/2
max pooling that records its switches (:class:`layers.MaxPoolingWithArgmax2D`):
224 → 112 → 56 → 28 → 14. Conv5: a 14×14 'valid' convolution to 1×1×4096, the
latent features. Deconv5: a 14×14 'valid' transposed convolution back to
14×14×512. Then Unpool k / Deconv k for k = 4 … 1: :class:`layers.MaxUnpooling2D`
puts each value back where Pool k found its maximum (the switches of the
*matching* pool), and Deconv k (3×3, stride 1, 'same') maps back to the
channels Conv k read: 512 → 256 → 128 → 64 → 1 at 28, 56, 112, 224 px.

Three things in Table I contradict each other, and this is how we read them
(each reading is the only one that gives the table's own output sizes):

* Pool 4 / Unpool 4 list padding 2, but 28×28 → 14×14 needs none: 'valid'.
* Conv5 and Deconv5 list padding 1, but a 14×14 kernel on a 14×14 map gives
  1×1 (and back 14×14) only without padding: 'valid'.
* Deconv 4 / 3 / 2 list 512 / 256 / 128 maps, yet the next Unpool 3 / 2 / 1
  (256 / 128 / 64 maps) must receive exactly the channels that Pool 3 / 2 / 1
  recorded switches for. So Deconv k is the mirror of Conv k (Conv k: C_{k-1} →
  C_k, Deconv k: C_k → C_{k-1}); the listed 512 / 256 / 128 are their
  *input* maps. Deconv5 (4096 → 512) and Deconv1 (64 → 1) read the same either way.

Not in the paper, our choices: ReLU after every convolution and
deconvolution, Conv5 included (the latent features are "the activations
contained in the output of Conv 5"), and a sigmoid after Deconv1 (inputs are
scaled to [0, 1]); no batch normalisation; Keras' default initialisation
(Glorot uniform, zero biases). The reconstruction loss is the mean squared
error (eq. 3's L).

Parameters: Conv5 and Deconv5 hold 14·14·512·4096 weights each (411 M + 411 M
= 822 M); the whole autoencoder has 825,187,329. ``width`` scales the maps of
Conv1-Conv4 (and their mirrors) and ``latent_dim`` the latent size; the input
side must be a multiple of 16 (four 2×2 pools); Conv5's kernel is then side / 16.
The cpu profile's setting is in ``reproductions/dcae/profiles.py``.

``conv5_input`` (not in the paper: the follow-up of the cell-level verdict
experiment, ``reproductions/dcae/NOTES.md``): ``"pool4"``, as above and as
every committed run, or ``"conv4"``: Conv5 reads Conv4's un-pooled output
(side / 8, so a kernel of side / 8 and 4× Conv5's weights), Pool 4 and
Unpool 4 are left out and Deconv5 gives back Conv4's map size. Table I's
"padding 2" at Pool 4 leaves this reading open.

**Classifier.** The paper's best ANN, 4096-250-50-5: the flattened Conv5
output → 250 → 50 → ``classes`` (softmax). Activations are not stated; ours are
ReLU. A non-trainable standardisation (:class:`layers.Standardization`, adapted on the
training features) comes first, because the latent ReLU activations
have very different scales per unit (our choice; the linear probe uses the same
standardisation). :func:`DCAEClassifier` is the encoder with that head on top
(the registry's ``dcae``): its layers carry the same names as the autoencoder's
and the MLP's, so ``weight_loading.load_backbone_weights`` assembles it from the two
trained parts.

**Gao et al.'s CNN** (Table II's "5 layers CNN", the paper's ref. [3]). The
DCAE paper says only "a 5 layers' network"; ``../shared/papers/NOTES.md``
reads it as conv 7×7×6 → pool → conv 4×4×16 → pool → conv 3×3×32 → pool → FC
150 → softmax, which has exactly 5 layers with weights, and a public
re-implementation has the same maps, kernels and 150 units. The pool sizes
and the input are our recollection of Gao et al.'s description, whose text
could not be consulted here: 78×78 input, 'valid' convolutions, S2 2×2, S4 and
S6 3×3 max pooling, so 78 → 72 → 36 → 33 → 11 → 9 → 3 (the re-implementation
pads and strides differently). Activation: tanh (the re-implementation uses
LeCun's 1.7159·tanh(2x/3), which differs from tanh only by scales that the
neighbouring weights absorb).

``include_top=False`` returns the trunk's last feature map (the registry
contract of ``reproductions.common.builders``): Conv5's 1×1×``latent_dim`` map
for ``dcae``, S6's 3×3×32 map for ``gao_cnn``.
"""
from __future__ import annotations

import keras

import layers as repro_layers
from reproductions.common import builders, registry, weight_loading

from reproductions.dcae.paper import (  # noqa: F401 - the architecture's numbers
    CLASSES, DOWNSAMPLING, FILTERS, GAO_BLOCKS, GAO_FC, GAO_INPUT_SIZE, HIDDEN, INPUT_SIZE,
    LATENT)


def widths(width: float = 1.0) -> tuple[int, ...]:
    """Maps of Conv1-Conv4 scaled by ``width`` (at least 1 each)."""
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return tuple(max(1, round(f * width)) for f in FILTERS)


#: Where Conv5 reads from (``conv5_input``): after Pool 4 (Table I as run)
#: or before it.
CONV5_INPUTS = ("pool4", "conv4")


def _check_conv5_input(conv5_input: str) -> None:
    if conv5_input not in CONV5_INPUTS:
        raise ValueError(f"conv5_input must be one of {', '.join(CONV5_INPUTS)}, "
                         f"not {conv5_input!r}")


def latent_kernel(input_shape, conv5_input: str = "pool4") -> tuple[int, int]:
    """Conv5's kernel for an ``(H, W, C)`` input: ``(H / 16, W / 16)``
    (``(H / 8, W / 8)`` when Conv5 reads Conv4, ``conv5_input="conv4"``)."""
    _check_conv5_input(conv5_input)
    height, width = input_shape[0], input_shape[1]
    if height is None or width is None or height % DOWNSAMPLING or width % DOWNSAMPLING:
        raise ValueError(f"the DCAE needs an input side that is a multiple of {DOWNSAMPLING} "
                         f"(four 2×2 poolings), got {tuple(input_shape)}")
    factor = DOWNSAMPLING if conv5_input == "pool4" else DOWNSAMPLING // 2
    return height // factor, width // factor


def _encoder(x, filters, latent_dim, switches: bool, conv5_input: str = "pool4"):
    """Conv1/Pool1 … Conv4/Pool4, Conv5 (without Pool 4 when Conv5 reads
    Conv4). Returns (Conv5 output, switches of the pools or [])."""
    kernel = latent_kernel(x.shape[1:], conv5_input)
    recorded = []
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        if i == len(filters) and conv5_input == "conv4":
            break
        if switches:
            x, argmax = repro_layers.MaxPoolingWithArgmax2D(2, name=f"pool{i}")(x)
            recorded.append(argmax)
        else:  # the same values (MaxPoolingWithArgmax2D's pooled output), no switches
            x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = keras.layers.Conv2D(latent_dim, kernel, padding="valid", activation="relu",
                            name="conv5")(x)
    return x, recorded


def _decoder(z, filters, recorded, channels, kernel):
    """Deconv5, then Unpool k (switches of Pool k) / Deconv k for k = 4 … 1
    (no Unpool 4 when the encoder had no Pool 4: fewer switches than maps)."""
    y = keras.layers.Conv2DTranspose(filters[-1], kernel, padding="valid", activation="relu",
                                     name="deconv5")(z)
    mirrored = (channels,) + tuple(filters[:-1])  # Deconv k gives back what Conv k read
    for k in range(len(filters), 0, -1):
        if k <= len(recorded):
            y = repro_layers.MaxUnpooling2D(2, name=f"unpool{k}")([y, recorded[k - 1]])
        y = keras.layers.Conv2DTranspose(mirrored[k - 1], 3, padding="same",
                                         activation="sigmoid" if k == 1 else "relu",
                                         name=f"deconv{k}")(y)
    return y


def DCAE(input_shape=(INPUT_SIZE, INPUT_SIZE, 1), width: float = 1.0,
         latent_dim: int = LATENT, name: str = "dcae_autoencoder", *, weights=None,
         input_tensor=None, conv5_input: str = "pool4") -> keras.Model:
    """The autoencoder of Table I: image -> reconstruction (same shape, sigmoid).

    Args:
      input_shape: ``(H, W, C)``, H and W multiples of 16; the paper: 224×224×1.
      width: multiplier of the maps of Conv1-Conv4 and their mirrors (1: 64,
        128, 256, 512).
      latent_dim: Conv5's maps (the paper: 4096).
      weights: ``None`` or a ``.weights.h5`` / ``.keras`` file.
      input_tensor: a Keras tensor to build on instead of a new input.
      conv5_input: ``"pool4"`` (Table I as run) or ``"conv4"`` (Conv5 before
        Pool 4; see the module docstring).
    """
    weight_loading.check_weights(weights)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    filters = widths(width)
    z, recorded = _encoder(x, filters, latent_dim, switches=True, conv5_input=conv5_input)
    y = _decoder(z, filters, recorded, x.shape[-1], latent_kernel(x.shape[1:], conv5_input))
    return weight_loading.load_weights(keras.Model(inputs, y, name=name), weights)


def encoder(autoencoder: keras.Model, name: str | None = None) -> keras.Model:
    """The feature extractor of a (trained) :func:`DCAE`: image -> the
    flattened Conv5 activations, ``(batch, latent_dim)``; shares its weights."""
    flat = keras.layers.Flatten(name="latent")(autoencoder.get_layer("conv5").output)
    return keras.Model(autoencoder.input, flat, name=name or f"{autoencoder.name}_encoder")


def _ann(x, hidden, classes, classifier_activation):
    x = repro_layers.Standardization(name="feature_norm")(x)
    for i, units in enumerate(hidden, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"fc{i}")(x)
    return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def MLP(input_dim: int = LATENT, hidden=HIDDEN, classes: int = CLASSES,
        classifier_activation: str | None = "softmax", name: str = "dcae_mlp") -> keras.Model:
    """The paper's ANN on the latent features: standardisation (adapt
    ``feature_norm`` on the training features) → ``hidden`` ReLU layers →
    ``classes``; 4096-250-50-5 by default."""
    inputs = keras.Input((input_dim,), name="latent")
    return keras.Model(inputs, _ann(inputs, hidden, classes, classifier_activation), name=name)


#: In the registry (``reproductions.common.registry``), with the parameters the
#: tests pin: (include_top=True, False) at a 32 px, 1/16-width, 64-latent small
#: size; and with the defaults (Table I at 224 px, 5 classes).
@registry.register_model("dcae", "dcae",
                         small=dict(input_shape=(32, 32, 1), classes=3, width=1 / 16,
                                    latent_dim=64, hidden=(16, 8)),
                         counts=(15_731, 14_400), paper_count=413_640_959)
def DCAEClassifier(include_top: bool = True, input_shape=(INPUT_SIZE, INPUT_SIZE, 1),
                   classes: int = CLASSES, width: float = 1.0, latent_dim: int = LATENT,
                   hidden=HIDDEN, classifier_activation: str | None = "softmax",
                   name: str = "dcae", *, weights=None, input_tensor=None,
                   pooling: str | None = None, conv5_input: str = "pool4") -> keras.Model:
    """The DCAE encoder (Conv1-Conv5, plain max pooling) with the ANN on top:
    the paper's whole classifier as one model (registry row ``dcae``).

    ``include_top=False``: Conv5's ``(1, 1, latent_dim)`` map (pooled to
    ``(latent_dim,)`` with ``pooling``). Other arguments as :func:`DCAE` and
    :func:`MLP`, plus the ``keras.applications`` ones
    (``reproductions.common.builders``).
    """
    weight_loading.check_weights(weights)
    builders.check_pooling(pooling)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    x, _ = _encoder(x, widths(width), latent_dim, switches=False, conv5_input=conv5_input)
    if not include_top:
        return weight_loading.load_weights(keras.Model(inputs, builders.pool(x, pooling), name=name),
                                     weights, exact=False)
    x = keras.layers.Flatten(name="latent")(x)
    outputs = _ann(x, hidden, classes, classifier_activation)
    return weight_loading.load_weights(keras.Model(inputs, outputs, name=name), weights)


@registry.register_model("dcae", "gao_cnn", small=dict(input_shape=(42, 42, 1), classes=3),
                         counts=(11_895, 6_492), paper_count=50_597)
def GaoCNN(include_top: bool = True, input_shape=(GAO_INPUT_SIZE, GAO_INPUT_SIZE, 1),
           classes: int = CLASSES, classifier_activation: str | None = "softmax",
           name: str = "gao_cnn", *, weights=None, input_tensor=None,
           pooling: str | None = None) -> keras.Model:
    """Gao et al.'s 5-layer HEp-2 CNN (see the module docstring); layers
    ``gao_conv1``, ``gao_pool2`` … ``gao_pool6``, ``gao_fc7``, ``predictions``.
    Inputs from 42×42 up work ('valid' convolutions and pools)."""
    weight_loading.check_weights(weights)
    builders.check_pooling(pooling)
    inputs, x = builders.model_inputs(input_tensor, input_shape, "image")
    for i, (maps, kernel, pool) in enumerate(GAO_BLOCKS):
        x = keras.layers.Conv2D(maps, kernel, padding="valid", activation="tanh",
                                name=f"gao_conv{2 * i + 1}")(x)
        x = keras.layers.MaxPooling2D(pool, name=f"gao_pool{2 * i + 2}")(x)
    if not include_top:
        return weight_loading.load_weights(keras.Model(inputs, builders.pool(x, pooling), name=name),
                                     weights, exact=False)
    x = keras.layers.Flatten(name="gao_flatten")(x)
    x = keras.layers.Dense(GAO_FC, activation="tanh", name="gao_fc7")(x)
    x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return weight_loading.load_weights(keras.Model(inputs, x, name=name), weights)


#: The registered classifiers.
BUILDERS = registry.builders("dcae")
SMALL_CONFIGS = registry.small_configs("dcae")
#: Where the trunks end: S6 of Gao's CNN, Conv5 (the latent features) of the DCAE.
FEATURE_LAYERS = ("gao_pool6", "conv5")


def build(row: str, **kwargs) -> keras.Model:
    """The classifier of a registry row (``BUILDERS``)."""
    if row not in BUILDERS:
        raise KeyError(f"unknown row {row!r}; rows are {', '.join(BUILDERS)}")
    return BUILDERS[row](**kwargs)
