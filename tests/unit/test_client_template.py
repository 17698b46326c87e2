"""client_template/: what `cx new` copies for a new client.

The template's YAML files validate against the config model; the commented examples in
engagement.yaml are valid once uncommented; inputs/ holds only the README files, one per
canonical table, each documenting every canonical column; and the example rows in those
READMEs pass the kit's own validation when dropped into inputs/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxlib.config import TABLES, Engagement, load_codeframe, load_engagement
from cxlib.schemas import CANONICAL

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "client_template"
_MARKER = re.compile(r"^(\s*)# ([a-z_]+):(\s|$)")
_EXAMPLE = re.compile(r"Example \(`(inputs/[\w.]+)`.*?```csv\n(.*?)```", re.S)


def uncomment_examples(text: str) -> str:
    """Uncomment every commented example block (`# key:` and the `#   ...` lines under it)."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        m = _MARKER.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = m.group(1)
        out.append(indent + lines[i][len(indent) + 2 :])
        i += 1
        while i < len(lines) and lines[i].startswith(indent + "#   "):
            out.append(indent + lines[i][len(indent) + 2 :])
            i += 1
    return "\n".join(out) + "\n"


def readme(table: str) -> str:
    return (TEMPLATE / "inputs" / f"README_{table}.md").read_text(encoding="utf-8")


def examples() -> dict[str, str]:
    """File name -> example CSV text, from every table README."""
    found = {}
    for table in TABLES:
        matches = _EXAMPLE.findall(readme(table))
        assert len(matches) == 1, table
        found[matches[0][0]] = matches[0][1]
    return found


def test_engagement_and_codeframe_validate():
    engagement = load_engagement(TEMPLATE)
    assert engagement.client.name == "Client name"
    assert engagement.waves.labels == ["2026Q1"]
    assert [s.file for s in engagement.inputs.customers] == ["inputs/customers.csv"]
    assert [(s.file, s.wave) for s in engagement.inputs.responses] == [
        ("inputs/responses_2026Q1.csv", "2026Q1")
    ]
    codeframe = load_codeframe(TEMPLATE / "codeframe.yaml")
    assert codeframe.version == "1"
    assert len(codeframe.themes) == 8


def test_cx_new_replaces_the_placeholder_and_copies_everything(tmp_path):
    from cxlib.cli import create_engagement

    text = (TEMPLATE / "engagement.yaml").read_text(encoding="utf-8")
    assert text.count("Client name") == 1
    folder = create_engagement(tmp_path / "acme", name='Acme "Telecom"', consultant="Harbour")
    engagement = load_engagement(folder)
    assert engagement.client.name == 'Acme "Telecom"'
    assert engagement.client.consultant == "Harbour"
    copied = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    assert copied == sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file())
    assert "Client name" not in (folder / "engagement.yaml").read_text(encoding="utf-8")


def test_commented_examples_are_valid_once_uncommented():
    text = uncomment_examples((TEMPLATE / "engagement.yaml").read_text(encoding="utf-8"))
    data = yaml.safe_load(text)
    engagement = Engagement.model_validate(data)
    assert engagement.strategy.goals[0].accountable == ["Head of Billing"]
    assert engagement.strategy.cx_goal.target == pytest.approx(0.88)
    assert len(engagement.journey.stages) == 7
    assert {t.id for t in engagement.journey.touchpoints} == {"support_chat", "support_phone"}
    assert all(getattr(engagement.inputs, t) for t in TABLES)
    assert engagement.personas.cards[0].match == {
        "monthly_data_gb": "high",
        "app_logins_per_month": "high",
    }
    assert [t.kpi for t in engagement.kpis.targets] == ["nps", "csat", "ces", "retention"]
    assert engagement.governance.budget == 500000
    assert [d.raci for d in engagement.governance.decisions] == [
        {"Chief Financial Officer": "A", "Chief Customer Officer": "R", "CX Lead": "C"}
    ]
    # the uncommented files are the ones the table READMEs give examples for
    files = {s.file for t in TABLES for s in getattr(engagement.inputs, t)}
    assert files == set(examples())


def test_inputs_hold_one_readme_per_table_and_nothing_else():
    files = sorted(p.name for p in (TEMPLATE / "inputs").iterdir())
    assert files == sorted(["README.md", *(f"README_{t}.md" for t in TABLES)])
    index = (TEMPLATE / "inputs" / "README.md").read_text(encoding="utf-8")
    for table in TABLES:
        assert f"(README_{table}.md)" in index


@pytest.mark.parametrize("table", TABLES)
def test_table_readme_documents_every_canonical_column(table):
    text = readme(table)
    assert text.startswith(f"# {table}:")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", text, re.M)}
    schema = CANONICAL[table]
    assert set(schema.columns) <= set(rows)
    for name, spec in schema.columns.items():
        row = rows[name]
        if spec.required:
            assert "| yes" in row, name
        for allowed in spec.allowed:
            assert allowed in row, (name, allowed)
        if spec.kind == "score":
            assert f"{spec.low:g}-{spec.high:g}" in row, name
    ((_, example),) = _EXAMPLE.findall(text)
    columns = example.splitlines()[0].split(",")
    assert {n for n, s in schema.columns.items() if s.required} - {"wave"} <= set(columns)


def _example_engagement(tmp_path: Path, *, full: bool) -> Path:
    folder = tmp_path / ("full" if full else "minimal")
    shutil.copytree(TEMPLATE, folder)
    if full:
        config = folder / "engagement.yaml"
        config.write_text(uncomment_examples(config.read_text(encoding="utf-8")), encoding="utf-8")
    for name, body in examples().items():
        if full or name in ("inputs/customers.csv", "inputs/responses_2026Q1.csv"):
            (folder / name).write_text(body, encoding="utf-8")
    return folder


@pytest.mark.parametrize("full", [False, True], ids=["minimal", "every_example"])
def test_readme_examples_pass_validation(tmp_path, full):
    from cxlib import ingest

    folder = _example_engagement(tmp_path, full=full)
    report = ingest.validate(folder)
    assert [str(p) for p in report.problems] == []
    assert report.rows["customers"] == 1 and report.rows["responses"] == 1
    if full:
        assert all(report.rows[t] == 1 for t in TABLES)
    customers = pd.read_csv(folder / "inputs" / "customers.csv")
    assert customers.loc[0, "customer_id"] == "C1001"


@pytest.mark.parametrize(
    ("comment", "theme"),
    [
        ("The price went up again this year", "Price and value"),
        ("I was charged twice on my invoice", "Billing and payments"),
        ("The agent was friendly and sorted it", "Customer service"),
        ("Waited 40 minutes on hold", "Waiting and speed"),
        ("Still waiting for someone to fix it", "Issue resolution"),
        ("The app crashes every time I log in", "Digital (app and website)"),
        ("My router is faulty again", "Product and service quality"),
        ("Nobody kept me updated by e-mail", "Communication"),
    ],
)
def test_starter_codeframe_tags_typical_comments(comment, theme):
    from cxlib import text, voc

    codeframe = voc.codeframe_from_config(load_codeframe(TEMPLATE / "codeframe.yaml"))
    tags = text.tag_themes(pd.Series([comment]), codeframe)
    assert theme in set(tags["theme"].astype(str))


def test_starter_codeframe_excludes_billboards():
    from cxlib import text, voc

    codeframe = voc.codeframe_from_config(load_codeframe(TEMPLATE / "codeframe.yaml"))
    tags = text.tag_themes(pd.Series(["Saw your bill on a billboard"]), codeframe)
    assert "Billing and payments" not in set(tags["theme"].astype(str))
