"""A tiny, complete training run for ``tests/common/test_training.py``.

Imported, :func:`run` trains in-process. Run as a script it trains in a
subprocess and stores the final weights and outcome in the run dir::

    python tests/common/_resume_script.py RUN_DIR [--kill-after-epoch N] [--mirrored]

``--kill-after-epoch N`` makes the process SIGKILL itself at the end of epoch
N, like ``kill -9``: after the epoch's records (history, best weights) are
written, before the backup marks the epoch done (an extra callback runs
before ``BackupAndRestore``), so the resumed run repeats epoch N.
``--mirrored`` splits the CPU into two logical devices and trains under a
``MirroredStrategy`` over both (two replicas, as on a two-GPU machine).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from reproductions.common import data as data_lib
from reproductions.common import training

EPOCHS = 4
BATCH = 8
CLASSES = 3
BN_IMAGES = 12  # BatchNorm statistics re-estimated after every epoch


def make_splits():
    """Class c is a bright vertical band in columns 4c..4c+3, plus noise. The
    validation labels are shifted by one class, so validation loss rises as
    the model learns: the best epoch is the first one, and a later epoch is
    always worse (what the resume test of BestWeights needs)."""
    rng = np.random.default_rng(0)

    def split(n, tag, shift):
        labels = rng.integers(0, CLASSES, n)
        images = 0.5 * rng.random((n, 12, 12, 1), dtype=np.float32)
        for i, c in enumerate(labels):
            images[i, :, 4 * c:4 * c + 4] += 0.5
        return data_lib.ArraySplit(
            images, ((labels + shift) % CLASSES).astype(np.int64),
            np.array([f"{tag}{i}" for i in range(n)]),
            tuple(f"c{i}" for i in range(CLASSES)))

    return split(36, "train", 0), split(16, "val", 1)


def make_model():
    inputs = keras.Input((12, 12, 1))
    # no bias before BatchNormalization: its gradient is round-off noise, which
    # Adam scales up to full steps (a weight no result depends on, and no test
    # could compare across processes)
    x = keras.layers.Conv2D(6, 3, use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.3)(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    outputs = keras.layers.Dense(CLASSES, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def augment(image, label, variant, seed):
    del label, variant
    image = tf.image.stateless_random_flip_left_right(image, seed)
    return image + 0.05 * tf.random.stateless_normal(tf.shape(image), seed + 1)


class KillAfterEpoch(keras.callbacks.Callback):
    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def run(run_dir, kill_after_epoch: int | None = None, strategy=None):
    training.set_determinism(0)
    train_split, val_split = make_splits()
    with (strategy or tf.distribute.get_strategy()).scope():
        model = make_model()
    extra = [] if kill_after_epoch is None else [KillAfterEpoch(kill_after_epoch)]
    outcome = training.train(model, train_split, val_split, run_dir=Path(run_dir),
                             epochs=EPOCHS, batch_size=BATCH, seed=0, augment=augment,
                             tensorboard=False, verbose=0, extra_callbacks=extra,
                             bn_recalibration_images=BN_IMAGES)
    return model, outcome


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--kill-after-epoch", type=int)
    parser.add_argument("--mirrored", action="store_true")
    args = parser.parse_args(argv)
    strategy = None
    if args.mirrored:
        from reproductions.common import cli
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = cli.distribution_strategy("mirrored")
        assert strategy.num_replicas_in_sync == 2
    model, outcome = run(args.run_dir, args.kill_after_epoch, strategy)
    np.savez(args.run_dir / "final_weights.npz", *model.get_weights())
    (args.run_dir / "outcome.json").write_text(json.dumps(
        {"best_epoch": outcome.best_epoch, "epochs": outcome.epochs,
         "history": outcome.history, "wall_time_s": outcome.wall_time_s,
         "wall_time_complete": outcome.wall_time_complete}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
