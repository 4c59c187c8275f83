"""Real-data checks: prepare each builder from ``<repo>/../shared/data/<dataset>``.

Skipped (not failed) when the folder is absent. Each dataset/config is prepared
once per test session into a temporary data dir (session-scoped fixtures) and
then shared by the tests; image decoding is skipped wherever the pixels are not
needed, to keep the run short.
"""

from __future__ import annotations

import collections
import csv

import numpy as np
import pytest

from tests.tfds_builders import _helpers

SNPHEP2 = _helpers.SHARED_DATA / "snphep2"
I3A = _helpers.SHARED_DATA / "i3a_task1"
BIOIMLAB = _helpers.SHARED_DATA / "bioimlab_chromosomes"


def _need(path):
    if not path.is_dir():
        pytest.skip(f"real dataset not present at {path}")


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tfds_real_data")


def _prepared(data_dir, name, manual, config=None):
    _need(manual)
    return _helpers.prepare(name, data_dir, manual, config)


def _examples_by_split(builder, decode_images=False):
    return {s: _helpers.examples(builder, s, decode_images) for s in builder.info.splits}


# --------------------------------------------------------------------- SNPHEp-2
@pytest.fixture(scope="session")
def snphep2_full(real_data_dir):
    builder = _prepared(real_data_dir, "snphep2", SNPHEP2, "full")
    return builder, _examples_by_split(builder)


def test_snphep2_full_counts(snphep2_full):
    builder, exs = snphep2_full
    assert {s: len(v) for s, v in exs.items()} == {"train": 905, "test": 979}
    assert {s: i.num_examples for s, i in builder.info.splits.items()} == {
        "train": 905, "test": 979}
    per_class = collections.Counter(int(e["label"]) for v in exs.values() for e in v)
    assert [per_class[i] for i in range(5)] == [373, 364, 400, 400, 347]
    names = builder.info.features["label"].names
    assert names == ["fine_speckled", "coarse_speckled", "homogeneous", "nucleolar",
                     "centromere"]
    ids = {s: {e["id"].decode() for e in v} for s, v in exs.items()}
    assert ids["train"] == {f"train/{i:03d}" for i in range(1, 906)}
    assert ids["test"] == {f"test/{i:03d}" for i in range(1, 980)}


def test_snphep2_matches_labels_csv(snphep2_full):
    builder, exs = snphep2_full
    label_names = builder.info.features["label"].names
    intensity_names = builder.info.features["intensity"].names
    with open(SNPHEP2 / "labels.csv", newline="") as f:
        rows = {r["path"][:-4]: r for r in csv.DictReader(f)}
    mapping = {"hi": "positive", "lo": "intermediate", "": "unknown"}
    for v in exs.values():
        for e in v:
            row = rows[e["id"].decode()]
            assert label_names[e["label"]] == row["class_name"]
            assert intensity_names[e["intensity"]] == mapping[row["intensity"]]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_snphep2_split_k(real_data_dir, snphep2_full, k):
    _, full = snphep2_full
    builder = _prepared(real_data_dir, "snphep2", SNPHEP2, f"split_{k}")
    exs = _examples_by_split(builder)
    assert {s: len(v) for s, v in exs.items()} == {"train": 453, "test": 490}
    lists = SNPHEP2 / "split_information"
    for split in ("train", "test"):
        numbers = [int(x) for x in (lists / f"Split-50-{k}_{split}").read_text().split()]
        assert {e["id"].decode() for e in exs[split]} == {
            f"{split}/{n:03d}" for n in numbers}
        # same examples as in the full config
        full_by_id = {e["id"]: e for e in full[split]}
        for e in exs[split]:
            assert e["image"] == full_by_id[e["id"]]["image"]
            assert e["label"] == full_by_id[e["id"]]["label"]


# --------------------------------------------------------------------- I3A
@pytest.fixture(scope="session")
def i3a_dri(real_data_dir):
    builder = _prepared(real_data_dir, "i3a_task1", I3A, "dri")
    return builder, _examples_by_split(builder)


@pytest.fixture(scope="session")
def i3a_cells():
    """``(labels, ids by label, pixel-duplicate groups, mean intensity)``."""
    from tfds_builders.i3a_task1 import i3a_task1_dataset_builder as i3a  # pylint: disable=import-outside-toplevel
    _need(I3A)
    labels = i3a.read_ground_truth(I3A)
    by_label = collections.defaultdict(list)
    for image_id, label in labels.items():
        by_label[label].append(image_id)
    duplicates, intensity = i3a.scan_cells(I3A, sorted(labels))
    return labels, dict(by_label), duplicates, intensity


def _assert_groups_in_one_split(splits, groups):
    where = {i: s for s, ids in splits.items() for i in ids}
    spanning = [g for g in groups if len({where[i] for i in g}) > 1]
    assert not spanning


def test_i3a_pixel_duplicates(i3a_cells):
    labels, _, duplicates, _ = i3a_cells
    assert duplicates == [[f"{i:05d}", f"{i + 194:05d}"] for i in range(11005, 11199)]
    assert {labels[i] for g in duplicates for i in g} == {"numem"}
    # pixel-identical, but no pair has identical files: a byte hash misses them
    for original, copy in duplicates:
        for suffix in ("", "_Mask"):
            assert ((I3A / "training" / f"{original}{suffix}.png").read_bytes()
                    != (I3A / "training" / f"{copy}{suffix}.png").read_bytes())


def test_i3a_dri_counts(i3a_dri):
    """Per class and split exactly the counts of version 1.0.0 (train = Table 2)."""
    builder, exs = i3a_dri
    sizes = {s: len(v) for s, v in exs.items()}
    assert sizes == {"train": 8701, "validation": 2176, "test": 2719}
    assert sum(sizes.values()) == 13596
    names = builder.info.features["label"].names
    counts = {s: dict(collections.Counter(names[e["label"]] for e in v))
              for s, v in exs.items()}
    assert counts == {
        "train": {"homogeneous": 1596, "speckled": 1812, "nucleolar": 1663,
                  "centromere": 1754, "numem": 1413, "golgi": 463},
        "validation": {"homogeneous": 399, "speckled": 453, "nucleolar": 416,
                       "centromere": 439, "numem": 353, "golgi": 116},
        "test": {"homogeneous": 499, "speckled": 566, "nucleolar": 519,
                 "centromere": 548, "numem": 442, "golgi": 145},
    }
    total = collections.Counter(names[e["label"]] for v in exs.values() for e in v)
    assert dict(total) == {"homogeneous": 2494, "speckled": 2831, "nucleolar": 2598,
                           "centromere": 2741, "numem": 2208, "golgi": 724}


def test_i3a_dri_duplicates_in_one_split(i3a_dri, i3a_cells):
    _, exs = i3a_dri
    _, _, duplicates, _ = i3a_cells
    splits = {s: [e["id"].decode() for e in v] for s, v in exs.items()}
    _assert_groups_in_one_split(splits, duplicates)
    recorded = sorted([e["duplicate_of"].decode(), e["id"].decode()]
                      for v in exs.values() for e in v if e["duplicate_of"])
    assert recorded == duplicates


def test_i3a_splits_disjoint_and_match_csv(i3a_dri):
    builder, exs = i3a_dri
    ids = {s: [e["id"].decode() for e in v] for s, v in exs.items()}
    all_ids = [i for v in ids.values() for i in v]
    assert len(all_ids) == len(set(all_ids)) == 13596
    assert set(all_ids) == {f"{i:05d}" for i in range(1, 13597)}
    names = builder.info.features["label"].names
    with open(I3A / "gt_training.csv", newline="") as f:
        gt = {f"{int(r['Image ID']):05d}": r["Image class"].lower()
              for r in csv.DictReader(f)}
    for v in exs.values():
        for e in v:
            assert names[e["label"]] == gt[e["id"].decode()]


def test_i3a_images_raw_with_masks(i3a_dri):
    builder, _ = i3a_dri
    import cv2  # pylint: disable=import-outside-toplevel
    for e in _helpers.examples(builder, "validation[:20]", decode_images=True):
        assert e["image"].shape == e["mask"].shape and e["image"].shape[2] == 1
        raw = cv2.imread(str(I3A / "training" / f"{e['id'].decode()}.png"),
                         cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(e["image"][..., 0], raw)


def test_i3a_ap80_split(i3a_cells):
    """ap80 assignment on the real csv (not prepared again: same images as dri)."""
    from tfds_builders.i3a_task1 import i3a_task1_dataset_builder as i3a  # pylint: disable=import-outside-toplevel
    labels, by_label, duplicates, _ = i3a_cells
    splits = i3a.split_ids(by_label, i3a.I3aTask1.builder_configs["ap80"].fractions,
                           duplicates)
    assert (len(splits["train"]), len(splits["test"])) == (10876, 2720)
    assert not set(splits["train"]) & set(splits["test"])
    train = collections.Counter(labels[i] for i in splits["train"])
    assert dict(train) == {"homogeneous": 1995, "speckled": 2265, "nucleolar": 2078,
                           "centromere": 2193, "numem": 1766, "golgi": 579}
    _assert_groups_in_one_split(splits, duplicates)


def test_i3a_dri_blocks_split(i3a_cells):
    """dri_blocks assignment on the real cells (not prepared again: same images)."""
    from tfds_builders.i3a_task1 import grouping  # pylint: disable=import-outside-toplevel
    from tfds_builders.i3a_task1 import i3a_task1_dataset_builder as i3a  # pylint: disable=import-outside-toplevel
    labels, by_label, duplicates, intensity = i3a_cells
    config = i3a.I3aTask1.builder_configs["dri_blocks"]
    args = (config.fractions, intensity, duplicates, config.block_window,
            config.block_threshold)
    splits = i3a.split_blocks(by_label, *args)
    blocks = grouping.specimen_blocks(by_label, intensity, duplicates,
                                      config.block_window, config.block_threshold)
    assert {c: len(b) for c, b in blocks.items()} == {
        "homogeneous": 16, "speckled": 23, "nucleolar": 22, "centromere": 14,
        "numem": 15, "golgi": 5}
    _assert_groups_in_one_split(splits, [b for bl in blocks.values() for b in bl])
    _assert_groups_in_one_split(splits, duplicates)
    assert sorted(i for v in splits.values() for i in v) == sorted(labels)
    assert {s: len(v) for s, v in splits.items()} == {
        "train": 8609, "validation": 2186, "test": 2801}
    # per class within 2 points of 64/16/20; golgi (5 blocks) within 3.5
    for label, ids in by_label.items():
        for split, frac in config.fractions:
            share = sum(labels[i] == label for i in splits[split]) / len(ids)
            assert abs(share - frac) <= (0.035 if label == "golgi" else 0.02)
    # deterministic, whatever the order of the input
    shuffled = {c: list(reversed(v)) for c, v in reversed(list(by_label.items()))}
    assert i3a.split_blocks(shuffled, *args) == splits


# --------------------------------------------------------------------- BioImLab
@pytest.fixture(scope="session")
def bioimlab(real_data_dir):
    builder = _prepared(real_data_dir, "bioimlab_chromosomes", BIOIMLAB)
    return builder, _examples_by_split(builder, decode_images=True)


def test_bioimlab_counts(bioimlab):
    builder, exs = bioimlab
    assert {s: len(v) for s, v in exs.items()} == {
        "train": 4370, "validation": 368, "test": 736}
    names = builder.info.features["label"].names
    total = collections.Counter(names[e["label"]] for v in exs.values() for e in v)
    assert sum(total.values()) == 5474
    assert [total[str(i)] for i in range(1, 23)] == [238] * 22
    assert (total["X"], total["Y"]) == (193, 45)


def test_bioimlab_grouped_by_karyotype(bioimlab):
    builder, exs = bioimlab
    names = builder.info.features["label"].names
    karyotypes = {s: {e["karyotype"] for e in v} for s, v in exs.items()}
    assert {s: len(k) for s, k in karyotypes.items()} == {
        "train": 95, "validation": 8, "test": 16}
    assert not karyotypes["train"] & karyotypes["validation"]
    assert not karyotypes["train"] & karyotypes["test"]
    assert not karyotypes["validation"] & karyotypes["test"]
    y_per_split = {s: sum(names[e["label"]] == "Y" for e in v) for s, v in exs.items()}
    assert y_per_split == {"train": 36, "validation": 3, "test": 6}
    # proportions close to the paper's 4176 / 360 / 720 of 5256
    for s, paper in (("train", 4176), ("validation", 360), ("test", 720)):
        assert abs(len(exs[s]) / 5474 - paper / 5256) < 0.01


def test_bioimlab_images_cropped(bioimlab):
    _, exs = bioimlab
    shapes = np.array([e["image"].shape for v in exs.values() for e in v])
    assert (shapes[:, 2] == 1).all()
    assert shapes[:, 0].max() < 200 and shapes[:, 1].max() < 100  # no padded canvas left
    with open(BIOIMLAB / "manifest.csv", newline="") as f:
        size = {f"{r['karyotype']}/{r['path'].rsplit('/', 1)[1][:-4]}":
                (int(r["height"]), int(r["width"])) for r in csv.DictReader(f)}
    for v in exs.values():
        for e in v:
            h, w = size[e["id"].decode()]
            assert e["image"].shape[0] <= h and e["image"].shape[1] <= w
            assert e["image"].max() > 0
