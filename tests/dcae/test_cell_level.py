"""Issue #34's cell-level split (profile ``cell_level``): the split itself
(stratified, seeded, disjoint, the official sizes, both official halves
mixed), the profile (the cpu protocol but for the split), and a smoke variant
of the profile end to end on the synthetic SNPHEp-2 cells, into its own
folder; the committed results/dcae/ stays as it is."""
import collections
import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from reproductions.common import cli
from reproductions.common import data as data_lib
from reproductions.common.errors import UserError
from reproductions.dcae import data
from reproductions.dcae.paper import CELL_LEVEL_PAPER, PAPER, paper_for
from reproductions.dcae.profiles import PROFILES
from tests.dcae.conftest import run_main, smoke_argv

ROOT = Path(__file__).resolve().parents[2]
SNPHEP2_LABELS = ROOT.parent / "shared" / "data" / "snphep2" / "labels.csv"
#: SNPHEp-2's cells per class (train + test), ../shared/README.md.
CLASS_TOTALS = {0: 373, 1: 364, 2: 400, 3: 400, 4: 347}
TRAIN, TEST = 905, 979


def _split(ids, labels) -> data_lib.ArraySplit:
    return data_lib.ArraySplit(np.zeros((len(ids), 1, 1, 1), np.float32),
                               np.asarray(labels, np.int64), np.asarray(ids, str),
                               tuple(f"c{k}" for k in CLASS_TOTALS))


def official_halves() -> tuple[data_lib.ArraySplit, data_lib.ArraySplit]:
    """SNPHEp-2's official train / test cells as ids and labels (no images):
    from ../shared's labels.csv when present, else the same per-class totals
    shared out between the halves in proportion."""
    if SNPHEP2_LABELS.exists():
        rows = [line.split(",") for line in SNPHEP2_LABELS.read_text().splitlines()[1:]]
        halves = {s: [(r[0], int(r[2]) - 1) for r in rows if r[1] == s]
                  for s in ("train", "test")}
    else:
        labels = [c for c, n in CLASS_TOTALS.items() for _ in range(n)]
        rng = np.random.default_rng(0)
        order = rng.permutation(len(labels))
        halves = {"train": [(f"train/{i}", labels[j]) for i, j in enumerate(order[:TRAIN])],
                  "test": [(f"test/{i}", labels[j]) for i, j in enumerate(order[TRAIN:])]}
    return tuple(_split(*zip(*halves[s])) for s in ("train", "test"))


@pytest.fixture(scope="module")
def halves():
    train, test = official_halves()
    assert (len(train), len(test)) == (TRAIN, TEST)
    return train, test


def test_sizes_disjoint_and_every_cell_once(halves):
    train, test = halves
    for seed in (0, 1, 2):
        fit, held = data.cell_level_split(train, test, seed)
        assert (len(fit), len(held)) == (TRAIN, TEST)
        assert not set(fit.ids) & set(held.ids)
        assert set(fit.ids) | set(held.ids) == set(train.ids) | set(test.ids)
        # labels travel with their cells
        label = dict(zip(np.r_[train.ids, test.ids], np.r_[train.labels, test.labels]))
        assert all(label[i] == y for i, y in zip(held.ids, held.labels))


def test_seeded(halves):
    train, test = halves
    a, b = data.cell_level_split(train, test, 0), data.cell_level_split(train, test, 0)
    assert list(a[1].ids) == list(b[1].ids) and list(a[0].ids) == list(b[0].ids)
    tests = [frozenset(data.cell_level_split(train, test, s)[1].ids) for s in (0, 1, 2)]
    assert len(set(tests)) == 3
    assert all(len(x & y) < 0.7 * TEST for x in tests for y in tests if x is not y)


def test_stratified_by_class_and_mixes_both_official_halves(halves):
    train, test = halves
    official_test = set(test.ids)
    pooled = collections.Counter(np.r_[train.labels, test.labels].tolist())
    for seed in (0, 1, 2):
        _, held = data.cell_level_split(train, test, seed)
        per_class = collections.Counter(held.labels.tolist())
        for c, n in pooled.items():  # ±1 per stratum: class × official half
            assert abs(per_class[c] - n * TEST / (TRAIN + TEST)) <= 2, (seed, c)
        from_test = sum(i in official_test for i in held.ids)
        assert abs(from_test - TEST * TEST / (TRAIN + TEST)) <= 5  # ~509 of 979
        assert TEST - from_test > 400  # the official training specimens' cells too
        for c in pooled:  # and within each class
            cells = held.ids[held.labels == c]
            share = np.mean([i in official_test for i in cells])
            expected = np.mean([i in official_test
                                for i in np.r_[train.ids, test.ids][
                                    np.r_[train.labels, test.labels] == c]])
            assert abs(share - expected) < 0.02


def test_ids_hash_is_the_builders_format():
    split = _split(["b", "a"], [1, 0])
    expected = hashlib.sha256("a\t0\nb\t1".encode()).hexdigest()
    assert data.ids_sha256(split) == expected


def test_profile_is_the_cpu_protocol_on_the_cell_level_split():
    cpu, cell = PROFILES["cpu"], PROFILES["cell_level"]
    assert cell.settings == cpu.settings.replace(folds=(), split="cell_level")
    same = ("image_size", "batch_size", "epochs", "seeds", "patience", "subset")
    assert all(getattr(cell, f) == getattr(cpu, f) for f in same)
    assert set(cell.multi_seed_rows) == set(PAPER.rows)  # the SVMs too: a split per seed
    assert "split" not in cpu.settings.to_json()  # the other profiles keep their tags
    assert cell.settings.to_json()["split"] == "cell_level"


def test_own_results_folder_and_tables(tmp_path):
    args = type("Args", (), {"output_dir": None, "work_dir": None})()
    output, work = cli.default_dirs("dcae", PROFILES["cell_level"], False, args)
    assert output == ROOT / "results" / "dcae" / "cell_level"
    assert work.name == "cell_level"  # setup appends the work tag
    assert cli.default_dirs("dcae", PROFILES["cpu"], False, args)[0] == ROOT / "results" / "dcae"
    assert paper_for("official") is PAPER and paper_for("cell_level") is CELL_LEVEL_PAPER
    assert [t.key for t in CELL_LEVEL_PAPER.tables] == ["table2", "probe", "reconstruction"]
    assert CELL_LEVEL_PAPER.claims == PAPER.claims
    assert (CELL_LEVEL_PAPER.table("table2").rows == PAPER.table("table2").rows)


def test_an_image_folder_has_no_cell_level_split():
    from reproductions.dcae.__main__ import Options, adjust_profile
    options = type("Options", (), {"image_folder": ["x"], "paper": Options()})()
    with pytest.raises(UserError, match="cell-level"):
        adjust_profile(options, PROFILES["cell_level"])


# --- the smoke variant, end to end --------------------------------------------
SMOKE_CELL_LEVEL = "smoke_cell_level"


def _committed() -> dict:
    folder = ROOT / "results" / "dcae"
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cell_run(tmp_path_factory):
    """The smoke profile with the cell-level split (every row on seeds 0 and
    1, no folds), registered for this run only; records each seed's split."""
    smoke = PROFILES["smoke"]
    variant = dataclasses.replace(
        smoke, name=SMOKE_CELL_LEVEL, multi_seed_rows=PAPER.rows,
        settings=smoke.settings.replace(folds=(), split="cell_level"))
    root = tmp_path_factory.mktemp("dcae_cell_level")
    dirs = {name: root / name for name in ("output", "work", "data")}
    drawn, original = {}, data.cell_level_split

    def spy(train, test, seed):
        fit, held = original(train, test, seed)
        drawn[seed] = {"fit": set(fit.ids), "held": set(held.ids),
                       "official_test": set(test.ids), "held_sha256": data.ids_sha256(held)}
        return fit, held

    before = _committed()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(PROFILES, SMOKE_CELL_LEVEL, variant)
        patch.setattr(data, "cell_level_split", spy)
        argv = smoke_argv(dirs)
        argv[argv.index("smoke")] = SMOKE_CELL_LEVEL
        status, stdout, _, trainings = run_main(argv)
    assert status == 0, stdout[-3000:]
    results = json.loads((dirs["output"] / "results.json").read_text())
    return {"data": results, "trainings": trainings, "drawn": drawn, "before": before,
            "readme": (dirs["output"] / "README.md").read_text()}


def test_smoke_variant_runs_every_row_on_each_seeds_split(cell_run):
    results = cell_run["data"]
    runs = {(r["row"], r["seed"], r["variant"]): r for r in results["runs"]}
    assert set(runs) == {(row, seed, "") for row in PAPER.rows for seed in (0, 1)}
    info = results["datasets"]["data"]
    assert info["used"] == {"train": 35, "validation": 5, "test": 20}
    assert set(info["cell_level"]) == {"0", "1"} and "folds" not in info
    for seed, cells in info["cell_level"].items():
        assert (cells["train"], cells["validation"], cells["test"]) == (35, 5, 20)
        assert 0 < cells["official_test_cells"]["test"] < 20  # both halves mixed
        assert 0 < cells["official_test_cells"]["train"] < 35
    assert info["cell_level"]["0"]["ids_sha256"]["test"] != \
        info["cell_level"]["1"]["ids_sha256"]["test"]
    for (row, seed, _), run in runs.items():
        split = run["cell_level_split"]
        assert split["seed"] == seed
        assert split["ids_sha256"] == info["cell_level"][str(seed)]["ids_sha256"], row
        assert split["ids_sha256"]["test"] == cell_run["drawn"][seed]["held_sha256"]
    assert results["extra"]["dcae_minus_cnn"]["seeds"] == [0, 1]


def test_networks_fit_their_seeds_training_cells_only(cell_run):
    for t in cell_run["trainings"]:
        seen = t["train_ids"] | t["validation_ids"]
        seeds = [s for s, d in cell_run["drawn"].items() if seen <= d["fit"]]
        assert len(seeds) == 1, t["model"]
        drawn = cell_run["drawn"][seeds[0]]
        assert not seen & drawn["held"] and len(seen) == 40
        assert seen & drawn["official_test"] and seen - drawn["official_test"]  # mixed
    models = collections.Counter(t["model"] for t in cell_run["trainings"])
    assert models["dcae_autoencoder"] == 2


def test_readme_is_its_own_table(cell_run):
    readme = cell_run["readme"]
    assert "### " + CELL_LEVEL_PAPER.table("table2").title in readme
    assert PAPER.table("table2").title not in readme  # "official train (905) / test (979)"
    assert "DCAE features + ANN − 5 layers CNN, ACA (Table II on a cell-level split)" in readme
    assert "paired t-test p = " in readme
    assert "cell-level test split, seed 0" in readme
    assert "## Linear probe per seed (cell-level split)" in readme
    for absent in ("official fold", "Cells of the training specimens vs unseen specimens",
                   "| official |"):
        assert absent not in readme, absent
    assert "| seed | train | validation | test | official test cells" in readme


def test_the_committed_results_are_untouched(cell_run):
    assert _committed() == cell_run["before"]
