"""python -m reproductions.provenance_backfill on a run stored before the
per-run provenance fields existed."""
import copy
import json
import subprocess

import pytest

from reproductions import provenance_backfill as backfill
from reproductions.common import provenance, results
from reproductions.common.provenance import UNKNOWN


def _head():
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=provenance.REPO_ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        pytest.skip("needs the repository's git history")
    return out.stdout.strip()


def _old_results(tmp_path, commit):
    """A results.json as the suite wrote it before RUN_FIELDS."""
    run = results.run_record("net", 0, {"t": {"net": {"aca": 90.0}}}, epochs=3,
                             wall_time_s=10.0, train_images_per_s=5.0)
    for field in provenance.RUN_FIELDS:
        run["provenance"].pop(field, None)
    run["provenance"].update(commit=commit, dirty=False)
    data = {"paper": "fake", "profile": {"name": "cpu", "epochs": {"*": 3},
                                         "description": "words"},
            "datasets": {"data": {"name": "bioimlab_chromosomes", "config": None},
                         "other": {"name": "snphep2", "config": "full"}},
            "synthetic": False, "runs": [run]}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    return path, data


def test_backfill_derives_what_the_record_implies_and_marks_the_rest_unknown(tmp_path):
    commit = _head()
    path, before = _old_results(tmp_path, commit)
    assert any("provenance lacks 'sessions'" in p for p in results.check(path))
    computed = []

    def hashes(name, config):  # stands in for hashing the real data
        computed.append((name, config))
        return {"train": "h1", "test": "h2"}

    assert backfill.backfill(path, hashes) == 1
    after = json.loads(path.read_text())
    prov = after["runs"][0]["provenance"]
    assert results.check(path) == []
    assert prov["commit_span"] == {"first": UNKNOWN, "last": commit,
                                   "training_code_changed": UNKNOWN, "dirty": False}
    assert [s["commit"] for s in prov["sessions"]] == [commit]
    assert prov["sessions"][0]["cpu"] == prov["hardware"]["cpu"]
    data = prov["data"]["data"]
    assert data["version"] == "1.0.0"  # read from the builder's source at the commit
    if backfill.builder_unchanged("bioimlab_chromosomes", commit):
        assert data["split_ids_sha256"] == {"train": "h1", "test": "h2"}
    assert prov["data"]["other"]["version"] == "1.0.0"
    assert prov["profile"] == provenance.profile_identity(
        before["profile"], results.protocol_fields(before["profile"]))
    assert set(prov["backfilled"]["fields"]) == set(provenance.RUN_FIELDS)
    # nothing the run recorded changed
    stripped = copy.deepcopy(after["runs"][0])
    for field in (*provenance.RUN_FIELDS, "backfilled"):
        stripped["provenance"].pop(field)
    assert stripped == before["runs"][0]
    # a second pass changes nothing
    assert backfill.backfill(path, hashes) == 0
    assert json.loads(path.read_text()) == after


def test_split_hashes_stay_unknown_when_the_builder_changed_since_the_run(tmp_path,
                                                                          monkeypatch):
    path, _ = _old_results(tmp_path, _head())
    monkeypatch.setattr(backfill, "builder_unchanged", lambda name, commit: False)
    backfill.backfill(path, lambda name, config: pytest.fail("must not hash"))
    prov = json.loads(path.read_text())["runs"][0]["provenance"]
    assert prov["data"]["data"]["split_ids_sha256"] == UNKNOWN
    assert results.check(path) == []  # unknown is recorded, not missing


def test_builder_version_at_a_commit():
    assert backfill.builder_version("i3a_task1", _head()) == "2.0.0"
    assert backfill.builder_version("no_such_dataset", _head()) == UNKNOWN
