"""Write the expected headline outputs into the playbooks' `# NBVAL_CHECK_OUTPUT` cells.

nbval (run with ``--nbval-lax``) compares only the cells marked ``# NBVAL_CHECK_OUTPUT``,
against the outputs stored in the committed playbook. Those stored outputs are produced here,
by executing each playbook on the demo client, never typed by hand. Run it after a change
that is meant to move a headline number, and review the diff:

    .venv/bin/python tests/notebooks/refresh_expected.py [01_mission_strategy.ipynb ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
MARK = "# NBVAL_CHECK_OUTPUT"


def refresh(path: Path, workdir: Path) -> int:
    """Execute one playbook with its defaults and copy the marked cells' outputs back."""
    executed = workdir / path.name
    papermill.execute_notebook(
        str(path), str(executed), cwd=str(PLAYBOOKS), progress_bar=False, kernel_name="python3"
    )
    run = nbformat.read(executed, as_version=4)
    source = nbformat.read(path, as_version=4)
    by_source = {c.source: c for c in run.cells if c.cell_type == "code"}
    count = 0
    for cell in source.cells:
        if cell.cell_type == "code" and cell.source.startswith(MARK):
            done = by_source[cell.source]
            cell.outputs = [o for o in done.outputs if o.get("name") != "stderr"]
            cell.execution_count = 1  # nbval never compares a cell without a count
            count += 1
    nbformat.write(source, path)
    return count


def main(names: list[str]) -> None:
    paths = [PLAYBOOKS / n for n in names] if names else sorted(PLAYBOOKS.glob("0*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            print(f"{path.name}: {refresh(path, Path(tmp))} checked cell(s) refreshed")


if __name__ == "__main__":
    main(sys.argv[1:])
