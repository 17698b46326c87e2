"""The kit's exception types.

Every error the kit raises on purpose derives from :class:`CxError`, so the CLI can print
it as one clear message instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CxError", "ConfigError", "InputError", "Problem", "StepFailed"]


class CxError(Exception):
    """Base class for errors the kit explains to the user."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file or in the configuration.

    Attributes
    ----------
    file : str
        The file as the user knows it (relative to the engagement folder).
    row : int or None
        The row number as a spreadsheet shows it (header rows counted), or None when the
        problem concerns the whole file or column.
    column : str or None
        The column header as it appears in the file, or a config key path.
    expected : str
        What the kit expected, in words.
    found : str
        What it found instead.
    """

    file: str
    row: int | None
    column: str | None
    expected: str
    found: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: expected {self.expected}; found {self.found}"


class ConfigError(CxError):
    """engagement.yaml (or another config file) is invalid."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the configuration:\n{lines}")


class InputError(CxError):
    """One or more input files failed validation; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        if more > 0:
            shown += f"\n  ... and {more} more (see the validation report)"
        super().__init__(f"{len(self.problems)} problem(s) in the inputs:\n{shown}")


class StepFailed(CxError):
    """A playbook failed while executing."""

    def __init__(self, step: str, notebook: str, cell: int | None, error: str):
        self.step, self.notebook, self.cell, self.error = step, notebook, cell, error
        where = f"cell {cell}" if cell is not None else "start-up"
        super().__init__(f"step {step} failed in {notebook} ({where}): {error}")
