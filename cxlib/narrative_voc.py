"""Sentences for the voice-of-customer step, written from :class:`cxlib.voc.VocResult`.

Presentation layer: numbers are rounded and formatted here and nowhere earlier. Every
piece of client text (segment levels, theme names, verbatims, suggested terms) is
escaped with :func:`cxlib.narrative._e` before it goes into Markdown. The one plain-text
function, :func:`headline`, feeds the executive index, which escapes it there.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from cxlib.narrative import _e, _n, pct
from cxlib.voc import VocResult

__all__ = [
    "bias",
    "bias_rows",
    "close_the_loop",
    "detractors",
    "drivers",
    "headline",
    "label",
    "metrics",
    "quadrants",
    "segment_rows",
    "segments",
    "signed",
    "suggestions",
    "summary",
    "themes",
    "verbatims",
]

_SEGMENT_WORDS = {
    "persona": "persona",
    "region": "region",
    "channel": "channel",
    "survey": "survey",
    "stage": "journey stage",
}


def signed(value: float, decimals: int = 0) -> str:
    """Format an NPS-like value with its sign (``+12``, ``-3``, ``0``).

    Examples
    --------
    >>> signed(12.4), signed(-0.3), signed(-2.56, 1)
    ('+12', '0', '-2.6')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{value:+.{decimals}f}"
    return text[1:] if float(text) == 0 else text


def label(name: str) -> str:
    """Turn a column name such as ``billing_clarity`` into words ("billing clarity").

    Examples
    --------
    >>> label("billing_clarity")
    'billing clarity'
    """
    return str(name).replace("_", " ").strip()


def _level(result: VocResult) -> int:
    return int(round(result.confidence * 100))


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _metric_value(row: dict) -> tuple[str, str, str]:
    if row["metric"] == "nps":
        fmt = signed
    elif row["metric"] == "csat":
        fmt = pct
    else:
        fmt = lambda v: f"{v:.2f}"  # noqa: E731
    return fmt(row["estimate"]), fmt(row["ci_low"]), fmt(row["ci_high"])


def headline(result: VocResult) -> str:
    """One plain-text sentence for the executive index: NPS with its CI and the top driver.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib import voc
    >>> df = pd.DataFrame({"nps": [10, 9, 8, 6, 3, 10] * 10, "comment": ["bill wrong"] * 60})
    >>> cf = {"themes": [{"name": "Billing", "keywords": ["bill"]}]}
    >>> headline(voc.analyse(df, codeframe=cf))
    'NPS is +17 (95% CI -6 to +38, n = 60).'
    """
    row = result.metric("nps")
    est, low, high = _metric_value(row)
    text = f"NPS is {est} ({_level(result)}% CI {low} to {high}, n = {row['n']:,})"
    if row["small_n"]:
        text += " on a small base"
    if result.drivers is not None:
        top = result.drivers.importance.iloc[0]
        text += (
            f"; {label(top['attribute'])} is the strongest driver "
            f"({top['importance_pct']:.0f}% of the explained variation in NPS)"
        )
    concentrated = _concentrated(result)
    if len(concentrated):
        top = concentrated.iloc[0]
        text += (
            f"; detractors raise {top['theme']} {top['lift']:.1f} times as often as other "
            "customers"
        )
    return text + "."


def metrics(result: VocResult) -> str:
    """Describe the headline NPS, CSAT and CES with their intervals and bases (Markdown)."""
    lines = []
    words = {
        "nps": "**NPS** (promoters minus detractors, -100 to +100)",
        "csat": "**CSAT** (share satisfied, 4 or 5 out of 5)",
        "ces": "**CES** (mean ease score, 1 to 7)",
    }
    for row in result.headline.to_dict("records"):
        est, low, high = _metric_value(row)
        line = (
            f"- {words.get(row['metric'], _e(row['label']))}: **{est}** "
            f"({_level(result)}% CI {low} to {high}; n = {row['n']:,})"
        )
        if row["small_n"]:
            line += " *Small base: indicative only.*"
        lines.append(line)
    base = f"{_e(result.headline_survey)} survey" if result.headline_survey else "all surveys"
    weights = "weighted to the customer base" if result.weighted else "unweighted"
    head = f"Responses to the {base}, {weights}"
    head += f" (wave {_e(result.wave)})" if result.wave else ""
    return head + ":\n\n" + "\n".join(lines)


def segments(result: VocResult, metric: str = "nps", limit: int = 6) -> str:
    """Say which segments differ from the rest of the base, after multiplicity control."""
    table = result.segments[(result.segments["metric"] == metric) & result.segments["significant"]]
    name = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}[metric]
    if table.empty:
        return (
            f"No segment's {name} differs from the rest of the base by more than chance "
            "would explain, once the number of comparisons is taken into account."
        )
    table = table.reindex(table["difference"].abs().sort_values(ascending=False).index)
    lines = []
    for r in table.head(limit).itertuples():
        side = "higher" if r.difference > 0 else "lower"
        fmt = signed if metric == "nps" else (pct if metric == "csat" else (lambda v: f"{v:.2f}"))
        diff = signed(r.difference) if metric == "nps" else fmt(abs(r.difference))
        line = (
            f"- **{_e(r.level)}** ({_SEGMENT_WORDS.get(r.segment, _e(r.segment))}): {name} "
            f"{fmt(r.estimate)} against {fmt(r.reference_value)} for everyone else, "
            f"{side} by {diff.lstrip('+-')} (adjusted {_p(r.p_adjusted)}; n = {r.n:,})."
        )
        if r.small_n:
            line += " *Small base.*"
        lines.append(line)
    return f"These segments differ from the rest of the base ({name}):\n\n" + "\n".join(lines)


def themes(result: VocResult, limit: int = 5) -> str:
    """Describe the most frequent themes, their sentiment and their link with NPS."""
    t = result.themes[result.themes["n_mentions"] > 0]
    if t.empty:
        return "No comment mentions a theme of the codeframe."
    t = t.sort_values("n_mentions", ascending=False).head(limit)
    lines = []
    for r in t.itertuples():
        tone = (
            "positive" if r.mean_sentiment >= 0.05 else "negative" if r.mean_sentiment <= -0.05
            else "mixed"
        )  # fmt: skip
        line = (
            f"- **{_e(r.theme)}**: {pct(r.share)} of comments, {tone} in tone; those who "
            f"raise it give an NPS of {signed(r.nps_mentioning)} against "
            f"{signed(r.nps_not_mentioning)} ({signed(r.estimate)} points, "
            f"adjusted {_p(r.p_adjusted)})."
        )
        if r.small_n:
            line += " *Small base.*"
        lines.append(line)
    carry = "carries" if result.n_comments == 1 else "carry"
    return (
        f"{_n(result.n_comments, 'response')} {carry} a comment. The themes raised most often:"
        "\n\n" + "\n".join(lines)
    )


def _concentrated(result: VocResult) -> pd.DataFrame:
    t = result.themes[result.themes["concentrated"]]
    return t.sort_values("lift", ascending=False)


def detractors(result: VocResult, limit: int = 3) -> str:
    """Say in words what drives detractors: ratings that raise the odds, themes they raise."""
    parts = []
    if result.detractors is not None:
        table = result.detractors.table
        sig = table[(table["p_adjusted"] < 1 - result.confidence) & (table["odds_ratio"] < 1)]
        sig = sig.sort_values("odds_ratio").head(limit)
        for r in sig.itertuples():
            parts.append(
                f"- Each extra point on **{_e(label(r.attribute))}** cuts the odds of being "
                f"a detractor by {pct(1 - r.odds_ratio, 0)} (odds ratio {r.odds_ratio:.2f}, "
                f"{_level(result)}% CI {r.ci_low:.2f} to {r.ci_high:.2f})."
            )
    for r in _concentrated(result).head(limit).itertuples():
        parts.append(
            f"- **{_e(r.theme)}** comes up in {pct(r.share_detractors, 0)} of detractors' "
            f"comments against {pct(r.share_others, 0)} of other customers' "
            f"({r.lift:.1f} times as often)."
        )
    if not parts:
        return "No rating or theme sets detractors apart from other customers."
    rate = ""
    if result.detractors is not None:
        rate = f" ({pct(result.detractors.detractor_rate, 0)} of the headline base)"
    return f"What sets detractors{rate} apart:\n\n" + "\n".join(parts)


def drivers(result: VocResult) -> str:
    """Describe the key drivers of NPS with their share of explained variation."""
    if result.drivers is None:
        return "No key driver analysis: " + _e("; ".join(result.notes) or "no attributes.")
    kd = result.drivers
    top = kd.importance.head(3)
    names = [
        f"**{_e(label(r.attribute))}** ({r.importance_pct:.0f}%, {_level(result)}% CI "
        f"{r.importance_pct_ci_low:.0f}% to {r.importance_pct_ci_high:.0f}%)"
        for r in top.itertuples()
    ]
    method = "Shapley value regression" if kd.method == "shapley" else "relative weights"
    text = (
        f"The attribute ratings together explain {pct(kd.r_squared, 0)} of the variation in "
        f"NPS (n = {kd.n:,}). Split by {method}, the largest shares go to "
        + ", ".join(names[:-1])
        + (" and " if len(names) > 1 else "")
        + names[-1]
        + "."
    )
    first = kd.importance.iloc[0]
    if first["rank_ci_high"] == 1:
        text += f" {_e(label(first['attribute'])).capitalize()} ranks first in every resample."
    return text


def quadrants(result: VocResult) -> str:
    """Name the attributes in each importance-performance quadrant."""
    if result.quadrants is None:
        return "No importance-performance matrix without a driver analysis."
    q = result.quadrants
    order = ["Concentrate here", "Keep up the good work", "Possible overkill", "Low priority"]
    lines = []
    for quad in order:
        members = q.loc[q["quadrant"] == quad, "attribute"]
        if len(members):
            lines.append(f"- **{quad}**: " + ", ".join(_e(label(a)) for a in members) + ".")
    return "\n".join(lines)


def verbatims(result: VocResult, limit: int = 4) -> str:
    """Quote the redacted example comments of the most mentioned themes (escaped)."""
    v = result.verbatims
    if v.empty:
        return "No comments to quote."
    blocks = []
    for theme in list(dict.fromkeys(v["theme"]))[:limit]:
        rows = v[v["theme"] == theme]
        scores = rows["nps"] if "nps" in rows.columns else pd.Series(float("nan"), rows.index)
        quotes = [
            f"> {_e(c)}" + (f" (NPS {int(s)})" if pd.notna(s) else "")
            for c, s in zip(rows["comment"], scores, strict=True)
        ]
        blocks.append(f"**{_e(theme)}**\n\n" + "\n>\n".join(quotes))
    note = (
        "Personal details (names, e-mail addresses, phone and card numbers) are replaced by "
        "tokens such as [email]."
    )
    return "\n\n".join(blocks) + "\n\n*" + _e(note) + "*"


def suggestions(result: VocResult, limit: int = 3) -> str:
    """Describe the candidate new themes found among uncoded comments (escaped)."""
    s = result.suggestions
    if s.empty:
        return "Every comment is covered by the codeframe; no new theme is suggested."
    lines = []
    for r in s.head(limit).itertuples():
        lines.append(
            f"- *{_e(r.top_terms)}*: {_n(r.n_comments, 'uncoded comment')} "
            f"({pct(r.share, 0)}), for example: \u201c{_e(r.example_1)}\u201d"
        )
    return (
        "Comments the codeframe does not catch fall into these groups; each is a candidate "
        "theme for the next version of the codeframe:\n\n" + "\n".join(lines)
    )


def bias(result: VocResult) -> str:
    """Say whether respondents differ materially from the customer base, and if weights fix it."""
    b = result.bias
    if b is None:
        return "No customer table, so the sample cannot be compared with the customer base."
    if not b.material:
        return (
            "Respondents resemble the customer base on "
            + ", ".join(_e(label(v)) for v in b.variables["variable"])
            + f" (every standardized difference below {b.threshold:g})."
        )
    bad = b.levels[b.levels["material"]]
    items = [
        f"{_e(label(r.variable))}"
        + (f" {_e(r.level)}" if r.level is not None else "")
        + f" ({pct(r.sample_value)} of responses vs {pct(r.base_value)} of customers)"
        if r.kind == "categorical"
        else f"{_e(label(r.variable))} (mean {r.sample_value:,.1f} vs {r.base_value:,.1f})"
        for r in bad.itertuples()
    ]
    text = "Respondents differ from the customer base on " + "; ".join(items) + "."
    variables = b.variables[b.variables["material"]]
    fixed = [_e(label(v)) for v in variables.loc[variables["corrected"], "variable"]]
    left = [_e(label(v)) for v in variables.loc[~variables["corrected"], "variable"]]
    if b.corrected:
        text += " The survey weights correct this: weighted, every difference is below "
        text += f"{b.threshold:g} standard deviations, and the figures on this page are weighted."
    elif b.weighted:
        if fixed:
            text += " The survey weights correct " + ", ".join(fixed) + " but not "
        else:
            text += " The survey weights do not correct "
        text += ", ".join(left) + ": scores lean towards the groups that answer more often."
    else:
        text += " The responses carry no weights."
    return text + _raking(result)


def _raking(result: VocResult) -> str:
    """Say what raking to the base's margins would do."""
    rk, after = result.raking, result.bias_raked
    if rk is None or after is None:
        return ""
    v = after.variables.set_index("variable").loc[list(rk.variables)]
    worst = float(v["max_abs_std_diff_weighted"].max())
    fixed = bool((v["max_abs_std_diff_weighted"] < after.threshold).all())
    text = (
        " Raking the responses to the customer base's mix of "
        + ", ".join(_e(label(x)) for x in rk.variables)
        + f" brings the largest standardized difference on those to {worst:.2f}"
        + (" (corrected)" if fixed else f" (still at or above {after.threshold:g})")
        + f"; it costs precision: design effect {rk.design_effect:.2f}, effective base "
        + f"{rk.n_eff:,.0f} of {rk.n:,} responses"
        + ("" if rk.n_trimmed == 0 else f", {_n(rk.n_trimmed, 'weight')} trimmed at {rk.cap:g}x")
        + ("." if rk.converged else ", margins not fully met after trimming.")
    )
    return text


def close_the_loop(result: VocResult, path: Path | str | None) -> str:
    """Say how many detractors are listed for follow-up and where the file is."""
    f = result.follow_up
    if f is None or f.empty:
        return "No detractor in this wave, so there is no one to call back."
    with_comment = int(f["comment"].notna().sum())
    where = "" if path is None else f" in `{Path(path).name}` in this run's results folder"
    if len(f) == 1:
        listed = f"1 detractor (score 0-6) is listed for follow-up{where}, " + (
            "with their comment (personal details removed) and the themes it raises"
            if with_comment
            else "without a comment"
        )
    else:
        listed = (
            f"{len(f):,} detractors (score 0-6) are listed for follow-up{where}, lowest score "
            f"first, {with_comment:,} of them with their comment (personal details removed) "
            "and the themes it raises"
        )
    return (
        f"{listed}: one row per response, with customer id, wave, touchpoint and channel, "
        "ready for the frontline teams to call back."
    )


def summary(result: VocResult) -> str:
    """Give 'what to fix first' as a short list built from the numbers."""
    items = []
    if result.quadrants is not None:
        fix = result.quadrants[result.quadrants["quadrant"] == "Concentrate here"]
        for a in fix["attribute"]:
            items.append(f"- Improve **{_e(label(a))}**: it matters most and scores below par.")
    for r in _concentrated(result).head(2).itertuples():
        items.append(f"- Tackle the causes behind **{_e(r.theme)}** complaints among detractors.")
    if len(result.suggestions) == 1:
        items.append("- Review the suggested new theme and add it to the codeframe if relevant.")
    elif len(result.suggestions):
        items.append(
            f"- Review the {len(result.suggestions)} suggested new themes and add the "
            "relevant ones to the codeframe."
        )
    b = result.bias
    if b is not None and b.material and not b.corrected:
        left = b.variables.loc[b.variables["material_weighted"], "variable"]
        items.append(
            "- Extend the survey weights to "
            + ", ".join(_e(label(v)) for v in left)
            + " so the headline reflects the whole customer base."
        )
    return "\n".join(items) if items else "- Keep measuring: nothing stands out this wave."


def _letters(t: pd.DataFrame, pairs: pd.DataFrame | None) -> tuple[list[str], list[str]]:
    """Give each level a letter within its segment column, and the letters it beats."""
    codes = {}
    for seg, levels in t.groupby("segment", sort=False)["level"]:
        for i, lv in enumerate(levels):
            codes[(seg, lv)] = _letter(i)
    beats: dict[tuple, list[str]] = {k: [] for k in codes}
    if pairs is not None and len(pairs):
        sig = pairs[pairs["significant"] & ~pairs["small_n"].astype(bool)]
        for r in sig.itertuples(index=False):
            hi, lo = (r.level, r.versus) if r.estimate > 0 else (r.versus, r.level)
            if (r.segment, hi) in beats and (r.segment, lo) in codes:
                beats[(r.segment, hi)].append(codes[(r.segment, lo)])
    keys = list(zip(t["segment"], t["level"], strict=True))
    return [codes[k] for k in keys], ["".join(sorted(beats[k])) for k in keys]


def _letter(i: int) -> str:
    return chr(65 + i) if i < 26 else chr(65 + i // 26 - 1) + chr(65 + i % 26)


def segment_rows(result: VocResult, metric: str = "nps") -> pd.DataFrame:
    """Return the segment table of one measure with reader-friendly column names.

    Values are not rounded here; :func:`cxlib.report.table` formats them. The
    ``small_n`` column is kept so the table flags small bases. Each group gets a letter
    within its segment column (``Letter``); ``Higher than`` lists the letters of the
    groups of the same column it scores significantly higher than (pairwise tests of
    :func:`cxlib.voc.segment_pairs`, Holm-adjusted; pairs involving a small base are
    not lettered), in the column-proportions style of survey tables.
    """
    t = result.segments[result.segments["metric"] == metric]
    pairs = result.pairs
    if pairs is not None and len(pairs):
        pairs = pairs[pairs["metric"] == metric]
    letter, higher = _letters(t, pairs)
    scale = 1.0 if metric != "csat" else 100.0
    out = pd.DataFrame(
        {
            "Segment": t["segment"].map(lambda s: _SEGMENT_WORDS.get(s, s)).str.capitalize(),
            "Group": t["level"],
            "Letter": letter,
            "n": t["n"].astype("int64"),
            "Score": t["estimate"] * scale,
            "CI low": t["ci_low"] * scale,
            "CI high": t["ci_high"] * scale,
            "Rest of base": t["reference_value"] * scale,
            "Difference": t["difference"] * scale,
            "p_adjusted": t["p_adjusted"],
            "Higher than": higher,
            "small_n": t["small_n"].astype(bool),
        }
    )
    return out.set_index(["Segment", "Group"])


def bias_rows(result: VocResult) -> pd.DataFrame:
    """Return the response-bias table (shares as 0..1, means as numbers) for display.

    With raking weights (``result.bias_raked``), ``Std. difference, raked`` shows each
    standardized difference after raking.
    """
    if result.bias is None:
        return pd.DataFrame()
    lv = result.bias.levels
    out = pd.DataFrame(
        {
            "Profile": lv["variable"].map(label).str.capitalize(),
            "Group": lv["level"].fillna("mean"),
            "Customer base": lv["base_value"],
            "Respondents": lv["sample_value"],
            "Respondents, weighted": lv["sample_value_weighted"],
            "Std. difference": lv["std_diff"],
            "Std. difference, weighted": lv["std_diff_weighted"],
        }
    )
    if result.bias_raked is not None:
        after = result.bias_raked.levels.set_index(["variable", "level"])["std_diff_weighted"]
        keys = pd.MultiIndex.from_arrays([lv["variable"], lv["level"]])
        out["Std. difference, raked"] = after.reindex(keys).to_numpy()
    return out.set_index(["Profile", "Group"])
