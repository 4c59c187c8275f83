"""Unit tests of the ``i3a_task1`` split logic: pixel duplicates and specimen blocks.

The real-data counterparts are in ``test_real_data.py``.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
from etils import epath

from tests.tfds_builders import _helpers
from tests.tfds_builders.test_builder_logic import _fake_i3a_ids
from tfds_builders import _common
from tfds_builders.i3a_task1 import grouping
from tfds_builders.i3a_task1 import i3a_task1_dataset_builder as i3a

DRI = i3a.I3aTask1.builder_configs["dri"].fractions
DUMMY = _helpers.dummy_data("i3a_task1")
# The pixel duplicates of the real set: NuMem 11199-11392 repeat 11005-11198.
REAL_DUPLICATES = [[f"{i:05d}", f"{i + 194:05d}"] for i in range(11005, 11199)]


def _split_of(splits):
    return {i: name for name, ids in splits.items() for i in ids}


def _class_counts(splits, labels):
    return {name: collections.Counter(labels[i] for i in ids) for name, ids in splits.items()}


# ------------------------------------------------------------------ duplicates
def test_dummy_duplicate_is_found_by_pixels_not_file_bytes():
    training = DUMMY / "training"
    for suffix in ("", "_Mask"):  # the copy's PNG files carry an extra tEXt chunk
        assert ((training / f"00022{suffix}.png").read_bytes()
                != (training / f"00024{suffix}.png").read_bytes())
    labels = i3a.read_ground_truth(epath.Path(DUMMY))
    duplicates, intensity = i3a.scan_cells(epath.Path(DUMMY), sorted(labels))
    assert duplicates == [["00022", "00024"]]
    assert len(intensity) == 30 and intensity["00022"] == intensity["00024"]


def test_pixel_digest_compares_image_mask_and_shape():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    mask = np.where(image > 5, 255, 0).astype(np.uint8)
    digest = grouping.pixel_digest(image, mask)
    assert digest == grouping.pixel_digest(image.copy(), mask.copy())
    other_mask = mask.copy()
    other_mask[0, 0] = 255
    other_image = image.copy()
    other_image[2, 3] += 1
    assert digest != grouping.pixel_digest(image, other_mask)
    assert digest != grouping.pixel_digest(other_image, mask)
    assert digest != grouping.pixel_digest(image.reshape(4, 3), mask.reshape(4, 3))


def test_find_duplicates_groups_in_id_order():
    digests = {"00009": "a", "00002": "b", "00010": "a", "00003": "a", "00005": "c",
               "00001": "b"}
    assert grouping.find_duplicates(digests) == [["00001", "00002"],
                                                 ["00003", "00009", "00010"]]


def test_duplicates_move_to_their_original_without_changing_counts():
    """The fake ids are the real ids and classes, so this is the real ``dri`` split."""
    ids = _fake_i3a_ids()
    labels = {i: label for label, members in ids.items() for i in members}
    duplicates = [["00100", "00200", "00300"]] + REAL_DUPLICATES  # and a homogeneous triple
    plain = i3a.split_ids(ids, DRI)
    kept = i3a.split_ids(ids, DRI, duplicates)
    before, after = _split_of(plain), _split_of(kept)
    for group in duplicates:
        assert {after[i] for i in group} == {before[group[0]]}
    assert _class_counts(kept, labels) == _class_counts(plain, labels)
    crossed = [c for g in REAL_DUPLICATES for c in g[1:] if before[c] != before[g[0]]]
    assert len(crossed) == 106
    assert sum({before[g[0]], before[g[1]]} == {"train", "test"} for g in REAL_DUPLICATES) == 39
    # the copies that were away moved, and one ungrouped partner for each
    moved = {i for i in labels if before[i] != after[i]}
    grouped = {i for g in duplicates for i in g}
    assert set(crossed) <= moved
    partners = collections.Counter(labels[i] for i in moved - grouped)
    assert partners == collections.Counter(labels[i] for i in moved & grouped)
    # deterministic, whatever the order of the input
    shuffled = {label: list(reversed(v)) for label, v in reversed(list(ids.items()))}
    assert i3a.split_ids(shuffled, DRI, duplicates) == kept


def test_duplicate_without_a_partner_is_a_clear_error():
    splits = {"train": ["1"], "test": ["2", "3"]}
    labels = {"1": "numem", "2": "numem", "3": "numem"}
    with pytest.raises(_common.DatasetError, match="3 in the 'train' split of its original 1"):
        grouping.keep_duplicates_together(splits, labels, [["1", "3"]], salt="s")


def test_dummy_dri_keeps_the_duplicate_pair_in_one_split(tmp_path):
    builder = _helpers.prepare("i3a_task1", tmp_path, DUMMY, "dri")
    where, original = {}, {}
    for split in builder.info.splits:
        for e in _helpers.examples(builder, split):
            where[e["id"].decode()] = split
            original[e["id"].decode()] = e["duplicate_of"].decode()
    assert {i: o for i, o in original.items() if o} == {"00024": "00022"}
    # 00024 was in validation, its original in train: a train NuMem cell moved
    assert where["00024"] == where["00022"] == "train"


# ------------------------------------------------------------- specimen blocks
def _levels(rng, lengths, levels, noise=0.03):
    return np.concatenate([lvl + noise * rng.standard_normal(n)
                           for n, lvl in zip(lengths, levels)])


def test_change_points_find_level_steps():
    rng = np.random.default_rng(0)
    x = _levels(rng, [60, 45, 80, 30], [3.0, 3.4, 3.1, 3.6])
    cuts = grouping.change_points(x, window=20, threshold=3.0)
    assert len(cuts) == 3
    assert all(abs(c - t) <= 2 for c, t in zip(cuts, [60, 105, 185]))
    assert grouping.change_points(x[:39], 20, 3.0) == []  # shorter than two windows
    assert grouping.change_points(_levels(rng, [200], [3.0]), 20, 3.0) == []
    # steps closer than the window: one cut, no block shorter than the window
    near = grouping.change_points(_levels(rng, [60, 8, 60], [3.0, 3.5, 4.0]), 20, 3.0)
    assert len(near) == 1 and 20 <= near[0] <= 108


def test_specimen_blocks_ignore_copies_which_join_their_original():
    rng = np.random.default_rng(1)
    x = _levels(rng, [30, 30], [3.0, 3.6])
    ids = [f"{i:05d}" for i in range(1, 67)]
    intensity = dict(zip(ids, np.expm1(x)))  # the blocks are cut on log(1 + intensity)
    duplicates = [[ids[k], ids[60 + k]] for k in range(5)] + [[ids[40], ids[65]]]
    for original, copy in duplicates:
        intensity[copy] = intensity[original]
    blocks = grouping.specimen_blocks({"a": ids}, intensity, duplicates, 10, 3.0)
    assert blocks == {"a": [ids[:30] + ids[60:65], ids[30:60] + ids[65:]]}


def _random_blocks(seed, n_blocks):
    rng = np.random.default_rng(seed)
    blocks, next_id = {}, 1
    for label, n in n_blocks.items():
        blocks[label] = []
        for size in rng.integers(20, 250, n):
            blocks[label].append([str(i) for i in range(next_id, next_id + size)])
            next_id += size
    return blocks


def test_assign_blocks_keeps_blocks_whole_close_to_the_fractions():
    blocks = _random_blocks(2, {"a": 15, "b": 25, "c": 8})
    splits = grouping.assign_blocks(blocks, DRI, salt="s")
    where = _split_of(splits)
    for label, class_blocks in blocks.items():
        for block in class_blocks:
            assert len({where[i] for i in block}) == 1
        n = sum(len(b) for b in class_blocks)
        shares = {s: sum(where[b[0]] == s for b in class_blocks for _ in b) / n
                  for s, _ in DRI}
        for s, frac in DRI:
            assert abs(shares[s] - frac) <= (0.02 if len(class_blocks) >= 15 else 0.08)
    assert grouping.assign_blocks(blocks, DRI, salt="s") == splits
    assert grouping.assign_blocks(blocks, DRI, salt="other") != splits


def test_assign_blocks_with_too_few_blocks_is_a_clear_error():
    with pytest.raises(_common.DatasetError, match="'a' has 1 specimen block"):
        grouping.assign_blocks({"a": [["1", "2", "3", "4", "5"]]}, DRI, salt="s")


def test_dri_blocks_on_too_few_cells_is_a_clear_error(tmp_path):
    """A dummy class (5 cells) is one block: dri_blocks cannot fill 3 splits."""
    with pytest.raises(_common.DatasetError, match="i3a_task1/dri_blocks: class"):
        _helpers.prepare("i3a_task1", tmp_path, DUMMY, "dri_blocks")
