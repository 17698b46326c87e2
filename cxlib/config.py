"""The engagement.yaml model, its loader, and every path the kit uses."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Branding"]

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Branding(_Model):
    """How the client's reports look."""

    client_name: str = Field(description="The client's name as it appears on every page.")
    consultant: str = Field("", description="Consultant or agency named on the cover block.")
    primary_color: str = Field("#1F4E79", description="Main brand colour, as #RRGGBB.")
    secondary_color: str = Field("#F2A900", description="Second brand colour, as #RRGGBB.")
    text_color: str = Field("#1A1A1A", description="Body text colour, as #RRGGBB.")
    logo: Path | None = Field(
        None, description="Logo file (PNG, JPEG or SVG), relative to the engagement folder."
    )
    font_family: str = Field(
        "Helvetica, Arial, sans-serif",
        description="CSS font stack; only fonts installed on the reader's machine are used.",
    )

    @field_validator("primary_color", "secondary_color", "text_color")
    @classmethod
    def _is_hex(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError(f"expected a colour like #1F4E79, found {value!r}")
        return value
