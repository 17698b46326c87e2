"""Playbooks are thin, clean and parameterised the same way."""

import ast
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from cxlib.run import RUNNER_PARAMETERS, STEPS, available_steps

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
NOTEBOOKS = sorted(PLAYBOOKS.glob("*.ipynb"))
CHECK = "# NBVAL_CHECK_OUTPUT"


def test_there_are_playbooks_and_they_are_known_steps():
    assert NOTEBOOKS, "no playbooks found"
    step_names = {s.notebook for s in STEPS} | {"explore.ipynb"}
    assert {p.name for p in NOTEBOOKS} <= step_names
    assert available_steps()[0].key == "mission"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_first_cell_is_one_h1(notebook):
    _, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# ")
    assert len(re.findall(r"^# ", first.source, re.M)) == 1


def test_exactly_one_parameters_cell_with_runner_parameters(notebook):
    path, nb = notebook
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    declared = papermill.inspect_notebook(str(path))
    assert set(RUNNER_PARAMETERS) <= set(declared)
    # Every assignment in the cell must be visible to papermill (no `X | None` annotations).
    names = [
        node.target.id if isinstance(node, ast.AnnAssign) else node.targets[0].id
        for node in ast.parse(tagged[0].source).body
    ]
    assert set(names) == set(declared)
    assert "|" not in tagged[0].source.split("#")[0]


def test_committed_clean(notebook):
    _, nb = notebook
    for cell in code_cells(nb):
        if cell.source.startswith(CHECK):
            continue  # its stored output is the expected headline, written by a script
        assert cell.outputs == [], cell.source
        assert cell.execution_count is None, cell.source


def test_no_logic_in_playbooks(notebook):
    _, nb = notebook
    for cell in code_cells(nb):
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(
                node, ast.FunctionDef | ast.ClassDef | ast.Lambda | ast.For | ast.While
            ), f"logic in a playbook cell: {cell.source[:60]!r}"
        lines = [
            line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")
        ]
        assert len(lines) <= 5, f"cell too long for a playbook ({len(lines)} lines)"


def test_has_summary_and_method_notes(notebook):
    _, nb = notebook
    headings = [
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    assert "## Summary and next steps" in headings
    assert "## Method notes" in headings
