"""Helpers shared by the tfds_builders tests (not a test module)."""

from __future__ import annotations

import importlib
import pathlib

import tensorflow_datasets as tfds

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
BUILDERS_DIR = REPO_ROOT / "tfds_builders"


def dummy_data(name: str) -> pathlib.Path:
    return BUILDERS_DIR / name / "dummy_data"


def make_builder(name: str, data_dir, config=None):
    importlib.import_module(f"tfds_builders.{name}")  # registers the builder
    return tfds.builder(name, data_dir=str(data_dir), config=config)


def prepare(name: str, data_dir, manual_dir, config=None):
    builder = make_builder(name, data_dir, config)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir))
    )
    return builder


def skip_images(builder):
    """Decoders that leave every Image feature encoded (fast iteration)."""
    return {
        key: tfds.decode.SkipDecoding()
        for key, feature in builder.info.features.items()
        if isinstance(feature, tfds.features.Image)
    }


def examples(builder, split, decode_images=False):
    ds = builder.as_dataset(
        split=split, decoders=None if decode_images else skip_images(builder)
    )
    return list(tfds.as_numpy(ds))
