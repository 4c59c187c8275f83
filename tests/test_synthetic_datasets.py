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

from tfds_builders import synthetic_common as sc
from tfds_builders.synthetic_chromosomes import SyntheticChromosomes
from tfds_builders.synthetic_hep2 import SyntheticHep2


# ---------------------------------------------------------------------------
# Look of single examples
# ---------------------------------------------------------------------------
def test_render_cell_matches_i3a_style():
    fractions, maxima = [], {"positive": [], "intermediate": []}
    for i in range(36):
        rng = sc.example_rng(0, "train", i)
        intensity = sc.HEP2_INTENSITIES[i % 2]
        image, mask = sc.render_cell(rng, i % 6, intensity=intensity)
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
    image, mask = sc.render_cell(sc.example_rng(1, "test", 0), "golgi", size=(60, 70))
    assert image.shape == mask.shape == (60, 70)


def test_render_chromosome_bright_on_black_cropped_and_class_dependent():
    style = sc.sample_karyotype_style(sc.example_rng(0, "train", 0, 0))
    lengths = {}
    for k in range(24):
        im = sc.render_chromosome(sc.example_rng(0, "train", 0, 1 + k), k, style)
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
                      np.argsort(np.argsort(sc.CHROMOSOME_RELATIVE_LENGTH)))[0, 1]
    assert rho > 0.8
    assert long_side[0] > 2.5 * long_side[20]


def test_karyotype_composition_and_grouping():
    examples = [ex for _, ex in sc.chromosome_examples(0, "validation", 2)]
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
    assert (_digest(sc.hep2_examples(0, "train", 3))
            == _digest(sc.hep2_examples(0, "train", 3)))
    assert (_digest(sc.hep2_examples(0, "train", 3))
            != _digest(sc.hep2_examples(1, "train", 3)))
    assert (_digest(sc.hep2_examples(0, "train", 3))
            != _digest(sc.hep2_examples(0, "test", 3)))
    assert (_digest(sc.chromosome_examples(0, "test", 1))
            == _digest(sc.chromosome_examples(0, "test", 1)))
    assert (_digest(sc.chromosome_examples(0, "test", 1))
            != _digest(sc.chromosome_examples(7, "test", 1)))
    # a bigger config extends a smaller one (same seed): prefix property
    small = list(sc.hep2_examples(0, "train", 1))
    big = list(sc.hep2_examples(0, "train", 2))[:6]
    assert _digest(small) == _digest(big)


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


@pytest.mark.parametrize("builder_cls", [SyntheticHep2, SyntheticChromosomes])
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
        assert b1.info.features["label"].names == list(sc.HEP2_CLASSES)
    else:
        assert sizes == {s: 46 * n for s, n in cfg.split_sizes().items()}
        assert b1.info.features["label"].names == [str(i) for i in range(1, 23)] + ["X", "Y"]
    # defaults: the config a first-time user gets
    assert b1.__class__.DEFAULT_BUILDER_CONFIG_NAME == "default"


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


def _train_and_score(train, test, num_classes, epochs, shuffle_labels=False):
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
    return float(model.evaluate(*test, verbose=0)[1])


@pytest.fixture(scope="module")
def hep2_data():
    size = 40
    return (_arrays(sc.hep2_examples(0, "train", 40), size),
            _arrays(sc.hep2_examples(0, "test", 20), size))


@pytest.fixture(scope="module")
def chromosome_data():
    size = 40
    return (_arrays(sc.chromosome_examples(0, "train", 12), size),
            _arrays(sc.chromosome_examples(0, "test", 6), size))


HEP2_EPOCHS, CHROMOSOME_EPOCHS = 8, 8


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


def test_learnability_threshold_can_fail(hep2_data):
    """Same protocol, shuffled training labels: stays below the threshold."""
    acc = _train_and_score(*hep2_data, num_classes=6, epochs=HEP2_EPOCHS,
                           shuffle_labels=True)
    print(f"synthetic_hep2, shuffled labels: test accuracy {acc:.3f}")
    assert acc < 3 * (1 / 6)
