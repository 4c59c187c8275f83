"""The papers' claims, computed and worded from the stored runs.

Two kinds of claim are checked against a paper:

- a **paired claim**, "``proposed`` beats ``baseline``" (:class:`Claim` in
  ``common/paper.py``): the per-seed difference of the two rows (both
  networks of a seed see the same split, batch order and augmentation), with
  a paired t-test and an exact sign test (:func:`paired_test`);
- a **ranking**: the order of a table's rows against the paper's order,
  Kendall's τ and the pairs that flip (:func:`ranking`).

The functions ``*_sentence`` turn them into the Markdown the results READMEs
and the top-level README's status column print, so that no sentence with a
number in it is typed by hand. No TensorFlow here: ``python -m
reproductions.status`` and the tests import this module alone.

**When is a paired claim established** (a documented choice): when there are
at least two paired seeds and *both* tests reject "no difference" at
:data:`ALPHA` = 0.05, two-sided: the paired t-test (mean of the per-seed
differences against 0; it assumes roughly normal differences) and the exact
sign test (how many seeds the proposed row is ahead in, against a fair coin;
it assumes nothing about the differences' distribution). Requiring both keeps
one outlying seed from carrying the t-test and a string of tiny gaps from
carrying the sign test. A consequence to know: the two-sided sign test cannot
go below 0.05 with fewer than 6 seeds (all 5 of 5 ahead give p = 0.0625; 3 of
3 give p = 0.25), so no claim over fewer than 6 seeds is established; the
wording then is "not established with n = N". An established claim says in
which direction it holds ("established: A ahead of B" or "... behind B").
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import statistics
from typing import Mapping, Sequence

from scipy import stats

#: Significance level of both tests, two-sided.
ALPHA = 0.05
#: The summary of an active-transfer run's initial-learning network that, when
#: no weights hash was recorded, identifies the network it started from.
SOURCE_SUMMARY_FIELDS = ("seed", "epochs", "best_epoch", "best_val_loss", "mca", "aca")


# -- lineage -------------------------------------------------------------------
def starting_network(run: Mapping) -> str | None:
    """What a run's network started from: ``start_sha256`` when the run
    recorded it; for a run fine-tuned from an initial-learning network (a
    ``source`` dict, the active-transfer IN-* runs) that network's
    ``weights_sha256``, or, for records made before hashes were stored, a
    fingerprint of the source's summary (seed, epochs, best epoch, best
    validation loss, MCA, ACA: two different networks do not share all six);
    ``None`` for a network initialised at random."""
    if run.get("start_sha256"):
        return str(run["start_sha256"])
    source = run.get("source")
    if isinstance(source, Mapping):
        if source.get("weights_sha256"):
            return str(source["weights_sha256"])
        summary = {k: source.get(k) for k in SOURCE_SUMMARY_FIELDS}
        text = json.dumps(summary, sort_keys=True, default=str)
        return "summary:" + hashlib.sha256(text.encode()).hexdigest()
    return None


def unpaired_reason(baseline_run: Mapping, proposed_run: Mapping) -> str | None:
    """Why two runs of one seed cannot be paired (``None``: they can). Runs
    from a random initialisation pair with anything (the seed fixes it); two
    runs that name their starting networks must name the same one."""
    a, b = starting_network(baseline_run), starting_network(proposed_run)
    if a is not None and b is not None and a != b:
        what = ("source networks" if baseline_run.get("source") is not None
                and proposed_run.get("source") is not None else "networks")
        return f"the two runs started from different {what}"
    return None


# -- statistics ------------------------------------------------------------------
def paired_test(points: Sequence[float]) -> dict:
    """Statistics of per-seed differences ``proposed − baseline``.

    Returns ``n``, ``mean`` (``None`` when ``n`` = 0), ``std`` (n − 1; 0.0
    for one point, ``None`` for none), ``ahead`` / ``behind`` (seeds with a
    positive / negative difference), ``t_test_p`` (two-sided one-sample
    t-test of the differences against 0; ``None`` with fewer than 2 points
    or when every difference is the same, where the t statistic is
    undefined or infinite), ``sign_test_p`` (exact two-sided binomial test
    of ``ahead`` among the non-zero differences, p = 0.5; ``None`` when no
    difference is non-zero), ``established`` and ``verdict`` (see the
    module docstring).
    """
    points = [float(p) for p in points]
    n = len(points)
    mean = statistics.fmean(points) if n else None
    std = statistics.stdev(points) if n > 1 else (0.0 if n == 1 else None)
    ahead = sum(p > 0 for p in points)
    behind = sum(p < 0 for p in points)
    t_p = None
    if n >= 2 and std is not None and std > 0:
        t_p = float(stats.ttest_1samp(points, 0.0).pvalue)
    sign_p = (float(stats.binomtest(ahead, ahead + behind, 0.5).pvalue)
              if ahead + behind else None)
    established = (t_p is not None and sign_p is not None
                   and t_p < ALPHA and sign_p < ALPHA)
    return {"n": n, "mean": mean, "std": std, "ahead": ahead, "behind": behind,
            "t_test_p": t_p, "sign_test_p": sign_p, "established": established,
            "verdict": verdict(n, established, mean)}


def verdict(n: int, established: bool, mean: float | None) -> str:
    """The wording of a paired claim's outcome (module docstring)."""
    if n == 0:
        return "no seed can be paired"
    if not established:
        return f"not established with n = {n}"
    return "established: ahead" if mean > 0 else "established: behind"


def ranking(reproduced: Mapping[str, float | None], printed: Mapping[str, float | None],
            order: Sequence[str] | None = None) -> dict:
    """The reproduced order of a table's rows against the paper's.

    ``reproduced`` / ``printed``: row -> the reproduced mean / the paper's
    value of one metric. Rows that lack either are left out and named in
    ``left_out``. Returns ``rows`` (compared, in ``order``), ``tau`` and
    ``p`` (``scipy.stats.kendalltau``, τ-b; ``None`` with fewer than 2 rows
    or when either side has every value equal), ``pairs`` (how many row
    pairs were compared) and ``flips``: ``(a, b)`` for every pair that the
    reproduction orders a above b and the paper b above a (ties on either
    side are no flip).
    """
    order = list(order) if order is not None else list(dict.fromkeys([*printed, *reproduced]))
    rows = [r for r in order if reproduced.get(r) is not None and printed.get(r) is not None]
    left_out = [r for r in order if r not in rows]
    tau = p = None
    if len(rows) >= 2:
        result = stats.kendalltau([printed[r] for r in rows], [reproduced[r] for r in rows])
        if not math.isnan(result.statistic):
            tau, p = float(result.statistic), float(result.pvalue)
    flips = []
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            here = reproduced[a] - reproduced[b]
            there = printed[a] - printed[b]
            if here * there < 0:
                flips.append((a, b) if here > 0 else (b, a))
    return {"rows": rows, "left_out": left_out, "tau": tau, "p": p,
            "pairs": len(rows) * (len(rows) - 1) // 2, "flips": flips}


# -- wording ----------------------------------------------------------------------
def short_label(label: str) -> str:
    """A row's label without references and asides: ``Xception network [8]``
    -> ``Xception network``, ``IN-AL (initial learning + ..., proposed)`` ->
    ``IN-AL``; ``Present work (DCAE features + ANN)`` -> ``DCAE features +
    ANN`` (the aside is the name when the rest only says whose it is)."""
    label = re.sub(r"\s*\[\d+(?:[,–-]\s*\d+)*\]", "", label).strip()
    m = re.fullmatch(r"(.*?)\s*\((.*)\)", label)
    if m:
        outer, inner = m.groups()
        return inner if outer.lower() in ("present work", "ours", "proposed") else outer
    return label


def fmt_p(p: float | None) -> str:
    """``0.17``, ``0.049``, ``0.0003``, ``< 0.0001``, or ``n/a``: three
    decimals below 0.1, so that a p-value near 0.05 is not rounded onto it."""
    if p is None:
        return "n/a"
    if p < 1e-4:
        return "< 0.0001"
    if p < 0.001:
        return f"{p:.1g}"
    return f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def _signed(x: float) -> str:
    return f"{x:+.2f}".replace("-", "−")


def _left_out_text(left_out: Mapping) -> str:
    return "; ".join(f"seed {seed} left out: {reason}" for seed, reason in left_out.items())


def claim_sentence(gap: Mapping, proposed: str, baseline: str, metric: str,
                   table: str | None = None, unit: str = "seed") -> str:
    """One paired claim as a Markdown sentence, e.g. "Super-Xception −
    Xception network, ACA: +2.17 ± 1.78 points over 3 seeds (per seed +0.42,
    +3.96, +2.14; ahead in 3 of 3; paired t-test p = 0.17, sign test p =
    0.25): not established with n = 3 (paper: +0.56)." ``gap``: what
    :func:`reproductions.common.summary.paired_gap` stores. ``unit``: what a
    point pairs (a seed; the leaderboard's inflation pairs networks)."""
    head = f"{proposed} − {baseline}, {metric_name(metric)}" + (f" ({table})" if table else "")
    return _claim_text(gap, head, per_seed=True, unit=unit) + "."


def short_claim(gap: Mapping, proposed: str, baseline: str) -> str:
    """A paired claim for the status column: :func:`claim_sentence` without
    the metric and the per-seed points."""
    return _claim_text(gap, f"{proposed} − {baseline}", per_seed=False)


def _claim_text(gap: Mapping, head: str, per_seed: bool, unit: str = "seed") -> str:
    n = gap.get("n", len(gap.get("points", [])))
    if n == 0:
        text = f"{head}: no {unit} can be paired"
    else:
        std = gap.get("std")
        spread = f" ± {std:.2f}" if n > 1 and std is not None else ""
        points = (f"per {unit} " + ", ".join(_signed(p) for p in gap["points"]) + "; "
                  if per_seed else "")
        text = (f"{head}: {_signed(gap['mean'])}{spread} points over {n} "
                f"{unit}{'s' if n != 1 else ''} ({points}ahead in "
                f"{gap.get('ahead', sum(p > 0 for p in gap['points']))} of {n}; paired "
                f"t-test p = {fmt_p(gap.get('t_test_p'))}, sign test p = "
                f"{fmt_p(gap.get('sign_test_p'))}): {gap.get('verdict', '')}")
    if gap.get("paper") is not None:
        text += f" (paper: {_signed(gap['paper'])})"
    if gap.get("left_out"):
        text += f"; {_left_out_text(gap['left_out'])}"
    return text


def ranking_sentence(rank: Mapping, title: str, metric: str,
                     labels: Mapping[str, str], reproduced: Mapping[str, float],
                     printed: Mapping[str, float]) -> str:
    """A table's ranking against the paper's as a Markdown sentence."""
    text = (f"{title}, {metric_name(metric)}, order of {len(rank['rows'])} rows against the "
            f"paper's: {tau_text(rank)}")
    flips = rank["flips"]
    if rank["pairs"]:
        text += f"; {len(flips)} of {rank['pairs']} pairs flip"
    if flips:
        text += ": " + "; ".join(
            f"{labels.get(a, a)} above {labels.get(b, b)} "
            f"({reproduced[a]:.2f} vs {reproduced[b]:.2f}; paper {printed[a]:.2f} vs "
            f"{printed[b]:.2f})" for a, b in flips)
    if rank["left_out"]:
        text += (" (left out, no reproduced or no paper value: "
                 + ", ".join(labels.get(r, r) for r in rank["left_out"]) + ")")
    return text + "."


def tau_text(rank: Mapping) -> str:
    if rank["tau"] is None:
        return "Kendall's τ undefined"
    return f"Kendall's τ = {rank['tau']:.2f} (p = {fmt_p(rank['p'])})".replace("-", "−")


_METRIC_NAMES = {"aca": "ACA", "mca": "MCA", "f1": "macro F1",
                 "f1_hm": "F1 (harmonic mean of macro P and R)", "precision": "macro precision",
                 "recall": "macro recall", "aca_auc": "area under the ACA curve",
                 "mca_auc": "area under the MCA curve"}


def table_name(title: str) -> str:
    """A table's name in a sentence: its title up to the colon, without a
    trailing aside (``Table 1: test accuracy ...`` -> ``Table 1``)."""
    return re.sub(r"\s+\(.*\)$", "", title.split(":")[0]).strip()


def metric_name(metric: str) -> str:
    """A metric's short name in a sentence (``aca`` -> ``ACA``)."""
    return _METRIC_NAMES.get(metric, metric)
