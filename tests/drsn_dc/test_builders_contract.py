"""``tests/test_builders.py`` (the builder contract every paper follows) run
on this paper's builders before ``reproductions.common.paper.PAPERS`` lists
it, with this paper's small-size parameter counts pinned.

Once ``drsn_dc`` is in ``PAPERS`` the contract's own parametrisation covers
these builders too; :data:`SMALL_COUNTS` is what its ``SMALL_COUNTS`` needs
then (and ``test_paper_profile.PAPER_COUNTS`` its ``PAPER_COUNTS``)."""
import pytest

from reproductions.common import builders
from reproductions.common import paper as common_paper
from reproductions.drsn_dc import models
from tests import test_builders as contract
from tests.test_builders import classifier, saved  # noqa: F401 - the contract's fixtures

#: Parameters at SMALL_CONFIGS (32×32×1, 3 classes): (include_top=True, False).
SMALL_COUNTS = {
    ("drsn_dc", "alexnet"): (21_570_243, 3_723_968),
    ("drsn_dc", "googlenet"): (5_992_195, 5_989_120),
    ("drsn_dc", "vgg19"): (38_918_083, 20_023_232),
    ("drsn_dc", "resnet50"): (23_587_587, 23_581_440),
    ("drsn_dc", "drsn_dc"): (64_201_667, 64_195_232),
    ("drsn_dc", "drsn"): (63_902_211, 63_896_064),
    ("drsn_dc", "drsn_dilated"): (64_201_379, 64_195_232),
}
CASES = [pytest.param("drsn_dc", name, builder, models.SMALL_CONFIGS[name], id=name)
         for name, builder in models.BUILDERS.items()]
CONTRACT = [contract.test_forward_and_parameter_count, contract.test_backward_reaches_every_weight,
            contract.test_keras_file_round_trip, contract.test_weights_file_round_trip,
            contract.test_feature_map_is_the_classifiers_backbone, contract.test_pooled_features]


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """drsn_dc listed in PAPERS (find_feature_layer's default, bound at import)."""
    papers = tuple(common_paper.PAPERS) + ("drsn_dc",)
    monkeypatch.setattr(common_paper, "PAPERS", papers)
    monkeypatch.setattr(builders.find_feature_layer, "__defaults__", (papers,))
    for key, counts in SMALL_COUNTS.items():
        monkeypatch.setitem(contract.SMALL_COUNTS, key, counts)


def test_registry_is_complete():
    assert set(models.SMALL_CONFIGS) == set(models.BUILDERS)
    assert {name for _, name in SMALL_COUNTS} == set(models.BUILDERS)
    assert set(models.ROWS) | set(models.ABLATION) == set(models.BUILDERS)


@pytest.mark.parametrize("check", CONTRACT, ids=lambda f: f.__name__[5:])
@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_contract(check, paper, name, builder, kwargs, classifier, saved):  # noqa: F811
    arguments = dict(paper=paper, name=name, builder=builder, kwargs=kwargs)
    if "classifier" in check.__code__.co_varnames:
        arguments["classifier"] = classifier
    if "saved" in check.__code__.co_varnames:
        arguments["saved"] = saved
    check(**arguments)


@pytest.mark.parametrize("paper,name,builder,kwargs", CASES)
def test_weights_argument(paper, name, builder, kwargs, tmp_path):
    contract.test_weights_argument_is_checked_before_building(paper, name, builder, kwargs,
                                                              tmp_path)
