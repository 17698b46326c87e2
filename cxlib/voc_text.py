"""Comments for the voice-of-customer step: redaction, sentiment, themes and verbatims.

Survey comments repeat a great deal ("Great service", "N/A", the same complaint in the
same words), so every text operation here works on the distinct texts and maps the
results back to the responses with integer codes: redaction, sentiment and codeframe
tagging each run once per distinct comment, and the per-response tables are built with
``numpy`` indexing, not per-row Python. The text methods themselves are those of
:mod:`cxlib.text` and :mod:`cxlib.redact`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlib import redact as _redact
from cxlib import text as _text
from cxlib._stats_common import (
    adjust,
    check_columns,
    check_confidence,
    check_frame,
    check_min_n,
    kish,
    nps_scores,
    safe_div,
    small_flag,
    weight_column,
)
from cxlib.stats_compare import two_proportion_test

__all__ = [
    "CommentAnalysis",
    "analyse_comments",
    "close_the_loop",
    "sample_verbatims",
    "theme_table",
]


@dataclass(frozen=True, eq=False)
class CommentAnalysis:
    """Result of :func:`analyse_comments`: one entry per response, same index.

    Attributes
    ----------
    redacted : pandas.Series
        Comments with personal data replaced by tokens (``[email]``, ``[name]``, ...);
        missing where the response has no comment. The only text that may be shown.
    sentiment : pandas.DataFrame
        VADER scores of the original comments: ``compound``, ``pos``, ``neu``, ``neg`` and
        ``label`` (see :func:`cxlib.text.sentiment`).
    tags : pandas.DataFrame
        Long codeframe tags (``response``, ``theme``, ``mentions``, ``negated``), as
        :func:`cxlib.text.tag_themes` returns for the whole Series.
    redactions : pandas.DataFrame
        ``kind``, ``n_matches`` (tokens inserted) and ``n_texts`` (responses affected).
    n_comments, n_distinct : int
        Non-blank comments, and distinct comment texts among them.
    codeframe_version : str
        Version of the codeframe used for tagging.
    """

    redacted: pd.Series
    sentiment: pd.DataFrame
    tags: pd.DataFrame
    redactions: pd.DataFrame
    n_comments: int
    n_distinct: int
    codeframe_version: str


def _distinct(comments: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Integer code per response (-1 when missing) and the distinct texts."""
    codes, uniques = pd.factorize(comments.astype(object), use_na_sentinel=True)
    return codes.astype(np.intp), pd.Series(np.asarray(uniques, dtype=object), dtype=object)


def _non_blank(texts: pd.Series) -> np.ndarray:
    """Flag the entries that are strings with at least one non-space character."""
    lengths = texts.astype(object).str.strip().str.len()
    return lengths.fillna(0).to_numpy(dtype=float) > 0


def _spread(values: np.ndarray, codes: np.ndarray, fill: object = np.nan) -> np.ndarray:
    """Values per distinct text -> values per response (``fill`` where the code is -1)."""
    dtype = object if values.dtype == object else float
    out = np.full(len(codes), fill, dtype=dtype)
    ok = codes >= 0
    out[ok] = values[codes[ok]]
    return out


def _expand_tags(tags: pd.DataFrame, codes: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """Tags of the distinct texts -> tags of every response carrying that text.

    Rows are ordered by response position, then theme, as :func:`cxlib.text.tag_themes`
    orders them, so the result equals tagging the full Series.
    """
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    n_distinct = int(codes.max()) + 1 if len(codes) else 0
    starts = np.searchsorted(sorted_codes, np.arange(n_distinct))
    counts = np.bincount(codes[codes >= 0], minlength=n_distinct)
    u = tags["response"].to_numpy(dtype=np.intp)
    rep = counts[u]
    which = np.repeat(np.arange(len(tags)), rep)
    offset = np.arange(int(rep.sum())) - np.repeat(np.cumsum(rep) - rep, rep)
    rows = order[np.repeat(starts[u], rep) + offset]
    theme = tags["theme"].to_numpy()[which]
    theme_codes = pd.Categorical(theme, categories=tags["theme"].cat.categories).codes
    final = np.lexsort((theme_codes, rows))
    return pd.DataFrame(
        {
            "response": index.to_numpy()[rows[final]],
            "theme": pd.Categorical.from_codes(
                theme_codes[final], categories=tags["theme"].cat.categories
            ),
            "mentions": tags["mentions"].to_numpy()[which][final],
            "negated": tags["negated"].to_numpy(dtype=bool)[which][final],
        }
    )


def _redact_distinct(
    uniques: pd.Series, codes: np.ndarray, names: Iterable[str], first_names: Iterable[str]
) -> tuple[pd.Series, pd.DataFrame]:
    """Redact each distinct text once; counts weighted by how often each text occurs."""
    result = _redact.redact(uniques, names=names, lower_case_names=first_names)
    freq = np.bincount(codes[codes >= 0], minlength=len(uniques)).astype(np.int64)
    rows = []
    for kind in _redact.KINDS:
        token = re.escape(f"[{kind}]")
        added = (
            result.redacted.str.count(token).fillna(0).to_numpy()
            - uniques.astype(object).where(uniques.notna()).str.count(token).fillna(0).to_numpy()
        )
        added = np.maximum(added, 0).astype(np.int64)
        rows.append((kind, int(added @ freq), int((added > 0) @ freq)))
    counts = pd.DataFrame(rows, columns=["kind", "n_matches", "n_texts"])
    return result.redacted, counts


def analyse_comments(
    comments: pd.Series,
    codeframe: _text.Codeframe | Mapping,
    *,
    names: Iterable[str] = (),
    first_names: Iterable[str] = (),
) -> CommentAnalysis:
    """Redact, score and tag every comment, working once per distinct text.

    Parameters
    ----------
    comments : pandas.Series
        Free-text comments, one per response; the index identifies the response and must
        be unique. Missing or blank entries are allowed.
    codeframe : cxlib.text.Codeframe or dict
        The codeframe (see :func:`cxlib.text.tag_themes`).
    names : iterable of str, optional
        Customer first and last names to redact (see :func:`cxlib.redact.redact`).
    first_names : iterable of str, optional
        Names also redacted in any case in comments written without capitals
        (``lower_case_names`` of :func:`cxlib.redact.redact`).

    Returns
    -------
    CommentAnalysis
        Redacted comments, sentiment, long tags and redaction counts, indexed like
        ``comments``.

    Raises
    ------
    TypeError
        If ``comments`` is not a Series.
    ValueError
        If the index is not unique.

    See Also
    --------
    cxlib.text.sentiment, cxlib.text.tag_themes, cxlib.redact.redact : the methods used.

    Notes
    -----
    ``pandas.factorize`` gives each response the code of its text; redaction,
    sentiment and tagging run on the distinct texts and are mapped back by code, so the
    results are identical to running them on the full Series (tested) while the cost
    grows with the number of distinct comments. Sentiment and tags are computed on the
    original text, since redaction tokens would change both (a customer called "Bill"
    must not remove the word "bill" from a billing complaint); only the redacted text is
    ever returned. Redaction counts weight each distinct text by its frequency.

    References
    ----------
    Hutto, C. J., & Gilbert, E. (2014). VADER: A parsimonious rule-based model for
    sentiment analysis of social media text. Proceedings of ICWSM, 8(1), 216-225.
    doi:10.1609/icwsm.v8i1.14550

    Examples
    --------
    >>> import pandas as pd
    >>> cf = {"version": "1", "themes": [{"name": "Billing", "keywords": ["bill*"]}]}
    >>> s = pd.Series(["Bill wrong, mail jo@x.com", "Bill wrong, mail jo@x.com", None])
    >>> out = analyse_comments(s, cf)
    >>> out.redacted.tolist()[0], out.tags["response"].tolist(), out.n_distinct
    ('Bill wrong, mail [email]', [0, 1], 1)
    """
    if not isinstance(comments, pd.Series):
        raise TypeError(f"comments must be a pandas Series, got {type(comments).__name__}")
    if not comments.index.is_unique:
        raise ValueError("comments must have a unique index (one entry per response)")
    cf = (
        codeframe
        if isinstance(codeframe, _text.Codeframe)
        else _text.Codeframe.from_dict(codeframe)
    )
    codes, uniques = _distinct(comments)
    redacted_u, counts = _redact_distinct(uniques, codes, names, first_names)
    sent_u = _text.sentiment(uniques)
    sent = pd.DataFrame(
        {
            c: _spread(sent_u[c].to_numpy(dtype=float), codes)
            for c in ("compound", "pos", "neu", "neg")
        },
        index=comments.index,
    )
    label_codes = np.where(
        codes >= 0, sent_u["label"].cat.codes.to_numpy()[np.maximum(codes, 0)], -1
    )
    sent["label"] = pd.Categorical.from_codes(
        label_codes, categories=sent_u["label"].cat.categories
    )
    tags = _expand_tags(_text.tag_themes(uniques, cf), codes, comments.index)
    has_text = (codes >= 0) & _non_blank(uniques)[np.maximum(codes, 0)]
    redacted = pd.Series(
        _spread(redacted_u.to_numpy(dtype=object), codes), index=comments.index, name=comments.name
    ).where(has_text)
    return CommentAnalysis(
        redacted=redacted,
        sentiment=sent,
        tags=tags,
        redactions=counts,
        n_comments=int(has_text.sum()),
        n_distinct=int(np.unique(codes[has_text]).size),
        codeframe_version=cf.version,
    )


def theme_table(
    responses: pd.DataFrame,
    tags: pd.DataFrame,
    *,
    score: Hashable = "nps",
    comment: Hashable = "comment",
    sentiment: Hashable = "sentiment",
    weight: Hashable | None = None,
    detractor_max: float = 6,
    p_adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Themes with their share, sentiment, impact on NPS and concentration among detractors.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses with a unique index, the score, the comment and a column of VADER
        compound scores.
    tags : pandas.DataFrame
        Long tags (``response``, ``theme``, ``negated``) from :func:`analyse_comments`.
    score, comment, sentiment : str
        Column roles: 0-10 score, comment text, compound sentiment (-1..1).
    weight : str, optional
        Survey weights (weighted shares with Kish effective bases).
    detractor_max : float, default 6
        Scores up to this value are detractors.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across themes, for each of the two tests.
    confidence : float, default 0.95
        Confidence level of the intervals.
    min_n : int, default 30
        Themes with fewer (effective) mentions on either side are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        One row per theme (codeframe order): the columns of
        :func:`cxlib.text.theme_summary` (``n_mentions``, ``share``, ``mean_sentiment``,
        ``nps_mentioning``, ``nps_not_mentioning``, ``estimate`` = NPS difference in points
        with ``ci_low``/``ci_high``/``p_value``/``p_adjusted``, ``small_n``...), then
        ``share_detractors`` and ``share_others`` (share of detractors' / other scorers'
        comments that mention the theme, 0..1), ``lift`` (their ratio),
        ``concentration_ci_low``, ``concentration_ci_high`` (Newcombe interval of
        ``share_detractors - share_others``), ``concentration_p_value``,
        ``concentration_p_adjusted`` and ``concentrated`` (lift above 1 and adjusted
        p-value below ``1 - confidence``).

    Raises
    ------
    ValueError
        On missing columns or tags that refer to unknown responses.

    See Also
    --------
    cxlib.text.theme_summary : the NPS impact columns.
    cxlib.stats_compare.two_proportion_test : the concentration test.

    Notes
    -----
    Negated mentions ("no problem with my bill") do not count. Among commenters with a
    score, :math:`p_D` is the (weighted) share of detractors' comments mentioning the
    theme and :math:`p_O` the share among everyone else; the difference is tested with
    the pooled two-proportion z-test and given Newcombe's hybrid score interval, using
    Kish effective bases when weighted. A theme is concentrated among detractors when
    :math:`p_D > p_O` with an adjusted p-value below the significance level.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.
    doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"nps": [2, 3, 10, 9, 8, 1],
    ...                    "comment": ["bill wrong", "bill late", "great", "great", "ok", "bill"]})
    >>> cf = {"themes": [{"name": "Billing", "keywords": ["bill*"]}]}
    >>> ca = analyse_comments(df["comment"], cf)
    >>> out = theme_table(df.assign(sentiment=ca.sentiment["compound"]), ca.tags, min_n=2)
    >>> float(out.loc[0, "share_detractors"]), float(out.loc[0, "share_others"])
    (1.0, 0.0)
    """
    check_frame(responses, "responses")
    check_confidence(confidence)
    significance = 1.0 - float(confidence)
    min_n = check_min_n(min_n)
    check_columns(responses, [score, comment, sentiment])
    summary = _text.theme_summary(
        responses,
        tags,
        score=score,
        comment=comment,
        sentiment=sentiment,
        weight=weight,
        p_adjust=p_adjust,
        confidence=confidence,
        min_n=min_n,
    )
    conc = _concentration(
        responses,
        tags,
        summary["theme"].tolist(),
        score,
        comment,
        weight,
        detractor_max,
        confidence,
    )
    out = pd.concat([summary, conc], axis=1)
    out["concentration_p_adjusted"] = adjust(out["concentration_p_value"].to_numpy(), p_adjust)
    out["concentrated"] = (out["lift"] > 1) & (out["concentration_p_adjusted"] < significance)
    out["small_n"] = out["small_n"] | small_flag(conc["n_eff_detractors"], min_n)
    return out


def _concentration(responses, tags, names, score, comment, weight, detractor_max, confidence):
    has = responses[comment].astype(object).where(responses[comment].notna())
    has = has.str.strip().fillna("").astype(bool).to_numpy()
    s = nps_scores(responses, score)
    w = weight_column(responses, weight)
    base = has & ~np.isnan(s)
    wv = np.where(base, 1.0 if w is None else w, 0.0)
    det = s <= detractor_max
    live = tags[~tags["negated"].to_numpy(dtype=bool)] if "negated" in tags else tags
    pos = responses.index.get_indexer(live["response"])
    if np.any(pos < 0):
        raise ValueError("tags refer to responses that are not in the responses table")
    codes = pd.Categorical(live["theme"], categories=names).codes
    k = len(names)
    sides = {}
    for side, mask in (("d", det), ("o", ~det)):
        ws = np.where(mask, wv, 0.0)
        hit = np.bincount(codes, weights=ws[pos], minlength=k)
        sides[side] = (hit, ws.sum(), kish(np.array([ws.sum()]), np.array([(ws**2).sum()]))[0])
    (hit_d, sw_d, ne_d), (hit_o, sw_o, ne_o) = sides["d"], sides["o"]
    p_d, p_o = safe_div(hit_d, sw_d), safe_div(hit_o, sw_o)
    out = pd.DataFrame(
        {
            "share_detractors": p_d,
            "share_others": p_o,
            "lift": safe_div(p_d, p_o),
            "n_eff_detractors": np.full(k, ne_d),
            "n_eff_others": np.full(k, ne_o),
        }
    )
    cols = ["concentration_ci_low", "concentration_ci_high", "concentration_p_value"]
    if k and ne_d > 0 and ne_o > 0:
        test = two_proportion_test(p_d * ne_d, ne_d, p_o * ne_o, ne_o, confidence=confidence)
        out[cols] = test[["ci_low", "ci_high", "p_value"]].to_numpy()
    else:
        out[cols] = np.nan
    return out


def sample_verbatims(
    responses: pd.DataFrame,
    tags: pd.DataFrame,
    *,
    comment: Hashable = "comment",
    score: Hashable = "nps",
    response_id: Hashable = "response_id",
    names: Iterable[str] = (),
    first_names: Iterable[str] = (),
    per_theme: int = 3,
    themes: Iterable[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw a random, redacted sample of distinct comments for each theme.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses with a unique index, a comment column and optionally a score and id.
    tags : pandas.DataFrame
        Long tags from :func:`analyse_comments`; negated mentions are not sampled.
    comment, score, response_id : str
        Column roles (the last two are optional: left out when absent).
    names : iterable of str, optional
        Customer names to redact.
    first_names : iterable of str, optional
        Names also redacted in any case in comments without capitals.
    per_theme : int, default 3
        Comments per theme (fewer when a theme has fewer distinct comments).
    themes : iterable of str, optional
        Themes to sample, in this order; all tagged themes by default.
    seed : int, default 0
        Seed of the sample.

    Returns
    -------
    pandas.DataFrame
        ``theme``, ``response_id`` (when present), ``score`` (when present; column named
        as ``score``) and ``comment`` (redacted), ``per_theme`` rows per theme at most.

    Raises
    ------
    ValueError
        If ``per_theme`` is not a positive integer.

    Notes
    -----
    Each comment text appears at most once per theme. Every comment returned has passed
    :func:`cxlib.redact.redact` inside this function, whatever the input, so a
    verbatim cannot reach a report unredacted. Sampling gives each (theme, distinct
    comment) pair a uniform random key from ``numpy.random.default_rng(seed)`` and keeps
    the smallest keys per theme: the same seed, the same sample.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"comment": ["bill from Jo Smith", "bill wrong", "bill wrong"]})
    >>> cf = {"themes": [{"name": "Billing", "keywords": ["bill"]}]}
    >>> tags = analyse_comments(df["comment"], cf).tags
    >>> sorted(sample_verbatims(df, tags, names=["Jo", "Smith"])["comment"])
    ['bill from [name] [name]', 'bill wrong']
    """
    check_frame(responses, "responses")
    if isinstance(per_theme, bool) or not isinstance(per_theme, int) or per_theme < 1:
        raise ValueError(f"per_theme must be a positive integer, got {per_theme!r}")
    check_columns(responses, [comment])
    live = tags[~tags["negated"].to_numpy(dtype=bool)] if "negated" in tags else tags
    pos = responses.index.get_indexer(live["response"])
    if np.any(pos < 0):
        raise ValueError("tags refer to responses that are not in the responses table")
    text = responses[comment].astype(object).to_numpy()[pos]
    cand = pd.DataFrame(
        {"theme": live["theme"].astype(object).to_numpy(), "pos": pos, "text": text}
    )
    cand = cand[_non_blank(cand["text"])].drop_duplicates(["theme", "text"])
    names_in_order = (
        list(live["theme"].cat.categories)
        if isinstance(live["theme"].dtype, pd.CategoricalDtype)
        else sorted(cand["theme"].unique())
    )
    order = names_in_order if themes is None else list(themes)
    cand = cand[cand["theme"].isin(order)]
    cand = cand.assign(key=np.random.default_rng(seed).random(len(cand)))
    cand = cand.sort_values(["theme", "key"], kind="stable")
    cand = cand[cand.groupby("theme", sort=False).cumcount() < per_theme]
    cand["rank"] = pd.Categorical(cand["theme"], categories=order).codes
    cand = cand.sort_values(["rank", "key"], kind="stable")
    out = pd.DataFrame({"theme": cand["theme"].to_numpy()})
    for col in (response_id, score):
        if col in responses.columns:
            out[col] = responses[col].to_numpy()[cand["pos"].to_numpy()]
    out["comment"] = _redact.redact(
        pd.Series(cand["text"].to_numpy(), dtype=object),
        names=names,
        lower_case_names=first_names,
    ).redacted.to_numpy()
    return out.reset_index(drop=True)


_FOLLOW_UP = ("response_id", "customer_id", "wave", "nps", "themes", "comment")
_FOLLOW_UP += ("touchpoint_id", "channel")


def close_the_loop(
    responses: pd.DataFrame,
    redacted: pd.Series,
    tags: pd.DataFrame,
    *,
    score: Hashable = "nps",
    detractor_max: float = 6,
) -> pd.DataFrame:
    """List the detractors to follow up, with their themes and redacted comment.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses (any of ``response_id``, ``customer_id``, ``wave``, ``touchpoint_id``,
        ``channel``, and the score column).
    redacted : pandas.Series
        Redacted comments, indexed like ``responses``
        (:attr:`CommentAnalysis.redacted`); never the raw comments.
    tags : pandas.DataFrame
        Long tags of :func:`analyse_comments` (``response`` = index label, ``theme``,
        ``negated``); negated mentions are left out.
    score : str, default "nps"
        The 0-10 score column.
    detractor_max : float, default 6
        Highest score that counts as a detractor.

    Returns
    -------
    pandas.DataFrame
        One row per detractor, lowest score first (then in the responses' order):
        ``response_id``, ``customer_id``, ``wave``, ``nps`` (integers when every score is a
        whole number, so a CSV shows ``9`` rather than ``9.0``), ``themes`` (theme names
        joined by ``"; "``, in codeframe order), ``comment`` (redacted), ``touchpoint_id``
        and ``channel``; columns absent from ``responses`` are left out.

    Raises
    ------
    ValueError
        If the score column is missing or ``redacted`` is not indexed like ``responses``.

    Notes
    -----
    Detractors score 0-6 on the 0-10 likelihood to recommend (Reichheld 2003). The list
    is for frontline teams to call back customers ("close the loop"); it carries only
    redacted text, and :func:`cxlib.export.safe_csv` neutralises formula-like cells when
    it is written.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review,
    81(12), 46-54.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "nps": [3, 9, 6]})
    >>> red = pd.Series(["bill wrong, call [phone]", "great", None])
    >>> tags = pd.DataFrame({"response": [0], "theme": ["Billing"], "negated": [False]})
    >>> close_the_loop(df, red, tags)[["response_id", "themes", "comment"]].values.tolist()
    [['r1', 'Billing', 'bill wrong, call [phone]'], ['r3', '', nan]]
    """
    if score not in responses.columns:
        raise ValueError(f"responses has no {score!r} column")
    if not redacted.index.equals(responses.index):
        raise ValueError("redacted must be indexed like responses")
    s = pd.to_numeric(responses[score], errors="coerce").to_numpy(dtype=float)
    det = s <= detractor_max
    live = tags[~tags["negated"].to_numpy(dtype=bool)] if "negated" in tags else tags
    names = pd.Series(live["theme"].astype(str).to_numpy(dtype=object), index=live["response"])
    joined = names.groupby(level=0, sort=False).agg("; ".join)
    rows = responses.loc[det]
    out = pd.DataFrame(index=rows.index)
    for col in _FOLLOW_UP:
        if col == "themes":
            themes = joined.reindex(rows.index).to_numpy(dtype=object)
            out[col] = np.where(pd.isna(themes), "", themes)
        elif col == "comment":
            out[col] = redacted.loc[det].to_numpy(dtype=object)
        elif col == "nps":
            scores = s[det]  # no NaN: a missing score does not make a detractor
            # Whole points, as the customer gave them: a CSV shows 9, not 9.0. A fractional
            # score (a scale this kit does not expect) is kept as it is.
            whole = (scores == np.round(scores)).all()
            out[col] = pd.array(scores, dtype="Int64") if whole else scores
        elif col in rows.columns:
            out[col] = rows[col].to_numpy()
    order = np.argsort(s[det], kind="stable")
    return out.iloc[order].reset_index(drop=True)
