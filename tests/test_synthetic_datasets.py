"""The embedded synthetic datasets: look, determinism, offline prepare and
learnability.

Learnability: a tiny Keras CNN trained for a few seconds on freshly generated
examples must reach well above chance (> 3x) on held-out examples (other
seeds / other karyotypes), while the same protocol with shuffled training
labels stays near chance -- so the threshold can fail.
"""

from __future__ import annotations

import hashlib
import socket

import cv2
import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfds_builders import synthetic_base as base
from tfds_builders.snphep2 import Snphep2
from tfds_builders.snphep2 import snphep2_dataset_builder as real_snphep2
from tfds_builders.synthetic_chromosomes import SyntheticChromosomes
from tfds_builders.synthetic_chromosomes import generator as chromosomes
from tfds_builders.synthetic_hep2 import SyntheticHep2
from tfds_builders.synthetic_hep2 import generator as hep2
from tfds_builders.synthetic_snphep2 import SyntheticSnphep2
from tfds_builders.synthetic_snphep2 import generator as snphep2


# ---------------------------------------------------------------------------
# Look of single examples
# ---------------------------------------------------------------------------
def test_render_cell_matches_i3a_style():
    fractions, maxima = [], {"positive": [], "intermediate": []}
    for i in range(36):
        rng = base.example_rng(0, "train", i)
        intensity = hep2.HEP2_INTENSITIES[i % 2]
        image, mask = hep2.render_cell(rng, i % 6, intensity=intensity)
        assert image.dtype == np.uint8 and mask.dtype == np.uint8
        assert image.ndim == 2 and image.shape == mask.shape
        assert 54 <= min(image.shape) and max(image.shape) <= 111
        assert set(np.unique(mask)) == {0, 255}
        fractions.append((mask > 0).mean())
        maxima[intensity].append(int(image.max()))
        assert np.median(image) < 60  # low dynamic range, dark background
    assert 0.3 < np.mean(fractions) < 0.5
    # per-image intensity variation: positive cells clearly brighter
    assert np.median(maxima["intermediate"]) < 50
    assert np.median(maxima["positive"]) > 1.5 * np.median(maxima["intermediate"])
    # explicit size is honoured
    image, mask = hep2.render_cell(base.example_rng(1, "test", 0), "golgi", size=(60, 70))
    assert image.shape == mask.shape == (60, 70)


def test_render_chromosome_bright_on_black_cropped_and_class_dependent():
    style = chromosomes.sample_karyotype_style(base.example_rng(0, "train", 0, 0))
    lengths = {}
    for k in range(24):
        im = chromosomes.render_chromosome(base.example_rng(0, "train", 0, 1 + k), k, style)
        assert im.dtype == np.uint8 and im.ndim == 2
        assert im.max() > 60
        border = np.concatenate([im[0], im[-1], im[:, 0], im[:, -1]])
        assert border.max() == 0  # black, one-pixel margin
        assert im[1:-1, 1:-1][[0, -1], :].max() > 0  # ...and no more
        assert im[1:-1, 1:-1][:, [0, -1]].max() > 0
        fg = (im > 0).astype(np.uint8)
        lengths[k] = cv2.minAreaRect(cv2.findNonZero(fg))[1]
    long_side = np.array([max(lengths[k]) for k in range(24)])
    # within one karyotype, length follows the class (1 longest ... 21/22/Y short)
    rho = np.corrcoef(np.argsort(np.argsort(long_side)),
                      np.argsort(np.argsort(chromosomes.CHROMOSOME_RELATIVE_LENGTH)))[0, 1]
    assert rho > 0.8
    assert long_side[0] > 2.5 * long_side[20]


def test_render_snphep2_cell_matches_snphep2_style():
    sizes, corners = [], []
    for i in range(50):
        image = snphep2.render_cell(base.example_rng(0, "train", i), i % 5)
        assert image.dtype == np.uint8 and image.ndim == 2
        sizes.append(image.shape)
        corners.extend(image[[0, 0, -1, -1], [0, -1, 0, -1]])
    assert np.median(corners) < 40  # the cell fills the crop; dark corners
    sizes = np.array(sizes)
    assert sizes.min() >= 32 and sizes.max() <= 125  # like SNPHEp-2's crops
    assert 50 <= np.median(sizes) <= 80
    image = snphep2.render_cell(base.example_rng(1, "test", 0), "coarse_speckled",
                                size=(40, 50), intensity="positive")
    assert image.shape == (40, 50)
    with pytest.raises(ValueError):
        snphep2.render_cell(base.example_rng(1, "test", 0), 5)


def test_karyotype_composition_and_grouping():
    examples = [ex for _, ex in chromosomes.chromosome_examples(0, "validation", 2)]
    assert len(examples) == 92
    by_k = {}
    for ex in examples:
        by_k.setdefault(ex["karyotype"], []).append(ex)
    assert sorted(by_k) == ["synth-validation-001", "synth-validation-002"]
    female, male = by_k["synth-validation-001"], by_k["synth-validation-002"]
    assert [e["label"] for e in female].count(22) == 2
    assert 23 not in [e["label"] for e in female]
    assert {(e["label"], e["copy"]) for e in male if e["label"] >= 22} == {(22, ""), (23, "")}
    assert male[0]["id"] == "synth-validation-002/synth-validation-002 1a"
    assert len({e["id"] for e in examples}) == 92
    # per-karyotype brightness scaling
    peak = {k: np.median([e["image"].max() for e in v]) for k, v in by_k.items()}
    assert len(set(peak.values())) == 2


# ---------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------
def _digest(stream):
    h = hashlib.sha256()
    for key, ex in stream:
        h.update(key.encode())
        for name in sorted(ex):
            v = ex[name]
            h.update(v.tobytes() + str(v.shape).encode() if isinstance(v, np.ndarray)
                     else str(v).encode())
    return h.hexdigest()


def test_generators_are_deterministic_and_seed_dependent():
    assert (_digest(hep2.hep2_examples(0, "train", 3))
            == _digest(hep2.hep2_examples(0, "train", 3)))
    assert (_digest(hep2.hep2_examples(0, "train", 3))
            != _digest(hep2.hep2_examples(1, "train", 3)))
    assert (_digest(hep2.hep2_examples(0, "train", 3))
            != _digest(hep2.hep2_examples(0, "test", 3)))
    assert (_digest(chromosomes.chromosome_examples(0, "test", 1))
            == _digest(chromosomes.chromosome_examples(0, "test", 1)))
    assert (_digest(chromosomes.chromosome_examples(0, "test", 1))
            != _digest(chromosomes.chromosome_examples(7, "test", 1)))
    assert (_digest(snphep2.snphep2_examples(0, "test", 2))
            == _digest(snphep2.snphep2_examples(0, "test", 2)))
    assert (_digest(snphep2.snphep2_examples(0, "test", 2))
            != _digest(snphep2.snphep2_examples(3, "test", 2)))
    # a bigger config extends a smaller one (same seed): prefix property
    small = list(hep2.hep2_examples(0, "train", 1))
    big = list(hep2.hep2_examples(0, "train", 2))[:6]
    assert _digest(small) == _digest(big)
    assert (_digest(snphep2.snphep2_examples(0, "train", 1))
            == _digest(list(snphep2.snphep2_examples(0, "train", 3))[:5]))


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _prepare(name, data_dir):
    builder = tfds.builder(name, config="tiny", data_dir=str(data_dir))
    builder.download_and_prepare()
    records = sorted(p for p in (data_dir / name / "tiny").rglob("*.tfrecord*"))
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in records}
    examples = {
        split: [tuple(sorted((k, v.tobytes() if isinstance(v, np.ndarray) else v)
                             for k, v in ex.items()))
                for ex in tfds.as_numpy(builder.as_dataset(split=split))]
        for split in builder.info.splits
    }
    return builder, files, examples


@pytest.mark.parametrize("builder_cls",
                         [SyntheticHep2, SyntheticChromosomes, SyntheticSnphep2])
def test_prepare_offline_is_byte_identical(builder_cls, tmp_path, no_network):
    name = builder_cls.name
    b1, files1, ex1 = _prepare(name, tmp_path / "a")
    _, files2, ex2 = _prepare(name, tmp_path / "b")
    assert files1 and files1 == files2
    assert ex1 == ex2
    sizes = {s: len(v) for s, v in ex1.items()}
    cfg = b1.builder_config
    if name == "synthetic_hep2":
        assert sizes == {"train": 12, "validation": 6, "test": 6}
        assert b1.info.features["label"].names == list(hep2.HEP2_CLASSES)
    elif name == "synthetic_snphep2":
        assert sizes == {"train": 10, "test": 10}
        assert b1.info.features["label"].names == real_snphep2.CLASS_NAMES
    else:
        assert sizes == {s: 46 * n for s, n in cfg.split_sizes().items()}
        assert b1.info.features["label"].names == [str(i) for i in range(1, 23)] + ["X", "Y"]
    # defaults: the config a first-time user gets
    assert b1.__class__.DEFAULT_BUILDER_CONFIG_NAME == "default"


def _feature_spec(features):
    return {k: (type(f).__name__, f.shape, f.dtype,
                getattr(f, "names", None)) for k, f in features.items()}


def test_synthetic_snphep2_mirrors_snphep2_builder(tmp_path):
    real = Snphep2(data_dir=str(tmp_path))  # info only: no data needed
    synth = SyntheticSnphep2(config="split_3", data_dir=str(tmp_path))
    assert _feature_spec(synth.info.features) == _feature_spec(real.info.features)
    assert synth.info.supervised_keys == real.info.supervised_keys
    assert list(synth.info.features["label"].names) == [
        "fine_speckled", "coarse_speckled", "homogeneous", "nucleolar", "centromere"]
    real_configs = {c.name for c in Snphep2.BUILDER_CONFIGS} - {"full"}
    synth_configs = {c.name: c for c in SyntheticSnphep2.BUILDER_CONFIGS}
    assert real_configs <= set(synth_configs)
    for cfg in synth_configs.values():
        assert tuple(cfg.split_sizes()) == real_snphep2.SUBSETS  # train, test


@pytest.mark.parametrize("config, expected", [
    ("tiny", {"train": 10, "test": 10}),
    ("default", {"train": 200, "test": 200}),
    ("large", {"train": 905, "test": 980}),
] + [(f"split_{k}", {"train": 100, "test": 100}) for k in range(1, 6)])
def test_synthetic_snphep2_split_counts(config, expected):
    cfg = {c.name: c for c in SyntheticSnphep2.BUILDER_CONFIGS}[config]
    for split, n in expected.items():
        size = cfg.split_sizes()[split]
        if cfg.split_index is None:
            assert 5 * size == n
        else:
            idx = snphep2.split_50_indices(cfg.seed, split, size, cfg.split_index)
            assert len(idx) == n and len(set(idx)) == n
            assert all(0 <= i < 5 * size for i in idx)
            per_class = np.bincount(np.asarray(idx) % 5, minlength=5)
            assert per_class.tolist() == [n // 5] * 5  # half of every class


def test_synthetic_snphep2_split_k_are_halves_of_default():
    full = {k: ex for k, ex in snphep2.snphep2_examples(0, "test", 40)}
    halves = {}
    for k in range(1, 6):
        half = list(snphep2.snphep2_examples(0, "test", 40, split_index=k))
        keys = [key for key, _ in half]
        assert len(keys) == 100 and keys == sorted(keys)
        for key, ex in half:  # the same images as in the default config
            assert key in full and _digest([(key, ex)]) == _digest([(key, full[key])])
        halves[k] = set(keys)
    assert len({frozenset(h) for h in halves.values()}) == 5  # k gives a new half


# ---------------------------------------------------------------------------
# Learnability
# ---------------------------------------------------------------------------
def _letterbox(image, size):
    """Per-image [0, 1] scaling, aspect-preserving resize, centred on black."""
    im = image.astype(np.float32)
    lo, hi = np.percentile(im, [1.0, 99.5])
    im = np.clip((im - lo) / max(hi - lo, 1.0), 0.0, 1.0)
    h, w = im.shape
    s = size / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    im = cv2.resize(im, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((size, size), np.float32)
    y0, x0 = (size - nh) // 2, (size - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = im
    return out


def _arrays(stream, size):
    xs, ys = [], []
    for _, ex in stream:
        xs.append(_letterbox(ex["image"], size))
        ys.append(ex["label"])
    return np.stack(xs)[..., None], np.asarray(ys)


def _train_and_score(train, test, num_classes, epochs, shuffle_labels=False,
                     per_class=False):
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    x_tr, y_tr = train
    if shuffle_labels:
        y_tr = np.random.default_rng(1).permutation(y_tr)
    size = x_tr.shape[1]
    model = keras.Sequential([
        keras.Input((size, size, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(num_classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_tr, y_tr, batch_size=32, epochs=epochs, verbose=0)
    if not per_class:
        return float(model.evaluate(*test, verbose=0)[1])
    x_te, y_te = test
    hit = model.predict(x_te, verbose=0).argmax(axis=1) == y_te
    return float(hit.mean()), [float(hit[y_te == c].mean()) for c in range(num_classes)]


@pytest.fixture(scope="module")
def hep2_data():
    size = 40
    return (_arrays(hep2.hep2_examples(0, "train", 40), size),
            _arrays(hep2.hep2_examples(0, "test", 20), size))


@pytest.fixture(scope="module")
def chromosome_data():
    size = 40
    return (_arrays(chromosomes.chromosome_examples(0, "train", 12), size),
            _arrays(chromosomes.chromosome_examples(0, "test", 6), size))


@pytest.fixture(scope="module")
def snphep2_data():
    size = 40
    return (_arrays(snphep2.snphep2_examples(0, "train", 40), size),
            _arrays(snphep2.snphep2_examples(0, "test", 20), size))


HEP2_EPOCHS, CHROMOSOME_EPOCHS, SNPHEP2_EPOCHS = 8, 8, 12


def test_hep2_learnable(hep2_data):
    chance = 1 / 6
    acc = _train_and_score(*hep2_data, num_classes=6, epochs=HEP2_EPOCHS)
    print(f"synthetic_hep2: test accuracy {acc:.3f} (chance {chance:.3f})")
    assert acc > 3 * chance


def test_chromosomes_learnable(chromosome_data):
    chance = 1 / 24
    acc = _train_and_score(*chromosome_data, num_classes=24,
                           epochs=CHROMOSOME_EPOCHS)
    print(f"synthetic_chromosomes: test accuracy {acc:.3f} (chance {chance:.3f})")
    assert acc > 3 * chance


def test_snphep2_learnable(snphep2_data):
    """All five classes, fine and coarse speckled included, are told apart."""
    chance = 1 / 5
    acc, recall = _train_and_score(*snphep2_data, num_classes=5,
                                   epochs=SNPHEP2_EPOCHS, per_class=True)
    print(f"synthetic_snphep2: test accuracy {acc:.3f} (chance {chance:.3f}), "
          f"recall per class {np.round(recall, 2).tolist()}")
    assert acc > 3 * chance
    assert min(recall) > 2 * chance


@pytest.mark.parametrize("name", ["hep2", "snphep2"])
def test_learnability_threshold_can_fail(name, request):
    """Same protocol, shuffled training labels: stays below the threshold."""
    num_classes, epochs = {"hep2": (6, HEP2_EPOCHS),
                           "snphep2": (5, SNPHEP2_EPOCHS)}[name]
    data = request.getfixturevalue(f"{name}_data")
    acc = _train_and_score(*data, num_classes=num_classes, epochs=epochs,
                           shuffle_labels=True)
    print(f"synthetic_{name}, shuffled labels: test accuracy {acc:.3f}")
    assert acc < 3 * (1 / num_classes)
