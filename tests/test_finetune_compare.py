"""``python -m reproductions.finetune_compare`` on a tiny preset and the
synthetic HEp-2 cells: both modes train on the same drawn folder and are
scored on the whole test split; the README's claim is computed from the
stored per-seed points; stored seeds are skipped; another setup is refused."""
import json

import numpy as np
import pytest

from reproductions import finetune_compare as fc
from reproductions.common import export
from reproductions.presets import make as make_lib
from tests.test_presets import tiny_inference_model

CLASSES = ("homogeneous", "speckled", "nucleolar", "centromere", "golgi", "numem")


def test_sample_ids_is_class_balanced_and_seeded():
    labels = [0] * 10 + [1] * 3 + [2] * 7
    ids = fc.sample_ids(labels, 4, seed=1)
    assert np.bincount(np.asarray(labels)[ids]).tolist() == [4, 3, 4]
    assert ids == fc.sample_ids(labels, 4, seed=1) != fc.sample_ids(labels, 4, seed=2)


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    base = tmp_path_factory.mktemp("compare")
    source = tiny_inference_model(base / "tiny-seed0" / export.FILE_NAME, classes=("a", "b"))
    return make_lib.make_preset(source, "tiny_ab", dest_root=base / "zoo", paper="tiny",
                                row="tiny", work_tag="smoke-0", profile="smoke",
                                log=lambda *a: None)


def test_compare_end_to_end(preset, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--preset", str(preset), "--data", "synthetic", "--dataset", "synthetic_hep2/tiny",
            "--output-dir", str(out), "--seeds", "0", "--per-class", "1",
            "--validation-per-class", "1", "--epochs", "2", "--patience", "1"]
    assert fc.main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    runs = {(r["mode"], r["seed"]): r for r in results["runs"]}
    assert sorted(runs) == [("finetuned", 0), ("scratch", 0)]
    # the two modes saw the same folder: one image per class
    assert runs[("finetuned", 0)]["ids_sha256"] == runs[("scratch", 0)]["ids_sha256"]
    assert runs[("finetuned", 0)]["train_images"] == 6
    test_n = results["setup"]["test_images"]
    assert all(r["metrics"]["n"] == test_n for r in runs.values())
    seeds, diffs = fc.points(results, "mca")
    assert seeds == [0]
    assert diffs == pytest.approx([100 * (runs[("finetuned", 0)]["metrics"]["mca"]
                                          - runs[("scratch", 0)]["metrics"]["mca"])])
    readme = (out / "README.md").read_text()
    assert "Fine-tuned − from scratch, MCA" in readme and "over 1 seed " in readme
    assert "not established with n = 1" in readme
    assert readme == fc.render_readme(results)
    # stored seeds are skipped; another setup is refused, nothing changed
    before = (out / "results.json").read_text()
    assert fc.main(argv) == 0
    assert "stored, skipped" in capsys.readouterr().out
    assert (out / "results.json").read_text() == before
    assert fc.main([*argv[:-4], "--epochs", "3", "--patience", "1"]) == 2
    assert "another setup" in capsys.readouterr().err
    assert (out / "results.json").read_text() == before


def _fake_run(mode, seed, value, epochs):
    return {"mode": mode, "seed": seed, "epochs_run": epochs, "best_epoch": epochs,
            "train_images": 6, "seconds": 60.0, "metrics": {"mca": value, "accuracy": value}}


def _fake_compare(root, name, per_class, mca, preset="p", epochs=50):
    """A compare folder as `run` writes it: ``mca`` = {seed: (fine-tuned, scratch)}."""
    runs = [_fake_run(mode, seed, value, epochs if mode == "finetuned" else 7)
            for seed, pair in mca.items() for mode, value in zip(fc.MODES, pair)]
    setup = {"preset": preset, "preset_sha256": "0" * 64, "dataset": "d/c",
             "per_class": {"train": per_class, "validation": 10}, "epochs": epochs,
             "patience": 5, "learning_rates": {"finetuned": 1e-4, "scratch": 1e-3},
             "command": f"python -m reproductions.finetune_compare --per-class {per_class}",
             "test_images": 100}
    (root / name).mkdir(parents=True)
    (root / name / "results.json").write_text(json.dumps({"setup": setup, "runs": runs}))


def test_summary_pairs_each_size_and_sorts_the_sizes(tmp_path):
    _fake_compare(tmp_path, "big", 20, {0: (0.60, 0.50), 1: (0.70, 0.65), 2: (0.55, 0.56)})
    _fake_compare(tmp_path, "small", 5, {0: (0.40, 0.30), 1: (0.45, 0.35)})
    _fake_compare(tmp_path, "other_preset", 5, {0: (0.9, 0.1)}, preset="q")
    (tmp_path / "unrelated").mkdir()
    (tmp_path / "unrelated" / "results.json").write_text(json.dumps({"runs": []}))
    assert fc.main(["--summary", str(tmp_path)]) == 0
    readme = (tmp_path / "README.md").read_text()
    assert (tmp_path / fc.SUMMARY_FIGURE).stat().st_size > 10_000
    # one section per protocol (preset), sizes ascending within it
    assert readme.count("## Preset `p`") == 1 and readme.count("## Preset `q`") == 1
    rows = [line for line in readme.splitlines() if line.startswith("| 5 |")
            or line.startswith("| 20 |")]
    assert [r.split(" | ")[1] for r in rows[:2]] == ["[small](small/README.md)",
                                                     "[big](big/README.md)"]
    # 5 per class: +10, +10 -> mean +10.00 ± 0.00, std 0 so no t-test
    assert "| 2 | 42.50 ± 3.54 | 32.50 ± 3.54 | +10.00 ± 0.00 (2 of 2 ahead) | n/a | 0.50 |" in rows[0]
    # 20 per class: +10, +5, −1 points; the fine-tunings ran to the cap
    diffs = [10.0, 5.0, -1.0]
    from scipy import stats

    p_t = stats.ttest_1samp(diffs, 0.0).pvalue
    assert f"+4.67 ± 5.51 (2 of 3 ahead) | {p_t:.2f} | 1.00 |" in rows[1]
    assert rows[1].endswith("| 3 of 3 |")
    assert "per seed +10.00, +5.00, −1.00; ahead in 2 of 3" in readme
    assert readme == fc.render_summary(fc.collect(tmp_path), tmp_path.as_posix())
    # a folder's --report-only rewrites the summary above it, which then holds its new run
    data = json.loads((tmp_path / "small" / "results.json").read_text())
    data["runs"] += [_fake_run(m, 2, v, 9) for m, v in zip(fc.MODES, (0.5, 0.3))]
    (tmp_path / "small" / "results.json").write_text(json.dumps(data))
    assert fc.main(["--report-only", "--output-dir", str(tmp_path / "small")]) == 0
    assert "| 5 | [small](small/README.md) | 3 |" in (tmp_path / "README.md").read_text()


def test_summary_refuses_an_empty_root_and_a_repeated_size(tmp_path, capsys):
    assert fc.main(["--summary", str(tmp_path)]) == 2
    assert "holds no folder written by" in capsys.readouterr().err
    assert not fc.refresh_summary(tmp_path)  # no summary there: nothing written
    _fake_compare(tmp_path, "a", 5, {0: (0.4, 0.3)})
    _fake_compare(tmp_path, "b", 5, {0: (0.5, 0.3)})
    assert fc.main(["--summary", str(tmp_path)]) == 2
    assert "same size (a, b)" in capsys.readouterr().err
    assert not (tmp_path / "README.md").exists()


def test_a_run_without_its_options_says_which_are_missing(capsys):
    with pytest.raises(SystemExit) as exc:
        fc.main(["--dataset", "d/c"])
    assert exc.value.code == 2
    assert "--preset, --output-dir required (or --summary ROOT)" in capsys.readouterr().err


def test_two_processes_on_one_folder_keep_each_others_runs(tmp_path):
    """`--seeds 0,1` and `--seeds 2` at once: each save takes in what the other
    stored since it started, so neither overwrites the other's runs."""
    _fake_compare(tmp_path, "f", 5, {0: (0.4, 0.3)})
    path = tmp_path / "f" / "results.json"
    first = fc.load_results(path)  # process A starts: seed 0 stored
    second = fc.load_results(path)  # process B starts at the same time
    first = fc.save_run(path, first, _fake_run("finetuned", 1, 0.5, 9))
    # B has not seen A's run; its save keeps it and adds its own
    second = fc.save_run(path, second, _fake_run("finetuned", 2, 0.6, 9))
    on_disk = fc.load_results(path)
    assert on_disk == second
    assert [(r["seed"], r["mode"]) for r in on_disk["runs"]] == [
        (0, "finetuned"), (0, "scratch"), (1, "finetuned"), (2, "finetuned")]
    # A's next save keeps B's run, and a (mode, seed) already stored is not doubled
    fc.save_run(path, first, _fake_run("finetuned", 2, 0.9, 9))
    runs = fc.load_results(path)["runs"]
    assert len(runs) == 4 and runs[-1]["metrics"]["mca"] == 0.6
    assert not list(path.parent.glob("*.tmp"))
    # a later command over every seed stores nothing new but records itself
    again = {**fc.load_results(path), "runs": []}
    again["setup"] = {**again["setup"], "command": "python -m reproductions.finetune_compare all"}
    kept = fc.save_run(path, again)
    assert kept["runs"] == runs and kept["setup"]["command"].endswith(" all")
