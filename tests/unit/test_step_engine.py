"""The runner's papermill engine: the same executed notebook, written at start and end only."""

from __future__ import annotations

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from cxlib import step_engine
from cxlib.config import playbooks_dir
from cxlib.kernels import WarmKernels

META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}


def notebook(path, *sources: str):
    params = nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]})
    cells = [params, nbformat.v4.new_markdown_cell("# Title")]
    cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=META), path)
    return path


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    pool = WarmKernels(playbooks_dir(), warmup="")
    yield pool
    pool.close()


@pytest.fixture
def saves(monkeypatch):
    """Output paths of every save papermill's execution manager makes."""
    written: list[str] = []
    real = step_engine.NotebookExecutionManager.save.__wrapped__

    def counting(self, **kwargs):
        written.append(self.output_path)
        return real(self, **kwargs)

    monkeypatch.setattr(step_engine.NotebookExecutionManager, "save", counting)
    return written


def execute(kernels, source, out, **kw):
    km = kernels.take()
    try:
        return papermill.execute_notebook(
            str(source),
            str(out),
            parameters={"n": 6},
            km=km,
            kernel_name="python3",
            progress_bar=False,
            engine_name=step_engine.ENGINE_NAME,
            execution_timeout=60,
            **kw,
        )
    finally:
        kernels.release(km)


def test_notebook_is_saved_at_start_and_end_only_with_every_output(kernels, saves, tmp_path):
    source = notebook(tmp_path / "in.ipynb", "print(n * 7)", "n + 1", "print('done')")
    out = tmp_path / "out.ipynb"
    execute(kernels, source, out)
    assert saves == [str(out), str(out)]  # papermill's own engine: 2 + 2 per cell = 16
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[2].outputs[0]["text"] == "42\n"  # injected n = 6 took effect
    assert code[3].outputs[0]["data"]["text/plain"] == "7"
    assert [c.metadata.papermill["status"] for c in nb.cells] == ["completed"] * len(nb.cells)
    assert all(c.metadata.papermill["duration"] is not None for c in code)


def test_a_failing_cell_leaves_its_traceback_in_the_saved_notebook(kernels, saves, tmp_path):
    source = notebook(tmp_path / "in.ipynb", "print('before')", "1 / 0", "print('never')")
    out = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError) as info:
        execute(kernels, source, out)
    assert info.value.ename == "ZeroDivisionError"
    nb = nbformat.read(out, as_version=4)
    failed = next(c for c in nb.cells if c.get("outputs") and c.outputs[-1].output_type == "error")
    assert failed.source == "1 / 0"
    assert failed.metadata.papermill["status"] == "failed"
    assert nb.metadata.papermill["exception"] is True
    assert not any("never" in str(c.get("outputs")) for c in nb.cells)
