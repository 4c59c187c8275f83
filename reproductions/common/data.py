"""The one input pipeline: TFDS builder -> preprocessed arrays -> ``tf.data``.

1. :func:`resolve_source` decides, for each dataset a paper reads, between
   the real dataset (``--manual-dir``, or ``../shared/data/<name>`` when
   present), a user's own image folder (``--image-folder``) and the embedded
   synthetic look-alike, and checks the paths.
2. :func:`prepare` runs the TFDS builder (manual download) into ``--data-dir``,
   or reads the image folder (:mod:`reproductions.common.image_folder`).
3. :func:`load_arrays` decodes and preprocesses a split once (parallel
   ``map``, deterministic order) into in-memory arrays -- the datasets here are
   a few thousand small images, so this is the ``cache`` step.
4. :func:`train_dataset` / :func:`eval_dataset` turn arrays into batched,
   prefetched ``tf.data`` pipelines. The training order and every augmentation
   draw are *stateless* functions of ``(seed, epoch, example)``: the same
   command gives the same batches, and a run resumed at epoch ``k`` sees
   exactly the batches it would have seen without the interruption.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import numpy as np
import tensorflow as tf

from reproductions.common import provenance
from reproductions.common.arrays import ArraySplit  # noqa: F401 - its home was here
from reproductions.common.errors import UserError

AUTOTUNE = tf.data.AUTOTUNE


def shared_data() -> Path:
    """The developers' copy of the datasets: ``../shared/data`` beside the
    project (see :func:`reproductions.common.provenance.project_root`)."""
    return provenance.project_root().parent / "shared" / "data"

# TFDS name of each real dataset -> folder name under ../shared/data and the
# place a user gets it from.
REAL_DATASETS = {
    "bioimlab_chromosomes": ("bioimlab_chromosomes",
                             "http://bioimlab.dei.unipd.it (Chromosome Data Set)"),
    "i3a_task1": ("i3a_task1", "the I3A / ICPR 2014 HEp-2 contest (Task 1 training set)"),
    "snphep2": ("snphep2", "the SNPHEp-2 page of the University of Queensland"),
}


@dataclasses.dataclass(frozen=True)
class DataSource:
    """Which dataset a run reads, and from where."""

    name: str
    config: str | None
    synthetic: bool
    manual_dir: Path | None
    user_folder: bool = False  # manual_dir is a user's image folder

    def describe(self) -> str:
        if self.synthetic:
            return f"{self.name} (embedded synthetic data)"
        if self.user_folder:
            return f"your image folder {self.manual_dir}"
        return f"{self.name} from {self.manual_dir}"


def resolve_source(real_name: str, synthetic_name: str, *, data: str = "auto",
                   manual_dir: Path | None = None, real_config: str | None = None,
                   synthetic_config: str | None = None,
                   image_folder: Path | None = None) -> DataSource:
    """Chooses the dataset for a run.

    ``data`` is ``auto`` (``manual_dir`` if given, else ``../shared/data``
    when present, else synthetic), ``real`` or ``synthetic``.
    ``image_folder``: a user's folder of labelled images instead of the
    paper's dataset (``--image-folder``).
    """
    if data not in ("auto", "real", "synthetic"):
        raise UserError(f"--data must be auto, real or synthetic, not {data!r}.")
    if image_folder is not None:
        if manual_dir is not None:
            raise UserError(f"--image-folder and --manual-dir both name the {real_name} "
                            "data; give one of them.")
        image_folder = Path(image_folder).expanduser()
        if not image_folder.is_dir():
            raise UserError(f"--image-folder {image_folder} does not exist or is not a "
                            "folder. It must hold one folder of images per class "
                            "(ROOT/<class>/<image>) or per split and class "
                            "(ROOT/<split>/<class>/<image>).")
        return DataSource("image_folder", None, False, image_folder.resolve(), True)
    folder, official = REAL_DATASETS[real_name]
    if data == "synthetic":
        if manual_dir is not None:
            raise UserError("--manual-dir was given together with --data synthetic; "
                            "drop one of them.")
        return DataSource(synthetic_name, synthetic_config, True, None)
    if manual_dir is None and (shared_data() / folder).is_dir():
        manual_dir = shared_data() / folder
    if manual_dir is None:
        if data == "real":
            raise UserError(
                f"--data real needs the {real_name} dataset: download it from "
                f"{official} and pass its folder with --manual-dir.")
        return DataSource(synthetic_name, synthetic_config, True, None)
    manual_dir = Path(manual_dir).expanduser()
    if not manual_dir.is_dir():
        raise UserError(
            f"--manual-dir {manual_dir} does not exist or is not a folder. It must be "
            f"the unpacked {real_name} dataset (get it from {official}); see "
            f"`tfds_builders/{real_name}/README.md` for the expected layout.")
    if not any(manual_dir.iterdir()):
        raise UserError(
            f"--manual-dir {manual_dir} is empty. Unpack the {real_name} dataset "
            f"(from {official}) into it; see tfds_builders/{real_name}/README.md.")
    return DataSource(real_name, real_config, False, manual_dir.resolve())


def prepare(source: DataSource, data_dir: Path | None = None, *, channels: int = 1,
            seed: int = 0):
    """Builds (once) and returns the TFDS builder for ``source`` (for a
    user's image folder: an object read the same way, with ``channels``
    channels and, when the folder has no splits, a stratified split drawn
    with ``seed``)."""
    if source.user_folder:
        from reproductions.common import image_folder
        return image_folder.open_image_folder(source.manual_dir, channels=channels,
                                              seed=seed, data_dir=data_dir)
    import tensorflow_datasets as tfds

    import tfds_builders  # noqa: F401 - registers the suite's builders

    import sys
    if not sys.stderr.isatty():
        tfds.disable_progress_bar()  # no bar redraws in logs and CI
    kwargs = {} if data_dir is None else {"data_dir": str(data_dir)}
    try:
        builder = tfds.builder(source.name, config=source.config, **kwargs)
    except tfds.core.registered.DatasetNotFoundError as exc:
        raise UserError(f"No dataset named {source.name!r}: {exc}") from None
    except ValueError as exc:  # unknown config
        raise UserError(f"Dataset {source.name!r} cannot be built with config "
                        f"{source.config!r}: {exc}") from None
    download_config = tfds.download.DownloadConfig(
        manual_dir=None if source.manual_dir is None else str(source.manual_dir))
    try:
        builder.download_and_prepare(download_config=download_config)
    except tfds_builders.DatasetInputError as exc:
        raise UserError(str(exc)) from None
    return builder


def stratified_subset(labels: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """Indices of a class-stratified subset of ``size`` examples (sorted)."""
    n = len(labels)
    if size is None or size >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * size / n).astype(int)
    # hand the remaining places to the largest remainders
    remainder = counts * size / n - quota
    for i in np.argsort(-remainder)[: size - quota.sum()]:
        quota[i] += 1
    keep = [rng.permutation(np.flatnonzero(labels == c))[:q]
            for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(keep))


def split_ids_sha256(builder) -> dict[str, str]:
    """Per split of ``builder``: sha256 of its sorted ``id<TAB>label`` lines.

    What a run's data was, beyond the builder's name and version: a builder
    change that moves cells between splits, drops or relabels one changes
    the hash. Images are not decoded (ids and labels only), so this takes
    seconds even for I3A's 13,596 cells.
    """
    import tensorflow_datasets as tfds

    features = getattr(builder.info, "features", {}) or {}
    skip = {k: tfds.decode.SkipDecoding() for k in features.keys()
            if isinstance(features[k], tfds.features.Image)}
    out = {}
    for split in sorted(builder.info.splits):
        ds = builder.as_dataset(split=split, shuffle_files=False, decoders=skip or None)
        pairs = list(ds.map(lambda ex: (ex["id"], ex["label"])).as_numpy_iterator())
        out[split] = provenance.ids_sha256([i.decode() for i, _ in pairs],
                                           [l for _, l in pairs])
    return out


def load_arrays(builder, split: str, preprocess: Callable, *, subset: int | None = None,
                seed: int = 0) -> ArraySplit:
    """Decodes ``split`` and applies ``preprocess(example) -> image`` once.

    ``preprocess`` receives the whole TFDS example dict (so it may use the
    mask) and returns a float32 ``(H, W, C)`` tensor of fixed shape.
    """
    if split not in builder.info.splits:
        raise UserError(f"{builder.info.name} has no split {split!r}; it has "
                        f"{', '.join(builder.info.splits)}.")
    ds = builder.as_dataset(split=split, shuffle_files=False)
    ds = ds.map(lambda ex: (preprocess(ex), ex["label"], ex["id"]),
                num_parallel_calls=AUTOTUNE, deterministic=True)
    images, labels, ids = [], [], []
    for image, label, ident in ds.batch(256).prefetch(AUTOTUNE).as_numpy_iterator():
        images.append(image)
        labels.append(label)
        ids.append(ident)
    images = np.concatenate(images).astype(np.float32)
    labels = np.concatenate(labels).astype(np.int64)
    ids = np.concatenate(ids).astype(str)
    keep = stratified_subset(labels, subset, seed)
    return ArraySplit(images[keep], labels[keep], ids[keep],
                      tuple(builder.info.features["label"].names))



def minmax_preprocess(image_size: int) -> Callable:
    """``example -> (image_size, image_size, C)`` float32 image in [0, 1]:
    per-image min-max scaling (:func:`minmax_normalize`), then bilinear
    resizing to the square (the aspect ratio is not kept; the mask is not
    used). The HEp-2 preprocessing of the DRI and DRSN-DC reproductions."""
    def preprocess(example):
        return resize(minmax_normalize(example["image"]), image_size)
    return preprocess


def load_minmax_splits(builder, profile, seed: int = 0) -> dict:
    """``{"train", "validation", "test"}`` -> :class:`ArraySplit`, each image
    :func:`minmax_preprocess`-ed to ``profile.image_size``, with the
    profile's per-split subsets (stratified)."""
    preprocess = minmax_preprocess(profile.image_size)
    return {split: load_arrays(builder, split, preprocess,
                               subset=profile.subset.get(split), seed=seed)
            for split in ("train", "validation", "test")}


# --- per-image preprocessing (tf ops, used inside ``preprocess``) ----------
def crop_to_foreground(image: tf.Tensor, threshold: float = 0.0) -> tf.Tensor:
    """Crops to the bounding box of pixels brighter than ``threshold``
    (the whole image when none is)."""
    mask = tf.reduce_max(tf.cast(image, tf.float32), axis=-1) > threshold
    rows = tf.where(tf.reduce_any(mask, axis=1))[:, 0]
    cols = tf.where(tf.reduce_any(mask, axis=0))[:, 0]
    shape = tf.shape(image, out_type=tf.int64)
    r0 = tf.cond(tf.size(rows) > 0, lambda: rows[0], lambda: tf.constant(0, tf.int64))
    r1 = tf.cond(tf.size(rows) > 0, lambda: rows[-1] + 1, lambda: shape[0])
    c0 = tf.cond(tf.size(cols) > 0, lambda: cols[0], lambda: tf.constant(0, tf.int64))
    c1 = tf.cond(tf.size(cols) > 0, lambda: cols[-1] + 1, lambda: shape[1])
    return image[r0:r1, c0:c1]


def pad_to_square(image: tf.Tensor, value: float = 0.0) -> tf.Tensor:
    """Pads the shorter side symmetrically (keeps the aspect ratio)."""
    shape = tf.shape(image)
    h, w = shape[0], shape[1]
    side = tf.maximum(h, w)
    top = (side - h) // 2
    left = (side - w) // 2
    return tf.pad(image, [[top, side - h - top], [left, side - w - left], [0, 0]],
                  constant_values=tf.cast(value, image.dtype))


def resize(image: tf.Tensor, size: int, method: str = "bilinear",
           antialias: bool = False) -> tf.Tensor:
    """Resizes to ``size × size`` with a ``tf.image.resize`` method
    (``bilinear``, ``bicubic``, ``area``, ``lanczos3`` ...)."""
    out = tf.image.resize(tf.cast(image, tf.float32), (size, size), method=method,
                          antialias=antialias)
    out.set_shape((size, size, image.shape[-1]))
    return out


def minmax_normalize(image: tf.Tensor) -> tf.Tensor:
    """Per-image scaling to [0, 1] (for low-dynamic-range fluorescence)."""
    image = tf.cast(image, tf.float32)
    lo = tf.reduce_min(image)
    hi = tf.reduce_max(image)
    return (image - lo) / tf.maximum(hi - lo, 1e-6)


def standardize(image: tf.Tensor) -> tf.Tensor:
    """Per-image zero mean, unit variance."""
    return tf.image.per_image_standardization(tf.cast(image, tf.float32))


# --- tf.data pipelines ------------------------------------------------------
def _seed_pair(seed: int, epoch: tf.Tensor, salt: int = 0) -> tf.Tensor:
    return tf.stack([tf.cast(seed * 7919 + salt, tf.int64), tf.cast(epoch, tf.int64)])


def train_dataset(split: ArraySplit, *, batch_size: int, seed: int, epoch: tf.Variable,
                  augment: Callable | None = None, repeats: np.ndarray | None = None,
                  samples_per_epoch: int | None = None,
                  targets: Callable | None = None) -> tf.data.Dataset:
    """One epoch of shuffled, augmented batches; the order depends only on
    ``(seed, epoch.value())``.

    Args:
      epoch: a variable holding the epoch about to start, set by
        :class:`reproductions.common.training.EpochCounter`.
      augment: ``augment(image, label, variant, seed_pair) -> image`` where
        ``variant`` numbers the copies of an example (see ``repeats``) and
        ``seed_pair`` is a stateless-RNG seed unique to (seed, epoch, sample).
      repeats: copies per example per epoch (class-balanced augmentation:
        ``repeats[i]`` variants of example ``i``); default 1.
      samples_per_epoch: keep only the first N of the shuffled (copies of)
        examples each epoch.
      targets: ``targets(image, label) -> y``, the model's target (default:
        the label); e.g. the label once per head, or the (augmented) image
        itself for an autoencoder.
    """
    n = len(split)
    repeats = np.ones(n, np.int64) if repeats is None else np.asarray(repeats, np.int64)
    example = np.repeat(np.arange(n), repeats)
    variant = np.concatenate([np.arange(r) for r in repeats]) if n else np.zeros(0, np.int64)
    total = len(example)
    take = total if samples_per_epoch is None else min(samples_per_epoch, total)
    images = tf.constant(split.images)
    labels = tf.constant(split.labels)
    example_t = tf.constant(example)
    variant_t = tf.constant(variant)

    def epoch_order(_):
        e = epoch.read_value()
        order = tf.random.experimental.stateless_shuffle(
            tf.range(total, dtype=tf.int64), seed=_seed_pair(seed, e))[:take]
        return tf.data.Dataset.from_tensor_slices(
            (order, tf.fill([take], tf.cast(e, tf.int64))))

    def fetch(position, e):
        i = example_t[position]
        image = tf.gather(images, i)
        label = tf.gather(labels, i)
        if augment is not None:
            sample_seed = tf.stack([tf.cast(seed, tf.int64) * 1_000_003 + e, position])
            image = augment(image, label, variant_t[position], sample_seed)
        return image, (label if targets is None else targets(image, label))

    ds = tf.data.Dataset.range(1).flat_map(epoch_order)
    ds = ds.map(fetch, num_parallel_calls=AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size)
    # flat_map hides the length; tell Keras how many steps an epoch has
    ds = ds.apply(tf.data.experimental.assert_cardinality(-(-take // batch_size)))
    return ds.prefetch(AUTOTUNE)


def eval_dataset(split: ArraySplit, *, batch_size: int,
                 targets: Callable | None = None) -> tf.data.Dataset:
    """Batches of ``(image, target)`` in the split's order (``targets`` as in
    :func:`train_dataset`)."""
    ds = tf.data.Dataset.from_tensor_slices((split.images, split.labels))
    if targets is not None:
        ds = ds.map(lambda image, label: (image, targets(image, label)),
                    num_parallel_calls=AUTOTUNE, deterministic=True)
    return ds.batch(batch_size).prefetch(AUTOTUNE)


def pipeline_throughput(ds: tf.data.Dataset, max_batches: int = 50) -> float:
    """Images per second the pipeline delivers on its own (no model)."""
    import time
    it = iter(ds)
    next(it)  # warm-up: tracing, first prefetch
    count, start = 0, time.perf_counter()
    for i, (x, _) in enumerate(it):
        count += int(tf.shape(x)[0])
        if i + 1 >= max_batches:
            break
    return count / max(time.perf_counter() - start, 1e-9)
