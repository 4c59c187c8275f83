"""The papers' reported numbers, as data.

Each reproduction transcribes its paper's result tables once, in
``reproductions/<paper>/paper.py`` as a :class:`PaperSpec`. Nothing else in
the project types a paper's number: the results writer and
``python -m reproductions.compare`` read them from here.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Sequence


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of a paper's table.

    Attributes:
      key: the row's id in the code (``super_xception``); ``None``-reproduced
        rows use ``reproduced=False``.
      label: the row as the paper prints it.
      values: metric name -> value as printed in the paper (percent).
      reproduced: False for rows the suite does not reproduce (other
        authors' methods quoted by the paper).
    """

    key: str
    label: str
    values: dict
    reproduced: bool = True


@dataclasses.dataclass(frozen=True)
class Table:
    key: str
    title: str
    metrics: tuple[str, ...]  # e.g. ("aca",) or ("mca", "aca")
    rows: tuple[Row, ...]
    note: str = ""

    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"table {self.key} has no row {key!r}")


@dataclasses.dataclass(frozen=True)
class PaperSpec:
    key: str            # module name under reproductions/
    title: str
    citation: str
    source: str         # file under ../shared/papers/
    dataset: str        # TFDS builder of the real data
    synthetic_dataset: str
    tables: tuple[Table, ...]

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(f"paper {self.key} has no table {key!r}")


METRIC_LABELS = {"aca": "ACA / accuracy (%)", "mca": "MCA (%)"}

# Papers whose reproduction exists; compare() walks this list.
PAPERS: Sequence[str] = ("super_xception", "dri")


def load_paper(key: str) -> PaperSpec:
    """Imports ``reproductions.<key>.paper`` (cheap: no TensorFlow)."""
    return importlib.import_module(f"reproductions.{key}.paper").PAPER
