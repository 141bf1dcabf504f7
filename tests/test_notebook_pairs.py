"""Check that every chapter's MyST text twin and its notebook hold the same cells.

Editors change the ``.md`` twin and reviewers read it, while nbval and the book run the
``.ipynb``. A pair out of sync would let the two drift apart unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TWINS = sorted(NOTEBOOKS.glob("*.md"))
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))


def cell_differences(markdown_path: Path, notebook_path: Path) -> list[str]:
    """List the cells in which two paired files differ, by type or source."""
    markdown = jupytext.read(markdown_path)
    notebook = jupytext.read(notebook_path)
    left = [(cell.cell_type, cell.source.strip()) for cell in markdown.cells]
    right = [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]
    differences = []
    if len(left) != len(right):
        differences.append(f"{markdown_path.name} has {len(left)} cells, {notebook_path.name} has {len(right)}")
    for index, (a, b) in enumerate(zip(left, right)):
        if a != b:
            differences.append(f"cell {index}: {a[0]} {a[1][:60]!r} != {b[0]} {b[1][:60]!r}")
    return differences


@pytest.mark.parametrize("markdown_path", TWINS, ids=[p.stem for p in TWINS])
def test_twin_has_notebook(markdown_path):
    assert markdown_path.with_suffix(".ipynb").is_file(), f"run: jupytext --sync {markdown_path}"


@pytest.mark.parametrize("notebook_path", NOTEBOOK_FILES, ids=[p.stem for p in NOTEBOOK_FILES])
def test_notebook_has_twin(notebook_path):
    assert notebook_path.with_suffix(".md").is_file(), f"run: jupytext --sync {notebook_path}"


@pytest.mark.parametrize("markdown_path", TWINS, ids=[p.stem for p in TWINS])
def test_pair_cells_match(markdown_path):
    notebook_path = markdown_path.with_suffix(".ipynb")
    if not notebook_path.is_file():
        pytest.skip("the missing notebook is reported by test_twin_has_notebook")
    differences = cell_differences(markdown_path, notebook_path)
    assert differences == [], f"run: jupytext --sync {markdown_path}\n" + "\n".join(differences)


@pytest.mark.parametrize("path", TWINS + NOTEBOOK_FILES, ids=[p.name for p in TWINS + NOTEBOOK_FILES])
def test_kernel_is_python3(path):
    assert jupytext.read(path).metadata.get("kernelspec", {}).get("name") == "python3"


def _write_pair(folder: Path, markdown_source: str, notebook_source: str) -> tuple[Path, Path]:
    header = "---\njupytext:\n  formats: ipynb,md:myst\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
    markdown_path = folder / "chapter.md"
    markdown_path.write_text(header + "# Title\n\n```{code-cell} ipython3\n" + markdown_source + "\n```\n")
    notebook = jupytext.reads(header + "# Title\n\n```{code-cell} ipython3\n" + notebook_source + "\n```\n", fmt="md:myst")
    notebook_path = folder / "chapter.ipynb"
    jupytext.write(notebook, notebook_path)
    return markdown_path, notebook_path


def test_pair_check_accepts_synced_pair(tmp_path):
    assert cell_differences(*_write_pair(tmp_path, "x = 1", "x = 1")) == []


def test_pair_check_detects_edited_cell(tmp_path):
    differences = cell_differences(*_write_pair(tmp_path, "x = 1", "x = 2"))
    assert len(differences) == 1
    assert differences[0].startswith("cell 1: code 'x = 1' != code 'x = 2'")


def test_pair_check_detects_added_cell(tmp_path):
    differences = cell_differences(*_write_pair(tmp_path, "x = 1", "x = 1\n```\n\nMore text.\n\n```{code-cell} ipython3\ny = 2"))
    assert differences[0] == "chapter.md has 2 cells, chapter.ipynb has 4"
