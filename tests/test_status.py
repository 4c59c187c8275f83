"""python -m reproductions.status: the README's status column is generated."""
import json
import shutil
from pathlib import Path

import pytest

from reproductions import status

ROOT = Path(__file__).resolve().parents[1]


def test_committed_readme_equals_the_generated_status_column():
    readme = (ROOT / "README.md").read_text()
    assert status.BEGIN in readme and status.END in readme
    assert readme == status.render(readme, status.status_lines(ROOT)), (
        "README.md's status column is not what results/*/results.json gives: run "
        "python -m reproductions.status")


def test_every_paper_with_results_has_a_status_line_with_its_claim():
    lines = status.status_lines(ROOT)
    readme = (ROOT / "README.md").read_text()
    from reproductions.common import summary
    from reproductions.common.paper import load_paper
    for key, line in lines.items():
        assert f"| `python -m reproductions.{key}` |" in readme
        assert line in readme
        paper = load_paper(key)
        claim = paper.claims[0]
        runs = json.loads((ROOT / "results" / key / "results.json").read_text())["runs"]
        paired = summary.paired_gap(paper, runs, claim.table, claim.baseline, claim.proposed,
                                    claim.metric) is not None
        # a paired headline always shows both p-values; none before a seed has both rows
        assert (("t-test p = " in line and "sign test p = " in line) == paired), key


def test_check_fails_on_a_stale_readme_and_render_fixes_it(tmp_path):
    (tmp_path / "results" / "super_xception").mkdir(parents=True)
    data = json.loads((ROOT / "results/super_xception/results.json").read_text())
    (tmp_path / "results/super_xception/results.json").write_text(json.dumps(data))
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    readme = tmp_path / "README.md"
    assert status.main(["--readme", str(readme), "--check"]) == 0
    # a result that moves makes the committed text stale
    for run in data["runs"]:
        if run["row"] == "super_xception" and run["seed"] == 1:
            run["values"]["table1"]["super_xception"]["aca"] -= 5.0
    (tmp_path / "results/super_xception/results.json").write_text(json.dumps(data))
    assert status.main(["--readme", str(readme), "--check"]) == 1
    assert status.main(["--readme", str(readme)]) == 0
    assert status.main(["--readme", str(readme), "--check"]) == 0
    text = readme.read_text()
    assert "ahead in 2 of 3;" in text
    # the other columns and the other papers' rows are left as they were
    before = (ROOT / "README.md").read_text().splitlines()
    after = text.splitlines()
    assert len(before) == len(after)
    changed = [a for a, b in zip(before, after) if a != b]
    assert len(changed) == 1 and changed[0].startswith("| `python -m reproductions.super_xception` |")


def test_planned_runs_follow_the_profile():
    from reproductions.common.paper import load_paper
    paper = load_paper("super_xception")
    planned = status.planned_runs(paper, {"seeds": [0, 1, 2],
                                          "multi_seed_rows": ["xception", "super_xception"]})
    assert len(planned) == 4 + 2 * 3 and ("xception", 2) in planned


def test_missing_markers_are_an_error(tmp_path):
    with pytest.raises(SystemExit):
        status.render("no markers here", {})


def test_status_and_claims_import_no_tensorflow():
    import subprocess
    import sys
    code = ("import sys, reproductions.status, reproductions.common.claims; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]; "
            "sys.exit(bool(bad))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_committed_results_readmes_carry_the_generated_claims():
    from reproductions.common import results
    from reproductions.common.paper import PAPERS, load_paper
    checked = 0
    for key in PAPERS:
        path = ROOT / "results" / key / "results.json"
        runs = json.loads(path.read_text())["runs"] if path.exists() else []
        if not runs:  # a command that has stored no run yet has written no README
            continue
        lines = results.claims_markdown(load_paper(key), runs)
        readme = (ROOT / "results" / key / "README.md").read_text()
        assert "\n".join(lines) in readme, (
            f"results/{key}/README.md's Claims section is stale: rerun its command with "
            "--report-only")
        checked += bool(lines)
    assert checked >= 1


def test_a_paper_without_a_row_gets_one():
    readme = (ROOT / "README.md").read_text()
    lines = status.status_lines(ROOT)
    key = next(iter(lines))
    without = "\n".join(line for line in readme.split("\n")
                        if not line.startswith(f"| `python -m reproductions.{key}` |"))
    rendered = status.render(without, lines)
    row = next(line for line in rendered.split("\n")
               if line.startswith(f"| `python -m reproductions.{key}` |"))
    assert row.endswith(f"| {lines[key]} |")
    assert status.render(rendered, lines) == rendered  # once, not again
    assert status.render(readme, lines) == readme


def test_a_superseded_table_is_linked_from_the_status_line(tmp_path):
    (tmp_path / "results" / "dri" / "superseded_v1").mkdir(parents=True)
    data = (ROOT / "results" / "dri" / "results.json").read_text()
    (tmp_path / "results" / "dri" / "results.json").write_text(data)
    (tmp_path / "results" / "dri" / "superseded_v1" / "results.json").write_text(data)
    line = status.status_lines(tmp_path)["dri"]
    runs = len(json.loads(data)["runs"])
    assert line.endswith(f"; the table of the protocol before, {runs} runs: "
                         "[superseded_v1](results/dri/superseded_v1/README.md)")


def test_missing_lists_each_folders_planned_runs_not_stored(tmp_path, capsys):
    folder = tmp_path / "results" / "dri"
    folder.mkdir(parents=True)
    data = json.loads((ROOT / "results" / "dri" / "results.json").read_text())
    planned = status.planned_runs(status.load_paper("dri"), data["profile"])
    dropped = [r for r in data["runs"] if (r["row"], r["seed"]) == ("dri", 2)]
    assert ("dri", 2) in planned and dropped
    data["runs"] = [r for r in data["runs"] if r not in dropped]
    (folder / "results.json").write_text(json.dumps(data))
    lines = status.missing_runs(tmp_path)
    hours = sum(r["wall_time_s"] for r in data["runs"]) / 3600
    assert (f"results/dri: {len(planned) - 1} of {len(planned)} planned runs; missing dri s2 "
            f"({hours:.1f} h of training wall time stored)") in lines
    # an evidence folder of the paper without results, and no line for papers without any
    assert "results/dri/cpu_schedule: not run yet" in lines
    # an experiment of fewer rows than its profile's, its plan under a condition
    (folder / "cpu_schedule").mkdir()
    (folder / "cpu_schedule" / "results.json").write_text(json.dumps({**data, "runs": [
        r for r in data["runs"] if (r["row"], r["seed"]) == ("dri", 0)]}))
    (line,) = [x for x in status.missing_runs(tmp_path) if "cpu_schedule" in x]
    assert line.startswith("results/dri/cpu_schedule: 1 of 6 planned runs; missing inception "
                           "s0, inception s1, inception s2, dri s1, dri s2; seeds 1 and 2 only "
                           "if DRI and Inception are within 1.0 MCA point at seed 0")
    # a closed folder (a table kept as a finding) lists no missing runs but says why
    (folder / "compressed_schedule").mkdir()
    (folder / "compressed_schedule" / "results.json").write_text(json.dumps(data))
    (line,) = [x for x in status.missing_runs(tmp_path) if "compressed_schedule" in x]
    assert "closed (nothing to run): superseded" in line and "missing" not in line
    assert not [line for line in lines if line.startswith("results/dcae")]
    assert status.main(["--missing", "--readme", str(tmp_path / "README.md")]) == 0
    assert "missing dri s2" in capsys.readouterr().out


def test_missing_lists_the_leaderboards_seed0_runs_and_extra_seeds(tmp_path):
    from reproductions.leaderboard.profiles import PROFILES
    from reproductions.leaderboard.spec import ROWS, TRAINED_SETTINGS

    assert status.leaderboard_missing(tmp_path) == "results/leaderboard: not run yet"
    profile = PROFILES["cpu"].to_json()  # seeds 0-2, extra seeds within 2.0 MCA points

    def run(row, key, seed, mca):
        return {"row": row, "variant": key, "seed": seed,
                "values": {key: {row: {"mca": mca}}}}
    # every network on every setting at seed 0 but DRI on SNPHEp-2; on I3A blocks
    # only Gao's CNN and the plain CNN are within 2 points of each other
    runs = [run(row, key, 0, 50.0 + 5 * i) for key in TRAINED_SETTINGS
            for i, row in enumerate(ROWS) if (row, key) != ("dri", "snphep2")]
    gao, plain = ROWS.index("gao_cnn"), ROWS.index("plain_cnn")
    runs[plain]["values"]["i3a_blocks"]["plain_cnn"]["mca"] = 50.0 + 5 * gao + 1.0
    runs.append(run("gao_cnn", "i3a_blocks", 1, 70.0))
    folder = tmp_path / "results" / "leaderboard"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"profile": profile, "runs": runs}))
    line = status.leaderboard_missing(tmp_path)
    n = len(ROWS) * len(TRAINED_SETTINGS)
    assert line.startswith(f"results/leaderboard (cpu): {n - 1} of {n} seed-0 runs; "
                           "missing dri/snphep2 s0; ")
    assert ("i3a_blocks extra seeds: 1 of 4 (missing plain_cnn s1, gao_cnn s2, "
            "plain_cnn s2)") in line
    assert "snphep2 extra seeds: decided once every network has seed 0" in line


def test_evidence_rows_are_rows_of_their_paper():
    for key in status.PAPERS:
        paper = status.load_paper(key)
        for evidence in paper.evidence:
            assert set(evidence.rows) <= set(paper.rows), (key, evidence.folder)
