"""Building blocks of the engagement.yaml model: the strict base model and shared types."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
)

__all__ = ["RelPath", "WaveLabel"]

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """Accept a single mapping where a list of them is expected."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return value


def _safe_relative(value: str) -> str:
    path = PurePosixPath(str(value).replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", str(value)):
        raise ValueError(
            f"expected a path inside the engagement folder (like inputs/file.csv), found {value!r}"
        )
    return str(path)


RelPath = Annotated[str, BeforeValidator(_safe_relative)]
WaveLabel = Annotated[
    StrictStr,
    Field(description="A wave label such as 2026Q1; quote it in YAML so it stays text."),
]
