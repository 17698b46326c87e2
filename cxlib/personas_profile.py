"""Step 2, second half: each persona profiled against the whole customer base.

Size and share of value, region and channel mix, behaviours, NPS with its interval and a
test against the rest of the base, the VoC themes each persona talks about most, and one
representative comment, always passed through PII redaction first. Compute layer: no IO,
no printing, no rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxlib import stats
from cxlib._stats_common import check_columns, check_confidence, check_frame, wilson
from cxlib.config import load_codeframe
from cxlib.personas import _records, numeric_feature

__all__ = [
    "PersonaProfile",
    "name_list",
    "persona_themes",
    "profile_personas",
    "representative_quotes",
    "results",
    "tag_comments",
]

#: Customer-table columns whose values are removed from quotes as names.
NAME_COLUMNS = ("first_name", "last_name", "surname", "given_name", "full_name", "name")

_KEYS = ["persona_id", "persona"]
_BEHAVIOUR = ["feature", "mean", "median", "base_mean", "base_median", "base_sd", "index",
              "gap_sd", "binary"]  # fmt: skip


@dataclass(frozen=True, eq=False)
class PersonaProfile:
    """Every persona measured against the whole base.

    Attributes
    ----------
    sizes : pandas.DataFrame
        One row per persona: ``persona_id``, ``persona``, ``n`` (customers), ``share`` of
        the base with Wilson ``ci_low``/``ci_high``, ``value`` (sum of annual revenue),
        ``value_share``, ``value_index`` (value share / customer share x 100; above 100
        means worth more than its size), ``revenue_per_customer`` and ``small_n``.
    behaviours : pandas.DataFrame
        One row per persona and feature: ``feature``, ``mean``, ``median``,
        ``base_mean``, ``base_median`` and ``index`` (mean / base mean x 100). A
        categorical feature appears as one row per level (``feature=level``) whose mean is
        the share of customers at that level. Also ``base_sd`` (standard deviation in the
        base), ``gap_sd`` (``(mean - base_mean) / base_sd``: how far the persona sits
        from the average customer) and ``binary`` (the feature is 0/1, so means are
        shares).
    regions, channels : pandas.DataFrame
        One row per persona and level: ``region`` or ``channel``, ``n``, ``share`` (of the
        persona), ``base_share`` (of the base) and ``index`` (share / base share x 100).
    nps : pandas.DataFrame
        One row per persona with responses: ``n``, ``n_eff``, ``estimate`` (NPS,
        -100..100), ``ci_low``, ``ci_high``, ``small_n``, ``difference`` (versus the rest
        of the base, NPS points), ``p_value`` and ``p_adjusted`` (Holm across personas).
    base_nps : pandas.DataFrame
        One row: the NPS of all respondents (``n``, ``estimate``, ``ci_low``, ``ci_high``).
    confidence : float
        Coverage of the intervals.
    """

    sizes: pd.DataFrame
    behaviours: pd.DataFrame
    regions: pd.DataFrame
    channels: pd.DataFrame
    nps: pd.DataFrame
    base_nps: pd.DataFrame
    confidence: float = 0.95
    extras: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the profile tables as records (NaN as None), ready for JSON."""
        names = ("sizes", "behaviours", "regions", "channels", "nps", "base_nps")
        return {"confidence": self.confidence, **{n: _records(getattr(self, n)) for n in names}}

    def _repr_html_(self) -> str:
        return self.sizes.to_html(index=False, escape=True)


def _with_persona(frame: pd.DataFrame, assignments: pd.DataFrame, key: str) -> pd.DataFrame:
    check_columns(assignments, [key, *_KEYS])
    return frame.merge(assignments[[key, *_KEYS]], on=key, how="inner", validate="many_to_one")


def _mix(data: pd.DataFrame, column: str) -> pd.DataFrame:
    """Share of each level of ``column`` within each persona, beside the base share."""
    counts = data.groupby([*_KEYS, column], observed=True, dropna=False).size()
    out = counts.rename("n").reset_index()
    out["share"] = out["n"] / out.groupby("persona_id")["n"].transform("sum")
    base = data[column].value_counts(normalize=True, dropna=False)
    out["base_share"] = out[column].map(base).to_numpy(dtype=float)
    out["index"] = 100.0 * out["share"] / out["base_share"]
    return out.sort_values(["persona_id", column], ignore_index=True)


def _behaviours(data: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    cols = {}
    for name in features:
        s = data[name]
        numbers = numeric_feature(s)
        if numbers is not None:
            cols[name] = numbers
        else:
            for level in sorted(s.dropna().astype(str).unique()):
                cols[f"{name}={level}"] = (s.astype("string") == level).fillna(False).astype(float)
    if not cols:
        return pd.DataFrame(columns=[*_KEYS, *_BEHAVIOUR])
    wide = pd.DataFrame(cols, index=data.index)
    grouped = wide.groupby([data["persona_id"], data["persona"]], sort=True)
    out = grouped.mean().stack().rename("mean").to_frame()
    out["median"] = grouped.median().stack()
    out = out.reset_index().rename(columns={out.index.names[-1] or "level_2": "feature"})
    out.columns = [*_KEYS, "feature", "mean", "median"]
    out["base_mean"] = out["feature"].map(wide.mean())
    out["base_median"] = out["feature"].map(wide.median())
    out["base_sd"] = out["feature"].map(wide.std(ddof=0))
    out["index"] = 100.0 * out["mean"] / out["base_mean"].where(out["base_mean"] != 0)
    out["gap_sd"] = (out["mean"] - out["base_mean"]) / out["base_sd"].where(out["base_sd"] > 0)
    binary = wide.apply(lambda c: bool(c.dropna().isin([0.0, 1.0]).all()))
    out["binary"] = out["feature"].map(binary).astype(bool)
    return out[[*_KEYS, *_BEHAVIOUR]]


def profile_personas(
    customers: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    responses: pd.DataFrame | None = None,
    features: Sequence[str] = (),
    customer_id: str = "customer_id",
    region: str = "region",
    channel: str = "primary_channel",
    revenue: str = "annual_revenue",
    score: str = "nps",
    survey: str | None = "relationship",
    wave: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> PersonaProfile:
    r"""Profile each persona against the whole base.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customers table.
    assignments : pandas.DataFrame
        ``customer_id``, ``persona_id``, ``persona`` (:attr:`PersonaModel.assignments`).
    responses : pandas.DataFrame, optional
        Survey responses with ``customer_id`` and the NPS column; without them the NPS
        tables are empty.
    features : sequence of str, optional
        Behavioural columns to describe (``personas.features``); ``revenue`` is added.
    customer_id, region, channel, revenue, score : str
        Column roles (canonical names by default).
    survey : str or None, default "relationship"
        Keep responses of this survey when the table has a ``survey`` column and that
        value occurs in it; None keeps every survey.
    wave : str, optional
        Keep responses of this wave (when the table has a ``wave`` column).
    confidence : float, default 0.95
        Coverage of the intervals.
    min_n : int, default 30
        Personas (customers or respondents) below this base are flagged ``small_n``.

    Returns
    -------
    PersonaProfile
        The profile tables (see the class).

    Raises
    ------
    ValueError
        On missing columns or an invalid confidence.

    Notes
    -----
    Shares of the base carry Wilson intervals. ``value_index`` :math:`= 100 \times
    (V_p / V) / (n_p / n)`. NPS per persona is :func:`cxlib.stats.nps` (adjusted Wald,
    Rocks 2016); the difference against the rest of the base and its Holm-adjusted
    p-value come from :func:`cxlib.stats.segment_tests`. Only customers present in both
    tables are profiled.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": [1, 2, 3, 4], "region": list("NNSS"),
    ...     "primary_channel": ["app"] * 4, "annual_revenue": [100.0, 100.0, 100.0, 300.0]})
    >>> assign = pd.DataFrame({"customer_id": [1, 2, 3, 4], "persona_id": [1, 1, 2, 2],
    ...                        "persona": ["A", "A", "B", "B"]})
    >>> prof = profile_personas(cust, assign)
    >>> prof.sizes["value_share"].tolist(), prof.sizes["value_index"].tolist()
    ([0.3333333333333333, 0.6666666666666666], [66.66666666666666, 133.33333333333331])
    """
    check_frame(customers, "customers")
    z = check_confidence(confidence)
    check_columns(customers, [customer_id, region, channel, revenue, *features])
    data = _with_persona(customers, assignments, customer_id)
    total_n, total_v = len(data), float(data[revenue].sum())
    g = data.groupby(_KEYS, sort=True)
    sizes = g.size().rename("n").reset_index()
    sizes["share"] = sizes["n"] / total_n
    sizes["ci_low"], sizes["ci_high"] = wilson(sizes["share"].to_numpy(), total_n, z)
    sizes["value"] = g[revenue].sum().to_numpy()
    sizes["value_share"] = sizes["value"] / total_v if total_v else np.nan
    sizes["value_index"] = 100.0 * sizes["value_share"] / sizes["share"]
    sizes["revenue_per_customer"] = g[revenue].mean().to_numpy()
    sizes["small_n"] = sizes["n"] < min_n
    feats = list(dict.fromkeys([*features, revenue]))
    nps, base = _persona_nps(
        responses, assignments, customer_id, score, survey, wave, confidence, min_n
    )
    return PersonaProfile(
        sizes=sizes,
        behaviours=_behaviours(data, [f for f in feats if f not in (region, channel)]),
        regions=_mix(data, region),
        channels=_mix(data, channel).rename(columns={channel: "channel"}),
        nps=nps,
        base_nps=base,
        confidence=confidence,
    )


def _persona_nps(responses, assignments, key, score, survey, wave, confidence, min_n):
    cols = [
        *_KEYS,
        "n",
        "n_eff",
        "estimate",
        "ci_low",
        "ci_high",
        "small_n",
        "difference",
        "p_value",
        "p_adjusted",
    ]
    empty_base = pd.DataFrame(
        {"n": [0], "estimate": [np.nan], "ci_low": [np.nan], "ci_high": [np.nan]}
    )
    if responses is None:
        return pd.DataFrame(columns=cols), empty_base
    check_columns(responses, [key, score])
    r = responses
    if survey is not None and "survey" in r.columns and (r["survey"] == survey).any():
        r = r[r["survey"] == survey]
    if wave is not None and "wave" in r.columns:
        r = r[r["wave"] == wave]
    r = _with_persona(r[r[score].notna()], assignments, key)
    if r.empty:
        return pd.DataFrame(columns=cols), empty_base
    opts = {"score": score, "confidence": confidence, "min_n": min_n}
    out = stats.nps(r, by=_KEYS, **opts)
    if out["persona_id"].nunique() > 1:
        tests = stats.segment_tests(r, by=_KEYS, metric="nps", **opts)
        out = out.merge(
            tests[[*_KEYS, "estimate", "p_value", "p_adjusted"]].rename(
                columns={"estimate": "difference"}
            ),
            on=_KEYS,
            how="left",
        )
    else:
        out = out.assign(difference=np.nan, p_value=np.nan, p_adjusted=np.nan)
    base = stats.nps(r, **opts)[["n", "estimate", "ci_low", "ci_high"]]
    return out[cols], base


def _theme_tags(themes: pd.DataFrame, response_id: str, theme: str) -> pd.DataFrame:
    rid = response_id if response_id in themes.columns else "response"
    check_columns(themes, [rid, theme])
    tags = themes
    if "negated" in tags.columns:
        tags = tags[~tags["negated"].fillna(False).astype(bool)]
    tags = tags[[rid, theme]].rename(columns={rid: response_id, theme: "theme"})
    tags["theme"] = tags["theme"].astype(str)
    return tags.drop_duplicates()


def persona_themes(
    themes: pd.DataFrame,
    responses: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    response_id: str = "response_id",
    customer_id: str = "customer_id",
    comment: str = "comment",
    theme: str = "theme",
    top: int = 3,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Rank the VoC themes each persona mentions most, against the whole base.

    Parameters
    ----------
    themes : pandas.DataFrame
        Theme tags from the VoC step (``themes.parquet``), one row per response and
        theme: ``response_id`` (or ``response``) and ``theme``; rows with
        ``negated=True`` are ignored.
    responses : pandas.DataFrame
        Responses with ``response_id``, ``customer_id`` and ``comment``.
    assignments : pandas.DataFrame
        Persona of each customer.
    response_id, customer_id, comment, theme : str
        Column roles.
    top : int, default 3
        Themes kept per persona.
    min_n : int, default 30
        Personas with fewer comments than this are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        Up to ``top`` rows per persona, most mentioned first: ``persona_id``,
        ``persona``, ``theme``, ``n`` (comments mentioning it), ``n_comments``
        (persona's comments), ``share``, ``base_share`` (all comments), ``index``,
        ``rank`` and ``small_n``.

    Notes
    -----
    ``share`` :math:`= n / n_{comments}`; ``index`` :math:`= 100 \times share /
    base\_share`. Ties are broken by theme name.

    Examples
    --------
    >>> import pandas as pd
    >>> resp = pd.DataFrame({"response_id": [1, 2, 3], "customer_id": [1, 2, 3],
    ...                      "comment": ["slow chat", "bill wrong", "chat again"]})
    >>> assign = pd.DataFrame({"customer_id": [1, 2, 3], "persona_id": [1, 2, 1],
    ...                        "persona": ["A", "B", "A"]})
    >>> tags = pd.DataFrame({"response_id": [1, 2, 3], "theme": ["Chat", "Billing", "Chat"]})
    >>> persona_themes(tags, resp, assign, top=1)[["persona", "theme", "share"]].values.tolist()
    [['A', 'Chat', 1.0], ['B', 'Billing', 1.0]]
    """
    check_frame(themes, "themes")
    check_columns(responses, [response_id, customer_id, comment])
    said = responses.loc[responses[comment].fillna("").astype(str).str.strip() != ""]
    said = _with_persona(said[[response_id, customer_id]], assignments, customer_id)
    tags = _theme_tags(themes, response_id, theme).merge(said, on=response_id, how="inner")
    n_comments = said.groupby("persona_id").size()
    out = tags.groupby([*_KEYS, "theme"], sort=True).size().rename("n").reset_index()
    out["n_comments"] = out["persona_id"].map(n_comments).to_numpy()
    out["share"] = out["n"] / out["n_comments"]
    base = tags.groupby("theme").size() / max(len(said), 1)
    out["base_share"] = out["theme"].map(base).to_numpy(dtype=float)
    out["index"] = 100.0 * out["share"] / out["base_share"]
    out = out.sort_values(["persona_id", "n", "theme"], ascending=[True, False, True])
    out["rank"] = out.groupby("persona_id").cumcount() + 1
    out["small_n"] = out["n_comments"] < min_n
    return out[out["rank"] <= top].reset_index(drop=True)


def representative_quotes(
    responses: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    names: Iterable[str] = (),
    themes: pd.DataFrame | None = None,
    response_id: str = "response_id",
    customer_id: str = "customer_id",
    comment: str = "comment",
    sentiment: str | None = None,
    min_chars: int = 25,
    max_chars: int = 280,
    max_candidates: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Pick one typical comment per persona and return it redacted.

    The quote is the comment whose sentiment is closest to the persona's median
    sentiment, preferring comments on the persona's most mentioned theme and of a
    readable length. Only the redacted text is returned.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses with ``response_id``, ``customer_id`` and ``comment``.
    assignments : pandas.DataFrame
        Persona of each customer.
    names : iterable of str, optional
        Customer names to remove besides the patterns :func:`cxlib.redact.redact` finds
        (e-mails, phones, cards, IBANs, personal URLs); see :func:`name_list`.
    themes : pandas.DataFrame, optional
        Theme tags (as for :func:`persona_themes`); without them only sentiment counts.
    response_id, customer_id, comment : str
        Column roles.
    sentiment : str, optional
        Column of sentiment scores (-1..1) already computed; else VADER compound scores
        from :func:`cxlib.text.sentiment`.
    min_chars, max_chars : int, default 25 and 280
        Preferred comment length; longer or shorter comments are used only when a
        persona has none in range.
    max_candidates : int, default 2000
        Comments per persona considered (a seeded random subset beyond that).
    seed : int, default 0
        Seed of that subset.

    Returns
    -------
    pandas.DataFrame
        One row per persona with comments: ``persona_id``, ``persona``,
        ``response_id``, ``quote`` (redacted), ``sentiment``, ``median_sentiment``,
        ``theme`` (the persona's top theme if the quote mentions it, else missing) and
        ``n_comments``.

    Notes
    -----
    The chosen comment is passed through :func:`cxlib.redact.redact` before it leaves
    this function; unredacted text is never returned. Order of preference: in length
    range, mentions the top theme, smallest :math:`|s - \tilde s_p|` (sentiment distance
    to the persona median), length closest to the persona's median length, then
    ``response_id``: deterministic.

    Examples
    --------
    >>> import pandas as pd
    >>> resp = pd.DataFrame({"response_id": [1, 2, 3], "customer_id": [1, 2, 3],
    ...     "comment": ["Never again, the worst wait of my life on that line",
    ...                 "Chat was slow, call me back on 07700 900123",
    ...                 "Absolutely wonderful service, thank you so much!!"],
    ...     "score": [-0.8, -0.1, 0.9]})
    >>> assign = resp[["customer_id"]].assign(persona_id=1, persona="A")
    >>> out = representative_quotes(resp, assign, sentiment="score")
    >>> out.loc[0, "quote"]
    'Chat was slow, call me back on [phone]'
    """
    check_columns(responses, [response_id, customer_id, comment])
    text = responses[comment].astype("string").str.strip()
    c = responses.loc[text.fillna("") != "", [response_id, customer_id]].copy()
    c["text"] = text[c.index].astype(str)
    if sentiment is not None:
        c["sentiment"] = responses.loc[c.index, sentiment].astype(float)
    c = _with_persona(c, assignments, customer_id)
    counts = c.groupby("persona_id").size()
    c = c.sample(frac=1.0, random_state=seed).groupby("persona_id").head(max_candidates)
    if sentiment is None:
        from cxlib import text as _text

        c["sentiment"] = _text.sentiment(c["text"])["compound"].to_numpy()
    c["length"] = c["text"].str.len()
    g = c.groupby("persona_id")
    c["median_sentiment"] = g["sentiment"].transform("median")
    c["out_of_range"] = ~c["length"].between(min_chars, max_chars)
    c["theme"] = _top_theme_hits(c, themes, response_id)
    c["no_theme"] = c["theme"].isna()
    c["distance"] = (c["sentiment"] - c["median_sentiment"]).abs()
    c["length_gap"] = (c["length"] - g["length"].transform("median")).abs()
    best = (
        c.sort_values(
            ["persona_id", "out_of_range", "no_theme", "distance", "length_gap", response_id]
        )
        .groupby("persona_id")
        .head(1)
    )
    from cxlib.redact import redact

    best = best.assign(
        quote=redact(best["text"], names=names).redacted.to_numpy(),
        n_comments=best["persona_id"].map(counts).to_numpy(),
    )
    cols = [*_KEYS, response_id, "quote", "sentiment", "median_sentiment", "theme", "n_comments"]
    return best[cols].sort_values("persona_id").reset_index(drop=True)


def _top_theme_hits(c: pd.DataFrame, themes: pd.DataFrame | None, response_id: str) -> pd.Series:
    """Return the persona's top theme where the comment mentions it, else NA."""
    if themes is None or themes.empty:
        return pd.Series(pd.NA, index=c.index, dtype="object")
    tags = _theme_tags(themes, response_id, "theme" if "theme" in themes.columns else "theme")
    tags = tags.merge(c[[response_id, "persona_id"]], on=response_id)
    top = tags.groupby(["persona_id", "theme"]).size().rename("n").reset_index()
    top = top.sort_values(["persona_id", "n", "theme"], ascending=[True, False, True])
    top = top.groupby("persona_id").head(1)
    hits = tags.merge(top[["persona_id", "theme"]], on=["persona_id", "theme"])
    mapped = c[response_id].map(hits.drop_duplicates(response_id).set_index(response_id)["theme"])
    return mapped.astype("object")


def name_list(customers: pd.DataFrame, *, columns: Sequence[str] = NAME_COLUMNS) -> list[str]:
    """Collect customer names to redact from the name columns the customers table has.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customers table (names are extra columns, not canonical ones).
    columns : sequence of str
        Candidate name columns; those absent are skipped.

    Returns
    -------
    list of str
        Distinct non-empty names, sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> name_list(pd.DataFrame({"first_name": ["Jo", "Al", "Jo"], "region": ["N"] * 3}))
    ['Al', 'Jo']
    """
    check_frame(customers, "customers")
    found = [customers[c].dropna().astype(str).str.strip() for c in columns if c in customers]
    if not found:
        return []
    values = pd.concat(found, ignore_index=True)
    return sorted(set(values[values != ""]))


def tag_comments(
    responses: pd.DataFrame,
    codeframe: Any = None,
    *,
    response_id: str = "response_id",
    comment: str = "comment",
) -> pd.DataFrame:
    """Tag every comment with the codeframe's themes, as step 4 does.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses with ``response_id`` and ``comment``.
    codeframe : path, cxlib.config.Codeframe, cxlib.text.Codeframe, dict or None
        The engagement's codeframe, or the path of its ``codeframe.yaml`` (read with
        :func:`cxlib.config.load_codeframe`). None, or a path to no file, gives an empty
        table: the engagement has no codeframe yet.
    response_id, comment : str
        Column roles.

    Returns
    -------
    pandas.DataFrame
        One row per response and theme mentioned: ``response_id``, ``theme``,
        ``mentions`` and ``negated`` (:func:`cxlib.text.tag_themes`, long form).

    Examples
    --------
    >>> import pandas as pd
    >>> resp = pd.DataFrame({"response_id": ["a", "b"], "comment": ["Bill wrong", None]})
    >>> cf = {"version": "1", "themes": [{"name": "Billing", "keywords": ["bill*"]}]}
    >>> tag_comments(resp, cf)[["response_id", "theme"]].values.tolist()
    [['a', 'Billing']]
    """
    empty = pd.DataFrame(columns=[response_id, "theme", "mentions", "negated"])
    if isinstance(codeframe, str | Path):
        codeframe = load_codeframe(codeframe) if Path(codeframe).is_file() else None
    if codeframe is None:
        return empty
    from cxlib.text import tag_themes
    from cxlib.voc import codeframe_from_config

    check_columns(responses, [response_id, comment])
    said = responses[responses[comment].notna()]
    comments = pd.Series(said[comment].astype(str).to_numpy(), index=said[response_id])
    tags = tag_themes(comments, codeframe_from_config(codeframe))
    return tags.rename(columns={"response": response_id}) if len(tags) else empty


def results(
    model: Any,
    profile: PersonaProfile,
    *,
    themes: pd.DataFrame | None = None,
    quotes: pd.DataFrame | None = None,
    headline: str = "",
) -> dict[str, Any]:
    """Collect step 2's machine-readable results for ``personas.json``.

    Parameters
    ----------
    model : PersonaModel
        The personas (chosen k, the silhouette and stability table, transforms).
    profile : PersonaProfile
        Their profiles.
    themes, quotes : pandas.DataFrame, optional
        :func:`persona_themes` and :func:`representative_quotes` (redacted text only).
    headline : str
        The plain-text headline for the executive index.

    Returns
    -------
    dict
        The model's and the profile's records plus ``themes``, ``quotes`` and
        ``headline``; NaN becomes None.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.personas import PersonaModel
    >>> t = pd.DataFrame({"persona_id": [1], "persona": ["A"], "n": [3]})
    >>> empty = pd.DataFrame()
    >>> prof = PersonaProfile(t, empty, empty, empty, empty, empty)
    >>> out = results(PersonaModel(t, t, "rules", 1, "rules"), prof, headline="One persona.")
    >>> out["k"], out["headline"], out["sizes"]
    (1, 'One persona.', [{'persona_id': 1, 'persona': 'A', 'n': 3}])
    """
    return {
        **model.to_dict(),
        **profile.to_dict(),
        "themes": _records(themes),
        "quotes": _records(quotes),
        "headline": headline,
    }
