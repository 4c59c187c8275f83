"""A user's own image folder read like a prepared TFDS builder: both layouts,
the seeded stratified splits, conversions and every refusal."""
import cv2
import numpy as np
import pytest

from reproductions.common import data as data_lib
from reproductions.common.errors import UserError
from reproductions.common.image_folder import open_image_folder


def _write(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


def _image(label, i):
    """A small grey image that says which file it is: its value and size."""
    return np.full((5 + i % 3, 7 + label), 10 * label + i, np.uint8)


def _make(root, sizes):
    """``root/<class>/img_NN.png``; ``sizes``: class -> count (label = sorted index)."""
    for label, name in enumerate(sorted(sizes)):
        for i in range(sizes[name]):
            _write(root / name / f"img_{i:02d}.png", _image(label, i))
    return root


def _examples(dataset, split):
    return {ex["id"].decode(): ex for ex in dataset.as_dataset(split=split).as_numpy_iterator()}


def _refusal(root, *expected, **kwargs):
    with pytest.raises(UserError) as info:
        open_image_folder(root, **kwargs)
    message = str(info.value)
    for text in expected:
        assert text in message, (text, message)
    return message


SIZES = {"b_speckled": 10, "a_homogeneous": 7, "C_centromere": 5}


# --- layouts and splits -------------------------------------------------------
def test_class_layout_makes_exact_deterministic_stratified_splits(tmp_path):
    root = _make(tmp_path / "cells", SIZES)
    ds = open_image_folder(root)
    assert ds.layout == "classes" and ds.root == root.resolve()
    assert ds.class_names == ("C_centromere", "a_homogeneous", "b_speckled")  # sorted
    assert ds.info.features["label"].names == list(ds.class_names)
    assert ds.info.name == "image_folder" and len(str(ds.info.version)) == 12
    # per class: every split but the last gets round_half_up(fraction * n)
    assert ds.counts == {
        "train": {"C_centromere": 3, "a_homogeneous": 4, "b_speckled": 6},
        "validation": {"C_centromere": 1, "a_homogeneous": 1, "b_speckled": 2},
        "test": {"C_centromere": 1, "a_homogeneous": 2, "b_speckled": 2}}
    assert {k: v.num_examples for k, v in ds.info.splits.items()} == {
        "train": 13, "validation": 4, "test": 5}
    assert ds.generated_splits == ("train", "validation", "test") and ds.converted == {}
    assert "classes layout" in ds.describe() and ds.info.version in ds.describe()

    ids = {s: sorted(_examples(ds, s)) for s in ds.info.splits}
    every = sorted(f"{c}/img_{i:02d}.png" for c, n in SIZES.items() for i in range(n))
    assert sorted(sum(ids.values(), [])) == every  # disjoint and complete
    again = open_image_folder(root)
    assert {s: sorted(_examples(again, s)) for s in again.info.splits} == ids
    assert again.info.version == ds.info.version
    other = open_image_folder(root, seed=1)
    assert other.counts == ds.counts
    assert {s: sorted(_examples(other, s)) for s in other.info.splits} != ids

    two_way = open_image_folder(root, split_fractions=(("train", 0.8), ("test", 0.2)))
    assert list(two_way.info.splits) == ["train", "test"]
    assert two_way.counts["test"] == {"C_centromere": 1, "a_homogeneous": 1,
                                      "b_speckled": 2}
    _write(root / "b_speckled" / "img_10.png", _image(2, 10))  # a new file, a new version
    assert open_image_folder(root).info.version != ds.info.version


def test_load_arrays_reads_the_folder_like_a_builder(tmp_path):
    ds = open_image_folder(_make(tmp_path / "cells", SIZES))
    raw = _examples(ds, "train")
    for ident, ex in raw.items():
        name, file = ident.split("/")
        label, i = ds.class_names.index(name), int(file[4:6])
        assert ex["label"] == label and ex["image"].dtype == np.uint8
        np.testing.assert_array_equal(ex["image"], _image(label, i)[..., None])
    order = [ex["id"] for ex in ds.as_dataset(split="train").as_numpy_iterator()]
    assert order == sorted(order)  # fixed, sorted by id

    split = data_lib.load_arrays(
        ds, "train", lambda ex: data_lib.resize(data_lib.minmax_normalize(ex["image"]), 32))
    assert split.images.shape == (13, 32, 32, 1) and split.images.dtype == np.float32
    assert split.class_names == ds.class_names
    assert split.ids.tolist() == [i.decode() for i in order]
    assert split.labels.tolist() == [ds.class_names.index(i.split("/")[0]) for i in split.ids]
    assert split.counts() == list(ds.counts["train"].values())
    with pytest.raises(UserError, match="no split 'extra'"):
        data_lib.load_arrays(ds, "extra", lambda ex: ex["image"])


def test_split_layout_reads_split_folders_and_carves_validation(tmp_path):
    root = tmp_path / "given"
    for split, n in (("train", 4), ("val", 2), ("test", 3)):
        _make(root / split, {"x": n, "y": n + 1})
    ds = open_image_folder(root)
    assert ds.layout == "splits" and ds.generated_splits == ()
    assert ds.counts == {"train": {"x": 4, "y": 5}, "validation": {"x": 2, "y": 3},
                         "test": {"x": 3, "y": 4}}
    assert sorted(_examples(ds, "validation"))[0] == "val/x/img_00.png"

    root = tmp_path / "no_validation"
    _make(root / "train", {"x": 10, "y": 6})
    _make(root / "test", {"x": 2, "y": 2})
    ds = open_image_folder(root, seed=3)
    assert list(ds.info.splits) == ["train", "validation", "test"]
    # validation: 0.16 / (0.64 + 0.16) = 20 % of train, per class
    assert ds.counts == {"train": {"x": 8, "y": 5}, "validation": {"x": 2, "y": 1},
                         "test": {"x": 2, "y": 2}}
    assert ds.generated_splits == ("validation",) and "validation split here" in ds.describe()
    carved = sorted(_examples(ds, "validation"))
    assert all(i.startswith("train/") for i in carved)
    assert not set(carved) & set(_examples(ds, "train"))
    assert sorted(_examples(open_image_folder(root, seed=3), "validation")) == carved


# --- conversions ----------------------------------------------------------------
def _mixed_folder(root):
    """train/a holds one image of each kind; every split gets both classes."""
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50  # R, G, B
    gray16 = np.array([[0, 257 * 100, 65535, 4095]], np.uint16)
    kinds = {
        "rgb.png": rgb[..., ::-1],  # OpenCV writes BGR
        "rgba.png": np.dstack([rgb[..., ::-1], np.full((4, 5), 255, np.uint8)]),
        "gray16.png": gray16,
        "gray16.tif": gray16,
        "colour16.tiff": rgb[..., ::-1].astype(np.uint16) * 257,
        "gray.BMP": np.full((3, 3), 7, np.uint8),
        "gray.jpg": np.full((8, 8), 128, np.uint8),
        "gray8.tif": np.full((2, 2), 9, np.uint8),
    }
    for name, image in kinds.items():
        _write(root / "train" / "a" / name, image)
    for split in ("train", "validation", "test"):
        _write(root / split / "b" / "one.png", np.full((3, 3), 1, np.uint8))
        if split != "train":
            _write(root / split / "a" / "one.png", np.full((3, 3), 2, np.uint8))
    return root


def test_colour_to_grey_and_16_bit_are_converted_and_counted(tmp_path):
    root = _mixed_folder(tmp_path / "mixed")
    ds = open_image_folder(root)
    assert ds.converted == {"alpha_dropped": 1, "rgb_to_gray": 3, "16bit": 3}
    images = {i.split("/")[-1]: ex["image"] for i, ex in _examples(ds, "train").items()}
    luma = round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)  # 124.2
    for name in ("rgb.png", "rgba.png", "colour16.tiff"):
        assert images[name].shape == (4, 5, 1) and np.all(images[name] == luma), name
    for name in ("gray16.png", "gray16.tif"):  # dtype range: v * 255 / 65535
        assert images[name].ravel().tolist() == [0, 100, 255, 16], name
    assert np.all(images["gray.BMP"] == 7) and np.all(images["gray8.tif"] == 9)
    assert abs(int(images["gray.jpg"].mean()) - 128) <= 1
    assert "rgb_to_gray 3" in ds.describe()

    rgb = open_image_folder(root, channels=3)
    images = {i.split("/")[-1]: ex["image"] for i, ex in _examples(rgb, "train").items()}
    assert images["rgb.png"][0, 0].tolist() == [200, 100, 50]
    assert images["colour16.tiff"][0, 0].tolist() == [200, 100, 50]
    assert images["gray.BMP"].shape == (3, 3, 3) and np.all(images["gray.BMP"] == 7)
    assert rgb.converted == {"alpha_dropped": 1, "gray_to_rgb": 10, "16bit": 3}


# --- refusals ---------------------------------------------------------------------
def test_refuses_missing_empty_and_single_class_folders(tmp_path):
    _refusal(tmp_path / "nowhere", "nowhere does not exist", "ROOT/<class>/<image>")
    (tmp_path / "file.png").write_bytes(b"x")
    _refusal(tmp_path / "file.png", "is not a folder")
    (tmp_path / "empty").mkdir()
    _refusal(tmp_path / "empty", "has no class folders")
    _write(tmp_path / "flat" / "a.png", _image(0, 0))
    _write(tmp_path / "flat" / "b.png", _image(0, 1))
    _refusal(tmp_path / "flat", "no class folders (it holds 2 files", "one folder per class")
    _refusal(_make(tmp_path / "one", {"only": 6}), "1 class folder (only/)", "at least two")
    _refusal(tmp_path / "one", "channels must be 1", channels=2)
    _refusal(tmp_path / "one", "sum to 1", split_fractions=(("train", 0.5), ("test", 0.2)))


def test_refuses_every_bad_file_in_one_error(tmp_path):
    root = _make(tmp_path / "cells", {"a": 5, "b": 5})
    (root / "empty_class").mkdir()
    (root / "a" / "notes.txt").write_text("hello")
    (root / "a" / "broken.png").write_bytes(b"not a png at all")
    (root / "b" / "empty.png").write_bytes(b"")
    good = (root / "b" / "img_00.png").read_bytes()
    (root / "b" / "truncated.PNG").write_bytes(good[: len(good) // 2])
    _write(root / "b" / "deeper" / "x.png", _image(1, 0))
    assert cv2.imwrite(str(root / "b" / "float.tif"), np.zeros((3, 3), np.float32))
    (root / "labels.csv").write_text("a,b")
    # hidden and system files are ignored
    (root / ".DS_Store").write_bytes(b"\0\1")
    (root / "a" / "._img_00.png").write_bytes(b"AppleDouble")
    (root / "a" / ".ipynb_checkpoints").mkdir()
    message = _refusal(root, "has 8 problems", "empty_class/: a class folder without images",
                       "a/notes.txt: not an image file (.txt)", "a/broken.png: cannot be decoded",
                       "b/empty.png: an empty file", "b/truncated.PNG: cannot be decoded",
                       "b/deeper/: a folder inside the class folder (1 file)",
                       "b/float.tif: pixel type float32", "labels.csv: a file at the wrong level")
    assert "DS_Store" not in message and "._img" not in message and "ipynb" not in message

    many = _make(tmp_path / "many", {"a": 5, "b": 5})
    for i in range(25):
        (many / "a" / f"junk_{i:02d}.txt").write_text("x")
    message = _refusal(many, "has 25 problems", "a/junk_19.txt", "... and 5 more.")
    assert "junk_20" not in message

    nested = tmp_path / "nested"
    _make(nested / "training", {"a": 3, "b": 3})
    _make(nested / "testing", {"a": 1, "b": 1})
    _refusal(nested, "training/a/: a folder inside the class folder",
             "name them train, validation (or val) and test")


def test_refuses_inconsistent_split_folders(tmp_path):
    root = tmp_path / "splits"
    _make(root / "train", {"a": 5, "b": 5, "c": 5})
    _make(root / "test", {"a": 2})
    _make(root / "validation", {"a": 2, "b": 2})
    _refusal(root, "do not have the same class folders", "test/ lacks b, c",
             "validation/ lacks c")

    root = tmp_path / "stray"
    _make(root / "train", {"a": 5, "b": 5})
    _write(root / "train" / "stray.png", _image(0, 0))
    _refusal(root, "train/stray.png: a file at the wrong level: images belong in train/<class>/")

    root = tmp_path / "no_train"
    _make(root / "test", {"a": 2, "b": 2})
    _refusal(root, "no train/ folder")
    _make(root / "train", {"a": 2, "b": 2})
    _make(root / "Val", {"a": 2, "b": 2})
    _make(root / "validation", {"a": 2, "b": 2})
    _refusal(root, "two folders for the validation split")


def test_refuses_classes_too_small_to_split(tmp_path):
    _refusal(_make(tmp_path / "small", {"a": 3, "b": 4, "c": 10}),
             "'a' has 3, 'b' has 4", "at least 5 images")
    root = tmp_path / "carve"
    _make(root / "train", {"a": 2, "b": 6})
    _make(root / "test", {"a": 1, "b": 1})
    _refusal(root, "train/ into train and validation", "'a' has 2", "at least 3 images",
             "make the validation folder yourself")
