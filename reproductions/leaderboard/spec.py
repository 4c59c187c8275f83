"""What the leaderboard compares, as data: the networks (registered builders,
``reproductions.common.registry``), the evaluation settings, the cross-lab
class mapping and the contest anchors. No TensorFlow here.

The leaderboard is not a paper: this module is not ``paper.py`` and defines
no ``PAPER``, so ``registry.list_papers()`` does not list it. Its
:data:`LEADERBOARD` is a :class:`~reproductions.common.paper.PaperSpec` only
because the shared machinery (results store, run loop, provenance) reads one:
one table per setting, one row per network, no paper values.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

from reproductions.common.paper import DatasetSpec, PaperSpec, Row, Table


@dataclasses.dataclass(frozen=True)
class Network:
    """One row of the matrix.

    Attributes:
      key: the row's id (``--rows``).
      label: as the README prints it.
      source: whose network it is (paper, or "baseline"/"floor").
      model: registry key ``"<paper>.<name>"`` (``None``: the scikit-learn row).
      heads: softmax outputs of the model (DRI and Inception have three:
        auxiliary heads first, the main head last).
      hr_size: for the Super-Xception builders, the side the input is
        upsampled to: ``"recipe"`` (the recipe's ``super_resolution_size``) or
        ``"input"`` (no upsampling).
    """

    key: str
    label: str
    source: str
    model: str | None
    heads: int = 1
    hr_size: str | None = None

    @property
    def kind(self) -> str:
        return "sklearn" if self.model is None else "keras"


NETWORKS: tuple[Network, ...] = (
    Network("dri", "DRI", "Li & Shen 2017", "dri.dri", heads=3),
    Network("dcae", "DCAE encoder + ANN", "Vununu et al. 2020", "dcae.dcae"),
    Network("wavelet_resnet", "Parallel wavelet ResNet", "Vununu et al. 2021",
            "active_transfer.parallel_wavelet_resnet"),
    Network("drsn_dc", "DRSN-DC", "Wang et al. 2022", "drsn_dc.drsn_dc"),
    Network("super_xception", "Super-Xception (generic classifier)", "Swati et al. 2019",
            "super_xception.super_xception", hr_size="recipe"),
    Network("inception", "Inception", "baseline (Li & Shen 2017)", "dri.inception", heads=3),
    Network("resnet50", "ResNet-50", "baseline (Wang et al. 2022)", "drsn_dc.resnet50"),
    Network("gao_cnn", "Gao's CNN", "baseline (Vununu et al. 2020)", "dcae.gao_cnn"),
    Network("lbp_glcm_svm", "LBP + GLCM + SVM", "baseline (Vununu et al. 2020)", None),
    Network("plain_cnn", "Plain CNN (floor)", "floor (Swati et al. 2019's deep CNN)",
            "super_xception.deep_cnn", hr_size="input"),
)
ROWS = tuple(n.key for n in NETWORKS)


def network(key: str) -> Network:
    for n in NETWORKS:
        if n.key == key:
            return n
    raise KeyError(f"no network {key!r}; networks are {', '.join(ROWS)}")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One column group of the matrix.

    Attributes:
      key: the table key in results.json (and the runs' ``variant``).
      title: as the README prints it.
      role: the dataset role it reads (``LEADERBOARD.datasets``).
      trained: networks are trained on this setting's training split; a
        setting that is not (cross-lab) is scored with the networks of
        ``trained_on``.
      specimen_disjoint: its test cells come from specimens no training cell
        comes from (or a proxy of that).
    """

    key: str
    title: str
    role: str
    trained: bool = True
    trained_on: str | None = None
    specimen_disjoint: bool = True


SETTINGS: tuple[Setting, ...] = (
    Setting("i3a_blocks", "I3A, specimen blocks (`i3a_task1/dri_blocks`): unseen specimens "
            "(blocks of consecutive IDs, the best proxy available)", "i3a_blocks"),
    Setting("i3a_cells", "I3A, cell-level split (`i3a_task1/dri`): test cells of the "
            "training specimens", "i3a", specimen_disjoint=False),
    Setting("snphep2", "SNPHEp-2, official split (`snphep2/full`): disjoint specimens",
            "snphep2"),
    Setting("cross_lab", "Cross-dataset: trained on I3A specimen blocks, scored on every "
            "SNPHEp-2 cell over the shared classes (no training on SNPHEp-2)", "snphep2",
            trained=False, trained_on="i3a_blocks"),
)
TRAINED_SETTINGS = tuple(s.key for s in SETTINGS if s.trained)
#: The inflation column: cell-level minus specimen-disjoint, same dataset.
INFLATION = ("i3a_cells", "i3a_blocks")


def setting(key: str) -> Setting:
    for s in SETTINGS:
        if s.key == key:
            return s
    raise KeyError(f"no setting {key!r}; settings are {', '.join(s.key for s in SETTINGS)}")


#: Cross-lab: each shared class -> (its I3A class, the SNPHEp-2 classes it
#: takes). I3A's NuMem and Golgi have no SNPHEp-2 counterpart and are not
#: predicted (argmax over the four shared I3A classes only); SNPHEp-2's fine
#: and coarse speckled are both I3A's speckled.
CROSS_LAB_CLASSES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "homogeneous": ("homogeneous", ("homogeneous",)),
    "speckled": ("speckled", ("fine_speckled", "coarse_speckled")),
    "nucleolar": ("nucleolar", ("nucleolar",)),
    "centromere": ("centromere", ("centromere",)),
}


@dataclasses.dataclass(frozen=True)
class Anchor:
    """A published contest result, printed beside the matrix, never in it."""

    contest: str
    value: str
    metric: str
    source: str


#: Different test sets (the contests' private sets of unseen specimens):
#: printed as "not comparable".
ANCHORS: tuple[Anchor, ...] = (
    Anchor("ICPR 2014 HEp-2 contest, Task 1 (cell level), best entry", "87.1", "MCA (%)",
           "Manivannan et al., Pattern Recognition 2016"),
    Anchor("ICPR 2014 HEp-2 contest, Task 1, best entry at specimen level", "88.5",
           "MCA (%)", "Manivannan et al., Pattern Recognition 2016"),
    Anchor("ICIP 2013 HEp-2 cell classification contest, range of the entries",
           "47.9–83.7", "MCA (%)", "the contest's report, as cited in issue #35"),
)
#: The contest number the suite's entry is set against (specimen-disjoint I3A).
TARGET = 87.1
NOT_COMPARABLE = "different test set, not comparable"

METRICS = ("mca", "aca", "f1")

LEADERBOARD = PaperSpec(
    key="leaderboard",
    title="HEp-2 leaderboard: the suite's networks under one recipe, cell-level vs "
          "specimen-disjoint vs another dataset",
    citation="The networks of the suite's five papers and their baselines (issue #35); "
             "not a paper.",
    source="",
    datasets={
        "i3a": DatasetSpec("i3a_task1", "synthetic_hep2", config="dri",
                           synthetic_config="default"),
        "i3a_blocks": DatasetSpec("i3a_task1", "synthetic_hep2", config="dri_blocks",
                                  synthetic_config="default"),
        "snphep2": DatasetSpec("snphep2", "synthetic_snphep2", config="full",
                               synthetic_config="default"),
    },
    tables=tuple(Table(key=s.key, title=s.title, metrics=METRICS,
                       rows=tuple(Row(n.key, n.label, {}) for n in NETWORKS))
                 for s in SETTINGS),
    trained_rows=ROWS,
)
