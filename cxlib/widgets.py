"""Interactive explorers for consultants in JupyterLab (ipywidgets), over one run.

Each explorer wires its controls to a pure function of :mod:`cxlib.widgets_views` and
renders the result as escaped HTML; the last result is kept on ``.view`` so tests (and
curious consultants) can read the numbers shown. Callbacks catch :class:`Exception` and show
the message in the explorer, since ipywidgets would otherwise swallow it silently.
Explorers are for the consultant's own kernel: the runner executes playbooks with
``store_widget_state=False`` and the report drops widget views, so nothing here reaches the
client's HTML.
"""

from __future__ import annotations

import abc
import html
from typing import Any

import pandas as pd

from cxlib import drivers_extra, journey_pain, kpi_outcomes
from cxlib import widgets_views as views
from cxlib.errors import CxError

__all__ = [
    "CodeframeWorkbench",
    "JourneyExplorer",
    "TargetSimulator",
    "VocExplorer",
    "codeframe",
    "journey",
    "simulator",
    "voc",
]


def _w():
    import ipywidgets

    return ipywidgets


def _fmt(value: Any, decimals: int = 1) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    return "–" if pd.isna(number) else f"{number:,.{decimals}f}"


def _table(frame: pd.DataFrame, columns: list[str], decimals: int = 2) -> str:
    if frame is None or frame.empty:
        return "<p><em>Nothing to show.</em></p>"
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{_fmt(v, decimals) if isinstance(v, float) else html.escape(str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in frame[cols].itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class _Explorer(abc.ABC):
    """Shared plumbing: a status line, a container and safe refreshes."""

    def __init__(self) -> None:
        w = _w()
        self.status = w.HTML("")
        self.view: Any = None
        self.error: str = ""

    def _safe(self, *_: Any) -> None:
        try:
            self.refresh()
            self.error = ""
            self.status.value = ""
        except Exception as exc:  # noqa: BLE001 - shown to the user instead of swallowed
            self.error = str(exc)
            self.status.value = f"<p style='color:#B00020'>{html.escape(str(exc))}</p>"

    @abc.abstractmethod
    def refresh(self) -> None:
        """Recompute the view from the controls and redraw it."""

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class VocExplorer(_Explorer):
    """Filter responses; see NPS, CSAT and CES with intervals, themes and redacted verbatims."""

    def __init__(self, prepared: views.VocData, *, confidence: float = 0.95, min_n: int = 30):
        super().__init__()
        w = _w()
        self.prepared, self.confidence, self.min_n = prepared, confidence, min_n
        self.controls = {
            col: w.Dropdown(options=opts, value=views.ALL, description=col)
            for col, opts in views.filter_options(prepared).items()
        }
        self.metrics_html, self.themes_html, self.verbatims_html = w.HTML(), w.HTML(), w.HTML()
        for control in self.controls.values():
            control.observe(self._safe, names="value")
        self.widget = w.VBox(
            [
                w.HBox(list(self.controls.values())),
                self.status,
                self.metrics_html,
                w.HTML("<h4>Themes</h4>"),
                self.themes_html,
                w.HTML("<h4>Verbatims (redacted)</h4>"),
                self.verbatims_html,
            ]
        )
        self._safe()

    def refresh(self) -> None:
        """Recompute from the controls and redraw."""
        filters = {col: c.value for col, c in self.controls.items()}
        self.view = view = views.voc_view(
            self.prepared, filters, confidence=self.confidence, min_n=self.min_n
        )
        metrics = view.metrics.assign(
            shown=[
                f"{_fmt(r.estimate, 1 if r.metric == 'nps' else 2)} "
                f"[{_fmt(r.ci_low, 1 if r.metric == 'nps' else 2)}, "
                f"{_fmt(r.ci_high, 1 if r.metric == 'nps' else 2)}]"
                + (" (small base)" if r.small_n else "")
                for r in view.metrics.itertuples()
            ]
        )
        self.metrics_html.value = f"<p>{view.n_responses:,} responses</p>" + _table(
            metrics, ["label", "n", "shown"]
        )
        self.themes_html.value = _table(
            view.themes, ["theme", "n_mentions", "share", "mean_sentiment"]
        )
        self.verbatims_html.value = _table(view.verbatims, ["theme", "nps", "comment"])


class JourneyExplorer(_Explorer):
    """Pick a persona; see its emotion curve, funnel and worst touchpoints."""

    def __init__(self, events, journey_config, personas=None, *, n_worst: int = 5):
        super().__init__()
        w = _w()
        self.events, self.journey, self.personas = events, journey_config, personas
        self.n_worst = n_worst
        names = [] if personas is None else sorted(personas["persona"].astype(str).unique())
        self.persona = w.Dropdown(
            options=[views.ALL, *names], value=views.ALL, description="persona"
        )
        self.curve_html, self.funnel_html, self.worst_html = w.HTML(), w.HTML(), w.HTML()
        self.chart = w.Output()
        self.figure: Any = None
        self.persona.observe(self._safe, names="value")
        self.widget = w.VBox(
            [
                self.persona,
                self.status,
                self.chart,
                w.HTML("<h4>Emotion curve (mean CSAT by stage)</h4>"),
                self.curve_html,
                w.HTML("<h4>Funnel</h4>"),
                self.funnel_html,
                w.HTML("<h4>Worst touchpoints (CSAT top-2-box)</h4>"),
                self.worst_html,
            ]
        )
        self._safe()

    def refresh(self) -> None:
        """Recompute for the chosen persona and redraw."""
        self.view = view = views.journey_view(
            self.events,
            self.journey,
            personas=self.personas,
            persona=self.persona.value,
            n_worst=self.n_worst,
        )
        self._draw(view)
        self.curve_html.value = _table(view.curve, ["stage", "n", "estimate", "ci_low", "ci_high"])
        self.funnel_html.value = _table(
            view.funnel, ["stage", "n", "estimate", "conversion", "drop_off"], decimals=3
        )
        self.worst_html.value = _table(
            view.worst, ["touchpoint_id", "name", "n", "estimate", "ci_low", "ci_high"], 3
        )

    def _draw(self, view: views.JourneyView) -> None:
        """Redraw the emotion curve and the funnel (the report's chart functions)."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        from cxlib import plots_journey

        if self.figure is not None:
            plt.close(self.figure)
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
        plots_journey.emotion_curve(view.curve, ax=left)
        plots_journey.funnel(view.funnel, ax=right)
        fig.suptitle(f"Persona: {view.persona}")
        self.figure = fig
        self.chart.clear_output(wait=True)
        with self.chart:
            display(fig)
        plt.close(fig)


class TargetSimulator(_Explorer):
    """Sliders: convert detractors, lift a touchpoint; see projected NPS and revenue at risk."""

    def __init__(
        self,
        responses,
        *,
        impact=None,
        detractor_model=None,
        scale_max=None,
        groups=None,
        basis="churn_rate",
    ):
        super().__init__()
        w = _w()
        self.responses, self.impact, self.groups, self.basis = responses, impact, groups, basis
        self.detractor_model, self.scale_max = detractor_model, scale_max
        step = {"min": 0.0, "max": 1.0, "step": 0.05, "value": 0.0}
        self.to_passive = w.FloatSlider(description="→ passive", **step)
        self.to_promoter = w.FloatSlider(description="→ promoter", **step)
        tps = [] if impact is None else list(impact.table["touchpoint_id"])
        self.touchpoint = w.Dropdown(options=["", *tps], value="", description="touchpoint")
        self.csat_lift = w.FloatSlider(description="CSAT lift", **step)
        attrs = [] if detractor_model is None else list(detractor_model.attributes)
        self.attribute = w.Dropdown(options=["", *attrs], value="", description="attribute")
        self.attribute_lift = w.FloatSlider(
            description="+ points", min=0.0, max=3.0, step=0.1, value=0.0
        )
        self.result_html = w.HTML()
        controls = (self.to_passive, self.to_promoter, self.touchpoint, self.csat_lift)
        for control in (*controls, self.attribute, self.attribute_lift):
            control.observe(self._safe, names="value")
        self.widget = w.VBox(
            [
                w.HTML(
                    "<p>Share of today's detractors converted, and share of a touchpoint's "
                    "bad experiences turned good:</p>"
                ),
                w.HBox([self.to_passive, self.to_promoter]),
                w.HBox([self.touchpoint, self.csat_lift]),
                w.HBox([self.attribute, self.attribute_lift]),
                self.status,
                self.result_html,
            ]
        )
        self._safe()

    def refresh(self) -> None:
        """Recompute from the sliders and redraw."""
        self.view = s = views.simulate_targets(
            self.responses,
            to_passive=self.to_passive.value,
            to_promoter=self.to_promoter.value,
            impact=None if self.impact is None else self.impact.table,
            n_impact=None if self.impact is None else self.impact.n,
            touchpoint=self.touchpoint.value or None,
            csat_lift=self.csat_lift.value,
            detractor_model=self.detractor_model,
            attribute=self.attribute.value or None,
            attribute_lift=self.attribute_lift.value,
            scale_max=self.scale_max,
            groups=self.groups,
            basis=self.basis,
        )
        self.result_html.value = (
            f"<p>NPS today <b>{_fmt(s.nps)}</b>; projected <b>{_fmt(s.projected_nps)}</b> "
            f"(+{_fmt(s.from_conversion)} from detractors, +{_fmt(s.from_touchpoint)} from "
            f"the touchpoint, +{_fmt(s.from_attribute)} from the attribute).</p>"
            f"<p>Revenue at risk today <b>{_fmt(s.revenue_at_risk, 0)}</b>; "
            f"projected <b>{_fmt(s.projected_revenue_at_risk, 0)}</b>.</p>"
        )


class CodeframeWorkbench(_Explorer):
    """Try keywords or a pattern for a new theme, see matches live, save to codeframe.yaml."""

    def __init__(self, comments: pd.Series, path, *, names=(), limit: int = 20):
        super().__init__()
        w = _w()
        self.comments, self.path, self.names, self.limit = comments, path, tuple(names), limit
        self.name = w.Text(description="theme")
        self.keywords = w.Text(description="keywords", placeholder="comma separated, * = ending")
        self.pattern = w.Text(description="pattern", placeholder="regular expression")
        self.save_button = w.Button(description="Save to codeframe.yaml")
        self.counts_html, self.matches_html = w.HTML(), w.HTML()
        for control in (self.keywords, self.pattern):
            control.observe(self._safe, names="value")
        self.save_button.on_click(self._save_clicked)
        self.widget = w.VBox(
            [
                w.HBox([self.name, self.keywords, self.pattern]),
                self.save_button,
                self.status,
                self.counts_html,
                self.matches_html,
            ]
        )
        self.saved: str = ""
        self._safe()

    def _terms(self) -> tuple[list[str], list[str]]:
        kws = [k.strip() for k in self.keywords.value.split(",") if k.strip()]
        pats = [self.pattern.value] if self.pattern.value.strip() else []
        return kws, pats

    def refresh(self) -> None:
        """Re-match the comments and redraw."""
        kws, pats = self._terms()
        self.view = t = views.codeframe_trial(
            self.comments, keywords=kws, patterns=pats, names=self.names, limit=self.limit
        )
        self.counts_html.value = (
            f"<p><b>{t.n_matched:,}</b> of {t.n_comments:,} comments match "
            f"({_fmt(100 * t.share)}%).</p>"
        )
        self.matches_html.value = _table(t.matches, ["comment"])

    def save(self) -> None:
        """Append the theme to codeframe.yaml (validated, atomic)."""
        kws, pats = self._terms()
        views.save_theme(self.path, self.name.value, keywords=kws, patterns=pats)
        self.saved = self.name.value.strip()
        self.status.value = f"<p>Saved theme {html.escape(self.saved)!s} to codeframe.yaml.</p>"

    def _save_clicked(self, _button: Any) -> None:
        try:
            self.save()
            self.error = ""
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.error = str(exc)
            self.status.value = f"<p style='color:#B00020'>{html.escape(str(exc))}</p>"


# --------------------------------------------------------------------------- one-liners


def _personas(ctx) -> pd.DataFrame | None:
    personas = ctx.load_table("personas.parquet")
    return personas if personas is not None and "persona" in personas.columns else None


def voc(ctx) -> VocExplorer:
    """Open the VoC explorer over a run (``explore.voc(ctx)``).

    Parameters
    ----------
    ctx : cxlib.context.RunContext
        The open run.

    Returns
    -------
    VocExplorer
        Displayed when it is the last expression of a cell.
    """
    from cxlib.config import load_codeframe

    cfg = ctx.config
    prepared = views.prepare_voc(
        ctx.table("responses"),
        codeframe=load_codeframe(ctx.paths.codeframe),
        customers=ctx.table("customers") if ctx.has_table("customers") else None,
        personas=_personas(ctx),
        stages=None if cfg.journey is None else {t.id: t.stage for t in cfg.journey.touchpoints},
    )
    return VocExplorer(prepared, confidence=cfg.survey.confidence, min_n=cfg.survey.min_base)


def journey(ctx) -> JourneyExplorer:
    """Open the journey explorer over a run (``explore.journey(ctx)``).

    Parameters
    ----------
    ctx : cxlib.context.RunContext
        The open run; needs ``journey:`` in engagement.yaml and the touchpoint_events
        table, and uses step 2's personas when step 2 has run.

    Returns
    -------
    JourneyExplorer
        Displayed when it is the last expression of a cell.
    """
    return JourneyExplorer(ctx.table("touchpoint_events"), ctx.require("journey"), _personas(ctx))


def _headline(ctx) -> pd.DataFrame:
    r = ctx.table("responses")
    r = r[r["wave"].astype(str) == ctx.wave] if "wave" in r.columns else r
    if "survey" in r.columns and (r["survey"] == "relationship").any():
        r = r[r["survey"] == "relationship"]
    return r


def simulator(ctx) -> TargetSimulator:
    """Open the target simulator over a run's wave (``explore.simulator(ctx)``).

    Parameters
    ----------
    ctx : cxlib.context.RunContext
        The open run. The relationship survey's responses of ``ctx.wave`` are used.

    Returns
    -------
    TargetSimulator
        Displayed when it is the last expression of a cell.

    Notes
    -----
    The touchpoint lever uses the journey audit's touchpoint impact model, the attribute
    lever the detractor drivers model of step 4, both fitted here on the same responses;
    a lever whose model cannot be fitted on the run is left without choices.
    """
    responses = _headline(ctx)
    impact = groups = None
    if ctx.config.journey is not None and ctx.has_table("touchpoint_events"):
        try:
            impact = journey_pain.touchpoint_impact(
                ctx.table("responses"),
                ctx.table("touchpoint_events"),
                ctx.config.journey,
                wave=ctx.wave,
            )
        except CxError:
            impact = None
    detractor_model = None
    attributes = [a for a in ctx.config.survey.attributes if a in responses.columns]
    if attributes:
        try:
            detractor_model = drivers_extra.detractor_drivers(
                responses,
                attributes=attributes,
                weight="weight" if "weight" in responses.columns else None,
            )
        except CxError:
            detractor_model = None
    if ctx.has_table("customers"):
        groups = kpi_outcomes.customer_nps_groups(responses, ctx.table("customers"), wave=ctx.wave)
    return TargetSimulator(
        responses,
        impact=impact,
        detractor_model=detractor_model,
        scale_max=float(ctx.config.survey.attribute_scale[1]),
        groups=groups,
        basis=ctx.config.kpis.revenue_at_risk,
    )


def codeframe(ctx) -> CodeframeWorkbench:
    """Open the codeframe workbench (``explore.codeframe(ctx)``).

    Parameters
    ----------
    ctx : cxlib.context.RunContext
        The open run: its comments are searched and *Save* writes the engagement's
        codeframe.yaml.

    Returns
    -------
    CodeframeWorkbench
        Displayed when it is the last expression of a cell.
    """
    r = ctx.table("responses")
    names = views.customer_names(ctx.table("customers") if ctx.has_table("customers") else None)
    comments = r["comment"] if "comment" in r.columns else pd.Series(dtype=object)
    return CodeframeWorkbench(comments.reset_index(drop=True), ctx.paths.codeframe, names=names)
