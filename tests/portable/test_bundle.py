"""The bundle format: written and read back, hashes checked on load, a
corrupted bundle refused with a clear message (and by ``train`` with exit
status 2, before anything is trained)."""
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from reproductions.common import provenance
from reproductions.portable import bundle as bundle_lib

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("a", "b", "c")


def _split(n, seed, size=8):
    rng = np.random.default_rng(seed)
    return types.SimpleNamespace(images=rng.random((n, size, size, 1), dtype=np.float32),
                                 labels=rng.integers(0, 3, n), class_names=NAMES,
                                 ids=np.array([f"{seed}-{i:03d}" for i in range(n)]))


@pytest.fixture
def written(tmp_path):
    splits = {"train": _split(12, 1), "validation": _split(5, 2), "test": _split(6, 3)}
    other = {k: types.SimpleNamespace(**{**vars(v), "images": 1 - v.images})
             for k, v in splits.items()}
    manifest = bundle_lib.write(
        tmp_path / "bundle", image_sets={"plain": splits, "inverted": other},
        extra_arrays={"train/repeats": np.arange(12)},
        manifest={"paper": "dri", "profile": "smoke", "data_settings": {},
                  "datasets": {"data": {"name": "x"}}, "provenance": {}})
    return tmp_path / "bundle", splits, manifest


def test_written_bundle_reads_back_within_quantisation(written):
    folder, splits, manifest = written
    bundle = bundle_lib.read(folder)
    assert bundle.paper == "dri" and bundle.sha256 == manifest["file"]["sha256"]
    assert manifest["image_sets"] == ["inverted", "plain"]
    assert manifest["image_shape"] == [8, 8, 1]
    for name, flip in (("plain", False), ("inverted", True)):
        got = bundle.splits(name)
        for split, want in splits.items():
            images = 1 - want.images if flip else want.images
            assert got[split].images.dtype == np.float32
            assert np.abs(got[split].images - images).max() <= 0.5 / 255 + 1e-7
            np.testing.assert_array_equal(got[split].labels, want.labels)
            np.testing.assert_array_equal(got[split].ids, want.ids)
            assert got[split].class_names == NAMES
            assert manifest["splits"][split]["ids_sha256"] == provenance.ids_sha256(
                want.ids, want.labels)
    np.testing.assert_array_equal(bundle.arrays["train/repeats"], np.arange(12))


def test_ids_hash_is_the_suites_split_hash():
    """The split-id hash of the suite's provenance: sorted ``id<TAB>label`` lines."""
    import hashlib

    ids, labels = ["b", "a"], [1, 0]
    assert provenance.ids_sha256(ids, labels) == hashlib.sha256(b"a\t0\nb\t1").hexdigest()


def test_images_outside_the_unit_interval_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bundle_lib.quantise(np.array([0.0, 1.5]))
    assert bundle_lib.quantise(np.array([0.0, 0.5, 1.0])).tolist() == [0, 128, 255]


def _flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_changed_file_is_refused(written):
    folder = written[0]
    _flip_byte(folder / bundle_lib.ARRAYS, 200)
    with pytest.raises(bundle_lib.BundleError, match="corrupted.*sha256"):
        bundle_lib.read(folder)


def test_an_array_that_does_not_match_its_hash_is_refused(written):
    """A consistent file (its own hash updated) whose arrays changed."""
    folder = written[0]
    bundle = bundle_lib.read(folder)
    arrays = dict(bundle.arrays)
    arrays["test/labels"] = (arrays["test/labels"] + 1) % 3
    np.savez_compressed(folder / bundle_lib.ARRAYS, **arrays)
    manifest = json.loads((folder / bundle_lib.MANIFEST).read_text())
    manifest["file"]["sha256"] = bundle_lib.file_sha256(folder / bundle_lib.ARRAYS)
    (folder / bundle_lib.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(bundle_lib.BundleError, match="test/labels, test/ids"):
        bundle_lib.read(folder)


def test_not_a_bundle(tmp_path):
    with pytest.raises(bundle_lib.BundleError, match="no manifest.json"):
        bundle_lib.read(tmp_path)
    (tmp_path / bundle_lib.MANIFEST).write_text(json.dumps({"format": "other"}))
    with pytest.raises(bundle_lib.BundleError, match="export it again"):
        bundle_lib.read(tmp_path)


def test_train_refuses_a_corrupted_bundle(written, tmp_path):
    folder = written[0]
    _flip_byte(folder / bundle_lib.ARRAYS, 300)
    out = tmp_path / "runs"
    result = subprocess.run(
        [sys.executable, "-m", "reproductions.portable", "train", str(folder),
         "--output-dir", str(out), "--work-dir", str(tmp_path / "work")],
        cwd=ROOT, env={**os.environ, "KERAS_BACKEND": "jax"}, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "is corrupted" in result.stderr and "nothing was trained" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
