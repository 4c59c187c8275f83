"""Bad manual dirs and corrupt images: clear errors, never a dataset reported complete.

Runs on copies of the builders' synthetic ``dummy_data/``.
"""

from __future__ import annotations

import shutil

import pytest
import tensorflow_datasets as tfds

from tests.tfds_builders import _helpers
from tfds_builders import _common

# name, config, official source (must be named by layout errors), a file of
# the expected layout (must be named too), an image file of the dummy data.
CASES = [
    ("snphep2", "full", "staff.itee.uq.edu.au/lovell/snphep2", "labels.csv",
     "train/003.png"),
    ("snphep2", "split_2", "staff.itee.uq.edu.au/lovell/snphep2", "Split-50-k_train",
     "test/004.png"),
    ("i3a_task1", "dri", "i3a2014.unisa.it", "gt_training.csv", "training/00007.png"),
    ("i3a_task1", "ap80", "i3a2014.unisa.it", "gt_training.csv",
     "training/00012_Mask.png"),
    ("bioimlab_chromosomes", None, "bioimlab.dei.unipd.it", "single_chromosomes/",
     "single_chromosomes/5/5 1a.bmp"),
]
IDS = [f"{c[0]}-{c[1]}" for c in CASES]


def _copy_dummy(name, tmp_path):
    manual = tmp_path / "manual"
    shutil.copytree(_helpers.dummy_data(name), manual)
    return manual


def _assert_not_prepared(name, config, data_dir):
    builder = _helpers.make_builder(name, data_dir, config)
    assert not builder.is_prepared()
    assert not (builder.data_path / "dataset_info.json").exists()
    with pytest.raises(Exception):
        tfds.load(name, builder_kwargs={"config": config} if config else None,
                  data_dir=str(data_dir), download=False)


def _assert_layout_message(err, source, layout_item):
    msg = str(err)
    assert source in msg
    assert layout_item in msg
    assert "manual" in msg.lower()


@pytest.mark.parametrize("name,config,source,layout_item,image", CASES, ids=IDS)
def test_missing_manual_dir(tmp_path, name, config, source, layout_item, image):
    del image
    with pytest.raises(_common.ManualDirError) as err:
        _helpers.prepare(name, tmp_path / "data", tmp_path / "does_not_exist", config)
    assert isinstance(err.value, FileNotFoundError)
    assert isinstance(err.value, ValueError)
    _assert_layout_message(err.value, source, layout_item)
    _assert_not_prepared(name, config, tmp_path / "data")


@pytest.mark.parametrize("name,config,source,layout_item,image", CASES, ids=IDS)
def test_wrong_layout(tmp_path, name, config, source, layout_item, image):
    del image
    manual = tmp_path / "manual"
    (manual / "some_folder").mkdir(parents=True)
    (manual / "some_folder" / "cells.zip").write_bytes(b"PK")
    with pytest.raises(_common.ManualDirError) as err:
        _helpers.prepare(name, tmp_path / "data", manual, config)
    _assert_layout_message(err.value, source, layout_item)
    assert "missing" in str(err.value)
    _assert_not_prepared(name, config, tmp_path / "data")


@pytest.mark.parametrize("name,config,source,layout_item,image", CASES, ids=IDS)
def test_listed_image_missing(tmp_path, name, config, source, layout_item, image):
    """A file the annotations list (labels.csv / gt csv / manifest) is absent."""
    del layout_item
    manual = _copy_dummy(name, tmp_path)
    (manual / image).unlink()
    with pytest.raises(_common.ManualDirError) as err:
        _helpers.prepare(name, tmp_path / "data", manual, config)
    assert image.split("/")[-1] in str(err.value)
    assert source in str(err.value)
    _assert_not_prepared(name, config, tmp_path / "data")


@pytest.mark.parametrize("name,config,source,layout_item,image", CASES, ids=IDS)
@pytest.mark.parametrize("corruption", ["garbage", "truncated", "empty"])
def test_corrupt_image(tmp_path, name, config, source, layout_item, image, corruption):
    del source, layout_item
    manual = _copy_dummy(name, tmp_path)
    if name == "bioimlab_chromosomes":
        # Without the manifest the image itself must be decoded and rejected
        # (with it, the md5 check fires first: see the test below).
        (manual / "manifest.csv").unlink()
    path = manual / image
    data = path.read_bytes()
    path.write_bytes({"garbage": b"this is not an image" * 10,
                      "truncated": data[: len(data) // 2],
                      "empty": b""}[corruption])
    with pytest.raises(_common.CorruptImageError) as err:
        _helpers.prepare(name, tmp_path / "data", manual, config)
    assert str(path) in str(err.value)
    _assert_not_prepared(name, config, tmp_path / "data")


def test_bioimlab_md5_mismatch(tmp_path):
    manual = _copy_dummy("bioimlab_chromosomes", tmp_path)
    path = manual / "single_chromosomes" / "4" / "4 1a.bmp"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # still a decodable BMP, but not the file of the manifest
    path.write_bytes(bytes(data))
    with pytest.raises(_common.CorruptImageError, match="md5") as err:
        _helpers.prepare("bioimlab_chromosomes", tmp_path / "data", manual)
    assert str(path) in str(err.value)
    _assert_not_prepared("bioimlab_chromosomes", None, tmp_path / "data")


def test_unlisted_image_is_not_dropped(tmp_path):
    manual = _copy_dummy("i3a_task1", tmp_path)
    shutil.copy(manual / "training" / "00001.png", manual / "training" / "00099.png")
    with pytest.raises(_common.ManualDirError, match="00099.png"):
        _helpers.prepare("i3a_task1", tmp_path / "data", manual, "dri")


def test_bioimlab_misnamed_file(tmp_path):
    manual = _copy_dummy("bioimlab_chromosomes", tmp_path)
    shutil.copy(manual / "single_chromosomes" / "1" / "1 1a.bmp",
                manual / "single_chromosomes" / "1" / "2 1a.bmp")
    with pytest.raises(_common.ManualDirError, match="2 1a.bmp"):
        _helpers.prepare("bioimlab_chromosomes", tmp_path / "data", manual)


def test_snphep2_split_list_disagrees_with_labels(tmp_path):
    manual = _copy_dummy("snphep2", tmp_path)
    label_file = manual / "split_information" / "Split-50-3_test_label"
    lines = label_file.read_text().splitlines()
    lines[0] = "5" if lines[0].strip() != "5" else "4"
    label_file.write_text("\n".join(lines) + "\n")
    with pytest.raises(_common.ManualDirError, match="Split-50-3_test_label"):
        _helpers.prepare("snphep2", tmp_path / "data", manual, "split_3")
    # the full config does not read the split lists
    builder = _helpers.prepare("snphep2", tmp_path / "data", manual, "full")
    assert builder.info.splits["train"].num_examples == 10


def test_manual_dir_may_hold_a_named_subfolder(tmp_path):
    """TFDS's default layout ``<manual_dir>/<name>/...`` is accepted too."""
    manual = tmp_path / "manual"
    shutil.copytree(_helpers.dummy_data("i3a_task1"), manual / "i3a_task1")
    builder = _helpers.prepare("i3a_task1", tmp_path / "data", manual, "ap80")
    assert builder.info.splits["train"].num_examples == 24
