"""Several processes storing runs of one paper in one results folder (e.g.
``--rows a`` and ``--rows b`` at once): no run or measurement is lost, a
replaced run is not brought back, and a job stored meanwhile is not run twice."""
import dataclasses
import json
import multiprocessing
import types

from reproductions.common import experiment, results
from reproductions.common.options import RunOptions
from tests.common.test_results import DATASETS, PAPER, SMOKE, _record


def _open(folder):
    return results.ResultsStore(folder, PAPER, SMOKE, DATASETS, synthetic=True)


def _stored(folder):
    return {results.run_key(r): r for r in
            json.loads((folder / "results.json").read_text())["runs"]}


def test_two_stores_on_one_folder_keep_each_others_runs(tmp_path):
    first, second = _open(tmp_path), _open(tmp_path)  # both read an empty folder
    first.add_run(_record(0, 80.0, 81.0, row="other"))
    second.add_run(_record(0, 60.0, 61.0, variant="ablation"))
    assert set(_stored(tmp_path)) == {("other", 0, ""), ("net", 0, "ablation")}
    assert second.find_run("other", 0) is not None  # taken in when saving
    assert first.find_run("net", 0, variant="ablation") is None
    first.reload()
    assert first.find_run("net", 0, variant="ablation")["values"]["t1"]["net"]["mca"] == 60.0


def test_a_replaced_run_is_not_brought_back_by_a_stale_store(tmp_path):
    _open(tmp_path).add_run(_record(0, 88.0, 90.0))
    rerun, stale = _open(tmp_path), _open(tmp_path)  # both hold mca 88
    rerun.add_run(_record(0, 50.0, 51.0))            # e.g. --rows net --rerun
    stale.add_run(_record(1, 70.0, 71.0))
    assert _stored(tmp_path)[("net", 0, "")]["values"]["t1"]["net"]["mca"] == 50.0
    assert stale.find_run("net", 0)["values"]["t1"]["net"]["mca"] == 50.0
    assert len(_stored(tmp_path)) == 2


def test_extras_of_both_processes_are_kept_and_the_newest_wins(tmp_path):
    _open(tmp_path).set_extra("speed", 1.0)
    first, second = _open(tmp_path), _open(tmp_path)
    first.set_extra("speed", 2.0)
    first.set_extra("gap", {"mean": 3.0})
    second.set_extra("curves", [1, 2])  # second still holds speed 1.0 from its start
    extra = json.loads((tmp_path / "results.json").read_text())["extra"]
    assert extra == {"speed": 2.0, "gap": {"mean": 3.0}, "curves": [1, 2]}


def test_runs_of_other_settings_are_not_taken_in(tmp_path):
    _open(tmp_path).add_run(_record(0, 88.0, 90.0))
    forced = results.ResultsStore(tmp_path, PAPER, dataclasses.replace(SMOKE, epochs={"*": 3}),
                                  DATASETS, synthetic=True, force=True)
    forced.add_run(_record(1, 10.0, 11.0))
    forced.reload()
    assert set(_stored(tmp_path)) == {("net", 1, "")} and len(forced.runs) == 1


def _add_many(folder, row, count):
    store = _open(folder)
    for seed in range(count):
        store.add_run(_record(seed, 50.0, 50.0, row=row))


def test_processes_saving_at_once_lose_nothing(tmp_path):
    _open(tmp_path).save()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add_many, args=(tmp_path, row, 40))
               for row in ("net", "other", "net_small")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    assert len(_stored(tmp_path)) == 120
    assert not list(tmp_path.glob("*.tmp"))


def test_run_all_skips_a_job_another_process_stored_meanwhile(tmp_path, monkeypatch):
    store = _open(tmp_path)
    ran, lines = [], []

    def run(ctx, job):
        ran.append(job)
        if job.seed == 0:  # meanwhile, another process stores seed 1
            _open(tmp_path).add_run(_record(1, 70.0, 71.0))
        return _record(job.seed, 80.0, 81.0)

    ctx = types.SimpleNamespace(options=RunOptions(), store=store,
                                log=lines.append,
                                run_dir=lambda job: tmp_path / "work" / f"seed{job.seed}")
    spec = types.SimpleNamespace(run_job=run)
    monkeypatch.setattr(experiment, "refresh", lambda ctx, spec: None)
    jobs = [experiment.Job("net", seed) for seed in (0, 1, 2)]
    experiment.run_all(ctx, spec, jobs)
    assert [j.seed for j in ran] == [0, 2]
    assert any("net, seed 1 was stored meanwhile by another process; skipped" in line
               for line in lines)
    assert _stored(tmp_path)[("net", 1, "")]["values"]["t1"]["net"]["mca"] == 70.0
    assert len(_stored(tmp_path)) == 3
