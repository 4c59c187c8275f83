"""Tables 1 and 2 as transcribed, and what follows from them (the F1 column,
the paper's claim, the 144 versions of §4.1)."""
import pytest

from reproductions.common import paper as common_paper
from reproductions.common import results
from reproductions.drsn_dc import paper
from reproductions.drsn_dc.paper import PAPER
from reproductions.drsn_dc.protocol import harmonic_mean


def test_table1_is_144_versions_of_1855_images():
    assert len(paper.TABLE1_CLASSES) == len(paper.TABLE1_ORIGINAL) == 9
    assert sum(paper.TABLE1_ORIGINAL) == 1855
    assert paper.VERSIONS == 144 and paper.ROTATIONS * paper.ROTATION_STEP == 360
    assert [paper.VERSIONS * n for n in paper.TABLE1_ORIGINAL] == list(paper.TABLE1_EXPANDED)
    assert sum(paper.TABLE1_EXPANDED) == 267_120  # "267k"


def test_printed_f1_is_the_harmonic_mean_except_for_drsn_dc():
    """Four rows: F1 = 2PR/(P+R) to all printed digits; DRSN-DC: 93.80 vs 92.82."""
    table = PAPER.table("table2")
    for row in table.rows:
        v = row.values
        hm = harmonic_mean(v["precision"], v["recall"])
        if row.key == "drsn_dc":
            assert hm == pytest.approx(93.80, abs=0.005) and v["f1"] == 92.82
        else:
            assert round(hm, 2) == pytest.approx(v["f1"], abs=0.006), row.key
        assert v["f1_hm"] == v["f1"]  # the one printed F1, beside both of ours


def test_the_claim_is_about_seven_f1_points():
    table = PAPER.table("table2")
    for claim in PAPER.claims:
        assert (claim.table, claim.baseline, claim.proposed) == ("table2", "resnet50", "drsn_dc")
        gap = (table.row("drsn_dc").values[claim.metric]
               - table.row("resnet50").values[claim.metric])
        assert gap == pytest.approx(6.95)  # "about 7 %"
    assert {c.metric for c in PAPER.claims} == {"f1", "f1_hm"}


def test_rows_metrics_and_labels():
    assert PAPER.rows == ("alexnet", "googlenet", "vgg19", "resnet50", "drsn_dc")
    assert [r.key for r in PAPER.table("ablation").rows] == ["resnet50", "drsn", "drsn_dilated",
                                                            "drsn_dc"]
    assert results.metric_label("f1_hm") == "F1 = harmonic mean of macro P and R (%)"
    assert common_paper.METRIC_LABELS["f1"] == "macro F1 (%)"
    assert PAPER.datasets["data"].config == "dri_blocks"
    # four of I3A's six classes are the paper's by name; speckled probably; Golgi not
    named = {k for k, v in paper.I3A_TO_PAPER.items() if v == k or (k, v) == (
        "numem", "nuclear membrane")}
    assert named == {"homogeneous", "nucleolar", "centromere", "numem"}
    assert set(v for v in paper.I3A_TO_PAPER.values() if v) <= set(paper.TABLE1_CLASSES)
