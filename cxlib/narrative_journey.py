"""Sentences for steps 2 and 3: personas and the journey audit, in a consultant's words.

Presentation layer: rounds and formats numbers, escapes every piece of client text (persona
names, touchpoint names, owners) with :func:`cxlib.narrative._e`. Headlines are plain text
for the executive index; everything else is Markdown for :func:`cxlib.report.md`.
"""

from __future__ import annotations

import math

import pandas as pd

from cxlib.journey import scorecard_wide
from cxlib.narrative import _e, _n, pct
from cxlib.personas import PersonaModel
from cxlib.personas_profile import PersonaProfile

__all__ = [
    "channel_consistency",
    "emotion_curve",
    "funnel",
    "journey_headline",
    "k_choice",
    "pain_points",
    "persona_overview",
    "personas_headline",
    "scorecard_table",
    "signed",
    "themes_note",
    "unmapped",
]

_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight"}


def signed(value: float, decimals: int = 0) -> str:
    """Format a score with its sign, as NPS is read (+12, -3, 0).

    Examples
    --------
    >>> signed(12.4), signed(-3.0), signed(0.2)
    ('+12', '-3', '0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{value:+.{decimals}f}"
    return text[1:] if float(text) == 0 else text


def _level(confidence: float) -> str:
    return f"{round(confidence * 100):g}%"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


# --------------------------------------------------------------------------- personas


def k_choice(model: PersonaModel) -> str:
    """Explain how many personas there are and why, in plain words.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"persona_id": [1, 2], "persona": ["A", "B"], "n": [5, 5]})
    >>> k_choice(PersonaModel(t, t, "clusters", 2, "forced"))
    'The engagement sets the number of personas at 2, so no other number was tried.'
    """
    if model.reason == "rules":
        names = ", ".join(f"**{_e(n)}**" for n in model.personas["persona"])
        return (
            "Customers are placed by the consultant's rules, first matching rule first, "
            f"into: {names}."
        )
    if model.reason == "forced" or model.selection is None:
        return (
            f"The engagement sets the number of personas at {model.k}, "
            "so no other number was tried."
        )
    sel = model.selection
    row = sel[sel["k"] == model.k].iloc[0]
    lo, hi = int(sel["k"].min()), int(sel["k"].max())
    runs = "resampled versions of the base"
    stable = (
        f"it is also stable: re-running the segmentation on {runs} puts customers in the "
        f"same groups (agreement {row['stability']:.2f} on a 0-1 scale, where 1 means "
        "identical and 0 means chance)"
    )
    if model.reason == "most_stable":
        return (
            f"We tried {lo} to {hi} personas. None gave groups that reliably came back when "
            f"the data were resampled (bar: {model.min_stability:.2f}); {model.k} came "
            f"closest (agreement {row['stability']:.2f}). Treat these personas as a working "
            "hypothesis to test in interviews."
        )
    return (
        f"We tried {lo} to {hi} personas. {_WORDS.get(model.k, str(model.k))} gives the "
        f"clearest separation between groups (silhouette {row['silhouette']:.2f}; higher "
        f"is better) among the stable solutions, and {stable}."
    )


def _persona_line(size: pd.Series, nps: pd.DataFrame, level: str) -> str:
    text = (
        f"- **{_e(size['persona'])}**: {pct(size['share'], 0)} of customers "
        f"(n = {int(size['n']):,}) and {pct(size['value_share'], 0)} of revenue"
    )
    row = nps[nps["persona_id"] == size["persona_id"]]
    if len(row) and row.iloc[0]["n"] > 0:
        r = row.iloc[0]
        text += (
            f"; NPS {signed(r['estimate'])} ({level} CI {signed(r['ci_low'])} to "
            f"{signed(r['ci_high'])}, n = {int(r['n']):,})"
        )
        if not pd.isna(r.get("p_adjusted")) and r["p_adjusted"] < 0.05:
            side = "above" if r["difference"] > 0 else "below"
            text += f", clearly {side} the rest of the base"
        if r["small_n"]:
            text += " *(small base: indicative only)*"
    return text + "."


def persona_overview(profile: PersonaProfile) -> str:
    """List every persona with its size, share of revenue and NPS.

    Examples
    --------
    >>> import pandas as pd
    >>> sizes = pd.DataFrame({"persona_id": [1], "persona": ["<A>"], "n": [10],
    ...                       "share": [1.0], "value_share": [1.0]})
    >>> prof = PersonaProfile(sizes, *(pd.DataFrame() for _ in range(3)),
    ...     pd.DataFrame(columns=["persona_id"]), pd.DataFrame())
    >>> persona_overview(prof)
    '- **&lt;A&gt;**: 100% of customers (n = 10) and 100% of revenue.'
    """
    level = _level(profile.confidence)
    nps = profile.nps if len(profile.nps) else pd.DataFrame(columns=["persona_id"])
    return "\n".join(_persona_line(s, nps, level) for _, s in profile.sizes.iterrows())


def themes_note(themes: pd.DataFrame | None) -> str:
    """Say which themes each persona raises most, or why there are none yet.

    Examples
    --------
    >>> themes_note(None)[:40]
    'No comment themes yet: the engagement ha'
    """
    if themes is None or themes.empty:
        return (
            "No comment themes yet: the engagement has no codeframe or no tagged comments. "
            "They appear here once the voice-of-customer codeframe is in place (step 4)."
        )
    lines = []
    for persona, g in themes.groupby("persona", sort=False):
        items = ", ".join(f"{_e(r.theme)} ({pct(r.share, 0)})" for r in g.itertuples())
        lines.append(f"- **{_e(persona)}** most often mention {items} of their comments.")
    return "\n".join(lines)


def personas_headline(model: PersonaModel, profile: PersonaProfile) -> str:
    """One plain-text sentence for the executive index, with the key number and its CI.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"persona_id": [1], "persona": ["A"], "n": [8]})
    >>> sizes = t.assign(share=1.0, ci_low=0.7, ci_high=1.0, value_share=1.0)
    >>> prof = PersonaProfile(sizes, *(pd.DataFrame() for _ in range(3)),
    ...     pd.DataFrame(), pd.DataFrame())
    >>> personas_headline(PersonaModel(t, t, "rules", 1, "rules"), prof)
    '1 persona; the largest, A, is 100% of customers (95% CI 70% to 100%).'
    """
    level = _level(profile.confidence)
    top = profile.sizes.sort_values("n", ascending=False).iloc[0]
    word = "persona" if model.k == 1 else "personas"
    text = (
        f"{model.k} {word}; the largest, {top['persona']}, is {pct(top['share'], 0)} of "
        f"customers ({level} CI {pct(top['ci_low'], 0)} to {pct(top['ci_high'], 0)})"
    )
    nps = profile.nps[profile.nps["n"] > 0] if len(profile.nps) else profile.nps
    if len(nps) >= 2:
        lo, hi = nps.loc[nps["estimate"].idxmin()], nps.loc[nps["estimate"].idxmax()]
        text += (
            f"; NPS runs from {signed(lo['estimate'])} ({lo['persona']}, {level} CI "
            f"{signed(lo['ci_low'])} to {signed(lo['ci_high'])}) to {signed(hi['estimate'])} "
            f"({hi['persona']}, {level} CI {signed(hi['ci_low'])} to {signed(hi['ci_high'])})"
        )
    return text + "."


# --------------------------------------------------------------------------- journey


def _ci(low: float, high: float, fmt) -> str:
    return f"{fmt(low)}–{fmt(high)}"


def scorecard_table(scorecard: pd.DataFrame) -> pd.DataFrame:
    """Turn the long scorecard into the client's table: one row per touchpoint.

    Returns
    -------
    pandas.DataFrame
        Columns Stage, Touchpoint, Channel, Owner, Events, Reach, Completed, "CSAT
        (top-2)", "CSAT CI", Effort, "Effort CI", "Median time" and ``small_n`` (CSAT
        base below the threshold); shares stay numbers for :func:`cxlib.report.table`'s
        ``percent_cols``, intervals are text.

    Examples
    --------
    >>> import pandas as pd
    >>> card = pd.DataFrame({"stage": "use", "stage_order": 0, "touchpoint_id": "a",
    ...     "name": "App", "channel": "app", "owner": "", "metric": ["volume", "csat"],
    ...     "n": [4, 3], "estimate": [4.0, 0.5], "ci_low": [None, 0.2],
    ...     "ci_high": [None, 0.8], "small_n": [True, True]})
    >>> scorecard_table(card).loc[0, "CSAT CI"]
    '20%–80%'
    """
    wide = scorecard_wide(scorecard)
    out = wide[["stage", "name", "channel", "owner"]].copy()
    out.columns = ["Stage", "Touchpoint", "Channel", "Owner"]

    def col(value: str, metric: str) -> pd.Series:
        name = f"{metric}_{value}"
        return wide[name] if name in wide else pd.Series(float("nan"), index=wide.index)

    out["Events"] = col("estimate", "volume").astype("Int64")
    out["Reach"] = col("estimate", "reach")
    out["Completed"] = col("estimate", "completion")
    out["CSAT (top-2)"] = col("estimate", "csat")
    out["CSAT CI"] = [
        "n/a" if pd.isna(lo) else _ci(lo, hi, lambda v: pct(v, 0))
        for lo, hi in zip(col("ci_low", "csat"), col("ci_high", "csat"), strict=True)
    ]
    out["Effort"] = col("estimate", "effort")
    out["Effort CI"] = [
        "n/a" if pd.isna(lo) else f"{lo:.2f}–{hi:.2f}"
        for lo, hi in zip(col("ci_low", "effort"), col("ci_high", "effort"), strict=True)
    ]
    out["Median time"] = [
        "n/a" if pd.isna(v) else f"{v / 60:.1f} min" for v in col("estimate", "duration_s")
    ]
    small = col("small_n", "csat")
    out["small_n"] = small.fillna(1).astype(bool)
    return out


def _pain_line(rank: int, r: pd.Series, level: str) -> str:
    where = f"{_e(r['stage'])}, {_e(r['channel'])}"
    owner = f"; owner {_e(r['owner'])}" if str(r["owner"]).strip() else ""
    text = (
        f"{rank}. **{_e(r['name'])}** ({where}{owner}): {pct(r['dissatisfaction'], 0)} of "
        f"ratings fall short of satisfied and {pct(r['reach'], 0)} of customers use it. "
    )
    if pd.isna(r["impact"]):
        return text + "Too few survey respondents had a bad experience here to measure its effect."
    text += (
        f"Customers with a bad experience here give an NPS {r['impact']:.0f} points lower "
        f"({level} CI {r['impact_ci_low']:.0f} to {r['impact_ci_high']:.0f}); together about "
        f"{r['estimate']:.1f} NPS points lost across the base ({level} CI "
        f"{r['ci_low']:.1f} to {r['ci_high']:.1f})."
    )
    if r["small_n"]:
        text += " *(small base: indicative only)*"
    return text


def pain_points(pains: pd.DataFrame, *, top: int = 3, confidence: float = 0.95) -> str:
    """Name the top pain points in words, worst first.

    Examples
    --------
    >>> import pandas as pd
    >>> row = {"stage": "support", "channel": "chat", "owner": "Care", "name": "Chat",
    ...        "dissatisfaction": 0.6, "reach": 0.4, "impact": 40.0, "impact_ci_low": 30.0,
    ...        "impact_ci_high": 50.0, "estimate": 9.6, "ci_low": 7.2, "ci_high": 12.0,
    ...        "small_n": False}
    >>> pain_points(pd.DataFrame([row]))[:60]
    '1. **Chat** (support, chat; owner Care): 60% of ratings fall'
    """
    if pains.empty:
        return "No touchpoint has enough ratings to rank pain points."
    level = _level(confidence)
    return "\n".join(
        _pain_line(i, r, level) for i, (_, r) in enumerate(pains.head(top).iterrows(), start=1)
    )


def journey_headline(pains: pd.DataFrame, *, confidence: float = 0.95) -> str:
    """One plain-text sentence for the executive index: the worst pain point and its cost.

    Examples
    --------
    >>> import pandas as pd
    >>> row = {"name": "Chat", "dissatisfaction": 0.6, "reach": 0.4, "estimate": 9.6,
    ...        "ci_low": 7.2, "ci_high": 12.0}
    >>> journey_headline(pd.DataFrame([row]))
    'The biggest pain point is Chat: 60% of its ratings fall short of satisfied, 40% of customers use it, and it costs about 9.6 NPS points across the base (95% CI 7.2 to 12.0).'
    """  # noqa: E501
    if pains.empty or pd.isna(pains.iloc[0]["estimate"]):
        return "The journey audit found too few ratings to rank pain points."
    r = pains.iloc[0]
    return (
        f"The biggest pain point is {r['name']}: {pct(r['dissatisfaction'], 0)} of its "
        f"ratings fall short of satisfied, {pct(r['reach'], 0)} of customers use it, and it "
        f"costs about {r['estimate']:.1f} NPS points across the base ({_level(confidence)} "
        f"CI {r['ci_low']:.1f} to {r['ci_high']:.1f})."
    )


def funnel(table: pd.DataFrame) -> str:
    """Point at the stage transition where most customers are lost.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"stage": ["a", "b"], "n": [100, 40], "drop_off": [None, 0.6],
    ...                   "previous": [None, 100], "continued": [None, 40]})
    >>> funnel(t)
    'The largest loss is between a and b: of 100 customers seen at a, 60% are not seen at b.'
    """
    moves = table.dropna(subset=["drop_off"])
    if moves.empty:
        return "The journey has a single stage, so there is no hand-over to follow."
    worst = moves.loc[moves["drop_off"].idxmax()]
    before = table.loc[table.index[table.index.get_loc(worst.name) - 1], "stage"]
    return (
        f"The largest loss is between {_e(before)} and {_e(worst['stage'])}: of "
        f"{_n(int(worst['previous']), 'customer')} seen at {_e(before)}, "
        f"{pct(worst['drop_off'], 0)} are not seen at {_e(worst['stage'])}."
    )


def emotion_curve(curve: pd.DataFrame, *, confidence: float = 0.95) -> str:
    """Describe the low point of the emotion curve and who feels it most.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"persona_id": [0, 0, 1, 1], "persona": ["All", "All", "A", "A"],
    ...     "stage": ["buy", "help"] * 2, "estimate": [4.1, 3.2, 4.0, 2.9],
    ...     "ci_low": [4.0, 3.1, 3.8, 2.7], "ci_high": [4.2, 3.3, 4.2, 3.1],
    ...     "n": [50] * 4, "small_n": [False] * 4})
    >>> emotion_curve(c)[:59]
    'Satisfaction is lowest at **help** (mean 3.20 out of 5, 95%'
    """
    whole = curve[curve["persona_id"] == 0]
    if whole.empty or whole["estimate"].isna().all():
        return "There are no satisfaction ratings to draw the emotion curve."
    low = whole.loc[whole["estimate"].idxmin()]
    text = (
        f"Satisfaction is lowest at **{_e(low['stage'])}** (mean {low['estimate']:.2f} out "
        f"of 5, {_level(confidence)} CI {low['ci_low']:.2f} to {low['ci_high']:.2f})"
    )
    there = curve[(curve["persona_id"] != 0) & (curve["stage"] == low["stage"])]
    there = there[~there["small_n"]]
    if len(there):
        worst = there.loc[there["estimate"].idxmin()]
        text += (
            f"; **{_e(worst['persona'])}** feel it most (mean {worst['estimate']:.2f}, "
            f"CI {worst['ci_low']:.2f} to {worst['ci_high']:.2f})"
        )
    return text + "."


def channel_consistency(
    consistency: pd.DataFrame, *, alpha: float = 0.05, confidence: float = 0.95
) -> str:
    """Say where the experience depends on the channel, stage by stage.

    ``alpha`` is the significance level applied to the adjusted p-values.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"stage": ["support"], "best_channel": ["store"], "best_mean": [3.8],
    ...     "worst_channel": ["chat"], "worst_mean": [3.1], "estimate": [0.7],
    ...     "ci_low": [0.6], "ci_high": [0.8], "p_adjusted": [0.0001]})
    >>> channel_consistency(c).splitlines()[2][:65]
    '- **support**: store scores 3.80 against chat 3.10 (gap 0.70, 95%'
    """
    if consistency.empty:
        return "No stage is served by two or more rated channels, so there is nothing to compare."
    level = _level(confidence)
    real = consistency[consistency["p_adjusted"] < alpha].sort_values("estimate", ascending=False)
    if real.empty:
        return (
            "No stage shows a channel gap that stands out from chance once every stage is "
            "tested together: the experience is consistent across channels."
        )
    lines = [
        f"- **{_e(r.stage)}**: {_e(r.best_channel)} scores {r.best_mean:.2f} against "
        f"{_e(r.worst_channel)} {r.worst_mean:.2f} (gap {r.estimate:.2f}, {level} CI "
        f"{r.ci_low:.2f} to {r.ci_high:.2f}; {_p(r.p_adjusted)} after adjusting for the "
        "number of stages)."
        for r in real.itertuples()
    ]
    calm = len(consistency) - len(real)
    others = "The other stage shows" if calm == 1 else f"The other {calm} stages show"
    tail = f"\n\n{others} no channel gap beyond chance." if calm else ""
    return "Customers get a different experience depending on the channel in:\n\n" + (
        "\n".join(lines) + tail
    )


def unmapped(stray: pd.DataFrame, *, total: int) -> str:
    """Say whether every event belongs to a touchpoint of the journey, or what was left out.

    ``stray`` is :func:`cxlib.journey.unmapped`; ``total`` the number of events.

    Examples
    --------
    >>> import pandas as pd
    >>> unmapped(pd.DataFrame({"touchpoint_id": ["fax"], "n": [3]}), total=100)
    '3 of 100 events (3.0%) name a touchpoint the journey does not define (fax) and are left out; add it to journey.touchpoints to include them.'
    """  # noqa: E501
    if stray.empty:
        if total == 1:
            return "The one event belongs to a touchpoint of the journey."
        return f"All {total:,} events belong to touchpoints of the journey."
    n = int(stray["n"].sum())
    ids = ", ".join(_e(t) for t in stray["touchpoint_id"].head(5))
    more = " and others" if len(stray) > 5 else ""
    # The verbs follow the number of events, the nouns and pronouns that of touchpoints.
    name, left, them = ("names", "is", "it") if n == 1 else ("name", "are", "them")
    touchpoints, add = ("a touchpoint", "it") if len(stray) == 1 else ("touchpoints", "them")
    events = "The one event" if total == 1 else f"{n:,} of {total:,} events ({pct(n / total)})"
    return (
        f"{events} {name} {touchpoints} the journey does not define ({ids}{more}) and {left} "
        f"left out; add {add} to journey.touchpoints to include {them}."
    )
