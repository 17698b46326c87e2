"""The engagement.yaml model, its loader, and every path the kit uses.

Every field carries its help text once, here; ``cx validate`` messages and the docs read it
from the model. Unknown keys and wrong types are errors that name the key path and the line
in engagement.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from cxlib.config_base import _HEX, RelPath, WaveLabel, _as_list, _Model, _safe_relative
from cxlib.config_steps import (  # noqa: F401 - re-exported: the whole model is read from here
    BusinessObjective,
    Committee,
    Condition,
    ContactPolicy,
    CxGoal,
    EvidenceWeights,
    Goal,
    Governance,
    Journey,
    Kpis,
    KpiTarget,
    MissionInputs,
    OperationalMetric,
    PersonaCard,
    PersonaRule,
    Personas,
    RaciDecision,
    Strategy,
    SuccessInputs,
    Touchpoint,
)
from cxlib.errors import ConfigError, Problem

__all__ = [
    "TABLES",
    "Branding",
    "Codeframe",
    "Engagement",
    "Governance",
    "EngagementPaths",
    "RunPaths",
    "Source",
    "check_engagement_name",
    "kit_root",
    "load_codeframe",
    "load_engagement",
    "playbooks_dir",
]

#: Canonical tables, in the order ingest handles them.
TABLES = (
    "customers",
    "responses",
    "touchpoint_events",
    "stakeholders",
    "initiatives",
    "contacts",
    "employee_pulse",
)


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class Branding(_Model):
    """How the client's reports look."""

    client_name: str = Field("", description="Filled from client.name; shown on every page.")
    consultant: str = Field("", description="Filled from client.consultant; on the cover block.")
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

    @field_validator("logo", mode="before")
    @classmethod
    def _logo_inside(cls, value: Any) -> Any:
        return None if value in (None, "") else _safe_relative(value)


class Client(_Model):
    """Who the engagement is for."""

    name: str = Field(min_length=1, description="The client's name as it appears in reports.")
    consultant: str = Field("", description="Consultant or agency named in reports.")
    industry: str = Field("", description="Industry, for the report's cover.")


class Source(_Model):
    """One input file and how its columns map onto a canonical table."""

    file: RelPath = Field(description="The export, relative to the engagement folder.")
    format: Literal["auto", "csv", "excel", "qualtrics", "surveymonkey"] = Field(
        "auto", description="Export format; auto recognises Qualtrics and SurveyMonkey layouts."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Client header -> canonical column name. Unmapped columns are kept.",
    )
    wave: WaveLabel | None = Field(None, description="Wave of every row, when the file has none.")
    sheet: str | int | None = Field(None, description="Excel sheet name or index (default first).")
    encoding: str | None = Field(None, description="Text encoding; detected when omitted.")
    delimiter: str | None = Field(None, description="Field separator; detected when omitted.")
    decimal: Literal[".", ","] | None = Field(None, description="Decimal mark; else detected.")
    date_format: str | None = Field(
        None, description="strftime format of the dates, e.g. %d/%m/%Y; needed if ambiguous."
    )


_SourceList = Annotated[list[Source], BeforeValidator(_as_list)]


class Inputs(_Model):
    """Where each canonical table comes from."""

    customers: _SourceList = Field(description="The customer base (one row per customer).")
    responses: _SourceList = Field(description="Survey responses, one or more files/waves.")
    touchpoint_events: _SourceList = Field(default_factory=list, description="Journey events.")
    stakeholders: _SourceList = Field(default_factory=list, description="People for governance.")
    initiatives: _SourceList = Field(default_factory=list, description="Improvement ideas.")
    contacts: _SourceList = Field(default_factory=list, description="Survey contact log.")
    employee_pulse: _SourceList = Field(default_factory=list, description="Employee pulse.")


class Survey(_Model):
    """How the survey's scores are read."""

    attributes: list[str] = Field(
        default_factory=list, description="Canonical names of the attribute rating columns."
    )
    attribute_scale: tuple[int, int] = Field((1, 5), description="Lowest and highest rating.")
    non_substantive_codes: dict[str, list[float]] = Field(
        default_factory=dict,
        description="Codes meaning 'no answer' per column (e.g. nps: [99, -1]); read as missing.",
    )
    min_base: int = Field(30, ge=1, description="Estimates on fewer responses are flagged.")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of intervals.")


class Waves(_Model):
    """Survey waves, oldest first."""

    labels: list[WaveLabel] = Field(min_length=1, description="Wave labels, oldest first.")
    baseline: WaveLabel = Field(description="The wave that sets the baseline.")

    @model_validator(mode="after")
    def _baseline_known(self) -> Waves:
        if self.baseline not in self.labels:
            raise ValueError(f"baseline {self.baseline!r} is not one of labels {self.labels}")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("wave labels must be unique")
        return self


class Engagement(_Model):
    """The whole engagement.yaml."""

    client: Client
    branding: Branding = Field(default_factory=Branding)
    waves: Waves
    inputs: Inputs
    survey: Survey = Field(default_factory=Survey)
    strategy: Strategy | None = None
    journey: Journey | None = None
    personas: Personas = Field(default_factory=Personas)
    kpis: Kpis = Field(default_factory=Kpis)
    governance: Governance = Field(
        default_factory=Governance, description="Step 5: governance, RACI, contacts, roadmap."
    )

    @model_validator(mode="before")
    @classmethod
    def _brand_from_client(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("client"), dict):
            branding = dict(data.get("branding") or {})
            branding.setdefault("client_name", data["client"].get("name", ""))
            branding.setdefault("consultant", data["client"].get("consultant", ""))
            data = {**data, "branding": branding}
        return data


class Theme(_Model):
    """One theme of the codeframe."""

    name: str = Field(min_length=1, description="Theme name shown in reports.")
    description: str = Field("", description="What the theme covers, for coders.")
    keywords: list[str] = Field(
        default_factory=list, description="Words that tag a comment; '*' ends a stem: charge*."
    )
    patterns: list[str] = Field(
        default_factory=list, description="Regular expressions that tag a comment."
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Terms that keep a comment out of the theme, e.g. billboard.",
    )

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                msg = f"pattern {pattern!r} is not a valid regular expression: {exc}"
                raise ValueError(msg) from None
        return value


class Codeframe(_Model):
    """codeframe.yaml: versioned themes for tagging comments."""

    version: StrictStr = Field(description="Codeframe version; quote it.")
    themes: list[Theme] = Field(min_length=1)


# --------------------------------------------------------------------------- loading


def _line_of(root: yaml.Node | None, loc: Iterable[Any]) -> int | None:
    """Line (1-based) of the YAML node at a key path, or of its nearest parent."""
    node, line = root, None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    if not path.is_file():
        raise ConfigError([Problem(str(path), None, None, "a YAML file", "no such file")])
    text = path.read_text(encoding="utf-8-sig")
    # One parse gives both the node tree (for line numbers) and the data; libyaml's parser,
    # where present, is about fifteen times faster than PyYAML's own, and every playbook
    # reads engagement.yaml again. Same safe constructor either way.
    try:
        return _parse_yaml(text, _SafeLoader)
    except yaml.YAMLError as exc:
        # PyYAML's own parser quotes the offending line in its message; libyaml's does not.
        error = exc if _SafeLoader is yaml.SafeLoader else _plain_parser_error(text) or exc
        mark = getattr(error, "problem_mark", None)
        row = mark.line + 1 if mark else None
        raise ConfigError([Problem(path.name, row, None, "valid YAML", str(error))]) from exc


def _plain_parser_error(text: str) -> yaml.YAMLError | None:
    try:
        _parse_yaml(text, yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return exc
    return None


def _parse_yaml(text: str, loader_class: type) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()


def _parse(model: type[_Model], path: Path) -> Any:
    data, root = _load_yaml(path)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        raise ConfigError([Problem(path.name, None, None, "a mapping of settings", found)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            key = ".".join(str(p) for p in loc) or "(top level)"
            if err["type"] == "extra_forbidden":
                expected = "one of the known settings (see client_template/engagement.yaml)"
                found = f"unknown key {key.rsplit('.', 1)[-1]!r}"
            elif err["type"] == "missing":
                expected, found = "this setting", "nothing"
            else:
                expected = err["msg"].removeprefix("Value error, ")
                found = repr(err.get("input"))[:80]
            problems.append(Problem(path.name, _line_of(root, loc), key, expected, found))
        raise ConfigError(problems) from None


def load_engagement(folder: str | Path) -> Engagement:
    """Read and validate ``engagement.yaml`` in an engagement folder.

    Parameters
    ----------
    folder : str or Path
        The engagement folder.

    Returns
    -------
    Engagement
        The validated configuration.

    Raises
    ------
    ConfigError
        Listing every problem with its key path and line.
    """
    return _parse(Engagement, EngagementPaths(Path(folder)).config)


def load_codeframe(path: str | Path) -> Codeframe:
    """Read and validate a codeframe.yaml file.

    Parameters
    ----------
    path : str or Path
        The codeframe file.

    Returns
    -------
    Codeframe
        The validated codeframe.
    """
    return _parse(Codeframe, Path(path))


def check_engagement_name(folder: str | Path) -> Path:
    """Check that an engagement folder's name is safe and return the path.

    The last component must be a plain name (letters, digits, ``_``, ``.``, ``-``), and no
    component may be ``..``, so a typed name cannot escape the intended folder.

    Parameters
    ----------
    folder : str or Path
        The folder the user typed.

    Returns
    -------
    Path
        The same path.

    Raises
    ------
    ConfigError
        When the name is not safe.
    """
    path = Path(folder)
    if ".." in path.parts or not _NAME.match(path.name):
        raise ConfigError(
            [
                Problem(
                    str(folder),
                    None,
                    None,
                    "a folder name of letters, digits, '_', '.' or '-' (no '..')",
                    repr(path.name),
                )
            ]
        )
    return path


# --------------------------------------------------------------------------- paths


def kit_root() -> Path:
    """Folder that holds the kit's ``playbooks/``, ``client_template/`` and ``data/``."""
    return Path(__file__).resolve().parent.parent


def playbooks_dir() -> Path:
    """Folder with the seven playbooks."""
    return kit_root() / "playbooks"


@dataclass(frozen=True)
class RunPaths:
    """Every path inside one run folder."""

    root: Path

    @property
    def clean(self) -> Path:
        """Clean canonical tables as Parquet."""
        return self.root / "clean"

    @property
    def results(self) -> Path:
        """Machine-readable results of each step."""
        return self.root / "results"

    @property
    def notebooks(self) -> Path:
        """Executed notebooks."""
        return self.root / "notebooks"

    @property
    def html(self) -> Path:
        """Rendered pages, promoted to the engagement's reports/ on success."""
        return self.root / "html"

    @property
    def run_json(self) -> Path:
        """The run's record: parameters, fingerprints, timings, status."""
        return self.root / "run.json"

    @property
    def validation(self) -> Path:
        """The validation report (problems and repairs), as CSV."""
        return self.root / "validation.csv"


@dataclass(frozen=True)
class EngagementPaths:
    """Every path inside one engagement folder."""

    root: Path

    @property
    def config(self) -> Path:
        """engagement.yaml."""
        return self.root / "engagement.yaml"

    @property
    def codeframe(self) -> Path:
        """codeframe.yaml."""
        return self.root / "codeframe.yaml"

    @property
    def inputs(self) -> Path:
        """The client's exports (never modified)."""
        return self.root / "inputs"

    @property
    def runs(self) -> Path:
        """One folder per run."""
        return self.root / "runs"

    @property
    def reports(self) -> Path:
        """The promoted, client-ready report."""
        return self.root / "reports"

    @property
    def baseline(self) -> Path:
        """Locked baselines, one JSON per wave."""
        return self.root / "baseline"

    def run(self, run_id: str) -> RunPaths:
        """Paths of one run."""
        return RunPaths(self.runs / run_id)

    def resolve(self, relative: str | Path) -> Path:
        """Make an engagement-relative path absolute, refusing paths that leave the folder."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ConfigError(
                [Problem(str(relative), None, None, "a path inside the engagement", str(path))]
            )
        return path
