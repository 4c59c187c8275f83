"""One table over every paper: the paper's values beside the stored results.

    python -m reproductions.compare            # print the comparison
    python -m reproductions.compare --check    # also exit 1 if a stored
                                               # result lacks provenance

Reads ``results/<paper>/results.json`` (written by ``python -m
reproductions.<paper>``) and the paper values in
``reproductions/<paper>/paper.py``. Needs no TensorFlow.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reproductions.common import records, report, summary
from reproductions.common.paper import METRIC_LABELS, PAPERS, load_paper
from reproductions.common.provenance import REPO_ROOT


def comparison(results_dir: Path) -> tuple[list[str], list[str]]:
    """Returns (lines of the table, list of problems found by ``check``)."""
    lines = ["| paper | table | model | metric | paper | reproduced | delta | profile |",
             "|---|---|---|---|---:|---:|---:|---|"]
    problems: list[str] = []
    found = 0
    for key in PAPERS:
        paper = load_paper(key)
        path = results_dir / key / "results.json"
        runs, profile, synthetic = [], None, False
        if path.exists():
            problems += records.check(path)
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError:
                data = {}
            runs = data.get("runs", [])
            profile = data.get("profile", {}).get("name")
            synthetic = bool(data.get("synthetic"))
            found += 1
        for table, row, metric, paper_value, agg, delta in summary.comparison_rows(
                paper, runs, profile):
            if not row.reproduced:
                reproduced = "not reproduced"
            elif agg is None:
                reproduced = "no result yet"
            else:
                reproduced = report.format_value(agg)
            prof = "—" if agg is None else profile + (" (synthetic)" if synthetic else "")
            lines.append(
                f"| {key} | {table.key} | {row.label} | {METRIC_LABELS.get(metric, metric)} | "
                f"{'—' if paper_value is None else f'{paper_value:.2f}'} | {reproduced} | "
                f"{'—' if delta is None else f'{delta:+.2f}'} | {prof} |")
    # results of the suite's other commands (the leaderboard): their runs'
    # provenance is checked like a paper's; they have no paper values to print
    for path in sorted(results_dir.glob("*/results.json")):
        if path.parent.name not in PAPERS:
            problems += records.check(path)
    if not found:
        lines.insert(0, f"No results yet in {results_dir}: run `python -m "
                     "reproductions.<paper>` (e.g. reproductions.super_xception) to "
                     "make some. Paper values are shown alone.\n")
    return lines, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reproductions.compare",
        description="Paper vs reproduced numbers for every paper in the suite.")
    parser.add_argument("--results-dir", type=Path, default=REPO_ROOT / "results",
                        help="folder holding <paper>/results.json (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a stored result lacks its provenance")
    args = parser.parse_args(argv)
    if not args.results_dir.is_dir():
        print(f"error: --results-dir {args.results_dir} is not a folder. Point it at "
              "the suite's results/ folder (the default) or one written by "
              "--output-dir.", file=sys.stderr)
        return 2
    lines, problems = comparison(args.results_dir)
    print("\n".join(lines))
    if problems:
        print("\nProblems with stored results:", *problems, sep="\n  ", file=sys.stderr)
    if args.check and problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
