"""Every paper stands alone (issue #32): no paper package imports another
paper package, the shared code (``reproductions/common``, ``layers``,
``tfds_builders``) imports no paper, and nothing outside ``tfds_builders``
imports its private modules. A sixth paper is checked as soon as it exists
(the papers come from ``reproductions.common.registry.list_papers``).

Imports are read from the source with ``ast``: ``import``, ``from ... import``
(relative ones resolved) and ``importlib.import_module("...")`` with a
literal name, wherever they stand (inside functions too).
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from reproductions.common import registry

ROOT = Path(__file__).resolve().parents[1]
PAPERS = registry.list_papers()


def imported_modules(source: str, package: str):
    """Every module name ``source`` (a module of ``package``) imports; for
    ``from X import y`` both ``X`` and ``X.y`` (``y`` may be a module)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value


def imports_of(folder: Path):
    """``(file, module)`` for every import of every ``.py`` file under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        package = ".".join(parts[:-1])
        for module in imported_modules(path.read_text(encoding="utf-8"), package):
            yield path.relative_to(ROOT).as_posix(), module


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_reader_sees_every_kind_of_import():
    source = ("import reproductions.a.x\nfrom reproductions.b import y\nfrom ..c import z\n"
              "def f():\n    from . import w\n    importlib.import_module('reproductions.d.v')\n")
    found = set(imported_modules(source, "reproductions.e"))
    assert {"reproductions.a.x", "reproductions.b.y", "reproductions.c.z", "reproductions.e.w",
            "reproductions.d.v"} <= found


def test_the_papers_are_found_without_tensorflow():
    assert len(PAPERS) >= 5 and "common" not in PAPERS
    code = ("import sys\nfrom reproductions.common import registry\n"
            "from reproductions.common.paper import PAPERS\n"
            "assert PAPERS == registry.list_papers()\n"
            "print(repr((PAPERS, sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert eval(out) == (PAPERS, [])


@pytest.mark.parametrize("paper", PAPERS)
def test_no_paper_imports_another_paper(paper):
    others = [f"reproductions.{p}" for p in PAPERS if p != paper]
    offending = [f"{path}: {module}" for path, module in imports_of(ROOT / "reproductions" / paper)
                 if any(_within(module, other) for other in others)]
    assert not offending, "papers must import only common code (reproductions.common, " \
                          "layers, tfds_builders): " + "; ".join(offending)


@pytest.mark.parametrize("folder", ["reproductions/common", "layers", "tfds_builders"])
def test_shared_code_imports_no_paper(folder):
    papers = [f"reproductions.{p}" for p in PAPERS]
    offending = [f"{path}: {module}" for path, module in imports_of(ROOT / folder)
                 if any(_within(module, paper) for paper in papers)]
    assert not offending, "; ".join(offending)


def test_no_private_module_of_tfds_builders_is_imported_from_outside():
    offending = [f"{path}: {module}" for path, module in imports_of(ROOT / "reproductions")
                 if module.startswith("tfds_builders._")]
    assert not offending, "; ".join(offending)
