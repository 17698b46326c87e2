"""The user guide in docs/: generated reference current, links valid, every error explained."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from cxlib import config

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
ERRORS = {
    "CxError",
    "ConfigError",
    "InputError",
    "StepFailed",
    "ReportError",
    "JourneyError",
    "CodeframeError",
    "DriverDataError",
    "InvalidDataError",
    "BaselineLocked",
    "BaselineTampered",
    "PersonaError",
    "PdfExportError",
}


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_config_reference", DOCS / "make_config_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_config_reference_is_up_to_date():
    committed = (DOCS / "config-reference.md").read_text(encoding="utf-8")
    assert committed == _generator().render(), (
        "docs/config-reference.md is stale: run python docs/make_config_reference.py"
    )


def _fields(model, prefix=""):
    """Every (key path, description) of a model, walked independently of the generator."""
    for name, field in model.model_fields.items():
        yield f"{prefix}{name}", field.description
        for sub in _submodels(field.annotation):
            if sub is not model:
                yield from _fields(sub, f"{prefix}{name}.")


def _submodels(annotation):
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _submodels(arg)]


def _documented(key: str, text: str) -> bool:
    """Whether a key path has a row; a repeated section may say "Same keys as `other`"."""
    parts = key.split(".")

    def row(path: list[str]) -> bool:
        pattern = r"`" + r"(?:\[\])?\.".join(map(re.escape, path)) + r"(?:\[\])?`"
        return re.search(pattern, text) is not None

    if row(parts):
        return True
    for cut in range(len(parts) - 1, 0, -1):
        head = r"(?:\[\])?\.".join(map(re.escape, parts[:cut]))
        same = re.search(r"## `" + head + r"(?:\[\])?`\n\nSame keys as `([^`]+)`", text)
        if same:
            return row([*same.group(1).replace("[]", "").split("."), *parts[cut:]])
    return False


def test_config_reference_lists_every_setting_with_its_help():
    text = (DOCS / "config-reference.md").read_text(encoding="utf-8")
    keys = list(_fields(config.Engagement))
    assert len(keys) > 100
    for key, description in keys:
        # List fields are written key[] in the reference.
        assert _documented(key, text), key
        if description:
            assert " ".join(description.split()).replace("|", "\\|") in text, key


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_index_links_every_page_and_readme_links_docs():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in PAGES:
        if page.name != "index.md":
            assert f"]({page.name})" in index, page.name
    assert "](docs/)" in (ROOT / "README.md").read_text(encoding="utf-8")


def _messages():
    """The fixed text of every kit error raised in cxlib: the longest literal piece of each."""
    for path in sorted((ROOT / "cxlib").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in ERRORS or not node.exc.args:
                continue
            arg = node.exc.args[0]
            pieces = []
            for part in ast.walk(arg):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    pieces.append(part.value)
            if pieces:
                yield path.name, max(pieces, key=len)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "").replace("\\|", "|")).strip()


def test_troubleshooting_explains_every_error_message():
    guide = _norm((DOCS / "troubleshooting.md").read_text(encoding="utf-8"))
    messages = list(_messages())
    assert len(messages) > 60
    missing = []
    for file, piece in messages:
        words = [w for w in re.split(r"[^A-Za-z0-9_.:'\- ]+", piece) if len(w.strip()) > 6]
        if words and not all(_norm(w) in guide for w in words):
            missing.append(f"{file}: {piece!r}")
    assert not missing, "undocumented error messages:\n" + "\n".join(missing)


def test_troubleshooting_gives_every_exit_code():
    guide = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130 |"):
        assert code in guide


def test_readme_points_to_batch_runs_and_its_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for usage in ("cx batch clients/ --jobs 2", "--resume", "--scheduler tcp://host:port"):
        assert usage in readme, usage
    assert "](docs/batch.md)" in readme
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme):
        if not re.match(r"[a-z]+:", target):
            assert (ROOT / target).exists(), f"README.md links to missing {target}"
