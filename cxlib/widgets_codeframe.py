"""What the codeframe workbench computes: a trial theme's matches, and saving it.

:func:`codeframe_trial` is pure; :func:`save_theme` writes ``codeframe.yaml`` on purpose,
atomically and only after the new file validates. The widget is
:class:`cxlib.widgets.CodeframeWorkbench`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cxlib import redact as _redact
from cxlib import text
from cxlib.errors import CxError

__all__ = ["CodeframeTrial", "codeframe_trial", "save_theme"]


@dataclass(frozen=True)
class CodeframeTrial:
    """Comments a trial theme catches.

    Attributes
    ----------
    n_comments : int
        Non-blank comments searched.
    n_matched : int
        Comments the theme tags (negated mentions included).
    share : float
        ``n_matched / n_comments`` (NaN without comments).
    matches : pandas.DataFrame
        ``response`` (index of the comment) and ``comment`` (redacted), up to ``limit``.
    """

    n_comments: int
    n_matched: int
    share: float
    matches: pd.DataFrame


def _theme_dict(name: str, keywords: Iterable[str], patterns: Iterable[str], description: str):
    theme: dict[str, Any] = {"name": name}
    if description:
        theme["description"] = description
    kws = [k.strip() for k in keywords if k and k.strip()]
    pats = [p for p in patterns if p and p.strip()]
    if kws:
        theme["keywords"] = kws
    if pats:
        theme["patterns"] = pats
    return theme


def codeframe_trial(
    comments: pd.Series,
    *,
    keywords: Iterable[str] = (),
    patterns: Iterable[str] = (),
    names: Iterable[str] = (),
    limit: int = 20,
) -> CodeframeTrial:
    """Count and show (redacted) the comments a candidate theme would tag.

    Parameters
    ----------
    comments : pandas.Series
        Comments, indexed by response.
    keywords, patterns : iterable of str
        As in codeframe.yaml (keywords whole-word, ``*`` a word ending; patterns regex).
    names : iterable of str
        Customer names to redact.
    limit : int, default 20
        Matching comments returned.

    Returns
    -------
    CodeframeTrial
        Counts and the first ``limit`` matches, redacted.

    Raises
    ------
    cxlib.text.CodeframeError
        If a pattern is not a valid regular expression.

    Notes
    -----
    Matching is :func:`cxlib.text.tag_themes` with a one-theme codeframe, so the counts are
    the ones step 4 will find once the theme is saved.

    Examples
    --------
    >>> c = pd.Series(["my bill is wrong", "great signal", "billing mess"])
    >>> t = codeframe_trial(c, keywords=["bill*"])
    >>> t.n_matched, list(t.matches["comment"])
    (2, ['my bill is wrong', 'billing mess'])
    """
    kws, pats = list(keywords), list(patterns)
    texts = comments.astype(object)
    blank = texts.isna() | (texts.astype(str).str.strip() == "")
    n_comments = int((~blank).sum())
    theme = _theme_dict("trial", kws, pats, "")
    if len(theme) == 1:
        empty = pd.DataFrame({"response": pd.Series(dtype=object), "comment": []})
        return CodeframeTrial(n_comments, 0, float("nan") if not n_comments else 0.0, empty)
    tags = text.tag_themes(texts, {"version": "trial", "themes": [theme]})
    hit = texts.index[texts.index.isin(tags["response"].unique())]
    shown = texts.loc[hit[:limit]]
    redacted = _redact.redact(shown.reset_index(drop=True), names=names).redacted
    matches = pd.DataFrame({"response": list(hit[:limit]), "comment": redacted.to_numpy()})
    share = len(hit) / n_comments if n_comments else float("nan")
    return CodeframeTrial(n_comments, int(len(hit)), share, matches)


def save_theme(
    path: str | Path,
    name: str,
    *,
    keywords: Iterable[str] = (),
    patterns: Iterable[str] = (),
    description: str = "",
) -> Path:
    """Add a theme to codeframe.yaml, keeping every other theme and the file's comments.

    Parameters
    ----------
    path : str or Path
        The codeframe file.
    name : str
        The new theme's name (must not exist yet).
    keywords, patterns : iterable of str
        Its keywords and regular expressions (at least one of them).
    description : str, optional
        Its description.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    cxlib.errors.CxError
        If the name is empty or taken, there is nothing to match, or the result would not
        validate; the file is then left untouched.

    Notes
    -----
    The theme is appended as text after the last theme when ``themes:`` is the file's
    last section, so comments and layout survive; otherwise the file is re-written from
    its parsed content. Either way the new text is checked (same themes as before plus
    the new one, and :func:`cxlib.config.load_codeframe` passes) on a temporary file that
    then replaces the original atomically.
    """
    from cxlib.config import load_codeframe

    path = Path(path)
    name = str(name).strip()
    if not name:
        raise CxError("a theme needs a name")
    theme = _theme_dict(name, keywords, patterns, description.strip())
    if "keywords" not in theme and "patterns" not in theme:
        raise CxError(f"theme {name!r} needs at least one keyword or pattern")
    before = load_codeframe(path)
    if name.casefold() in {t.name.casefold() for t in before.themes}:
        raise CxError(f"codeframe.yaml already has a theme called {name!r}")
    original = path.read_text(encoding="utf-8-sig")
    data = yaml.safe_load(original)
    expected = {**data, "themes": [*data["themes"], theme]}
    block = yaml.safe_dump([theme], sort_keys=False, allow_unicode=True, width=100)
    indent = _item_indent(original)
    new_text = (
        original.rstrip("\n")
        + "\n"
        + "".join(" " * indent + ln + "\n" for ln in block.splitlines())
    )
    try:
        appended_ok = yaml.safe_load(new_text) == expected
    except yaml.YAMLError:
        appended_ok = False
    if not appended_ok:
        new_text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=100)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new_text)
        after = load_codeframe(tmp)
        if [t.name for t in after.themes] != [*(t.name for t in before.themes), name]:
            raise CxError("the new codeframe would not keep every existing theme; not saved")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _item_indent(source: str) -> int:
    """Indentation of the list items under ``themes:`` (2 when not found)."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("themes:"):
            for item in lines[i + 1 :]:
                if item.lstrip().startswith("- "):
                    return len(item) - len(item.lstrip())
    return 2
