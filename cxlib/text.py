"""Verbatim comments: sentiment, codeframe theme tagging and suggested new themes.

Sentiment is VADER; themes come from the client's codeframe (keywords, wildcards and
regular expressions per theme), matched case-insensitively on word boundaries, with
negated mentions ("no problems with billing") recorded as such. Theme-level NPS and
sentiment are in :func:`theme_summary`. PII redaction lives in :mod:`cxlib.redact`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlib.errors import CxError

__all__ = [
    "Codeframe",
    "CodeframeError",
    "Theme",
    "sentiment",
    "suggest_themes",
    "tag_themes",
    "theme_summary",
]

_MARK = "\x1f"  # invisible marker put before each word inside a negation's scope
_NEGATORS = (
    r"no|not|never|without|cannot"
    r"|\w+n['’]t"  # don't, isn't, wasn't, can't ...
    r"|(?:do|does|did|is|was|were|are|ca|could|would|should|wo|has|have|had)nt"
)
_TOKEN = r"[\w'’]+"
_SEP = r"[^\w'’.,!?;:\n" + _MARK + r"]+"  # a negation does not reach past , . ! ? ; :
_NEGATION_RE = re.compile(
    rf"(?<![\w'’])(?P<neg>{_NEGATORS})(?![\w'’])"
    rf"(?P<s1>{_SEP})(?P<t1>{_TOKEN})"
    rf"(?:(?P<s2>{_SEP})(?P<t2>{_TOKEN}))?"
    rf"(?:(?P<s3>{_SEP})(?P<t3>{_TOKEN}))?",
    re.IGNORECASE,
)
_NEGATION_REPL = rf"\g<neg>\g<s1>{_MARK}\g<t1>\g<s2>{_MARK}\g<t2>\g<s3>{_MARK}\g<t3>"
_LABELS = ["negative", "neutral", "positive"]


class CodeframeError(CxError, ValueError):
    """The codeframe is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class Theme:
    """One theme of a codeframe.

    Attributes
    ----------
    name : str
        Theme label as it appears in reports (unique within the codeframe).
    keywords : tuple of str
        Words or phrases, matched whole-word and case-insensitively. A ``*`` stands for
        any word characters (``charge*`` matches charge, charged, charges); spaces in a
        phrase match any run of whitespace.
    patterns : tuple of str
        Python regular expressions, matched case-insensitively where no word character
        touches either end of the match.
    exclude : tuple of str
        Keywords (same syntax) whose presence anywhere in a comment stops this theme
        from being tagged for that comment.
    """

    name: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codeframe:
    r"""A versioned list of themes (the parsed ``codeframe.yaml``).

    Attributes
    ----------
    version : str
        Codeframe version, reported with the results.
    themes : tuple of Theme
        The themes, in reporting order.

    Examples
    --------
    >>> cf = Codeframe.from_dict({"version": "1", "themes": [
    ...     {"name": "Billing", "keywords": ["bill", "charge*"], "patterns": ["overcharg\\w*"]}]})
    >>> cf.themes[0].keywords
    ('bill', 'charge*')
    """

    version: str
    themes: tuple[Theme, ...]

    @classmethod
    def from_dict(cls, spec: Mapping) -> Codeframe:
        """Build and validate a codeframe from the YAML structure.

        The structure is ``{"version": "1", "themes": [{"name": ..., "keywords": [...],
        "patterns": [...], "exclude": [...]}, ...]}``; ``keywords``, ``patterns`` and
        ``exclude`` are optional lists of strings, but each theme needs at least one
        keyword or pattern. Every problem is reported at once in a
        :class:`CodeframeError`.
        """
        problems: list[str] = []
        if not isinstance(spec, Mapping):
            raise CodeframeError(f"codeframe must be a mapping, got {type(spec).__name__}")
        unknown = set(spec) - {"version", "themes"}
        if unknown:
            problems.append(f"unknown top-level key(s): {sorted(unknown)}")
        raw = spec.get("themes")
        if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
            problems.append("'themes' must be a non-empty list")
            raw = []
        themes, seen = [], set()
        for i, item in enumerate(raw):
            theme = _parse_theme(i, item, problems)
            if theme is None:
                continue
            if theme.name.casefold() in seen:
                problems.append(f"theme {i + 1}: duplicate name {theme.name!r}")
            seen.add(theme.name.casefold())
            themes.append(theme)
        if problems:
            raise CodeframeError("codeframe problems:\n  - " + "\n  - ".join(problems))
        return cls(version=str(spec.get("version", "1")), themes=tuple(themes))


def _parse_theme(i: int, item: object, problems: list[str]) -> Theme | None:
    where = f"theme {i + 1}"
    if not isinstance(item, Mapping):
        problems.append(f"{where}: must be a mapping with a 'name'")
        return None
    # "description" documents the theme for coders (codeframe.yaml allows it); tagging ignores it.
    unknown = set(item) - {"name", "description", "keywords", "patterns", "exclude"}
    if unknown:
        problems.append(f"{where}: unknown key(s) {sorted(unknown)}")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: 'name' must be a non-empty string")
        return None
    lists = {}
    for key in ("keywords", "patterns", "exclude"):
        values = item.get(key) or []
        if isinstance(values, str) or not all(isinstance(v, str) and v.strip() for v in values):
            problems.append(f"{where} ({name}): '{key}' must be a list of non-empty strings")
            values = []
        lists[key] = tuple(v.strip() for v in values)
    for pattern in lists["patterns"]:
        try:
            re.compile(pattern)
        except re.error as err:
            problems.append(f"{where} ({name}): invalid pattern {pattern!r}: {err}")
    if not lists["keywords"] and not lists["patterns"]:
        problems.append(f"{where} ({name}): needs at least one keyword or pattern")
    return Theme(name=name.strip(), **lists)


def _as_codeframe(codeframe: Codeframe | Mapping) -> Codeframe:
    if isinstance(codeframe, Codeframe):
        return codeframe
    return Codeframe.from_dict(codeframe)


def _keyword_regex(keyword: str) -> str:
    parts = [re.escape(p).replace(r"\*", r"\w*") for p in keyword.split()]
    return r"\s+".join(parts)


def _theme_regex(theme: Theme) -> str:
    alts = [_keyword_regex(k) for k in theme.keywords] + [f"(?:{p})" for p in theme.patterns]
    return "(?:" + "|".join(alts) + ")"


def _text(comments: pd.Series, name: str = "comments") -> pd.Series:
    """Comments as object strings with blank or missing entries as NaN."""
    if not isinstance(comments, pd.Series):
        raise TypeError(f"{name} must be a pandas Series, got {type(comments).__name__}")
    text = comments.astype(object).where(comments.notna())
    text = text.map(lambda v: v if isinstance(v, str) else (np.nan if pd.isna(v) else str(v)))
    blank = text.isna() | (text.str.strip() == "")
    return text.where(~blank)


@functools.lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(comments: pd.Series) -> pd.DataFrame:
    """VADER sentiment of each comment, with a positive/neutral/negative label.

    Survey comments repeat a lot ("Great service", "N/A", "ok"), so each distinct text
    is scored once and the scores mapped back: identical results, a fraction of the
    time.

    Parameters
    ----------
    comments : pandas.Series
        Free-text comments; missing or blank comments get NaN scores and a missing
        label.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``comments``: ``compound`` (-1..1), ``pos``, ``neu``, ``neg``
        (shares of the text, 0..1) and ``label`` (categorical: negative, neutral,
        positive).

    Raises
    ------
    TypeError
        If ``comments`` is not a Series.

    See Also
    --------
    theme_summary : mean sentiment per theme.

    Notes
    -----
    Scores are ``SentimentIntensityAnalyzer().polarity_scores(text)`` from the
    ``vaderSentiment`` package (its bundled lexicon; nothing is downloaded). Labels use
    the thresholds recommended by VADER's authors: positive when ``compound >= 0.05``,
    negative when ``compound <= -0.05``, neutral otherwise. Texts are scored exactly as
    written (no lower-casing or trimming), since VADER reads capitals and punctuation.
    Checked against published examples from the VADER README and direct calls.

    References
    ----------
    Hutto, C. J., & Gilbert, E. (2014). VADER: A parsimonious rule-based model for
    sentiment analysis of social media text. Proceedings of the International AAAI
    Conference on Web and Social Media, 8(1), 216-225. doi:10.1609/icwsm.v8i1.14550

    Examples
    --------
    >>> import pandas as pd
    >>> texts = ["VADER is smart, handsome, and funny.", None, "The parcel arrived."]
    >>> out = sentiment(pd.Series(texts))
    >>> float(out.loc[0, "compound"]), out["label"].tolist()
    (0.8316, ['positive', nan, 'neutral'])
    """
    text = _text(comments)
    ok = text.notna().to_numpy()
    codes, uniques = pd.factorize(text[ok])
    polarity = _analyzer().polarity_scores
    scored = [polarity(t) for t in uniques]  # one call per distinct text
    table = np.array([[d["compound"], d["pos"], d["neu"], d["neg"]] for d in scored])
    values = np.full((len(text), 4), np.nan)
    if len(uniques):
        values[ok] = table[codes]
    out = pd.DataFrame(values, index=comments.index, columns=["compound", "pos", "neu", "neg"])
    label = np.select([values[:, 0] >= 0.05, values[:, 0] <= -0.05], [2, 0], default=1)
    out["label"] = pd.Categorical.from_codes(np.where(ok, label, -1), categories=_LABELS)
    return out


def tag_themes(
    comments: pd.Series,
    codeframe: Codeframe | Mapping,
    *,
    output: str = "long",
    negated: str = "mark",
) -> pd.DataFrame:
    r"""Tag each comment with every codeframe theme it mentions (multi-label).

    Parameters
    ----------
    comments : pandas.Series
        Free-text comments; the index identifies the response (it must be unique).
    codeframe : Codeframe or dict
        The codeframe, as a :class:`Codeframe` or the plain dict read from
        ``codeframe.yaml``: ``{"version": "1", "themes": [{"name": "Billing",
        "keywords": ["bill", "charge*", "invoice"], "patterns": ["overcharg\\w*"],
        "exclude": ["billboard"]}]}``.
    output : {"long", "wide"}, default "long"
        ``"long"``: one row per (response, theme) mention. ``"wide"``: one boolean
        column per theme, one row per comment.
    negated : {"mark", "drop"}, default "mark"
        What to do when every mention of a theme in a comment is negated ("no problems
        with billing"): ``"mark"`` keeps the tag with ``negated=True``; ``"drop"``
        leaves the theme untagged for that comment.

    Returns
    -------
    pandas.DataFrame
        Long: columns ``response`` (index value of the comment), ``theme``
        (categorical, codeframe order), ``mentions`` (number of matches) and
        ``negated`` (True when every mention is negated), ordered by comment then
        theme. Wide: indexed like ``comments``, one bool column per theme.

    Raises
    ------
    TypeError
        If ``comments`` is not a Series.
    ValueError
        On a duplicated index or an unknown option.
    CodeframeError
        If the codeframe is malformed.

    See Also
    --------
    Codeframe.from_dict : the codeframe structure.
    theme_summary : NPS and sentiment per theme.

    Notes
    -----
    Matching is case-insensitive and whole-word (no word character may touch either
    end of a match), so ``bill`` does not match "billing" but ``bill*`` does. A mention
    is negated when one of "no", "not", "never", "without", "cannot" or a word ending in
    "n't" (also "dont", "didnt", ...) stands at most three words before it in the same
    clause (a comma, full stop, ``!``, ``?``, ``;`` or ``:`` ends the reach). A comment
    containing an ``exclude`` term is not tagged with that theme. The work is a handful
    of compiled-regex passes per theme over the whole Series (``Series.str``), the same
    result every run.

    Examples
    --------
    >>> import pandas as pd
    >>> cf = {"version": "1", "themes": [{"name": "Billing", "keywords": ["bill*"]},
    ...                                  {"name": "Staff", "keywords": ["staff", "agent"]}]}
    >>> s = pd.Series(["Billing was wrong, agent rude", "No problems with billing", "ok"])
    >>> tag_themes(s, cf).values.tolist()
    [[0, 'Billing', 1, False], [0, 'Staff', 1, False], [1, 'Billing', 1, True]]
    """
    cf = _as_codeframe(codeframe)
    if output not in ("long", "wide"):
        raise ValueError(f"output must be 'long' or 'wide', got {output!r}")
    if negated not in ("mark", "drop"):
        raise ValueError(f"negated must be 'mark' or 'drop', got {negated!r}")
    text = _text(comments)
    if not comments.index.is_unique:
        raise ValueError("comments must have a unique index (one entry per response)")
    marked = text.str.replace(_MARK, " ", regex=False).str.replace(
        _NEGATION_RE, _NEGATION_REPL, regex=True
    )
    pieces, wide = [], {}
    for order, theme in enumerate(cf.themes):
        core = _theme_regex(theme)
        plain = marked.str.count(rf"(?i)(?<![\w{_MARK}]){core}(?!\w)").fillna(0)
        neg = marked.str.count(rf"(?i){_MARK}{core}(?!\w)").fillna(0)
        hit = (plain + neg > 0).to_numpy().copy()
        if theme.exclude:
            alt = "|".join(_keyword_regex(k) for k in theme.exclude)
            excl = marked.str.contains(rf"(?i)(?<!\w)(?:{alt})(?!\w)", regex=True)
            hit &= ~excl.fillna(False).to_numpy(dtype=bool)
        only_negated = (plain.to_numpy() == 0) & hit
        if negated == "drop":
            hit &= ~only_negated
        wide[theme.name] = hit
        pos = np.flatnonzero(hit)
        pieces.append(
            pd.DataFrame(
                {
                    "position": pos,
                    "order": order,
                    "mentions": (plain + neg).to_numpy()[pos].astype(np.int64),
                    "negated": only_negated[pos],
                }
            )
        )
    if output == "wide":
        return pd.DataFrame(wide, index=comments.index)
    return _long_tags(pieces, comments.index, [t.name for t in cf.themes])


def _long_tags(pieces, index: pd.Index, names: list[str]) -> pd.DataFrame:
    long = pd.concat(pieces, ignore_index=True).sort_values(
        ["position", "order"], kind="stable", ignore_index=True
    )
    return pd.DataFrame(
        {
            "response": index.to_numpy()[long["position"].to_numpy()],
            "theme": pd.Categorical.from_codes(long["order"].to_numpy(), categories=names),
            "mentions": long["mentions"].to_numpy(),
            "negated": long["negated"].to_numpy(dtype=bool),
        }
    )


# theme_summary and suggest_themes are re-exported from their own module to keep
# this file short; they are part of the text API.
from cxlib.text_themes import suggest_themes, theme_summary  # noqa: E402
