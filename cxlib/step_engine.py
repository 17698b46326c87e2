"""The papermill engine the runner executes playbooks with.

papermill's own engine rewrites the whole output notebook before and after every cell (JSON
plus nbformat's schema validation, which grows with every chart already drawn), so that
someone watching the file sees progress. Nobody watches a step's notebook while it runs:
the run's progress bar and status lines say which step is running. This engine writes the
notebook when the step starts and when it ends, whether it succeeded, failed or timed out,
and keeps papermill's periodic save during a long cell. On the demo client that is 14
writes instead of about 400, some 0.7 CPU-seconds of a seven-step run.

The engine is registered with papermill as ``cx-step`` on import.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE_NAME", "StepEngine"]

#: Name to pass as papermill's ``engine_name``.
ENGINE_NAME = "cx-step"


class _StepNotebook(NotebookExecutionManager):
    """papermill's execution manager without the save around each cell."""

    _holding = False

    def save(self, **kwargs: Any) -> None:
        if not self._holding:
            super().save(**kwargs)

    @contextlib.contextmanager
    def _saves_held(self) -> Iterator[None]:
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._saves_held():
            super().cell_start(cell, cell_index, **kwargs)

    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._saves_held():
            super().cell_complete(cell, cell_index, **kwargs)


class StepEngine(NBClientEngine):
    """nbclient execution, saving the notebook at the start and the end of a step only.

    Mirrors :meth:`papermill.engines.Engine.execute_notebook` with :class:`_StepNotebook`
    as the execution manager; cell metadata (start, end, duration, status) is recorded
    exactly as papermill records it.
    """

    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = True,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        **kwargs: Any,
    ) -> Any:
        """Execute ``nb`` in ``kernel_name``; return the executed notebook (see papermill)."""
        nb_man = _StepNotebook(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()  # saves, with the traceback if a cell failed
        return nb_man.nb


papermill_engines.register(ENGINE_NAME, StepEngine)
