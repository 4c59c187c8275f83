"""Unit tests of the builders' pure logic: split assignment, cropping, image reading."""

from __future__ import annotations

import collections
import importlib

import cv2
import numpy as np
import pytest
import tensorflow_datasets as tfds

from tests.tfds_builders import _helpers
from tfds_builders import _common
from tfds_builders.bioimlab_chromosomes import bioimlab_chromosomes_dataset_builder as bio
from tfds_builders.errors import DatasetInputError
from tfds_builders.i3a_task1 import i3a_task1_dataset_builder as i3a

I3A_CLASS_SIZES = {"homogeneous": 2494, "speckled": 2831, "nucleolar": 2598,
                   "centromere": 2741, "numem": 2208, "golgi": 724}
DRI_TRAIN = {"homogeneous": 1596, "speckled": 1812, "nucleolar": 1663,
             "centromere": 1754, "numem": 1413, "golgi": 463}
NAMES = ["snphep2", "i3a_task1", "bioimlab_chromosomes"]


def _fake_i3a_ids():
    ids, start = {}, 1
    for label, n in I3A_CLASS_SIZES.items():
        ids[label] = [f"{i:05d}" for i in range(start, start + n)]
        start += n
    return ids


def test_error_types():
    for cls in (_common.ManualDirError, _common.CorruptImageError):
        assert issubclass(cls, DatasetInputError)
        assert issubclass(cls, ValueError)
    assert issubclass(_common.ManualDirError, FileNotFoundError)


def test_hash_order_is_a_stable_permutation():
    keys = [str(i) for i in range(50)]
    order = _common.hash_order(keys, "salt")
    assert sorted(order) == sorted(keys)
    assert order == _common.hash_order(list(reversed(keys)), "salt")
    assert order != keys and order != _common.hash_order(keys, "other")
    # relative order does not depend on which other keys are present
    subset = order[::3]
    assert _common.hash_order(subset, "salt") == subset


def test_round_half_up():
    assert [_common.round_half_up(x) for x in (0.5, 1.5, 2.5, 2.49, 463.36)] == [1, 2, 3, 2, 463]


def test_dri_split_has_the_paper_train_counts():
    ids = _fake_i3a_ids()
    splits = i3a.split_ids(ids, i3a.I3aTask1.builder_configs["dri"].fractions)
    label_of = {i: label for label, ii in ids.items() for i in ii}
    counts = {s: collections.Counter(label_of[i] for i in v) for s, v in splits.items()}
    assert dict(counts["train"]) == DRI_TRAIN
    assert sum(counts["train"].values()) == 8701
    assert sum(counts["validation"].values()) == 2176
    assert sum(counts["test"].values()) == 2719
    for label, n in I3A_CLASS_SIZES.items():
        assert counts["validation"][label] == _common.round_half_up(0.16 * n)
    all_ids = [i for v in splits.values() for i in v]
    assert len(all_ids) == len(set(all_ids)) == 13596
    # deterministic
    assert splits == i3a.split_ids(ids, i3a.I3aTask1.builder_configs["dri"].fractions)


def test_ap80_split_is_stratified_80_20():
    ids = _fake_i3a_ids()
    splits = i3a.split_ids(ids, i3a.I3aTask1.builder_configs["ap80"].fractions)
    assert set(splits) == {"train", "test"}
    label_of = {i: label for label, ii in ids.items() for i in ii}
    train = collections.Counter(label_of[i] for i in splits["train"])
    for label, n in I3A_CLASS_SIZES.items():
        assert train[label] == _common.round_half_up(0.8 * n)
    assert (len(splits["train"]), len(splits["test"])) == (10876, 2720)
    assert not set(splits["train"]) & set(splits["test"])


def test_bioimlab_karyotype_split_is_sex_stratified():
    records = []
    for k in range(1, 120):
        male = k <= 45
        labels = ["1", "X", "Y"] if male else ["1", "X"]
        records += [{"karyotype": str(k), "label": lab} for lab in labels]
    splits = bio.split_karyotypes(records)
    sizes = {s: len(v) for s, v in splits.items()}
    assert sizes == {"train": 95, "validation": 8, "test": 16}
    males = {str(k) for k in range(1, 46)}
    assert [len(males & set(v)) for v in splits.values()] == [36, 3, 6]
    assert len({k for v in splits.values() for k in v}) == 119


def test_crop_removes_padding_and_specks():
    canvas = np.zeros((200, 100), np.uint8)
    canvas[50:90, 40:52] = 150           # the chromosome
    canvas[50:90, 38:40] = 10            # faint halo, below 15 % of the max
    canvas[190, 95] = 60                 # isolated speck
    canvas[5:7, 5:7] = 200               # small bright fragment (< 5 % of the area)
    crop = bio.crop_to_chromosome(canvas)
    assert crop.shape == (40, 12)
    assert (crop == 150).all()
    with pytest.raises(ValueError):
        bio.crop_to_chromosome(np.zeros((10, 10), np.uint8))


def test_crop_keeps_both_arms_of_a_split_chromosome():
    img = np.zeros((60, 20), np.uint8)
    img[5:25, 5:15] = 120
    img[30:55, 5:15] = 180  # separated by a dark centromere gap
    assert bio.crop_to_chromosome(img).shape == (50, 10)


def test_read_gray_image_variants(tmp_path):
    gray = (np.arange(12 * 10) % 256).astype(np.uint8).reshape(12, 10)
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    cv2.imwrite(str(tmp_path / "rgb.bmp"), cv2.merge([gray, gray, gray]))
    cv2.imwrite(str(tmp_path / "g16.png"), gray.astype(np.uint16) * 256)
    np.testing.assert_array_equal(_common.read_gray_image(tmp_path / "g.png"), gray)
    np.testing.assert_array_equal(_common.read_gray_image(tmp_path / "rgb.bmp"), gray)
    with pytest.raises(_common.CorruptImageError, match="g16.png"):
        _common.read_gray_image(tmp_path / "g16.png")
    with pytest.raises(_common.CorruptImageError, match="missing.png"):
        _common.read_gray_image(tmp_path / "missing.png")
    # own PNG bytes are kept, other formats re-encoded losslessly as PNG
    png, _ = _common.gray_png_bytes(tmp_path / "g.png")
    assert png == (tmp_path / "g.png").read_bytes()
    png, _ = _common.gray_png_bytes(tmp_path / "rgb.bmp")
    assert png.startswith(b"\x89PNG")
    np.testing.assert_array_equal(cv2.imdecode(np.frombuffer(png, np.uint8), 0), gray)


@pytest.mark.parametrize("name", NAMES)
def test_readme_documents_layout_and_citation(name):
    module = importlib.import_module(f"tfds_builders.{name}.{name}_dataset_builder")
    builder_dir = _helpers.BUILDERS_DIR / name
    readme = (builder_dir / "README.md").read_text()
    assert module.MANUAL_DOWNLOAD_INSTRUCTIONS in readme
    metadata = [c for c in vars(module).values()
                if isinstance(c, type) and issubclass(c, tfds.core.DatasetBuilder)
                and c.__module__ == module.__name__][0].get_metadata()
    assert metadata.description == readme
    assert metadata.citation == (builder_dir / "CITATIONS.bib").read_text()


def test_snphep2_description_says_names_were_inferred():
    readme = (_helpers.BUILDERS_DIR / "snphep2" / "README.md").read_text()
    assert "not stated in the original files" in readme
    assert "1 vs 3" in readme


@pytest.mark.parametrize("name,config,splits", [
    ("snphep2", "full", {"train": 10, "test": 10}),
    ("i3a_task1", None, {"train": 18, "validation": 6, "test": 6}),
    ("bioimlab_chromosomes", None, {"train": 36, "validation": 6, "test": 6}),
])
def test_tfds_load_by_name(tmp_path, name, config, splits):
    """Registered: ``tfds.load("<name>", ...)`` works once the package is imported."""
    importlib.import_module(f"tfds_builders.{name}")
    ds = tfds.load(
        name if config is None else f"{name}/{config}",
        data_dir=str(tmp_path),
        download_and_prepare_kwargs={
            "download_config": tfds.download.DownloadConfig(
                manual_dir=str(_helpers.dummy_data(name)))},
    )
    assert {s: int(d.cardinality()) for s, d in ds.items()} == splits
    example = next(iter(ds["train"]))
    assert example["image"].shape[-1] == 1 and example["image"].dtype.name == "uint8"


def test_bioimlab_works_without_manifest(tmp_path):
    import shutil
    manual = tmp_path / "manual"
    shutil.copytree(_helpers.dummy_data("bioimlab_chromosomes"), manual)
    (manual / "manifest.csv").unlink()
    builder = _helpers.prepare("bioimlab_chromosomes", tmp_path / "data", manual)
    with_manifest = _helpers.prepare("bioimlab_chromosomes", tmp_path / "data2",
                                     _helpers.dummy_data("bioimlab_chromosomes"))
    for split in ("train", "validation", "test"):
        a = {e["id"]: e for e in _helpers.examples(builder, split)}
        b = {e["id"]: e for e in _helpers.examples(with_manifest, split)}
        assert a.keys() == b.keys()
        for key in a:
            assert a[key]["image"] == b[key]["image"]
            assert a[key]["label"] == b[key]["label"]


def test_bioimlab_dummy_features(tmp_path):
    builder = _helpers.prepare("bioimlab_chromosomes", tmp_path,
                               _helpers.dummy_data("bioimlab_chromosomes"))
    exs = [e for s in ("train", "validation", "test")
           for e in _helpers.examples(builder, s, decode_images=True)]
    by_id = {e["id"].decode(): e for e in exs}
    male_x = by_id["2/2 23"]
    assert male_x["copy"] == b"" and bio.CLASS_NAMES[male_x["label"]] == "X"
    assert by_id["1/1 1b"]["copy"] == b"b" and by_id["1/1 1b"]["karyotype"] == b"1"
    # karyotype 2 is on a padded 100x200 canvas in the dummy data: cropped
    assert all(e["image"].shape[0] < 60 for i, e in by_id.items() if i.startswith("2/"))
    assert all(e["image"].shape[2] == 1 for e in exs)
    # no karyotype in two splits
    seen = {}
    for s in ("train", "validation", "test"):
        for e in _helpers.examples(builder, s):
            assert seen.setdefault(e["karyotype"], s) == s


def test_snphep2_dummy_features(tmp_path):
    builder = _helpers.prepare("snphep2", tmp_path, _helpers.dummy_data("snphep2"), "full")
    exs = {e["id"].decode(): e for e in _helpers.examples(builder, "train")}
    intensity = builder.info.features["intensity"].int2str
    label = builder.info.features["label"].int2str
    assert intensity(exs["train/001"]["intensity"]) == "positive"
    assert intensity(exs["train/002"]["intensity"]) == "intermediate"
    assert intensity(exs["train/003"]["intensity"]) == "unknown"
    assert label(exs["train/010"]["label"]) == "centromere"


def test_i3a_dummy_features(tmp_path):
    builder = _helpers.prepare("i3a_task1", tmp_path, _helpers.dummy_data("i3a_task1"), "dri")
    for e in _helpers.examples(builder, "test", decode_images=True):
        assert e["image"].shape == e["mask"].shape and e["image"].shape[2] == 1
        assert set(np.unique(e["mask"])) <= {0, 255}
        assert len(e["id"]) == 5
        # raw values, no normalisation
        raw = cv2.imread(str(_helpers.dummy_data("i3a_task1") / "training"
                             / f"{e['id'].decode()}.png"), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(e["image"][..., 0], raw)
