"""A paper's verdict, computed from its stored tables: *reproduced*, *not
reproduced* or *not established* at our compute (or on stand-in data), with
the evidence and the experiment that would settle it on a GPU.

The evidence is every results folder the paper names in
``PaperSpec.evidence`` (the committed table and the verdict experiments of
issue #34: the same command at another input size, schedule or split), each
read from its own ``results.json``. For each one: the paper's headline pair
(the rows of its first paired claim), their reproduced means against the
paper's values, how the gap moved against the committed table, the paired
claim (``common.claims``) and the number of seeds that would establish it.

**The rule** (a documented choice, written before the verdict experiments of
issue #34 ran: DRI's ``cpu_schedule``, DCAE's cell-level split, Super-Xception's
pair at 128 px; two exploratory 128 px rows were stored before it):

- a setting *reaches* the paper when the proposed row's mean is at least the
  paper's value minus :data:`TOLERANCE_POINTS` or two standard deviations
  over seeds, whichever is larger;
- **reproduced**: some setting reaches the paper and establishes the paired
  claim in the paper's direction (``claims.paired_test``);
- **not reproduced**: a setting run with the paper's own protocol (the
  ``paper`` profile) misses the paper's value, or establishes the claim in
  the opposite direction;
- **not established at our compute** otherwise: no setting ran the paper's
  protocol (smaller inputs, fewer iterations, fewer seeds), so a shortfall
  does not refute the paper; or the paper's protocol reached the number
  without establishing the claim (which needs at least 6 seeds);
- **not established on stand-in data** whenever the paper's data cannot be
  had (``PaperSpec.stand_in_data``): no number can be compared with it.

No TensorFlow here (the results READMEs and ``python -m reproductions.status``
call it).
"""
from __future__ import annotations

import importlib
import json
import math
from pathlib import Path
from typing import Mapping, Sequence

from scipy import stats

from reproductions.common import claims, summary
from reproductions.common.paper import PaperSpec

#: How far below the paper's value a reproduced mean still reaches it.
TOLERANCE_POINTS = 2.0
#: The fewest seeds whose exact two-sided sign test can reach p < ALPHA.
SIGN_TEST_MIN_SEEDS = 6
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"
NOT_ESTABLISHED, STAND_IN = "not established at our compute", "not established on stand-in data"


def seeds_to_establish(mean: float | None, std: float | None, limit: int = 200) -> int | None:
    """The fewest seeds whose paired t-test would reject "no difference" at
    ``claims.ALPHA`` if the per-seed differences kept this ``mean`` and
    ``std``, and at least :data:`SIGN_TEST_MIN_SEEDS` (with every seed
    ahead). ``None`` without a mean and a spread, or beyond ``limit``."""
    if mean is None or std is None or mean == 0:
        return None
    if std == 0:
        return SIGN_TEST_MIN_SEEDS
    for n in range(SIGN_TEST_MIN_SEEDS, limit + 1):
        t = abs(mean) / (std / math.sqrt(n))
        if 2 * stats.t.sf(t, n - 1) < claims.ALPHA:
            return n
    return None


def load_setting(results_dir: Path) -> dict | None:
    """A stored results folder's ``{"runs", "profile"}``, ``None`` without
    ``results.json``."""
    path = Path(results_dir) / "results.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return {"runs": data.get("runs", []), "profile": data.get("profile", {})}


def assess(paper: PaperSpec, runs: Sequence[dict], profile: Mapping) -> dict:
    """One setting: the headline pair's means against the paper's values and
    the paired claim (``summary.paired_gap``), and whether it reaches."""
    claim = paper.claims[0]
    table = paper.table(claim.table)
    agg = summary.aggregate(paper, runs)[table.key]
    rows = {}
    for key in (claim.proposed, claim.baseline):
        cell = agg.get(key, {}).get(claim.metric)
        printed = table.row(key).values.get(claim.metric)
        rows[key] = {"cell": cell, "paper": printed,
                     "gap": None if cell is None or printed is None else cell["mean"] - printed}
    head = rows[claim.proposed]
    tolerance = max(TOLERANCE_POINTS, 2 * ((head["cell"] or {}).get("std") or 0.0))
    gap = summary.paired_gap(paper, runs, claim.table, claim.baseline, claim.proposed,
                             claim.metric)
    return {"profile": profile.get("name"), "image_size": profile.get("image_size"),
            "departures": len(profile.get("reductions") or ()), "rows": rows,
            "reaches": None if head["gap"] is None else head["gap"] >= -tolerance,
            "tolerance": tolerance, "claim": gap,
            "seeds_needed": None if gap is None else seeds_to_establish(gap["mean"],
                                                                        gap["std"])}


def decide(paper: PaperSpec, settings: Sequence[dict]) -> tuple[str, str]:
    """``(verdict, why)`` from the assessed settings (module docstring)."""
    if paper.stand_in_data:
        return STAND_IN, "the paper's data cannot be had; the runs use a stand-in"
    claim_sign = _paper_claim_sign(paper)
    for s in settings:
        gap = s["claim"] or {}
        if s["reaches"] and _established(gap) and _sign(gap["mean"]) == claim_sign:
            return REPRODUCED, (f"the {s['label']} reaches the paper and establishes "
                                "its paired claim")
    for s in (s for s in settings if s["profile"] == "paper"):
        gap = s["claim"] or {}
        if s["reaches"] is False:
            return NOT_REPRODUCED, f"the {s['label']} runs the paper's protocol and misses it"
        if _established(gap) and _sign(gap["mean"]) != claim_sign:
            return NOT_REPRODUCED, (f"the {s['label']} runs the paper's protocol and "
                                    "establishes the opposite of its paired claim")
    on_protocol = [s["label"] for s in settings if s["profile"] == "paper"]
    if on_protocol:  # it reached (or missing it would be "not reproduced") without the claim
        return NOT_ESTABLISHED, (f"the {on_protocol[0]} runs the paper's protocol and "
                                 "does not miss its number, but does not establish its "
                                 "paired claim either")
    reached = [s["label"] for s in settings if s["reaches"]]
    return NOT_ESTABLISHED, (
        "no setting runs the paper's protocol (its `paper` profile)"
        + (f"; the {', '.join(reached)} reach{'es' if len(reached) == 1 else ''} the "
           "paper's number, but no setting establishes its paired claim" if reached else
           ", and none reaches the paper's number"))


def _established(gap: Mapping) -> bool:
    return str(gap.get("verdict", "")).startswith("established")


def _sign(x: float | None) -> int:
    return 0 if not x else (1 if x > 0 else -1)


def _paper_claim_sign(paper: PaperSpec) -> int:
    claim = paper.claims[0]
    table = paper.table(claim.table)
    a = table.row(claim.proposed).values.get(claim.metric)
    b = table.row(claim.baseline).values.get(claim.metric)
    return 1 if a is None or b is None else _sign(a - b)


def evaluate(paper: PaperSpec, results_dir: Path) -> dict | None:
    """The verdict of ``paper`` from ``results_dir`` (``results/<paper>``)
    and the evidence folders under it; ``None`` when the paper declares no
    evidence or has no paired claim."""
    if not paper.evidence or not paper.claims:
        return None
    settings = []
    for evidence in paper.evidence:
        folder = Path(results_dir) / evidence.folder
        stored = load_setting(folder)
        entry = {"label": evidence.label, "folder": evidence.folder, "stored": bool(stored)}
        if stored and stored["runs"]:
            entry.update(assess(paper, stored["runs"], stored["profile"]))
        settings.append(entry)
    assessed = [s for s in settings if "rows" in s]
    word, why = decide(paper, assessed)
    return {"verdict": word, "why": why, "settings": settings}


def _labels(paper: PaperSpec) -> dict[str, str]:
    """The paired claim's two rows -> their short labels."""
    claim = paper.claims[0]
    return {k: claims.short_label(paper.label(k)) for k in (claim.proposed, claim.baseline)}


#: The verdict's figure, in the paper's results folder.
FIGURE = "verdict.png"


def figure(paper: PaperSpec, result: Mapping, path: Path) -> Path | None:
    """The paired rows' metric in every setting that has runs against the
    paper's values (``plots.against_the_paper``); ``None`` when no setting
    has runs."""
    from reproductions.common import plots

    claim = paper.claims[0]
    keys = (claim.proposed, claim.baseline)
    label = _labels(paper)
    groups = [(s["label"], {label[k]: s["rows"][k]["cell"] for k in keys})
              for s in result["settings"] if "rows" in s]
    if not groups:
        return None
    printed = {label[k]: paper.table(claim.table).row(k).values.get(claim.metric) for k in keys}
    return plots.against_the_paper(groups, printed, Path(path),
                                   f"{paper.key}: verdict {result['verdict']}",
                                   f"{claims.metric_name(claim.metric)} (%)")


def markdown(paper: PaperSpec, result: Mapping) -> list[str]:
    """The results README's closing *Verdict* section."""
    from reproductions.common.report import format_value

    claim = paper.claims[0]
    label = _labels(paper)
    metric = claims.metric_name(claim.metric)
    lines = ["## Verdict", "",
             "Computed by `reproductions/common/verdict.py` from the folders below; its "
             "docstring states the rule.", "",
             f"**{result['verdict'][0].upper() + result['verdict'][1:]}**: {result['why']}.",
             "", "Evidence, one line per setting:", ""]
    base = next((s for s in result["settings"] if "rows" in s), None)
    for s in result["settings"]:
        where = f"`results/{paper.key}{'/' + s['folder'] if s['folder'] else ''}`"
        if "rows" not in s:
            lines.append(f"- {s['label']} ({where}): no runs stored yet.")
            continue
        cells = []
        for key, row in s["rows"].items():
            if row["cell"] is None:
                cells.append(f"{label[key]} not run")
                continue
            text = (f"{label[key]} {format_value(row['cell'])} against the paper's "
                    f"{row['paper']:.2f} ({_points(row['gap'])})")
            before = base["rows"][key]["gap"] if base is not None and base is not s else None
            if before is not None:
                text += f", gap {_points(before)} in the {base['label']}"
            cells.append(text)
        plural = "" if s["departures"] == 1 else "s"
        text = (f"- {s['label']} ({where}; profile {s['profile']}, {s['image_size']} px, "
                f"{s['departures']} departure{plural} from the paper's protocol): {metric}: "
                + "; ".join(cells) + ". Reaches the paper (within "
                f"{s['tolerance']:.2f} points): "
                + {True: "yes", False: "no", None: f"not known, {label[claim.proposed]} "
                   "not run"}[s["reaches"]] + ".")
        if s["claim"] is not None:
            text += (" " + claims.short_claim(s["claim"], label[claim.proposed],
                                              label[claim.baseline]) + ". "
                     + _seeds_sentence(s, _paper_claim_sign(paper)))
        lines.append(text)
    if any("rows" in s for s in result["settings"]):
        lines += ["", f"![{metric} of the paired rows in each setting (mean ± std over "
                  f"seeds) against the paper's values]({FIGURE})"]
    lines += ["", _settle_sentence(paper)]
    return lines


def _seeds_sentence(setting: Mapping, paper_sign: int) -> str:
    gap = setting["claim"]
    if gap["n"] < 2:
        return "Its spread over seeds is unknown with one seed."
    needed = setting["seeds_needed"]
    if needed is None:
        return "At the observed mean and spread, no number of seeds up to 200 would establish it."
    direction = ("in the paper's direction" if _sign(gap["mean"]) == paper_sign else
                 "in the direction opposite to the paper's")
    return (f"At the observed mean and spread, about {needed} seeds would establish a "
            f"difference {direction}.")


def _settle_sentence(paper: PaperSpec) -> str:
    """The experiment that would settle the verdict on a GPU: the paper
    profile, with the seeds its paired claim needs."""
    try:
        profile = importlib.import_module(
            f"reproductions.{paper.key}.profiles").PROFILES.get("paper")
    except ModuleNotFoundError:  # a paper typed without a command (the tests')
        profile = None
    claim = paper.claims[0]
    own = len(profile.seeds_for(claim.proposed)) if profile is not None else None
    more = own is not None and own < SIGN_TEST_MIN_SEEDS
    option = f" --num-seeds {SIGN_TEST_MIN_SEEDS}" if more else ""
    runs = (f"; with `--num-seeds {SIGN_TEST_MIN_SEEDS}` it runs the paired rows on "
            f"{SIGN_TEST_MIN_SEEDS} seeds instead of the profile's {own}, the fewest with "
            "which the paired claim's sign test can reach p < 0.05 (the lines above give "
            "what the observed spread would need)" if more else "")
    text = (f"What would settle it on a GPU: `python -m reproductions.{paper.key} --profile "
            f"paper{option}`, the paper's protocol as this suite reads it (its departures "
            f"from the paper are listed in the results README it writes, in "
            f"`results/{paper.key}/paper/`){runs}.")
    if paper.portable:
        text += (" Where the GPU machine has JAX or PyTorch and no TensorFlow, the same "
                 f"profile runs from a bundle of the prepared splits: `python -m "
                 f"reproductions.portable export {paper.key} --profile paper`, then `train"
                 f"{option}` there and `import` here (`reproductions/portable/NOTES.md`).")
    if paper.stand_in_data:
        text += (" On the stand-in data it settles the paired claim and the table's ranking, "
                 "not the paper's numbers.")
    return text


def _points(x: float) -> str:
    return f"{x:+.2f} points".replace("-", "−")
