"""reproductions.common.verdict: the rule that turns stored tables into a
paper's verdict, on a two-row paper typed here."""
import json
import statistics

import pytest
from scipy import stats

from reproductions.common import verdict
from reproductions.common.paper import Claim, Evidence, PaperSpec, Row, Table
from reproductions.common.report import verdict_markdown

PAPER = PaperSpec(
    key="toy", title="Toy", citation="", source="", datasets={},
    tables=(Table("t1", "Table 1: toy", ("aca",),
                  (Row("base", "Baseline", {"aca": 80.0}),
                   Row("prop", "Proposed", {"aca": 90.0}))),),
    claims=(Claim("prop_minus_base", "t1", "base", "prop", "aca"),),
    evidence=(Evidence("", "committed table"), Evidence("more", "bigger inputs")))


def _runs(prop: list[float], base: list[float]) -> list[dict]:
    return [{"row": row, "seed": seed, "wall_time_s": 1.0,
             "values": {"t1": {row: {"aca": value}}}}
            for row, values in (("prop", prop), ("base", base))
            for seed, value in enumerate(values)]


def _store(folder, runs, profile="cpu", reductions=("smaller inputs",)):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps({
        "runs": runs, "profile": {"name": profile, "image_size": 64,
                                  "reductions": list(reductions)}}))


def _points(mean: float, std: float, n: int) -> list[float]:
    """n points with exactly this mean and sample std."""
    z = [i - (n - 1) / 2 for i in range(n)]
    scale = std / statistics.stdev(z)
    return [mean + scale * v for v in z]


@pytest.mark.parametrize("mean,std", [(2.17, 1.78), (0.5, 1.0), (-1.0, 3.0)])
def test_seeds_to_establish_is_where_the_t_test_crosses_alpha(mean, std):
    n = verdict.seeds_to_establish(mean, std)
    assert n >= verdict.SIGN_TEST_MIN_SEEDS
    assert stats.ttest_1samp(_points(mean, std, n), 0.0).pvalue < 0.05
    if n > verdict.SIGN_TEST_MIN_SEEDS:
        assert stats.ttest_1samp(_points(mean, std, n - 1), 0.0).pvalue >= 0.05


def test_seeds_to_establish_without_a_difference_or_spread():
    assert verdict.seeds_to_establish(0.0, 1.0) is None
    assert verdict.seeds_to_establish(None, None) is None
    assert verdict.seeds_to_establish(0.01, 10.0, limit=50) is None


def test_reproduced_needs_the_number_and_an_established_claim(tmp_path):
    ahead = [11.0, 10.5, 10.8, 11.2, 10.9, 10.7]  # 6 seeds, all ahead by ~10
    _store(tmp_path, _runs([80 + d for d in ahead], [80.0] * 6))
    result = verdict.evaluate(PAPER, tmp_path)
    assert result["verdict"] == verdict.REPRODUCED
    assert result["settings"][1] == {"label": "bigger inputs", "folder": "more",
                                     "stored": False}
    # the same number with 3 seeds cannot establish the claim
    _store(tmp_path, _runs([80 + d for d in ahead[:3]], [80.0] * 3))
    result = verdict.evaluate(PAPER, tmp_path)
    assert result["verdict"] == verdict.NOT_ESTABLISHED
    assert "reaches the paper's number" in result["why"]


def test_short_of_the_paper_refutes_only_under_the_paper_protocol(tmp_path):
    _store(tmp_path, _runs([85.0, 84.0, 86.0], [80.0, 79.0, 81.0]))
    assert verdict.evaluate(PAPER, tmp_path)["verdict"] == verdict.NOT_ESTABLISHED
    _store(tmp_path / "more", _runs([85.0, 84.0, 86.0], [80.0, 79.0, 81.0]), profile="paper")
    result = verdict.evaluate(PAPER, tmp_path)
    assert result["verdict"] == verdict.NOT_REPRODUCED
    assert "bigger inputs" in result["why"]
    # the paper's protocol reaching the number with 3 seeds: the claim is still open
    _store(tmp_path / "more", _runs([89.0, 90.0, 91.0], [80.0, 79.0, 81.0]), profile="paper")
    result = verdict.evaluate(PAPER, tmp_path)
    assert result["verdict"] == verdict.NOT_ESTABLISHED
    assert result["why"].startswith("the bigger inputs runs the paper's protocol and does "
                                    "not miss its number")


def test_tolerance_widens_with_the_spread_over_seeds(tmp_path):
    _store(tmp_path, _runs([88.5], [80.0]))  # 1.5 below: within 2 points
    assert verdict.evaluate(PAPER, tmp_path)["settings"][0]["reaches"] is True
    _store(tmp_path, _runs([87.0], [80.0]))
    assert verdict.evaluate(PAPER, tmp_path)["settings"][0]["reaches"] is False
    _store(tmp_path, _runs([84.0, 87.0, 90.0], [80.0] * 3))  # mean 87, std 3: 6 points
    setting = verdict.evaluate(PAPER, tmp_path)["settings"][0]
    assert setting["tolerance"] == pytest.approx(6.0) and setting["reaches"] is True


def test_stand_in_data_is_never_compared(tmp_path):
    import dataclasses
    _store(tmp_path, _runs([90.0] * 6, [80.0 - d for d in range(6)]))
    paper = dataclasses.replace(PAPER, stand_in_data=True)
    assert verdict.evaluate(paper, tmp_path)["verdict"] == verdict.STAND_IN


def test_markdown_gives_every_setting_and_the_gap_change(tmp_path):
    _store(tmp_path, _runs([85.0, 84.0, 86.0], [80.0, 79.0, 81.0]))
    _store(tmp_path / "more", _runs([88.0], [81.0]), reductions=())
    text = "\n".join(verdict.markdown(PAPER, verdict.evaluate(PAPER, tmp_path)))
    assert "**Not established at our compute**" in text
    assert "Proposed 85.00 ± 1.00 (n=3) against the paper's 90.00 (−5.00 points)" in text
    assert "Proposed 88.00 against the paper's 90.00 (−2.00 points), gap −5.00 points in " \
           "the committed table" in text
    assert "Its spread over seeds is unknown with one seed." in text
    _store(tmp_path / "more", [r for r in _runs([88.0], [81.0]) if r["row"] == "base"])
    text = "\n".join(verdict.markdown(PAPER, verdict.evaluate(PAPER, tmp_path)))
    assert "Proposed not run; Baseline 81.00" in text
    assert "Reaches the paper (within 2.00 points): not known, Proposed not run." in text
    assert "paired t-test p = " in text


class _Store:
    def __init__(self, folder, synthetic=False):
        self.dir, self.paper = folder, PAPER
        self.data = {"synthetic": synthetic, "user_data": False}


def test_readme_verdict_only_in_the_papers_own_real_data_folder(tmp_path):
    folder = tmp_path / "toy"
    _store(folder, _runs([85.0], [80.0]))
    assert verdict_markdown(_Store(folder))[1] == "## Verdict"
    assert verdict_markdown(_Store(folder, synthetic=True)) == []
    _store(tmp_path / "elsewhere", _runs([85.0], [80.0]))
    assert verdict_markdown(_Store(tmp_path / "elsewhere")) == []


def test_the_verdict_figure_shows_each_setting_with_runs(tmp_path, monkeypatch):
    from reproductions.common import plots

    folder = tmp_path / "toy"
    _store(folder, _runs([85.0, 86.0, 87.0], [80.0, 80.5, 81.0]))
    drawn = {}
    original = plots.against_the_paper

    def spy(groups, paper, path, title, ylabel):
        drawn.update(groups=groups, paper=paper, title=title, ylabel=ylabel)
        return original(groups, paper, path, title, ylabel)

    monkeypatch.setattr(plots, "against_the_paper", spy)
    lines = verdict_markdown(_Store(folder))
    assert (folder / verdict.FIGURE).stat().st_size > 10_000
    assert f"against the paper's values]({verdict.FIGURE})" in lines[-3]
    # "more" has no runs: one column, the committed table's, at its mean and std
    ((label, cells),) = drawn["groups"]
    assert label == "committed table"
    assert cells["Proposed"]["mean"] == pytest.approx(86.0)
    assert cells["Proposed"]["std"] == pytest.approx(1.0)
    assert cells["Baseline"]["mean"] == pytest.approx(80.5)
    assert drawn["paper"] == {"Proposed": 90.0, "Baseline": 80.0}
    assert drawn["ylabel"] == "ACA (%)" and drawn["title"].startswith("toy: verdict ")
    # no setting with runs: no figure, no link
    empty = tmp_path / "empty" / "toy"
    _store(empty, [])
    lines = verdict_markdown(_Store(empty))
    assert not (empty / verdict.FIGURE).exists()
    assert not any(verdict.FIGURE in line for line in lines)


def test_the_settle_line_names_the_portable_route_where_it_exists():
    from reproductions.common.paper import load_paper
    from reproductions.portable.papers import RECIPES

    for key in ("super_xception", "dri", "dcae"):
        paper = load_paper(key)
        line = verdict._settle_sentence(paper)
        # the paper profiles run 3 seeds of the paired rows: the settle line asks for 6
        assert f"python -m reproductions.{key} --profile paper --num-seeds 6`" in line
        assert "instead of the profile's 3" in line
        assert ("reproductions.portable export" in line) == (key in RECIPES), key
        assert ("`train --num-seeds 6` there" in line) == (key in RECIPES), key
    assert {"super_xception", "dri"} <= set(RECIPES)


def test_papers_marked_portable_are_the_portable_routes_papers():
    """``PaperSpec.portable`` (what the verdict reads; common does not import
    the portable package) is the set ``reproductions.portable`` can run."""
    from reproductions.common.paper import load_paper
    from reproductions.common.registry import list_papers
    from reproductions.portable.papers import RECIPES

    assert {key for key in list_papers() if load_paper(key).portable} == set(RECIPES)
