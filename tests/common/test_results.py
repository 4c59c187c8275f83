"""results.json (schema, provenance, aggregation), README tables, the
refusal to mix profiles, and resuming stored runs."""
import dataclasses
import json

import pytest

from reproductions.common import provenance, results
from reproductions.common.errors import UserError
from reproductions.common.paper import PAPERS, DatasetSpec, PaperSpec, Row, Table
from reproductions.common.profiles import Profile

PAPER = PaperSpec(
    key="fake", title="Fake paper", citation="A. Author. Fake. 2024.",
    source="fake.txt", datasets={"data": DatasetSpec("fake_real", "fake_synth")},
    tables=(
        Table(key="t1", title="Table 1: fake", metrics=("mca", "aca"), rows=(
            Row("net", "The Net", {"mca": 90.0, "aca": 91.0}),
            Row("other", "Other Net", {"mca": 80.0, "aca": 81.0}),
            Row("theirs", "Someone else [3]", {"mca": 70.0, "aca": 71.5}, reproduced=False),
        )),
        Table(key="t2", title="Table 2: extra", metrics=("aca",), rows=(
            Row("net_small", "The Net, small", {}),
        ), note="Our own row."),
    ))
SMOKE = Profile(name="smoke", description="tiny run", image_size=8, batch_size=2,
                epochs={"*": 1}, seeds=(0, 1, 2), multi_seed_rows=("net",),
                reductions=("tiny images",))
CPU = Profile(name="cpu", description="cpu run", image_size=16, batch_size=2,
              epochs={"*": 2})
DATASET = {"name": "fake_synth", "config": None, "splits": {"train": 10, "test": 4}}
DATASETS = {"data": DATASET}


def _record(seed, mca, aca, row="net", variant=""):
    run = results.run_record(row, seed, {"t1": {row: {"mca": mca, "aca": aca}}},
                             epochs=1, wall_time_s=2.0, train_images_per_s=5.0,
                             variant=variant, best_epoch=0)
    run["provenance"]["dirty"] = False  # as from a clean tree, whatever this checkout's state
    run["provenance"].update(provenance.run_fields([provenance.session()], DATASETS,
                                                   SMOKE.to_json(), {}))
    return run


@pytest.fixture
def store(tmp_path):
    s = results.ResultsStore(tmp_path / "out", PAPER, SMOKE, DATASETS, synthetic=True)
    for seed, (mca, aca) in enumerate([(88.0, 90.0), (90.0, 91.0), (92.0, 95.0)]):
        s.add_run(_record(seed, mca, aca))
    return s


def test_run_record_has_run_and_provenance_fields():
    run = _record(0, 1.0, 2.0)
    for field in results.REQUIRED_RUN_FIELDS:
        assert field in run
    prov = run["provenance"]
    for field in results.REQUIRED_PROVENANCE_FIELDS:
        assert field in prov
    assert len(prov["commit"]) == 40 or prov["commit"] == "unknown"
    assert prov["packages"]["tensorflow"] and prov["packages"]["python"]
    assert prov["hardware"]["cpu_count"] >= 1 and "cpu" in prov["hardware"]
    assert isinstance(prov["hardware"]["gpu"], list)
    assert prov["command"] and "T" in prov["time"]
    assert run["best_epoch"] == 0  # extra fields are kept


def test_results_json_schema(store):
    data = json.loads(store.path.read_text())
    for field in results.REQUIRED_TOP_FIELDS:
        assert field in data
    assert data["schema_version"] == results.SCHEMA_VERSION
    assert data["paper"] == "fake" and data["profile"]["name"] == "smoke"
    assert data["profile"]["reductions"] == ["tiny images"]
    assert data["synthetic"] is True and data["note"] == results.SYNTHETIC_MARK
    assert data["datasets"] == DATASETS
    assert [r["seed"] for r in data["runs"]] == [0, 1, 2]
    assert results.check(store.path) == []


def test_add_run_rejects_incomplete_and_replaces_same_key(store):
    with pytest.raises(ValueError, match="provenance"):
        store.add_run({"row": "net", "seed": 5, "values": {}, "wall_time_s": 1,
                       "train_images_per_s": 1, "epochs": 1})
    store.add_run(_record(1, 50.0, 50.0))
    runs = json.loads(store.path.read_text())["runs"]
    assert len(runs) == 3
    assert [r["values"]["t1"]["net"]["mca"] for r in runs if r["seed"] == 1] == [50.0]


def test_aggregate_mean_and_std_over_seeds(store):
    agg = results.aggregate(PAPER, store.data["runs"])
    mca = agg["t1"]["net"]["mca"]
    assert mca["mean"] == pytest.approx(90.0)
    assert mca["std"] == pytest.approx(2.0)  # sample std of 88, 90, 92
    assert mca["n"] == 3 and mca["values"] == [88.0, 90.0, 92.0]
    aca = agg["t1"]["net"]["aca"]
    assert aca["mean"] == pytest.approx(92.0)
    assert aca["std"] == pytest.approx(((4 + 1 + 9) / 2) ** 0.5)
    assert "other" not in agg["t1"] and agg["t2"] == {}
    assert results.format_value(mca) == "90.00 ± 2.00 (n=3)"
    assert results.format_value({"mean": 1.234, "std": None, "n": 1}) == "1.23"
    assert results.format_value(None) == "—"


def test_readme_has_every_paper_row(store):
    store.add_run(_record(0, 79.0, 80.25, row="other"))
    store.notes = "## Notes\n\nhello notes"
    store.sections = lambda st: f"\n## Section\n\n{len(st.runs)} runs stored\n"
    path = results.write_readme(store)
    text = path.read_text()
    assert path == store.dir / "README.md"
    assert results.SYNTHETIC_MARK.upper() in text
    assert "| model | metric | paper | reproduced | delta | profile |" in text
    lines = text.splitlines()
    assert ("| The Net | MCA (%) | 90.00 | 90.00 ± 2.00 (n=3) | +0.00 | "
            "smoke (synthetic) |") in lines
    assert ("| The Net | ACA / accuracy (%) | 91.00 | 92.00 ± 2.65 (n=3) | +1.00 | "
            "smoke (synthetic) |") in lines
    assert "| Other Net | MCA (%) | 80.00 | 79.00 | -1.00 | smoke (synthetic) |" in lines
    assert "| Other Net | ACA / accuracy (%) | 81.00 | 80.25 | -0.75 | smoke (synthetic) |" in lines
    assert "| Someone else [3] | MCA (%) | 70.00 | not reproduced | — | — |" in lines
    assert "| Someone else [3] | ACA / accuracy (%) | 71.50 | not reproduced | — | — |" in lines
    assert "| The Net, small | ACA / accuracy (%) | — | — | — | smoke (synthetic) |" in lines
    assert "### Table 1: fake" in text and "### Table 2: extra" in text and "Our own row." in text
    assert "  - tiny images" in text
    assert "train 10, test 4" in text
    assert "hello notes" in text and "4 runs stored" in text  # notes + sections
    # the runs table: one line per run with its commit
    assert sum(1 for line in lines if line.startswith("| net | — |")) == 3
    assert "| other | — | 0 | 1 | 1 | — | 2 s | 5.0 |" in text  # best epoch counted from 1


@pytest.mark.parametrize("paper", PAPERS)
def test_package_notes_are_the_readme_part_of_notes_md(paper):
    """Each paper's narrative is package data (``NOTES.md``); the README gets
    the part before the marker, ending in one newline."""
    import importlib.resources

    from reproductions.common import report
    package = f"reproductions.{paper}"
    whole = importlib.resources.files(package).joinpath("NOTES.md").read_text(encoding="utf-8")
    notes = report.package_notes(package)
    assert notes.startswith("## Reading of the paper") and whole.startswith(notes)
    assert notes.endswith(".\n") and report.README_NOTES_END not in notes
    if paper == "drsn_dc":  # the benchmark behind the cpu profile stays out of the README
        assert report.README_NOTES_END in whole and "10.3 CPU-hours" not in notes


def test_readme_marks_wall_times_that_miss_earlier_sessions(store):
    text = results.write_readme(store).read_text()
    assert "| net | — | 0 | 1 | 1 | — | 2 s | 5.0 |" in text
    assert "- Training wall time of the runs: 6 s" in text.splitlines()
    old = _record(0, 79.0, 80.25, row="other")
    del old["wall_time_across_resumes"]  # as stored before the field existed
    store.add_run(old)
    text = results.write_readme(store).read_text()
    assert "| other | — | 0 | 1 | 1 | — | ≥ 2 s | 5.0 |" in text
    assert "| net | — | 0 | 1 | 1 | — | 2 s | 5.0 |" in text
    assert "- Training wall time of the runs: ≥ 8 s (some runs" in text


def test_readme_other_measurements_round_floats_also_in_lists(store):
    store.set_extra("speed", {"ratio": 1.23456, "per_seed": [2.0 / 3, 1.5], "seeds": [0, 1],
                              "note": "same run"})
    text = results.write_readme(store).read_text()
    assert ("- **speed**: ratio = 1.23; per_seed = [0.667, 1.5]; seeds = [0, 1]; "
            "note = same run") in text.splitlines()


def test_readme_without_results_shows_dashes(tmp_path):
    s = results.ResultsStore(tmp_path, PAPER, CPU, {"data": {"name": "fake_real"}}, synthetic=False)
    text = results.write_readme(s).read_text()
    assert "SYNTHETIC" not in text
    assert "| The Net | MCA (%) | 90.00 | — | — | cpu |" in text.splitlines()
    assert "### Runs" not in text


def test_user_data_is_marked_and_never_mixed_with_the_papers(tmp_path):
    folder = {"data": {"name": "image_folder", "config": None, "version": "abc123",
                       "root": "/data/ana", "splits": {"train": 9}}}
    s = results.ResultsStore(tmp_path, PAPER, CPU, folder, synthetic=False, user_data=True)
    s.add_run(_record(0, 50.0, 60.0))
    text = results.write_readme(s).read_text()
    assert results.USER_DATA_MARK.upper() in text and "from `/data/ana`" in text
    assert "| The Net | MCA (%) | 90.00 | 50.00 | -40.00 | cpu (user data) |" in text.splitlines()
    assert json.loads(s.path.read_text())["note"] == results.USER_DATA_MARK
    with pytest.raises(UserError):  # the paper's data into a user-data folder
        results.ResultsStore(tmp_path, PAPER, CPU, {"data": {"name": "fake_real"}},
                             synthetic=False)
    with pytest.raises(UserError):  # another version of the folder
        other = {"data": {**folder["data"], "version": "def456"}}
        results.ResultsStore(tmp_path, PAPER, CPU, other, synthetic=False, user_data=True)


def test_schema_1_results_are_read_as_one_dataset_role(store):
    data = json.loads(store.path.read_text())
    data["dataset"] = data.pop("datasets")["data"]
    del data["user_data"]
    store.path.write_text(json.dumps(data))
    again = results.ResultsStore(store.dir, PAPER, SMOKE, DATASETS, synthetic=True)
    assert len(again.runs) == 3 and results.check(store.path) == []


def test_sklearn_rows_have_their_own_provenance(store):
    run = results.sklearn_record("svm", 0, {"t1": {"other": {"mca": 70.0, "aca": 71.0}}},
                                 fit_time_s=3.5, features_per_s=1200.0, wall_time_s=9.0,
                                 hyperparameters={"C": 10.0, "gamma": 0.01})
    assert "epochs" not in run and "train_images_per_s" not in run and run["kind"] == "sklearn"
    store.add_run(run)
    with pytest.raises(ValueError, match="hyperparameters"):
        store.add_run({k: v for k, v in run.items() if k != "hyperparameters"})
    text = results.write_readme(store).read_text()
    assert "### scikit-learn fits" in text
    assert "| svm | — | 0 | 4 s | 1200 | C=10, gamma=0.01 |" in text
    assert "| Other Net | MCA (%) | 80.00 | 70.00 | -10.00 | smoke (synthetic) |" in text


def test_refuses_another_profile_without_force(store):
    before = store.path.read_text()
    with pytest.raises(UserError) as err:
        results.ResultsStore(store.dir, PAPER, CPU, DATASETS, synthetic=True)
    message = str(err.value)
    assert "--force" in message and "--output-dir" in message and "'smoke'" in message
    with pytest.raises(UserError):  # same profile name, other dataset
        results.ResultsStore(store.dir, PAPER, SMOKE, {"data": {"name": "fake_real"}}, synthetic=False)
    with pytest.raises(UserError):  # same name, other settings (e.g. an override)
        results.ResultsStore(store.dir, PAPER, dataclasses.replace(SMOKE, batch_size=4),
                             DATASETS, synthetic=True)
    assert store.path.read_text() == before
    assert not (store.dir / "results.json.bak").exists()


def test_force_replaces_and_keeps_a_backup(store):
    before = store.path.read_text()
    forced = results.ResultsStore(store.dir, PAPER, CPU, DATASETS, synthetic=True, force=True)
    assert forced.data["runs"] == []
    assert (store.dir / "results.json.bak").read_text() == before
    forced.add_run(_record(0, 1.0, 1.0))
    data = json.loads(store.path.read_text())
    assert data["profile"]["name"] == "cpu" and len(data["runs"]) == 1
    # the same command again with --force resumes: runs of the same settings stay
    again = results.ResultsStore(store.dir, PAPER, CPU, DATASETS, synthetic=True, force=True)
    assert len(again.runs) == 1


def test_reopening_with_the_same_profile_resumes_stored_runs(store):
    store.set_extra("speed", {"x": 1.5})
    again = results.ResultsStore(store.dir, PAPER, SMOKE, DATASETS, synthetic=True)
    assert len(again.data["runs"]) == 3
    assert again.find_run("net", 2)["values"]["t1"]["net"]["mca"] == 92.0
    assert again.find_run("net", 3) is None
    assert again.find_run("net", 0, variant="ablation") is None
    assert again.data["extra"] == {"speed": {"x": 1.5}}
    again.add_run(_record(0, 60.0, 60.0, variant="ablation"))
    assert again.find_run("net", 0, variant="ablation")["values"]["t1"]["net"]["aca"] == 60.0
    assert again.find_run("net", 0)["values"]["t1"]["net"]["aca"] == 90.0


def test_reopening_keeps_what_stored_runs_recorded_about_their_data(store):
    """A variant's split sizes, recorded when that variant ran, survive a rerun
    that has nothing left to run for it (the DRI block split did not)."""
    store.set_dataset_info("data", blocks={"used": {"train": 7}}, used={"train": 5})
    again = results.ResultsStore(store.dir, PAPER, SMOKE, DATASETS, synthetic=True)
    assert again.datasets["data"]["blocks"] == {"used": {"train": 7}}
    again.set_dataset_info("data", used={"train": 6})  # a run states it anew: the new wins
    assert json.loads(store.path.read_text())["datasets"]["data"]["used"] == {"train": 6}
    assert again.datasets["data"]["name"] == DATASETS["data"]["name"]


def test_reworded_profile_keeps_runs_and_takes_the_new_wording(store):
    reworded = dataclasses.replace(SMOKE, description="tiny run, reworded",
                                   reductions=("tiny images (8 px)",))
    again = results.ResultsStore(store.dir, PAPER, reworded, DATASETS, synthetic=True)
    assert len(again.data["runs"]) == 3
    again.save()
    profile = json.loads(store.path.read_text())["profile"]
    assert profile["description"] == "tiny run, reworded"
    assert profile["reductions"] == ["tiny images (8 px)"]
    with pytest.raises(UserError):  # a protocol field is not wording
        results.ResultsStore(store.dir, PAPER, dataclasses.replace(reworded, epochs={"*": 2}),
                             DATASETS, synthetic=True)


def test_paired_gap_per_seed_against_the_paper_claim(store):
    for seed, mca in enumerate([87.0, 91.0, 95.0]):
        store.add_run(_record(seed, mca, mca, row="other"))
    store.add_run(_record(0, 10.0, 10.0, row="other", variant="ablation"))  # not paired
    gap = results.paired_gap(PAPER, store.data["runs"], "t1", "other", "net", "mca")
    # net: 88 / 90 / 92 (fixture) minus other: 87 / 91 / 95
    assert gap["seeds"] == [0, 1, 2]
    assert gap["points"] == pytest.approx([1.0, -1.0, -3.0])
    assert gap["mean"] == pytest.approx(-1.0) and gap["std"] == pytest.approx(2.0)
    assert gap["seeds_where_net_is_better"] == 1
    assert gap["paper"] == pytest.approx(10.0)  # 90.0 - 80.0 as printed
    assert results.paired_gap(PAPER, store.data["runs"], "t1", "theirs", "net", "mca") is None
    assert results.paired_gap(PAPER, [], "t1", "other", "net", "mca") is None


def test_check_reports_each_missing_run_provenance_field(store):
    for field in provenance.RUN_FIELDS:
        data = json.loads(store.path.read_text())
        del data["runs"][0]["provenance"][field]
        store.path.write_text(json.dumps(data))
        assert [p for p in results.check(store.path)] == [
            f"{store.path}: run 0 (net, seed 0): provenance lacks {field!r}"]
        store.save()  # restores the field
    assert results.check(store.path) == []
    data = json.loads(store.path.read_text())
    del data["runs"][0]["provenance"]["data"]["data"]["split_ids_sha256"]
    data["runs"][1]["provenance"]["sessions"][0].pop("cpu")
    store.path.write_text(json.dumps(data))
    problems = results.check(store.path)
    assert len(problems) == 2
    assert "run 0" in problems[0] and "'split_ids_sha256'" in problems[0]
    assert "run 1" in problems[1] and "cpu" in problems[1]


def test_stored_runs_of_other_split_ids_are_refused(store):
    datasets = {"data": {**DATASET, "split_ids_sha256": {"train": "a", "test": "b"}}}
    s = results.ResultsStore(store.dir, PAPER, SMOKE, datasets, synthetic=True)
    assert len(s.runs) == 3  # nothing recorded before: the same settings
    s.save()
    moved = {"data": {**DATASET, "split_ids_sha256": {"train": "a", "test": "c"}}}
    with pytest.raises(UserError, match="its splits hold other examples"):
        results.ResultsStore(store.dir, PAPER, SMOKE, moved, synthetic=True)
    assert len(results.ResultsStore(store.dir, PAPER, SMOKE, datasets,
                                    synthetic=True).runs) == 3


def test_check_reports_missing_provenance(store):
    data = json.loads(store.path.read_text())
    del data["runs"][1]["provenance"]["commit"]
    del data["runs"][2]["wall_time_s"]
    store.path.write_text(json.dumps(data))
    problems = results.check(store.path)
    assert len(problems) == 2
    assert any("run 1" in p and "'commit'" in p for p in problems)
    assert any("run 2" in p and "'wall_time_s'" in p for p in problems)
    store.path.write_text("{not json")
    assert "unreadable" in results.check(store.path)[0]


def _speed(row, seed, speed, variant="", wall=10.0, pipeline=None):
    run = {"row": row, "seed": seed, "variant": variant, "train_images_per_s": speed,
           "wall_time_s": wall}
    if pipeline is not None:
        run["pipeline_images_per_s"] = pipeline
    return run


def test_throughput_pairs_two_rows_by_seed_and_reports_the_median_ratio():
    runs = [_speed("xception", 0, 8.0), _speed("super_xception", 0, 16.0),
            _speed("xception", 1, 20.0), _speed("super_xception", 1, 10.0),
            _speed("xception", 2, 20.0), _speed("super_xception", 2, 12.0),
            _speed("super_xception", 0, 99.0, variant="no_ln"),  # ablation: ignored
            _speed("super_xception", 3, 5.0),  # no Xception partner: ignored
            _speed("deep_cnn", 0, 500.0)]
    out = results.throughput(runs, ("xception", "super_xception"))
    assert out["seeds"] == [0, 1, 2]
    assert out["xception_images_per_s"] == [8.0, 20.0, 20.0]
    assert out["super_xception_images_per_s"] == [16.0, 10.0, 12.0]
    assert out["super_xception_over_xception"] == pytest.approx([2.0, 0.5, 0.6])
    assert out["median_super_xception_over_xception"] == pytest.approx(0.6)
    assert "input_pipeline_images_per_s" not in out


def test_throughput_needs_a_measured_run_of_every_row_in_a_seed():
    rows = ("xception", "super_xception")
    assert results.throughput([_speed("xception", 0, 8.0)], rows) is None
    assert results.throughput([_speed("xception", 0, 8.0),
                               _speed("super_xception", 1, 4.0)], rows) is None
    # a run restored from an earlier process has no measured speed
    assert results.throughput([_speed("xception", 0, 8.0),
                               _speed("super_xception", 0, 4.0, wall=0.0)], rows) is None


def test_throughput_of_one_row_next_to_the_input_pipeline():
    runs = [_speed("dri", 0, 4.0, pipeline=2000.0), _speed("dri", 1, 10.0),
            _speed("dri", 2, 12.0), _speed("inception", 0, 50.0),
            _speed("dri", 3, 99.0, wall=0.0)]  # restored: no speed
    out = results.throughput(runs, ("dri",))
    assert out["seeds"] == [0, 1, 2]
    assert out["dri_images_per_s"] == [4.0, 10.0, 12.0]
    assert out["median_dri_images_per_s"] == 10.0
    assert out["input_pipeline_images_per_s"] == 2000.0
    assert out["pipeline_over_training"] == pytest.approx(200.0)


def test_per_class_table_one_line_per_class_one_column_per_run():
    runs = {"a": {"metrics": {"per_class": {"x": {"f1": 0.5, "recall": 0.25},
                                            "y": {"f1": 1.0, "recall": 0.125}}}},
            "b": {"metrics": {"per_class": {"x": {"f1": 0.0, "recall": 1.0},
                                            "y": {"f1": 0.75, "recall": 0.5}}}}}
    table = results.per_class_table(runs, "f1", str.upper).splitlines()
    assert table == ["| class | A | B |", "|---|---:|---:|",
                     "| x | 50.00 | 0.00 |", "| y | 100.00 | 75.00 |"]
    assert results.per_class_table(runs, "recall", str)[-len("| 12.50 | 50.00 |"):] \
        == "| 12.50 | 50.00 |"
    assert results.per_class_table({}, "f1", str) == ""


def test_readme_says_how_much_runs_stopped_by_the_cap_still_improved(store):
    text = results.write_readme(store).read_text()
    assert "reached the epoch cap" not in text  # no history, no capped run: no such table
    capped = _record(0, 80.0, 81.0, row="capped")
    capped.update(epochs=12, best_epoch=11, stopped_by="epoch cap: 12 epochs (best epoch 12)",
                  history={"val_loss": [2.0, 1.5] + [1.0] * 9 + [0.9]})
    early = _record(0, 80.0, 81.0, row="early")
    early.update(epochs=3, best_epoch=0, stopped_by="early stopping: no val_loss improvement",
                 history={"val_loss": [1.0, 1.1, 1.2]})
    short = _record(0, 80.0, 81.0, row="short")
    short.update(epochs=3, best_epoch=1, stopped_by="epoch cap: 3 epochs (best epoch 2)",
                 history={"val_loss": [1.0, 0.8, 0.8]})
    for run in (capped, early, short):
        store.add_run(run)
    # a quarter of 12 epochs: lowest before the last 3 epochs 1.0, lowest overall 0.9
    assert results.capped_run_trend(capped) == (3, pytest.approx(-10.0))
    assert results.capped_run_trend(capped, window=2) == (2, pytest.approx(-10.0))
    assert results.capped_run_trend(early) is None
    assert results.capped_run_trend(dict(capped, history={"val_loss": [0.0] * 12})) is None
    assert results.capped_run_trend(short) == (1, pytest.approx(0.0))  # at least one epoch
    long = dict(capped, history={"val_loss": [3.0] * 49 + [2.0] + [1.5] * 10})
    assert results.capped_run_trend(long) == (10, pytest.approx(-25.0))  # at most 10
    lines = results.write_readme(store).read_text().splitlines()
    assert "| capped | — | 0 | 12 | 12 | 0.9 | -10.00 % over 3 |" in lines
    assert "| short | — | 0 | 3 | 2 | 0.8 | +0.00 % over 1 |" in lines
    assert not any(line.startswith("| early | — | 0 | 3 | 1 | 1 |") for line in lines)


def test_runs_table_shows_the_commit_span_and_each_sessions_cpu():
    run = _record(0, 1.0, 1.0)
    head = run["provenance"]["commit"]
    assert results.commits_cell(run) == head[:10]
    run["provenance"]["commit_span"] = {"first": "a" * 40, "last": "b" * 40,
                                        "training_code_changed": True}
    assert results.commits_cell(run) == f"{'a' * 10} → {'b' * 10}, code changed"
    run["provenance"]["commit_span"]["first"] = provenance.UNKNOWN
    run["provenance"]["commit_span"]["training_code_changed"] = provenance.UNKNOWN
    assert results.commits_cell(run) == f"? → {'b' * 10}"
    run["provenance"]["sessions"] = [{"cpu": "Xeon"}, {"cpu": "EPYC"}, {"cpu": "EPYC"}]
    assert results.cpus_cell(run) == "Xeon, EPYC"
    run["provenance"]["sessions"] = [{"cpu": "EPYC", "recorded": "last session only"}]
    assert results.cpus_cell(run) == "… EPYC"
