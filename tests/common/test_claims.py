"""common/claims.py: the statistics and wording of the papers' claims."""
import json

import pytest
from scipy import stats

from reproductions.common import claims, results
from reproductions.common.paper import Claim, PaperSpec, Row, Table


def test_paired_test_matches_scipy_on_known_points():
    points = [3.80, 0.27, 2.45]  # Super-Xception − Xception, seeds 0-2
    test = claims.paired_test(points)
    assert test["n"] == 3 and test["ahead"] == 3 and test["behind"] == 0
    assert test["mean"] == pytest.approx(2.1733, abs=1e-4)
    assert test["std"] == pytest.approx(1.7812, abs=1e-4)
    assert test["t_test_p"] == pytest.approx(stats.ttest_1samp(points, 0).pvalue)
    assert test["t_test_p"] == pytest.approx(0.1689, abs=1e-4)  # t = 2.113, df = 2: 1 - t / sqrt(t² + 2)
    assert test["sign_test_p"] == pytest.approx(0.25)  # 2 × 0.5³: the floor for n = 3
    assert not test["established"]
    assert test["verdict"] == "not established with n = 3"


def test_established_needs_both_tests_below_alpha():
    six = [1.0, 1.2, 0.9, 1.1, 1.05, 0.95]
    test = claims.paired_test(six)
    assert test["sign_test_p"] == pytest.approx(2 * 0.5 ** 6)
    assert test["t_test_p"] < 1e-4
    assert test["established"] and test["verdict"] == "established: ahead"
    behind = claims.paired_test([-p for p in six])
    assert behind["verdict"] == "established: behind"
    # five of five ahead: the sign test stops at 0.0625 however clear the t-test
    five = claims.paired_test(six[:5])
    assert five["sign_test_p"] == pytest.approx(0.0625) and five["t_test_p"] < 0.05
    assert five["verdict"] == "not established with n = 5"
    # one seed against the rest: the t-test does not reject
    mixed = claims.paired_test([10.0, -0.1, 0.1, 0.2, 0.1, 0.3, 0.2])
    assert mixed["sign_test_p"] < 0.2 and not mixed["established"]


def test_degenerate_inputs():
    one = claims.paired_test([2.0])
    assert one["t_test_p"] is None and one["std"] == 0.0 and one["sign_test_p"] == 1.0
    assert one["verdict"] == "not established with n = 1"
    same = claims.paired_test([1.5, 1.5, 1.5])  # zero spread: t undefined
    assert same["t_test_p"] is None and not same["established"]
    zeros = claims.paired_test([0.0, 0.0])
    assert zeros["sign_test_p"] is None and zeros["t_test_p"] is None
    none = claims.paired_test([])
    assert none["mean"] is None and none["verdict"] == "no seed can be paired"


def test_claim_sentence_shows_points_p_values_and_verdict():
    gap = {"points": [3.80, 0.27, 2.45], "paper": 0.56, "left_out": {},
           **claims.paired_test([3.80, 0.27, 2.45])}
    text = claims.claim_sentence(gap, "Super-Xception", "Xception", "aca")
    assert text == ("Super-Xception − Xception, ACA: +2.17 ± 1.78 points over 3 seeds "
                    "(per seed +3.80, +0.27, +2.45; ahead in 3 of 3; paired t-test p = "
                    "0.17, sign test p = 0.25): not established with n = 3 (paper: +0.56).")


def test_starting_network_from_hash_source_or_summary():
    assert claims.starting_network({"row": "rs"}) is None
    assert claims.starting_network({"start_sha256": "ab"}) == "ab"
    assert claims.starting_network({"source": {"weights_sha256": "cd", "seed": 0}}) == "cd"
    a = {"seed": 2, "epochs": 11, "best_epoch": 5, "best_val_loss": 0.0839, "mca": 69.26,
         "aca": 69.36}
    b = dict(a, best_val_loss=0.0987, mca=70.73)
    fa = claims.starting_network({"source": a})
    assert fa == claims.starting_network({"source": dict(a, other="ignored")})
    assert fa != claims.starting_network({"source": b})


def _run(row, seed, value, **extra):
    return {"row": row, "seed": seed, "variant": "", "wall_time_s": 1.0,
            "values": {"t": {row: {"mca": value}}},
            **extra}


PAPER = PaperSpec(
    key="toy", title="toy", citation="", source="", datasets={},
    tables=(Table("t", "Table 9: toy", ("mca",),
                  (Row("a", "A [1]", {"mca": 90.0}), Row("b", "B", {"mca": 80.0}),
                   Row("c", "C (ours)", {"mca": 70.0}), Row("d", "D", {}))),),
    claims=(Claim("a_minus_b", "t", "b", "a", "mca"),))


def test_paired_gap_refuses_runs_from_different_source_networks():
    src = {"seed": 0, "epochs": 3, "best_epoch": 1, "best_val_loss": 0.1, "mca": 60.0,
           "aca": 61.0}
    runs = [_run("a", 0, 85.0, source=src), _run("b", 0, 80.0, source=src),
            _run("a", 1, 86.0, source=src), _run("b", 1, 80.0, source=src),
            _run("a", 2, 90.0, source=dict(src, best_val_loss=0.2)),
            _run("b", 2, 70.0, source=src)]
    gap = results.paired_gap(PAPER, runs, "t", "b", "a", "mca")
    assert gap["seeds"] == [0, 1] and gap["points"] == pytest.approx([5.0, 6.0])
    assert gap["left_out"] == {"2": "the two runs started from different source networks"}
    assert gap["n"] == 2 and gap["paper"] == pytest.approx(10.0)
    assert gap["sign_test_p"] == pytest.approx(0.5)
    json.dumps(gap)  # stored in results.json as it is
    text = claims.claim_sentence(gap, "A", "B", "mca")
    assert "seed 2 left out: the two runs started from different source networks" in text
    # a recorded weights hash wins over the summary; a random start pairs with anything
    runs[4]["source"]["weights_sha256"] = runs[5]["source"]["weights_sha256"] = "same"
    runs += [_run("a", 3, 81.0, source=src), _run("b", 3, 80.0)]
    assert results.paired_gap(PAPER, runs, "t", "b", "a", "mca")["seeds"] == [0, 1, 2, 3]


def test_ranking_kendall_tau_and_flipped_pairs():
    printed = {"a": 90.0, "b": 80.0, "c": 70.0, "d": 60.0, "e": None}
    reproduced = {"a": 85.0, "b": 86.0, "c": 70.0, "d": 75.0, "e": 99.0, "f": 50.0}
    rank = claims.ranking(reproduced, printed, ["a", "b", "c", "d", "e", "f"])
    assert rank["rows"] == ["a", "b", "c", "d"] and rank["left_out"] == ["e", "f"]
    expected = stats.kendalltau([90, 80, 70, 60], [85, 86, 70, 75])
    assert rank["tau"] == pytest.approx(expected.statistic) == pytest.approx(2 / 6)
    assert rank["p"] == pytest.approx(expected.pvalue)
    assert rank["flips"] == [("b", "a"), ("d", "c")] and rank["pairs"] == 6
    same = claims.ranking({"a": 3, "b": 2, "c": 1}, {"a": 30, "b": 20, "c": 10})
    assert same["tau"] == pytest.approx(1.0) and same["flips"] == []
    text = claims.ranking_sentence(rank, "Table 9", "mca", {"b": "B", "a": "A"},
                                   reproduced, printed)
    assert "Kendall's τ = 0.33" in text and "2 of 6 pairs flip" in text
    assert "B above A (86.00 vs 85.00; paper 80.00 vs 90.00)" in text
    assert text.endswith("(left out, no reproduced or no paper value: e, f).")


def test_claims_markdown_of_a_paper():
    runs = [_run(row, seed, v) for seed, vals in enumerate([(91, 79, 72), (92, 81, 69)])
            for row, v in zip("abc", vals)]
    lines = results.claims_markdown(PAPER, runs)
    assert lines[0] == "## Claims"
    text = "\n".join(lines)
    assert "- A − B, MCA (Table 9): +11.50 ± 0.71 points over 2 seeds" in text
    assert "Table 9, MCA, order of 3 rows against the paper's: Kendall's τ = 1.00" in text


def test_short_labels():
    assert claims.short_label("Xception network [8]") == "Xception network"
    assert claims.short_label("IN-AL (initial learning + active learning, proposed)") == "IN-AL"
    assert claims.short_label("Present work (DCAE features + ANN)") == "DCAE features + ANN"
    assert claims.table_name("Table 3(a): MCA of using the DRI module") == "Table 3(a)"
    assert claims.table_name("Area under the curve (not in the paper)") == "Area under the curve"
