"""Training with Keras ``fit``: seeded, deterministic on CPU, resumable.

:func:`train` wires the callbacks every paper needs:

- ``BackupAndRestore`` -- a run killed mid-way (even ``kill -9``) resumes at
  the last finished epoch when the same command is run again. It comes last,
  after ``extra_callbacks``: an epoch counts as finished only once every
  callback has recorded it, so a kill between a record and the backup
  repeats the epoch (its records then appear twice, the last one wins)
  instead of losing the record;
- :class:`BestWeights` -- keeps the weights with the lowest validation loss
  (the papers' model selection) and, unlike ``ModelCheckpoint``, remembers
  the best value across a resume, so a resumed run ends exactly where an
  uninterrupted one would; it also stops the run early when the validation
  loss has not improved for ``patience`` epochs, counted from the stored best
  epoch, so early stopping survives a resume too (Keras' ``EarlyStopping``
  forgets its counter);
- ``CSVLogger`` and ``TensorBoard`` logs, Keras progress bars, a
  throughput meter and :class:`ElapsedTime`, the run's wall time across
  resumes.

Data order and augmentation are stateless functions of (seed, epoch), see
``reproductions.common.data.train_dataset``. TensorFlow is imported only by
that default pipeline, the GPU probe of :func:`set_determinism` and
:func:`predict_proba` on the TensorFlow backend: with another ``pipeline``
(``reproductions.portable``: NumPy batches) :func:`train` runs on any Keras
backend.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import keras
import numpy as np

from reproductions.common import records, summary

if TYPE_CHECKING:
    from reproductions.common import data as data_lib


def set_determinism(seed: int, op_determinism: bool | None = None) -> None:
    """Seeds Python, NumPy, TensorFlow and Keras; optionally forces
    deterministic TF kernels.

    ``op_determinism=None`` (auto) turns ``enable_op_determinism`` on only
    when a GPU is visible. On CPU the seeded kernels used here already give
    the same results run after run on the same CPU type and software
    (bit-identical within one process, float32 round-off across processes:
    ``tests/common/test_training.py``; not across CPU models), while op
    determinism makes CPU training about 3× slower
    (Xception at 72×72: 6 vs 19 images/s on 2 cores).
    """
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() != "tensorflow":
        return  # TensorFlow's switch; not imported for the other backends
    import tensorflow as tf
    if op_determinism is None:
        op_determinism = bool(tf.config.list_physical_devices("GPU"))
    if op_determinism:
        tf.config.experimental.enable_op_determinism()


class EpochCounter(keras.callbacks.Callback):
    """Publishes the epoch about to start to the input pipeline, and re-keys
    the model's random layers (dropout ...) by epoch.

    Keras does not store ``SeedGenerator`` states in weight files, so after a
    resume dropout would draw other masks than the uninterrupted run. Setting
    each generator's counter to a function of the epoch makes the masks depend
    only on (layer seed, epoch, step), like the data order.
    """

    def __init__(self, variable):
        """``variable``: anything with ``assign(epoch)`` (a ``tf.Variable``
        read by the ``tf.data`` pipeline, or a NumPy pipeline's epoch)."""
        super().__init__()
        self.variable = variable

    def on_epoch_begin(self, epoch, logs=None):
        self.variable.assign(epoch)
        for v in self.model.variables:
            if v.name == "seed_generator_state":
                v.assign(np.array([int(v.numpy()[0]), epoch << 24], dtype=v.dtype))


class BestWeights(keras.callbacks.Callback):
    """Saves the weights with the best ``monitor`` value; resumable; stops
    the run after ``patience`` epochs without improvement (``None``: never).

    The best value and epoch are kept in ``<path>.json`` next to the weights,
    so that after an interruption the comparison continues against the true
    best of the run, and the patience counter (current epoch − best epoch)
    with it. ``stopped_epoch`` is the epoch at which it stopped the run.
    """

    def __init__(self, path: Path, monitor: str = "val_loss", mode: str = "min",
                 patience: int | None = None):
        super().__init__()
        self.path = Path(path)
        self.state_path = self.path.with_suffix(".json")
        self.monitor = monitor
        self.sign = 1.0 if mode == "min" else -1.0
        self.patience = patience
        self.best = np.inf
        self.best_epoch = None
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        if self.state_path.exists() and self.path.exists():
            state = json.loads(self.state_path.read_text())
            self.best, self.best_epoch = state["best"], state["best_epoch"]

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"BestWeights monitors {self.monitor!r}, which is not in "
                           f"the logs ({sorted(logs or {})}); pass validation data.")
        value = self.sign * float(value)
        if value < self.best:
            self.best, self.best_epoch = value, epoch
            tmp = self.path.with_name("tmp_" + self.path.name)
            self.model.save_weights(tmp)
            tmp.replace(self.path)
            self.state_path.write_text(json.dumps(
                {"best": self.best, "best_epoch": epoch, "monitor": self.monitor}))
        if self.patience and epoch - self.best_epoch >= self.patience:
            self.model.stop_training = True
            self.stopped_epoch = epoch


class Throughput(keras.callbacks.Callback):
    """Training images per second, from the first to the last batch of each
    epoch (validation excluded)."""

    def __init__(self, batch_size: int):
        super().__init__()
        self.batch_size = batch_size
        self.per_epoch: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = None
        self._images = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self._start is None:
            self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._images += self.batch_size
        self._end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self._start is not None and self._end > self._start:
            self.per_epoch.append(self._images / (self._end - self._start))

    def images_per_second(self) -> float:
        # the first epoch pays for tracing; use the later ones when there are any
        values = self.per_epoch[1:] or self.per_epoch
        return float(np.median(values)) if values else float("nan")


def _batch_norm_layers(layer):
    """Every BatchNormalization below ``layer``, including those inside custom
    layers that hold sublayers as attributes (``layers.DRIBlock`` ...), which
    ``Model.layers`` does not list."""
    for sub in layer._flatten_layers(include_self=False, recursive=True):
        if isinstance(sub, keras.layers.BatchNormalization):
            yield sub


def recalibrate_batch_norm(model: keras.Model, images: np.ndarray, batch_size: int) -> int:
    """Sets every BatchNormalization layer's moving mean / variance to the
    average of its batch statistics over ``images`` under the current weights
    (the "BN update" of stochastic weight averaging). Returns the number of
    layers updated."""
    layers = list(_batch_norm_layers(model))
    if not layers or len(images) == 0:
        return 0
    momentum = [layer.momentum for layer in layers]
    try:
        for i, start in enumerate(range(0, len(images), batch_size)):
            for layer in layers:  # cumulative mean: new = old·i/(i+1) + batch/(i+1)
                layer.momentum = i / (i + 1)
            model(images[start:start + batch_size], training=True)
    finally:
        for layer, m in zip(layers, momentum):
            layer.momentum = m
    return len(layers)


class BatchNormRecalibration(keras.callbacks.Callback):
    """At the end of every epoch, re-estimates the BatchNorm moving statistics
    from a fixed set of training images, *then* validates.

    With few epochs (the cpu profiles), Keras' moving averages (momentum 0.99)
    lag the fast-changing weights so much that inference-mode predictions
    collapse to one class while training-mode accuracy is high (seen with
    Xception and ResNet-50 after 2 epochs: 4 % vs 78 % on validation).
    Re-estimating them makes validation, model selection and test measure the
    weights that were trained. Must come first among the callbacks: it writes
    ``val_*`` into the epoch's logs for the ones after it.
    """

    def __init__(self, images: np.ndarray, batch_size: int, val_ds):
        super().__init__()
        self.images = images
        self.batch_size = batch_size
        self.val_ds = val_ds

    def on_epoch_end(self, epoch, logs=None):
        recalibrate_batch_norm(self.model, self.images, self.batch_size)
        if logs is not None and self.val_ds is not None:
            values = self.model.evaluate(self.val_ds, verbose=0, return_dict=True)
            logs.update({f"val_{k}": v for k, v in values.items()})


class ElapsedTime(keras.callbacks.Callback):
    """A run's wall time across resumes: what the earlier processes spent up
    to their last finished epoch (read from ``path``) plus this process's
    time, written to ``path`` after every epoch. An epoch a killed process
    did not finish is not counted (its work is redone, and counted, by the
    process that resumes).

    ``resumed``: epochs were already logged when this process started; if
    ``path`` is missing then (they were trained by code that kept no such
    file), their time is unknown and :attr:`complete` is False."""

    def __init__(self, path: Path, resumed: bool = False):
        super().__init__()
        self.path = Path(path)
        self.complete = self.path.exists() or not resumed
        self.before = float(self.path.read_text()) if self.path.exists() else 0.0
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return self.before + time.perf_counter() - self.start

    def on_epoch_end(self, epoch, logs=None):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{self.seconds():.3f}")
        tmp.replace(self.path)


@dataclasses.dataclass
class TrainOutcome:
    history: dict            # metric -> list over all epochs (resumed ones too)
    best_epoch: int | None
    epochs: int
    wall_time_s: float        # across resumes (ElapsedTime); 0.0: loaded, not trained
    train_images_per_s: float
    stopped_by: str = ""      # what ended the run, in words
    wall_time_complete: bool = True  # False: earlier sessions' time unknown (ElapsedTime)

    def record_fields(self) -> dict:
        """The outcome as keyword arguments of ``records.run_record``."""
        return dict(epochs=self.epochs, best_epoch=self.best_epoch,
                    wall_time_s=self.wall_time_s,
                    wall_time_across_resumes=self.wall_time_complete,
                    train_images_per_s=self.train_images_per_s, history=self.history,
                    stopped_by=self.stopped_by)


def stop_reason(epochs_run: int, max_epochs: int, best_epoch: int | None,
                patience: int | None, monitor: str = "val_loss") -> str:
    """What ended a run: early stopping or the epoch cap (epochs 1-based)."""
    best = "—" if best_epoch is None else best_epoch + 1
    if patience and epochs_run < max_epochs:
        return (f"early stopping: no {monitor} improvement in {patience} epochs after "
                f"the best epoch {best} (of at most {max_epochs})")
    return f"{summary.STOPPED_AT_CAP}: {max_epochs} epochs (best epoch {best})"


def read_history(csv_path: Path) -> dict:
    """The CSV log as ``{column: [values]}``, one entry per epoch (the last
    record wins when a resumed run logged an epoch twice)."""
    import csv
    if not csv_path.exists():
        return {}
    by_epoch = {}
    with open(csv_path, newline="") as f:
        for rec in csv.DictReader(f):
            by_epoch[int(rec["epoch"])] = rec
    history: dict = {}
    for epoch in sorted(by_epoch):
        for key, value in by_epoch[epoch].items():
            if key != "epoch":
                history.setdefault(key, []).append(float(value))
    return history


def load_best_weights(model: keras.Model, path: Path) -> None:
    """``model.load_weights(path)``, for evaluation: the file also holds the
    optimiser's state at that epoch, which a freshly compiled model (a finished
    run loaded again) has not built yet; Keras then skips it with a warning
    that says nothing about the weights, which load in full."""
    import warnings
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(path)


def tf_pipeline(train_split, val_split, *, batch_size: int, seed: int, **kwargs):
    """``train``'s default pipeline: ``(epoch variable, training tf.data,
    validation tf.data)`` (``reproductions.common.data``)."""
    import tensorflow as tf

    from reproductions.common import data as data_lib
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    targets = kwargs.get("targets")
    return (epoch,
            data_lib.train_dataset(train_split, batch_size=batch_size, seed=seed, epoch=epoch,
                                   **kwargs),
            data_lib.eval_dataset(val_split, batch_size=batch_size, targets=targets))


def train(model: keras.Model, train_split: data_lib.ArraySplit,
          val_split: data_lib.ArraySplit, *, run_dir: Path, epochs: int, batch_size: int,
          seed: int, augment: Callable | None = None, repeats=None,
          samples_per_epoch: int | None = None, targets: Callable | None = None,
          early_stopping_patience: int | None = None, tensorboard: bool = True,
          bn_recalibration_images: int | None = None,
          verbose: int | str = "auto", extra_callbacks=(),
          pipeline: Callable | None = None) -> TrainOutcome:
    """Fits a compiled ``model`` and leaves it holding its best weights.

    ``early_stopping_patience``: stop after that many epochs without a lower
    validation loss (resumable, see :class:`BestWeights`); ``epochs`` is then
    the cap.
    ``bn_recalibration_images``: re-estimate BatchNorm statistics from that
    many training images after every epoch (see :class:`BatchNormRecalibration`).
    ``pipeline``: ``pipeline(train_split, val_split, batch_size=, seed=,
    augment=, repeats=, samples_per_epoch=, targets=) -> (epoch, train_data,
    val_data)`` where ``epoch.assign(e)`` is called as epoch ``e`` begins
    (default :func:`tf_pipeline`: ``tf.data``).

    Re-running with the same ``run_dir`` resumes an interrupted fit. A fit
    that already finished (``run_dir/done.json``) is not repeated: the best
    weights are loaded and the stored outcome returned.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    best_path = run_dir / "best.weights.h5"
    done_path = run_dir / "done.json"
    if done_path.exists() and best_path.exists():
        load_best_weights(model, best_path)
        done = json.loads(done_path.read_text())
        return TrainOutcome(read_history(run_dir / "history.csv"), done["best_epoch"],
                            done["epochs"], 0.0, done["train_images_per_s"],
                            done.get("stopped_by", ""))
    elapsed = ElapsedTime(run_dir / "elapsed_seconds.txt",
                          resumed=bool(read_history(run_dir / "history.csv")))
    epoch_var, train_ds, val_ds = (pipeline or tf_pipeline)(
        train_split, val_split, batch_size=batch_size, seed=seed, augment=augment,
        repeats=repeats, samples_per_epoch=samples_per_epoch, targets=targets)
    best = BestWeights(best_path, patience=early_stopping_patience)
    meter = Throughput(batch_size)
    callbacks = []
    if bn_recalibration_images:
        pick = np.random.default_rng(seed).permutation(len(train_split))[:bn_recalibration_images]
        callbacks.append(BatchNormRecalibration(train_split.images[np.sort(pick)],
                                                batch_size, val_ds))
        fit_validation = None  # validated by the callback, after recalibration
    else:
        fit_validation = val_ds
    callbacks += [EpochCounter(epoch_var), best, meter, elapsed,
                  keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True)]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(
            str(run_dir / "tensorboard"), write_graph=False, profile_batch=0))
    callbacks += list(extra_callbacks)
    # last: the epoch is marked done once everything above has recorded it
    callbacks.append(keras.callbacks.BackupAndRestore(str(run_dir / "backup")))
    model.fit(train_ds, validation_data=fit_validation, epochs=epochs, callbacks=callbacks,
              verbose=verbose, shuffle=False)  # the pipeline shuffles, statelessly
    # a restored BackupAndRestore leaves its epoch on the model, and a later
    # fit of the same model object would start there
    model._initial_epoch = None
    if best_path.exists():
        load_best_weights(model, best_path)
    history = read_history(run_dir / "history.csv")
    epochs_run = len(next(iter(history.values()), []))
    outcome = TrainOutcome(history, best.best_epoch, epochs_run,
                           elapsed.seconds(), meter.images_per_second(),
                           stop_reason(epochs_run, epochs, best.best_epoch,
                                       early_stopping_patience), elapsed.complete)
    done_path.write_text(json.dumps({"best_epoch": outcome.best_epoch,
                                     "epochs": outcome.epochs,
                                     "train_images_per_s": outcome.train_images_per_s,
                                     "stopped_by": outcome.stopped_by}))
    shutil.rmtree(run_dir / "backup", ignore_errors=True)
    return outcome


def predict_proba(model: keras.Model, split: data_lib.ArraySplit, batch_size: int):
    """Model outputs on ``split`` (a list for multi-output models).

    The last batch is padded to ``batch_size`` (and the padding's outputs
    dropped), so the prediction function sees one input shape: a short last
    batch would trace it a second time for every model, and TensorFlow warns
    about "retracing" once a few models have been evaluated in one process."""
    images = np.asarray(split.images)
    n = len(images)
    if n == 0:
        raise ValueError("predict_proba on an empty split")
    pad = -n % batch_size
    if pad:
        images = np.concatenate([images, np.repeat(images[-1:], pad, axis=0)])
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        ds = tf.data.Dataset.from_tensor_slices(images).batch(batch_size, drop_remainder=True)
        outputs = model.predict(ds, verbose=0)
    else:  # NumPy batches
        outputs = model.predict(images, batch_size=batch_size, verbose=0)
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(o[:n] for o in outputs)
    if isinstance(outputs, dict):
        return {k: o[:n] for k, o in outputs.items()}
    return outputs[:n]
