"""Persona cards and charts (step 2).

Presentation layer. Charts take a result table first, keyword-only options and ``ax``, and
return the Axes; colours come from the active colour cycle (the brand palette once
:func:`cxlib.plots.use_theme` ran); small bases are hatched and faded with a legend note;
every chart states its base. :func:`persona_cards` builds the HTML cards, escaping every
piece of client text (names, the consultant's words, quotes) with :func:`html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxlib.config import PersonaCard
from cxlib.narrative import pct
from cxlib.narrative_journey import signed
from cxlib.personas import PersonaModel
from cxlib.personas_profile import PersonaProfile
from cxlib.plots import MUTED as _GREY
from cxlib.plots import cycle_colours as _palette
from cxlib.plots import empty_chart, new_axes
from cxlib.plots import mark_small as _flag
from cxlib.plots import require_columns as _check
from cxlib.plots import small_base_handle as _small_patch

__all__ = [
    "PersonaCards",
    "k_selection",
    "persona_cards",
    "persona_centres",
    "persona_nps",
    "persona_sizes",
]


def _axes(ax: Any, size: tuple[float, float] = (8, 4.5)) -> Any:
    return new_axes(ax, size=size)


def _notice(ax: Any, text: str, title: str) -> Any:
    return empty_chart(ax, text, title=title)


# --------------------------------------------------------------------------- charts


def k_selection(
    selection: pd.DataFrame | None, *, min_stability: float = 0.8, ax: Any = None
) -> Any:
    """Draw silhouette and stability against the number of personas, chosen k marked.

    Parameters
    ----------
    selection : pandas.DataFrame or None
        :func:`cxlib.personas.select_k` output (``k``, ``n``, ``silhouette``,
        ``stability``, ``chosen``); None (k set or rules) draws a short notice.
    min_stability : float, default 0.8
        Stability bar, drawn as a dotted line.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Two lines in table order: silhouette (first) and stability (second); a vertical
        dashed line at the chosen k.

    Examples
    --------
    >>> import pandas as pd
    >>> sel = pd.DataFrame({"k": [2, 3], "n": 100, "silhouette": [0.3, 0.5],
    ...                     "stability": [0.9, 0.95], "chosen": [False, True]})
    >>> [[float(v) for v in line.get_ydata()] for line in k_selection(sel).lines[:2]]
    [[0.3, 0.5], [0.9, 0.95]]
    """
    ax = _axes(ax)
    if selection is None:
        return _notice(ax, "The number of personas was set, not searched", "How many personas?")
    _check(selection, ["k", "n", "silhouette", "stability", "chosen"], "selection")
    colours = _palette()
    ax.plot(selection["k"], selection["silhouette"], marker="o", color=colours[0],
            label="Separation (silhouette)")  # fmt: skip
    ax.plot(selection["k"], selection["stability"], marker="s", color=colours[1],
            label="Stability (agreement on resamples)")  # fmt: skip
    ax.axhline(min_stability, color=_GREY, ls=":", lw=1, label="Stability bar")
    chosen = selection.loc[selection["chosen"], "k"]
    if len(chosen):
        ax.axvline(float(chosen.iloc[0]), color="#333333", ls="--", lw=1,
                   label=f"Chosen: {int(chosen.iloc[0])} personas")  # fmt: skip
    ax.set_xticks(selection["k"].tolist())
    ax.set_ylim(min(0.0, float(selection["silhouette"].min()) - 0.05), 1.05)
    ax.set_xlabel("Number of personas")
    ax.set_ylabel("Score (higher is better)")
    ax.set_title(f"How many personas? (n = {int(selection['n'].iloc[0]):,} customers)")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def persona_sizes(sizes: pd.DataFrame, *, min_n: int = 30, ax: Any = None) -> Any:
    """Compare each persona's share of customers with its share of revenue.

    Parameters
    ----------
    sizes : pandas.DataFrame
        :attr:`PersonaProfile.sizes` (``persona``, ``n``, ``share``, ``ci_low``,
        ``ci_high``, ``value_share``, ``small_n``).
    min_n : int, default 30
        Small-base threshold for the legend.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars in persona order, customers' share first (its bars are the
        first ``len(sizes)`` patches, in percent), then revenue share; error bars show
        the interval of the customer share.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"persona": ["A", "B"], "n": [60, 40], "share": [0.6, 0.4],
    ...     "ci_low": [0.5, 0.3], "ci_high": [0.7, 0.5], "value_share": [0.3, 0.7],
    ...     "small_n": [False, False]})
    >>> [round(float(p.get_width()), 1) for p in persona_sizes(s).patches]
    [60.0, 40.0, 30.0, 70.0]
    """
    _check(sizes, ["persona", "n", "share", "ci_low", "ci_high", "value_share", "small_n"],
           "sizes")  # fmt: skip
    ax = _axes(ax)
    colours = _palette()
    y = np.arange(len(sizes))[::-1].astype(float)
    share = sizes["share"].to_numpy(dtype=float) * 100
    err = np.vstack([share - sizes["ci_low"] * 100, sizes["ci_high"] * 100 - share])
    bars = ax.barh(y + 0.2, share, height=0.4, color=colours[0], label="Share of customers")
    ax.errorbar(share, y + 0.2, xerr=err, fmt="none", ecolor="#333333", capsize=3, lw=1)
    ax.barh(y - 0.2, sizes["value_share"] * 100, height=0.4, color=colours[1],
            label="Share of revenue")  # fmt: skip
    _flag(bars, sizes["small_n"].astype(bool))
    labels = [f"{p} (n = {n:,})" for p, n in zip(sizes["persona"], sizes["n"], strict=True)]
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.set_xlabel("Percent")
    ax.set_title(f"Size and value of each persona (n = {int(sizes['n'].sum()):,} customers)")
    handles, _ = ax.get_legend_handles_labels()
    if sizes["small_n"].any():
        handles.append(_small_patch(min_n))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return ax


def persona_nps(
    nps: pd.DataFrame,
    *,
    base: pd.DataFrame | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    ax: Any = None,
) -> Any:
    """Draw each persona's NPS with its interval, the whole base as a reference line.

    Parameters
    ----------
    nps : pandas.DataFrame
        :attr:`PersonaProfile.nps` (``persona``, ``n``, ``estimate``, ``ci_low``,
        ``ci_high``, ``small_n``).
    base : pandas.DataFrame, optional
        :attr:`PersonaProfile.base_nps`; drawn as a dashed line.
    confidence : float, default 0.95
        For the axis label.
    min_n : int, default 30
        Small-base threshold for the legend.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per persona (widths = NPS); error bars from ``ci_low`` to
        ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"persona": ["A", "B"], "n": [80, 20], "estimate": [20.0, -5.0],
    ...     "ci_low": [5.0, -40.0], "ci_high": [35.0, 30.0], "small_n": [False, True]})
    >>> ax = persona_nps(t)
    >>> [float(p.get_width()) for p in ax.patches[:2]], ax.patches[1].get_hatch()
    ([20.0, -5.0], '///')
    """
    _check(nps, ["persona", "n", "estimate", "ci_low", "ci_high", "small_n"], "nps")
    ax = _axes(ax)
    if nps.empty:
        ax.text(0.5, 0.5, "No NPS answers from these customers", ha="center",
                transform=ax.transAxes, color=_GREY)  # fmt: skip
        ax.set_title("NPS by persona")
        return ax
    y = np.arange(len(nps))[::-1]
    est = nps["estimate"].to_numpy(dtype=float)
    bars = ax.barh(y, est, height=0.6, color=_palette()[0])
    err = np.vstack([est - nps["ci_low"].to_numpy(float), nps["ci_high"].to_numpy(float) - est])
    ax.errorbar(est, y, xerr=err, fmt="none", ecolor="#333333", capsize=3, lw=1)
    _flag(bars, nps["small_n"].astype(bool))
    ax.set_yticks(y, [f"{p} (n = {int(n):,})" for p, n in zip(nps["persona"], nps["n"],
                                                            strict=True)])  # fmt: skip
    ax.axvline(0, color=_GREY, lw=0.8)
    handles = []
    if base is not None and len(base) and not pd.isna(base["estimate"].iloc[0]):
        ref = float(base["estimate"].iloc[0])
        handles.append(ax.axvline(ref, color="#333333", ls="--", lw=1,
                                  label=f"All respondents: {signed(ref)}"))  # fmt: skip
    if nps["small_n"].any():
        handles.append(_small_patch(min_n))
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize="small")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.set_xlim(-100, 100)
    ax.set_xlabel(f"NPS (-100 to +100), {round(confidence * 100):g}% interval")
    ax.set_title(f"NPS by persona (n = {int(nps['n'].sum()):,} respondents)")
    return ax


def persona_centres(model: PersonaModel, *, ax: Any = None) -> Any:
    """Heatmap of how far each persona sits from the average customer on every feature.

    Parameters
    ----------
    model : PersonaModel
        A clustering model (its ``centres``: mean standardised feature per persona).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        seaborn heatmap, personas as rows (persona order), features as columns; cell
        values are standard deviations from the base mean (the first collection's
        array, row by row).

    Notes
    -----
    Personas from rules have no centres; the chart then says so instead.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"persona_id": [1, 2], "persona": ["A", "B"], "n": [5, 5]})
    >>> c = pd.DataFrame({"calls": [1.0, -1.0]}, index=pd.Index([1, 2], name="persona_id"))
    >>> m = PersonaModel(t, t, "clusters", 2, "forced", centres=c)
    >>> persona_centres(m).collections[0].get_array().ravel().tolist()
    [1.0, -1.0]
    """
    import seaborn as sns

    if model.centres is None:
        return _notice(_axes(ax), "Personas come from rules: see the profiles below",
                       "What sets each persona apart")  # fmt: skip
    ax = _axes(ax, (9, 0.6 * model.k + 2.5))
    data = model.centres.copy()
    names = model.personas.set_index("persona_id")["persona"]
    data.index = [f"{names[i]} (n = {int(n):,})" for i, n in
                  zip(data.index, model.personas.set_index("persona_id")["n"][data.index],
                      strict=True)]  # fmt: skip
    data.columns = [str(c).replace("_", " ") for c in data.columns]
    limit = max(1.0, float(np.nanmax(np.abs(data.to_numpy()))))
    sns.heatmap(data, ax=ax, cmap="RdBu_r", center=0, vmin=-limit, vmax=limit, annot=True,
                fmt=".1f", cbar_kws={"label": "Standard deviations from the average"},
                linewidths=0.5)  # fmt: skip
    ax.set_xlabel("Behaviour")
    ax.set_ylabel("Persona")
    n = int(model.personas["n"].sum())
    ax.set_title(f"What sets each persona apart (n = {n:,} customers)")
    ax.tick_params(axis="x", rotation=30)
    return ax


# --------------------------------------------------------------------------- cards


@dataclass(frozen=True)
class PersonaCards:
    """Persona cards as one escaped HTML fragment; shown by Jupyter and the report."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


_CSS = (
    "display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:16px;margin:8px 0"
)
_CARD = "border:1px solid #D9D9D9;border-radius:6px;padding:12px 14px;background:#FFFFFF"


def _items(title: str, values: Sequence[str]) -> str:
    if not values:
        return ""
    lis = "".join(f"<li>{html.escape(str(v))}</li>" for v in values)
    return f"<p style='margin:8px 0 2px'><strong>{html.escape(title)}</strong></p><ul style='margin:0;padding-left:18px'>{lis}</ul>"  # noqa: E501


def _facts(pid: int, profile: PersonaProfile, level: str) -> list[str]:
    size = profile.sizes.set_index("persona_id").loc[pid]
    facts = [
        f"{pct(size['share'], 0)} of customers (n = {int(size['n']):,}; {level} CI "
        f"{pct(size['ci_low'], 0)} to {pct(size['ci_high'], 0)})",
        f"{pct(size['value_share'], 0)} of revenue; {size['revenue_per_customer']:,.0f} per "
        "customer a year",
    ]
    nps = profile.nps[profile.nps["persona_id"] == pid] if len(profile.nps) else profile.nps
    if len(nps) and nps.iloc[0]["n"] > 0:
        r = nps.iloc[0]
        small = " (small base: indicative)" if r["small_n"] else ""
        facts.append(f"NPS {signed(r['estimate'])} ({level} CI {signed(r['ci_low'])} to "
                     f"{signed(r['ci_high'])}, n = {int(r['n']):,}){small}")  # fmt: skip
    for table, column, label in ((profile.channels, "channel", "Preferred channels"),
                                 (profile.regions, None, "Regions")):  # fmt: skip
        rows = table[table["persona_id"] == pid].sort_values("share", ascending=False).head(2)
        col = column or next(c for c in table.columns if c not in ("persona_id", "persona", "n",
                             "share", "base_share", "index"))  # fmt: skip
        if len(rows):
            facts.append(f"{label}: " + ", ".join(
                f"{r[col]} {pct(r['share'], 0)}" for _, r in rows.iterrows()))  # fmt: skip
    beh = profile.behaviours[profile.behaviours["persona_id"] == pid].dropna(subset=["gap_sd"])
    top = beh.assign(size=beh["gap_sd"].abs()).sort_values("size", ascending=False).head(3)
    for _, r in top.iterrows():
        name = str(r["feature"]).replace("_", " ")
        if r["binary"]:
            facts.append(
                f"{name}: {pct(r['mean'], 0)} vs {pct(r['base_mean'], 0)} of all customers"
            )
        else:
            facts.append(f"{name}: {r['mean']:,.1f} on average vs {r['base_mean']:,.1f} overall")
    return facts


def persona_cards(
    model: PersonaModel,
    profile: PersonaProfile,
    cards: Sequence[PersonaCard | None],
    *,
    themes: pd.DataFrame | None = None,
    quotes: pd.DataFrame | None = None,
    palette: Sequence[str] | None = None,
) -> PersonaCards:
    """Build the persona cards: the consultant's words beside the measured facts.

    Parameters
    ----------
    model : PersonaModel
        The personas.
    profile : PersonaProfile
        Their profile against the base.
    cards : sequence of PersonaCard or None
        One per persona, in persona order (:func:`cxlib.personas.match_cards`).
    themes : pandas.DataFrame, optional
        :func:`cxlib.personas_profile.persona_themes`.
    quotes : pandas.DataFrame, optional
        :func:`cxlib.personas_profile.representative_quotes` (already redacted).
    palette : sequence of str, optional
        Colours of the card headers; default the active colour cycle (brand palette).

    Returns
    -------
    PersonaCards
        HTML in which every piece of client text is escaped.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import PersonaCard
    >>> t = pd.DataFrame({"persona_id": [1], "persona": ["<b>A</b>"], "n": [10]})
    >>> sizes = t.assign(share=1.0, ci_low=0.7, ci_high=1.0, value_share=1.0,
    ...                  revenue_per_customer=100.0)
    >>> empty = pd.DataFrame(columns=["persona_id", "persona", "share", "gap_sd"])
    >>> prof = PersonaProfile(sizes, empty, empty, empty, empty, pd.DataFrame())
    >>> out = persona_cards(PersonaModel(t, t, "rules", 1, "rules"), prof,
    ...                     [PersonaCard(name="A", needs=["<script>"])], palette=["#000000"])
    >>> "&lt;b&gt;A&lt;/b&gt;" in out.html, "<script>" in out.html
    (True, False)
    """
    colours = list(palette) if palette else _palette()
    level = f"{round(profile.confidence * 100):g}%"
    parts = []
    for i, (pid, name) in enumerate(zip(model.personas["persona_id"], model.personas["persona"],
                                        strict=True)):  # fmt: skip
        card = cards[i] if i < len(cards) else None
        colour = colours[i % len(colours)]
        body = [f"<div style='border-top:6px solid {html.escape(colour)};{_CARD}'>",
                f"<h3 style='margin:4px 0'>{html.escape(str(name))}</h3>"]  # fmt: skip
        if card is not None and card.description:
            body.append(f"<p style='margin:4px 0'><em>{html.escape(card.description)}</em></p>")
        elif card is None:
            body.append("<p style='margin:4px 0;color:#8C8C8C'>No card written for this persona "
                        "yet: add one under personas.cards.</p>")  # fmt: skip
        body.append(_items("Measured", _facts(int(pid), profile, level)))
        if themes is not None and len(themes):
            mine = themes[themes["persona_id"] == pid]
            body.append(_items("Talks about", [f"{r.theme} ({pct(r.share, 0)} of comments)"
                                               for r in mine.itertuples()]))  # fmt: skip
        if card is not None:
            body += [
                _items("Motivations", card.motivations),
                _items("Challenges", card.challenges),
                _items("Needs", card.needs),
            ]
        if quotes is not None and len(quotes) and (quotes["persona_id"] == pid).any():
            quote = quotes.loc[quotes["persona_id"] == pid, "quote"].iloc[0]
            body.append(
                "<blockquote style='margin:8px 0 0;padding-left:10px;border-left:3px "
                f"solid #D9D9D9'>&ldquo;{html.escape(str(quote))}&rdquo;</blockquote>"
            )
        body.append("</div>")
        parts.append("".join(body))
    return PersonaCards(f"<div class='cx-persona-cards' style='{_CSS}'>{''.join(parts)}</div>")
