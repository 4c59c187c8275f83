"""Per-run provenance: the sessions a run trained in, the commit span and
whether training code changed in it, the split-id hashes, ``--only-seeds``."""
import json
import subprocess
import sys

import pytest

from reproductions.common import experiment, provenance
from reproductions.common.errors import UserError
from reproductions.common.profiles import Profile


def test_a_process_logs_itself_once_and_a_resume_adds_a_session(tmp_path):
    first = provenance.log_session(tmp_path)
    assert provenance.log_session(tmp_path) == first and len(first) == 1
    assert first[0]["cpu"] == provenance.cpu_model()
    # another process resuming the same run directory (a new session)
    code = ("import sys; from reproductions.common import provenance; "
            "print(len(provenance.log_session(sys.argv[1])))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    assert out.strip() == "2"
    sessions = json.loads((tmp_path / provenance.SESSIONS_FILE).read_text())
    assert sessions[0]["process"] != sessions[1]["process"]


def _commit(ref):
    return subprocess.run(["git", "rev-parse", ref], cwd=provenance.REPO_ROOT, text=True,
                          capture_output=True, check=True).stdout.strip()


def test_commit_span_says_whether_training_code_changed_between_sessions():
    try:  # two commits of this repository's history: results only, then code
        results_only = (_commit("4555868"), _commit("3b87544"))
        code = (_commit("aaec632"), _commit("71c0e65"))
    except (subprocess.CalledProcessError, OSError):
        pytest.skip("needs the repository's git history")
    span = provenance.commit_span([{"commit": results_only[0]}, {"commit": results_only[1]}])
    assert span == {"first": results_only[0], "last": results_only[1],
                    "training_code_changed": False, "dirty": False}
    assert provenance.commit_span([{"commit": code[0]}, {"commit": code[1]}])[
        "training_code_changed"] is True
    assert provenance.commit_span([{"commit": code[1]}])["training_code_changed"] is False
    assert provenance.commit_span([{"commit": "unknown"}, {"commit": code[1]}])[
        "training_code_changed"] == provenance.UNKNOWN


def test_split_ids_hash_changes_when_a_cell_moves_between_splits(tmp_path):
    from reproductions.common import data, image_folder

    from tests.common.test_image_folder import _make  # a labelled folder of PNGs

    root = _make(tmp_path / "cells", {"a": 10, "b": 10})
    builder = image_folder.open_image_folder(root, channels=1, seed=0)
    hashes = data.split_ids_sha256(builder)
    assert set(hashes) == set(builder.info.splits) and len(set(hashes.values())) == len(hashes)
    assert data.split_ids_sha256(image_folder.open_image_folder(root, channels=1, seed=0)) == hashes
    moved = data.split_ids_sha256(image_folder.open_image_folder(root, channels=1, seed=1))
    assert moved != hashes  # another seeded split: other ids in the splits


def test_only_seeds_filters_the_plan_and_refuses_seeds_it_does_not_plan():
    profile = Profile(name="p", description="", image_size=8, batch_size=2,
                      epochs={"*": 1}, seeds=(0, 1, 2), multi_seed_rows=("a",))
    jobs = experiment.plan_jobs(profile, ["a", "b"])
    assert experiment.only_seeds(jobs, None) == jobs
    assert experiment.only_seeds(jobs, (2,)) == [experiment.Job("a", 2)]
    with pytest.raises(UserError, match="no run of seed"):
        experiment.only_seeds(jobs, (3,))
