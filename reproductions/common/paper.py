"""The papers' reported numbers, as data.

Each reproduction transcribes its paper's result tables once, in
``reproductions/<paper>/paper.py`` as a :class:`PaperSpec`. Nothing else in
the project types a paper's number: the results writer and
``python -m reproductions.compare`` read them from here.

A spec also names what the reproduction needs around the tables: the
datasets it reads, by role (:class:`DatasetSpec`), the rows it trains, and
the paper's paired claims ("X beats Y by d points", :class:`Claim`) whose
per-seed gap every run of the command recomputes.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Mapping


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of a paper's table.

    Attributes:
      key: the row's id in the code (``super_xception``).
      label: the row as the paper prints it.
      values: metric name -> value as printed in the paper (percent). In a
        curve table (:attr:`Table.x` set): metric -> ``{x: value}``, the
        points the paper reports.
      reproduced: False for rows the suite does not reproduce (other
        authors' methods quoted by the paper).
    """

    key: str
    label: str
    values: dict
    reproduced: bool = True


@dataclasses.dataclass(frozen=True)
class Table:
    """One result table of a paper.

    A table with ``x`` is a *curve table*: each row holds one value per
    ``x`` (accuracy vs labelled fraction, vs epochs ...); runs store
    ``{metric: {format_x(x): value}}`` and the tables show one column per x.
    """

    key: str
    title: str
    metrics: tuple[str, ...]  # e.g. ("aca",) or ("mca", "aca")
    rows: tuple[Row, ...]
    note: str = ""
    x: tuple[float, ...] | None = None
    x_label: str = ""

    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"table {self.key} has no row {key!r}")

    @property
    def is_curve(self) -> bool:
        return self.x is not None


def format_x(x: float) -> str:
    """The key of point ``x`` of a curve (``20``, ``12.5``) in results.json."""
    return f"{x:g}"


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """One dataset a paper reads, with its embedded synthetic stand-in.

    ``config`` / ``synthetic_config``: TFDS configs (``None``: the default).
    ``channels``: what a user's image folder is converted to.
    """

    name: str
    synthetic: str
    config: str | None = None
    synthetic_config: str | None = None
    channels: int = 1


@dataclasses.dataclass(frozen=True)
class Claim:
    """A paper's "``proposed`` beats ``baseline``" on ``table``/``metric``:
    stored as the per-seed gap under ``extra[key]``."""

    key: str
    table: str
    baseline: str
    proposed: str
    metric: str


@dataclasses.dataclass(frozen=True)
class Evidence:
    """A results folder that bears on the paper's verdict
    (``common.verdict``): ``folder`` under ``results/<paper>/`` (``""``: the
    committed table), ``label`` what it is ("committed table at 72 px");
    ``closed``: why the folder gets no more runs although its profile plans
    more (a table kept as a finding after its protocol was replaced), ``""``
    for a folder its command still fills; ``rows``: the rows the experiment
    runs where it is fewer than its profile's (``()``: the profile's), and
    ``plan``: a condition its planned runs are under, in words (both for
    ``python -m reproductions.status --missing``)."""

    folder: str
    label: str
    closed: str = ""
    rows: tuple[str, ...] = ()
    plan: str = ""


@dataclasses.dataclass(frozen=True)
class PaperSpec:
    key: str            # module name under reproductions/
    title: str
    citation: str
    source: str         # file under ../shared/papers/
    datasets: Mapping[str, DatasetSpec]  # role -> dataset; the first is the primary
    tables: tuple[Table, ...]
    trained_rows: tuple[str, ...] | None = None  # default: the first table's reproduced rows
    claims: tuple[Claim, ...] = ()
    # position in the suite's listings (README status table, compare, the tests):
    # lowest first, then by key; None: after every numbered paper
    order: int | None = None
    # the folders the verdict reads (common.verdict), the committed table first
    evidence: tuple[Evidence, ...] = ()
    # True where the paper's data cannot be had and the runs use a stand-in
    stand_in_data: bool = False
    # True where ``reproductions.portable`` can run the paper profile off
    # TensorFlow (its ``papers.RECIPES``; a test checks that the two agree)
    portable: bool = False

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(f"paper {self.key} has no table {key!r}")

    @property
    def rows(self) -> tuple[str, ...]:
        """The rows the command trains (``--rows``), in the order it runs them."""
        if self.trained_rows is not None:
            return tuple(self.trained_rows)
        return tuple(r.key for r in self.tables[0].rows if r.reproduced)

    def label(self, row: str) -> str:
        """The row's label as the paper prints it (its first table with it)."""
        for table in self.tables:
            for r in table.rows:
                if r.key == row:
                    return r.label
        return row

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.datasets)

    @property
    def dataset(self) -> str:
        """TFDS name of the primary dataset."""
        return next(iter(self.datasets.values())).name


METRIC_LABELS = {"aca": "ACA / accuracy (%)", "mca": "MCA (%)",
                 "precision": "macro precision (%)", "recall": "macro recall (%)",
                 "f1": "macro F1 (%)",
                 "f1_hm": "F1 = harmonic mean of macro P and R (%)",
                 "aca_auc": "area under the ACA curve (%)",
                 "mca_auc": "area under the MCA curve (%)"}

def __getattr__(name: str):
    """``PAPERS``: the keys of the papers whose reproduction exists, found
    by :func:`reproductions.common.registry.list_papers` (a package with a
    ``paper.py`` that defines ``PAPER``), in ``PaperSpec.order``."""
    if name == "PAPERS":
        from reproductions.common import registry
        return registry.list_papers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_paper(key: str) -> PaperSpec:
    """Imports ``reproductions.<key>.paper`` (cheap: no TensorFlow)."""
    return importlib.import_module(f"reproductions.{key}.paper").PAPER
