"""engagement.yaml model: valid files load, mistakes name the key path and line."""

import textwrap
from pathlib import Path

import pytest

from cxlib import config
from cxlib.errors import ConfigError

MINIMAL = """\
client:
  name: Acme Telecom
  consultant: Harbour CX
waves:
  labels: ["2026Q1", "2026Q3"]
  baseline: "2026Q1"
inputs:
  customers:
    file: inputs/customers.csv
  responses:
    - file: inputs/wave1.csv
      wave: "2026Q1"
      columns: {"Customer ID": customer_id, "NPS": nps}
    - file: inputs/wave2.xlsx
      format: excel
      wave: "2026Q3"
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "engagement.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, text: str) -> list:
    with pytest.raises(ConfigError) as info:
        config.load_engagement(write(tmp_path, text))
    return info.value.problems


def test_minimal_engagement_loads_with_defaults(tmp_path):
    eng = config.load_engagement(write(tmp_path, MINIMAL))
    assert eng.client.name == "Acme Telecom"
    assert eng.branding.client_name == "Acme Telecom"
    assert eng.branding.consultant == "Harbour CX"
    assert [s.file for s in eng.inputs.customers] == ["inputs/customers.csv"]
    assert eng.inputs.responses[1].format == "excel"
    assert eng.inputs.responses[0].columns == {"Customer ID": "customer_id", "NPS": "nps"}
    assert eng.survey.min_base == 30 and eng.survey.confidence == 0.95
    assert eng.waves.baseline == "2026Q1"


def test_unknown_key_names_path_and_line(tmp_path):
    text = MINIMAL.replace(
        "  consultant: Harbour CX\n", "  consultant: Harbour CX\n  colour: red\n"
    )
    (problem,) = problems(tmp_path, text)
    assert problem.column == "client.colour"
    assert problem.row == 4
    assert "unknown key 'colour'" in problem.found


def test_wrong_type_and_missing_key_are_all_reported(tmp_path):
    text = MINIMAL.replace('labels: ["2026Q1", "2026Q3"]', "labels: 7").replace(
        "  name: Acme Telecom\n", ""
    )
    found = {p.column: p for p in problems(tmp_path, text)}
    assert set(found) == {"client.name", "waves.labels"}
    assert found["client.name"].found == "nothing"
    assert found["waves.labels"].row == 4  # line 5 before client.name was removed
    assert "list" in found["waves.labels"].expected


def test_unquoted_wave_label_that_yaml_reads_as_number_is_an_error(tmp_path):
    text = MINIMAL.replace('["2026Q1", "2026Q3"]', '["2026Q1", 2024.10]')
    (problem,) = problems(tmp_path, text)
    assert problem.column == "waves.labels.1"
    assert problem.found == "2024.1"


def test_yaml_is_loaded_safely(tmp_path):
    text = MINIMAL + "strategy: !!python/object/apply:os.system ['echo hacked']\n"
    (problem,) = problems(tmp_path, text)
    assert problem.expected == "valid YAML"
    assert "python/object" in problem.found


@pytest.mark.parametrize(
    "bad", ["../secrets.csv", "/etc/passwd", "inputs/../../x.csv", "C:/x.csv"]
)
def test_input_paths_must_stay_inside_the_engagement(tmp_path, bad):
    text = MINIMAL.replace("file: inputs/customers.csv", f"file: {bad}")
    (problem,) = problems(tmp_path, text)
    assert problem.column == "inputs.customers.0.file"
    assert "inside the engagement folder" in problem.expected


def test_bad_colour_and_baseline_not_in_labels(tmp_path):
    text = MINIMAL + "branding:\n  primary_color: blue\n"
    text = text.replace('baseline: "2026Q1"', 'baseline: "2025Q4"')
    found = {p.column: p for p in problems(tmp_path, text)}
    assert "branding.primary_color" in found
    assert "#1F4E79" in found["branding.primary_color"].expected
    assert "waves" in found
    assert "2025Q4" in found["waves"].expected


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        config.load_engagement(tmp_path)
    (tmp_path / "engagement.yaml").write_text("")
    with pytest.raises(ConfigError, match="an empty file"):
        config.load_engagement(tmp_path)


@pytest.mark.parametrize("name", ["clients/acme", "acme-2026", "clients/Acme_Telecom.v2"])
def test_safe_engagement_names(name):
    assert config.check_engagement_name(name) == Path(name)


@pytest.mark.parametrize("name", ["../acme", "clients/../../etc", "clients/.hidden", "a b", ""])
def test_unsafe_engagement_names(name):
    with pytest.raises(ConfigError):
        config.check_engagement_name(name)


def test_codeframe_checks_patterns(tmp_path):
    path = tmp_path / "codeframe.yaml"
    path.write_text('version: "2"\nthemes:\n  - name: Billing\n    patterns: ["bill(ing"]\n')
    with pytest.raises(ConfigError) as info:
        config.load_codeframe(path)
    assert info.value.problems[0].column == "themes.0.patterns"
    assert info.value.problems[0].row == 4
    path.write_text('version: "2"\nthemes:\n  - name: Billing\n    keywords: [bill]\n')
    assert config.load_codeframe(path).themes[0].keywords == ["bill"]


def test_goal_must_name_known_objectives(tmp_path):
    text = MINIMAL + textwrap.dedent(
        """\
        strategy:
          vision: v
          mission: {purpose: p, customers: c, promise: q}
          success: {customer_action: a, measure: m, target: "80%", by: "2027"}
          business_objectives: [{id: grow, title: Grow}]
          goals:
            - {id: g1, title: G, accountable: Ann, objectives: [grow, shrink]}
          cx_goal:
            statement: s
            action: renew
            measure: {table: customers, column: churned, op: "==", value: false}
            target: 0.85
        """
    )
    (problem,) = problems(tmp_path, text)
    assert problem.column == "strategy"
    assert "shrink" in problem.expected


def test_paths_resolve_inside_and_refuse_escape(tmp_path):
    paths = config.EngagementPaths(tmp_path)
    assert paths.resolve("inputs/a.csv") == (tmp_path / "inputs" / "a.csv").resolve()
    with pytest.raises(ConfigError):
        paths.resolve("../outside.csv")
    run = paths.run("r1")
    assert run.clean == tmp_path / "runs" / "r1" / "clean"
    assert run.run_json.name == "run.json"


def test_yaml_syntax_error_names_its_line(tmp_path):
    text = MINIMAL.replace("  consultant: Harbour CX\n", '  consultant: "Harbour CX\n')
    (problem,) = problems(tmp_path, text)
    assert problem.expected == "valid YAML"
    assert problem.row == 5  # where the parser finds the string still open
    assert "labels:" in problem.found  # the message quotes the line


def test_two_documents_in_one_file_are_an_error(tmp_path):
    (problem,) = problems(tmp_path, MINIMAL + "---\nclient: {name: Other}\n")
    assert problem.expected == "valid YAML"
    assert "single document" in problem.found


def test_demo_engagement_reads_the_same_with_either_yaml_parser():
    import yaml

    text = (Path(__file__).parents[2] / "data" / "demo" / "engagement.yaml").read_text()
    data, root = config._load_yaml(Path(__file__).parents[2] / "data" / "demo" / "engagement.yaml")
    assert data == yaml.load(text, Loader=yaml.SafeLoader)  # PyYAML's pure-Python parser
    assert root.value[0][0].value == "client" and root.value[0][0].start_mark.line == 8
