"""The portable runs' NumPy batches: the order is a function of (seed,
epoch), each copy of each example appears once per epoch, DRI's rotations
are TensorFlow's, and under ``fit`` (JAX) every batch of epoch ``e`` is drawn
in epoch ``e``'s order."""
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest

from reproductions.portable import pipeline

ROOT = Path(__file__).resolve().parents[2]


class _Split(types.SimpleNamespace):
    def __len__(self):
        return len(self.labels)


def split(n=10, size=6):
    rng = np.random.default_rng(0)
    return _Split(images=rng.random((n, size, size, 1), dtype=np.float32),
                  labels=np.arange(n) % 3, ids=np.arange(n).astype(str),
                  class_names=("a", "b", "c"))


def _epoch_examples(data):
    return np.concatenate([data[i][0][:, 0, 0, 0] for i in range(len(data))])


def test_order_depends_on_seed_and_epoch_only():
    s = split()
    epoch = pipeline.Epoch()
    data = pipeline.TrainBatches(s, batch_size=4, seed=3, epoch=epoch)
    first = _epoch_examples(data)
    again = _epoch_examples(pipeline.TrainBatches(s, batch_size=4, seed=3, epoch=pipeline.Epoch()))
    np.testing.assert_array_equal(first, again)
    epoch.assign(1)
    second = _epoch_examples(data)
    assert not np.array_equal(first, second)
    other_seed = _epoch_examples(pipeline.TrainBatches(s, batch_size=4, seed=4,
                                                       epoch=pipeline.Epoch()))
    assert not np.array_equal(first, other_seed)
    # every example once per epoch
    for values in (first, second):
        np.testing.assert_array_equal(np.sort(values), np.sort(s.images[:, 0, 0, 0]))
    assert len(data) == 3 and len(data[2][0]) == 2
    with pytest.raises(IndexError):
        data[3]


def test_copies_and_samples_per_epoch():
    s = split(n=6)
    s.images = np.broadcast_to(np.arange(6, dtype=np.float32)[:, None, None, None],
                               s.images.shape).copy()  # each image its index
    repeats = np.array([1, 2, 3, 1, 2, 3])
    seen = []

    def augment(images, labels, variants):
        seen.extend(zip(images[:, 0, 0, 0].astype(int).tolist(), variants.tolist()))
        return images

    data = pipeline.TrainBatches(s, batch_size=5, seed=0, epoch=pipeline.Epoch(),
                                 augment=augment, repeats=repeats,
                                 targets=lambda images, labels: (labels, labels))
    _, (y1, y2) = data[0]
    np.testing.assert_array_equal(y1, y2)
    for i in range(1, len(data)):
        data[i]
    assert sorted(seen) == [(i, v) for i, r in enumerate(repeats) for v in range(r)]
    short = pipeline.TrainBatches(s, batch_size=5, seed=0, epoch=pipeline.Epoch(),
                                  repeats=repeats, samples_per_epoch=7)
    assert len(short) == 2 and len(short[1][0]) == 2


def test_rotations_are_tensorflows():
    """``rotation_variants`` gives what the TensorFlow pipeline's
    ``augment.rotation_variants`` gives (DRI's 20 / 60 copies)."""
    import tensorflow as tf

    from reproductions.common import augment

    copies = [20, 60, 3]
    rng = np.random.default_rng(1)
    images = rng.random((6, 76, 76, 1), dtype=np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2])
    variants = np.array([0, 7, 1, 13, 45, 2])
    want = np.stack([augment.rotation_variants(copies, fill_mode="constant", fill_value=0.0)(
        tf.constant(x), tf.constant(l), tf.constant(v)).numpy()
        for x, l, v in zip(images, labels, variants)])
    got = pipeline.rotation_variants(copies)(images, labels, variants)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert np.abs(got - images).max() > 0.1  # it does rotate


def test_fit_on_jax_draws_each_epoch_in_its_order(tmp_path):
    """Under ``fit`` with ``training.EpochCounter`` (as ``training.train``
    wires it), every batch of epoch e is drawn after the epoch is published."""
    script = textwrap.dedent("""
        import json, sys
        import keras, numpy as np
        from reproductions.common.training import EpochCounter
        from reproductions.portable import no_tensorflow, pipeline
        no_tensorflow.block()

        class Split:
            images = np.random.default_rng(0).random((20, 4, 4, 1)).astype("float32")
            labels = np.arange(20) % 2
            def __len__(self):
                return 20

        class Recording(pipeline.TrainBatches):
            log = []
            def __getitem__(self, index):
                self.log.append([self.epoch.value, index])
                return super().__getitem__(index)

        epoch = pipeline.Epoch()
        data = Recording(Split(), batch_size=8, seed=0, epoch=epoch)
        starts = []
        class Start(keras.callbacks.Callback):
            def on_epoch_begin(self, e, logs=None):
                starts.append([e, len(Recording.log)])
        model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.fit(data, epochs=3, verbose=0, shuffle=False,  # as training.train
                  callbacks=[EpochCounter(epoch), Start()])
        json.dump({"log": Recording.log, "starts": starts, "backend": keras.backend.backend()},
                  open(sys.argv[1], "w"))
    """)
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-c", script, str(report)], cwd=ROOT,
                            env={**os.environ, "KERAS_BACKEND": "jax"}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(report.read_text())
    assert out["backend"] == "jax"
    log, starts = out["log"], [n for _, n in out["starts"]]
    # Keras may peek at one batch before training (its structure); then each
    # epoch's three batches, in order, after the epoch was published
    assert len(starts) == 3 and starts[0] <= 1
    for e, start in enumerate(starts):
        assert log[start:start + 3] == [[e, 0], [e, 1], [e, 2]], log
    assert len(log) == starts[0] + 9
