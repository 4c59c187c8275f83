"""The status column of the top-level README, written from ``results.json``.

    python -m reproductions.status            # rewrites README.md's status cells
    python -m reproductions.status --check    # exit 1 if README.md differs
    python -m reproductions.status --print    # prints each paper's status line
    python -m reproductions.status --missing  # the planned runs not stored yet
                                              # (the papers' folders and the leaderboard)

Each paper's line says, from ``results/<paper>/results.json`` alone: the
profile and whether every planned run is stored; the paper's paired headline
(its first :class:`~reproductions.common.paper.Claim`): both rows' mean ±
std against the paper's values, the per-seed difference with a paired t-test
and a sign test and the verdict that follows from them
(``reproductions/common/claims.py``); and the order of the claim's table
against the paper's (Kendall's τ, pairs that flip). The cells sit in the
table of *What is reproduced* between ``<!-- status:begin -->`` and
``<!-- status:end -->``; the other columns are left as they are.
``tests/test_status.py`` checks that the committed README equals this text.
No TensorFlow is imported.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

from reproductions.common import claims, report, summary, verdict
from reproductions.common.paper import PAPERS, Evidence, PaperSpec, load_paper

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- status:begin -->", "<!-- status:end -->"
_ROW = re.compile(r"^\| `python -m reproductions\.(\w+)` \|")


def planned_runs(paper: PaperSpec, profile: dict,
                 rows: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """``(row, seed)`` of every run the profile plans for the paper's rows
    (or ``rows``, an experiment's fewer; ablation variants and extra jobs
    aside): every seed for the multi-seed rows, the first for the others
    (``Profile.seeds_for``)."""
    seeds = list(profile.get("seeds") or [0])
    multi = set(profile.get("multi_seed_rows") or ())
    return [(row, seed) for row in paper.rows if not rows or row in rows
            for seed in (seeds if row in multi else seeds[:1])]


def planned_and_missing(paper: PaperSpec, data: dict,
                        rows: tuple[str, ...] = ()) -> tuple[list, list]:
    """The runs a results file's profile plans (:func:`planned_runs`) and
    those of them it does not store."""
    stored = {(r["row"], r["seed"]) for r in data.get("runs", []) if not r.get("variant")}
    planned = planned_runs(paper, data.get("profile", {}), rows)
    return planned, [p for p in planned if p not in stored]


def status_line(key: str, data: dict, link: str, verdict_word: str | None = None) -> str:
    """One paper's status cell from its ``results.json`` content, led by
    the paper's verdict (``common.verdict``) when given."""
    paper = load_paper(key)
    runs = data.get("runs", [])
    profile = data.get("profile", {})
    planned, missing = planned_and_missing(paper, data)
    kind = (" (synthetic data)" if data.get("synthetic") else
            " (user data)" if data.get("user_data") else "")
    parts = [f"**verdict: {verdict_word}**"] if verdict_word else []
    parts += [f"[results]({link}): {profile.get('name')} profile{kind}, "
             + (f"complete ({len(planned)} of {len(planned)} planned runs)" if not missing else
                f"incomplete ({len(planned) - len(missing)} of {len(planned)} planned runs)")]
    if paper.claims:
        claim = paper.claims[0]
        table = paper.table(claim.table)
        agg = summary.aggregate(paper, runs)[table.key]
        label = {r.key: claims.short_label(r.label) for r in table.rows}
        printed = {r.key: r.values.get(claim.metric) for r in table.rows}
        rows = (claim.proposed, claim.baseline)
        means = " vs ".join(
            f"{label[r]} {report.format_value(agg.get(r, {}).get(claim.metric))}"
            for r in rows)
        paper_values = " / ".join("—" if printed[r] is None else f"{printed[r]:.2f}"
                                  for r in rows)
        parts.append(f"{claims.table_name(table.title)}, {claims.metric_name(claim.metric)}: "
                     f"{means} (paper {paper_values})")
        gap = summary.paired_gap(paper, runs, claim.table, claim.baseline, claim.proposed,
                                 claim.metric)
        if gap is not None:
            parts.append(claims.short_claim(gap, label[claim.proposed], label[claim.baseline]))
        if len(paper.claims) > 1:
            parts.append(f"{len(paper.claims) - 1} more paired claim"
                         f"{'s' if len(paper.claims) > 2 else ''} in the results README")
        rank, _, _ = summary.table_ranking(table, summary.aggregate(paper, runs), claim.metric)
        if len(rank["rows"]) >= 3:
            parts.append(f"order of the table's {len(rank['rows'])} rows against the paper's: "
                         f"{claims.tau_text(rank)}, {len(rank['flips'])} of {rank['pairs']} "
                         "pairs flip")
    return "; ".join(parts)


def status_lines(root: Path = ROOT) -> dict[str, str]:
    """Paper -> its status cell, for every paper with a ``results.json``."""
    out = {}
    for key in PAPERS:
        path = root / "results" / key / "results.json"
        if path.exists():
            result = verdict.evaluate(load_paper(key), path.parent)
            out[key] = status_line(key, json.loads(path.read_text()),
                                   f"results/{key}/README.md",
                                   None if result is None else result["verdict"])
            # a table replaced by a rerun under a changed protocol stays linked
            for old in sorted((root / "results" / key).glob("superseded_*/results.json")):
                runs = len(json.loads(old.read_text()).get("runs", []))
                out[key] += (f"; the table of the protocol before, {runs} runs: "
                             f"[{old.parent.name}](results/{key}/{old.parent.name}/README.md)")
    return out


def missing_runs(root: Path = ROOT) -> list[str]:
    """One line per results folder of a paper that has run here (its table
    and its evidence folders, ``PaperSpec.evidence``): how many of the
    runs its stored profile plans are stored, and which ``row seed`` are not
    (what a long command still has to run)."""
    out = []
    for key in PAPERS:
        if not (root / "results" / key / "results.json").exists():
            continue  # a paper not run here at all
        paper = load_paper(key)
        for evidence in paper.evidence or (Evidence("", "committed table"),):
            folder = evidence.folder
            path = root / "results" / key / folder / "results.json"
            if not path.exists():
                if folder:
                    out.append(f"results/{key}/{folder}: not run yet")
                continue
            data = json.loads(path.read_text())
            planned, missing = planned_and_missing(paper, data, evidence.rows)
            missing = [f"{row} s{seed}" for row, seed in missing]
            where = f"results/{key}{'/' + folder if folder else ''}"
            line = f"{where}: {len(planned) - len(missing)} of {len(planned)} planned runs"
            if evidence.closed:
                line += f", closed (nothing to run): {evidence.closed}"
            else:
                line += f"; missing {', '.join(missing)}" if missing else ", complete"
                line += f"; {evidence.plan}" if evidence.plan else ""
            out.append(line + _hours(data.get("runs", [])))
    return out


def _hours(runs: list[dict]) -> str:
    """What the stored runs cost, for the budgets of the long experiments:
    the sum of their ``wall_time_s`` (a run resumed across sessions counts
    what its record counts; some say so in ``wall_time_across_resumes``)."""
    seconds = sum(r.get("wall_time_s") or 0 for r in runs)
    return f" ({seconds / 3600:.1f} h of training wall time stored)" if runs else ""


def leaderboard_missing(root: Path = ROOT) -> str:
    """The leaderboard's line of ``--missing`` (issue #35): its seed-0 runs
    (every network on every trained setting) not stored yet, and per
    setting of the extra-seed rule whether it is decided and how many runs
    it adds (``leaderboard.scoring.extra_seed_rows``)."""
    from reproductions.leaderboard.scoring import extra_seed_rows
    from reproductions.leaderboard.spec import ROWS, TRAINED_SETTINGS

    path = root / "results" / "leaderboard" / "results.json"
    if not path.exists():
        return "results/leaderboard: not run yet"
    data = json.loads(path.read_text())
    runs, profile = data.get("runs", []), data.get("profile", {})
    seeds = list(profile.get("seeds") or [0])
    stored = {(r["row"], r.get("variant"), r["seed"]) for r in runs}
    first = [(row, key, seeds[0]) for key in TRAINED_SETTINGS for row in ROWS]
    missing = [f"{row}/{key} s{seed}" for row, key, seed in first if (row, key, seed)
               not in stored]
    line = (f"results/leaderboard ({profile.get('name')}): {len(first) - len(missing)} of "
            f"{len(first)} seed-{seeds[0]} runs" + (f"; missing {', '.join(missing)}" if missing
                                           else ", complete"))
    extra = profile.get("extra", {})
    decided = extra_seed_rows(runs, ROWS, ROWS, seeds[0], extra.get("extra_seed_gap", 0.0),
                              extra.get("extra_seed_settings", ()))
    for key, rows in decided.items():
        if not rows and any((row, key, seeds[0]) not in stored for row in ROWS):
            line += f"; {key} extra seeds: decided once every network has seed {seeds[0]}"
            continue
        planned = [(row, key, seed) for seed in seeds[1:] for row in rows]
        left = [f"{row} s{seed}" for row, key_, seed in planned if (row, key_, seed)
                not in stored]
        line += (f"; {key} extra seeds: {len(planned) - len(left)} of {len(planned)}"
                 + (f" (missing {', '.join(left)})" if left else ""))
    return line + _hours(runs)


def render(readme: str, lines: dict[str, str]) -> str:
    """``readme`` with the status cell of every paper's row between the
    markers replaced by ``lines[paper]`` (rows of other papers unchanged)."""
    try:
        head, rest = readme.split(BEGIN, 1)
        body, tail = rest.split(END, 1)
    except ValueError:
        raise SystemExit(f"README.md lacks the markers {BEGIN} ... {END}") from None
    out, seen = [], set()
    for line in body.split("\n"):
        m = _ROW.match(line)
        if m and m.group(1) in lines and line.rstrip().endswith("|"):
            cells = line.rstrip()[:-1].rstrip().rsplit(" | ", 1)
            line = f"{cells[0]} | {lines[m.group(1)]} |"
            seen.add(m.group(1))
        out.append(line)
    # a paper with results but no row yet (a new paper) gets one, after the last row
    last = max((i for i, line in enumerate(out) if line.startswith("|")), default=len(out) - 1)
    for key in [k for k in lines if k not in seen]:
        paper = load_paper(key)
        last += 1
        out.insert(last, f"| `python -m reproductions.{key}` | {paper.title} | "
                         f"{paper.dataset} | {lines[key]} |")
    return head + BEGIN + "\n".join(out) + END + tail


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reproductions.status",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if README.md differs from the generated text")
    parser.add_argument("--print", action="store_true", dest="print_lines",
                        help="print each paper's status line and change nothing")
    parser.add_argument("--missing", action="store_true",
                        help="print, for every results folder of a paper, the planned runs "
                        "not stored yet, and change nothing")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)
    if args.missing:
        root = args.readme.resolve().parent
        print("\n".join(missing_runs(root) + [leaderboard_missing(root)]))
        return 0
    lines = status_lines(args.readme.resolve().parent)
    if args.print_lines:
        for key, line in lines.items():
            print(f"{key}: {line}")
        return 0
    old = args.readme.read_text()
    new = render(old, lines)
    if args.check:
        if old != new:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), new.splitlines(True), "README.md", "generated"))
            print(f"{args.readme} differs from the generated status column: run "
                  "python -m reproductions.status", file=sys.stderr)
            return 1
        return 0
    if old != new:
        args.readme.write_text(new)
        print(f"rewrote the status column of {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
