"""The methods appendix: every statistical and text method the kit uses, named with its formula.

The text is static and reviewed (it is not generated from the notebooks), so the client reads
the same definitions whatever steps ran. :func:`render_methods` writes it as ``methods.html``
with the same branding, stylesheet and offline guarantees as the other report pages.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxlib.config import Branding

__all__ = ["METHODS", "Method", "render_methods"]


@dataclass(frozen=True)
class Method:
    """One entry of the methods appendix.

    Attributes
    ----------
    group : str
        Section the method is listed under.
    name : str
        The method's usual name.
    used_for : str
        What the kit uses it for, in the client's words.
    formula : str
        The formula or procedure, in plain text.
    reference : str
        Published source (with DOI where one exists).
    """

    group: str
    name: str
    used_for: str
    formula: str
    reference: str


_M = Method
#: The reviewed list, in the order the appendix shows it.
METHODS: tuple[Method, ...] = (
    _M(
        "Scores and intervals",
        "Net Promoter Score with the adjusted-Wald interval",
        "NPS and its 95% confidence interval, overall and by segment.",
        "NPS = p_promoters − p_detractors (on a 0–10 scale: 9–10 promoters, 0–6 detractors). "
        "Adjusted Wald: add z²/4 to promoters and to detractors and z²/2 to n (Rocks 2016), "
        "then NPS_adj ± z·√[(p̂_P + p̂_D − (p̂_P − p̂_D)²) / n_adj].",
        "Rocks, B. (2016). Interval estimation for the 'net promoter score'. "
        "The American Statistician 70(4), 365–372. doi:10.1080/00031305.2016.1158180",
    ),
    _M(
        "Scores and intervals",
        "Wilson score interval",
        "Confidence intervals for proportions (top-box CSAT, rates, shares).",
        "(p̂ + z²/2n ± z·√[p̂(1 − p̂)/n + z²/4n²]) / (1 + z²/n).",
        "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical "
        "inference. JASA 22(158), 209–212. doi:10.1080/01621459.1927.10502953",
    ),
    _M(
        "Scores and intervals",
        "Student t interval for a mean",
        "Confidence intervals for mean scores (CSAT, CES, ratings).",
        "x̄ ± t(1 − α/2; n_eff − 1) · s / √n_eff.",
        "Student (1908). The probable error of a mean. Biometrika 6(1), 1–25. "
        "doi:10.1093/biomet/6.1.1",
    ),
    _M(
        "Scores and intervals",
        "Kish effective sample size",
        "Intervals and small-base flags for weighted survey data.",
        "n_eff = (Σ w)² / Σ w². Bases with n_eff below 30 are flagged as small.",
        "Kish, L. (1965). Survey Sampling. New York: Wiley.",
    ),
    _M(
        "Comparisons",
        "Two-proportion z test and Newcombe interval",
        "Whether two groups or two waves differ on a proportion.",
        "z = (p̂₁ − p̂₂) / √[p̄(1 − p̄)(1/n₁ + 1/n₂)]; the difference's interval combines the "
        "two Wilson intervals (Newcombe's method 10).",
        "Newcombe, R. G. (1998). Interval estimation for the difference between independent "
        "proportions. Statistics in Medicine 17(8), 873–890. "
        "doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I",
    ),
    _M(
        "Comparisons",
        "Welch t test",
        "Whether two groups or waves differ on a mean score, without assuming equal variances.",
        "t = (x̄₁ − x̄₂) / √(s₁²/n₁ + s₂²/n₂), with Welch–Satterthwaite degrees of freedom.",
        "Welch, B. L. (1947). The generalization of 'Student's' problem when several different "
        "population variances are involved. Biometrika 34(1–2), 28–35. "
        "doi:10.1093/biomet/34.1-2.28",
    ),
    _M(
        "Comparisons",
        "Welch ANOVA",
        "Whether a score differs across several segments with unequal variances.",
        "F* = [Σ w_j (x̄_j − x̄_w)² / (k − 1)] / "
        "[1 + 2(k − 2)/(k² − 1) · Σ (1 − w_j/Σw)²/(n_j − 1)], "
        "w_j = n_j / s_j².",
        "Welch, B. L. (1951). On the comparison of several mean values: an alternative "
        "approach. Biometrika 38(3–4), 330–336. doi:10.1093/biomet/38.3-4.330",
    ),
    _M(
        "Comparisons",
        "Holm and Benjamini–Hochberg adjustment",
        "Adjusted p-values when many segments or items are tested at once.",
        "Holm: sort p ascending, p_adj(i) = max_{j≤i} min(1, (m − j + 1)·p(j)). "
        "Benjamini–Hochberg: p_adj(i) = min_{j≥i} min(1, m·p(j)/j) (false discovery rate).",
        "Holm, S. (1979). Scand. J. Statist. 6(2), 65–70. Benjamini, Y. & Hochberg, Y. (1995). "
        "JRSS B 57(1), 289–300. doi:10.1111/j.2517-6161.1995.tb02031.x",
    ),
    _M(
        "Drivers and impact",
        "Shapley value (LMG) decomposition of R²",
        "The share of the overall score explained by each rated attribute.",
        "Each driver's share is its increase in R² when added to a model, averaged over all "
        "orders of entry; the shares sum to the model's R². 95% intervals: bootstrap "
        "percentile (resampling respondents).",
        "Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to Bivariate and "
        "Multivariate Analysis. Grömping, U. (2006). J. Stat. Softw. 17(1). "
        "doi:10.18637/jss.v017.i01",
    ),
    _M(
        "Drivers and impact",
        "Johnson relative weights",
        "A fast cross-check of the driver shares.",
        "Regress the outcome on the orthogonal counterpart Z of the drivers (Z = P·Qᵀ from the "
        "SVD X = PΔQᵀ); weight_j = Σ_k λ_jk² β_k². Bootstrap percentile intervals.",
        "Johnson, J. W. (2000). A heuristic method for estimating the relative weight of "
        "predictor variables in multiple regression. Multivariate Behav. Res. 35(1), 1–19. "
        "doi:10.1207/S15327906MBR3501_1",
    ),
    _M(
        "Drivers and impact",
        "OLS impact model with HC1 standard errors",
        "How many points of the score move with each touchpoint or attribute.",
        "β̂ = (XᵀX)⁻¹Xᵀy; Var(β̂) = n/(n − k)·(XᵀX)⁻¹ Xᵀ diag(ê²) X (XᵀX)⁻¹ "
        "(heteroskedasticity-consistent).",
        "MacKinnon, J. G. & White, H. (1985). Journal of Econometrics 29(3), 305–325. "
        "doi:10.1016/0304-4076(85)90158-7",
    ),
    _M(
        "Text",
        "VADER sentiment",
        "The tone of each verbatim comment.",
        "Rule-based lexicon score, normalised compound = x / √(x² + 15) in [−1, 1]; "
        "≥ 0.05 positive, ≤ −0.05 negative.",
        "Hutto, C. J. & Gilbert, E. (2014). VADER: a parsimonious rule-based model for "
        "sentiment analysis of social media text. Proc. ICWSM 8(1), 216–225. "
        "doi:10.1609/icwsm.v8i1.14550",
    ),
    _M(
        "Text",
        "TF-IDF and non-negative matrix factorisation",
        "Themes customers talk about that the codeframe does not cover yet.",
        "tf-idf(t, d) = tf(t, d) · (ln((1 + N)/(1 + df(t))) + 1); V ≈ W·H with W, H ≥ 0 "
        "minimising ‖V − WH‖²_F.",
        "Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by non-negative "
        "matrix factorization. Nature 401, 788–791. doi:10.1038/44565",
    ),
    _M(
        "Segments",
        "k-means with silhouette and bootstrap stability",
        "Personas from behaviour and attitudes.",
        "Minimise Σ ‖x − μ_c‖²; choose k by the mean silhouette s = (b − a)/max(a, b); "
        "stability is the adjusted Rand index between clusterings of bootstrap resamples.",
        "Rousseeuw, P. J. (1987). J. Comput. Appl. Math. 20, 53–65. "
        "doi:10.1016/0377-0427(87)90125-7. Hubert, L. & Arabie, P. (1985). J. Classif. 2, "
        "193–218. doi:10.1007/BF01908075",
    ),
    _M(
        "Planning",
        "0/1 knapsack",
        "The initiative portfolio with the most impact within the budget.",
        "Maximise Σ v_i x_i subject to Σ c_i x_i ≤ B, x_i ∈ {0, 1} (exact dynamic programming).",
        "Martello, S. & Toth, P. (1990). Knapsack Problems: Algorithms and Computer "
        "Implementations. Chichester: Wiley.",
    ),
    _M(
        "Planning",
        "Sample size and power",
        "How many responses a wave needs to detect a given change.",
        "Two proportions: n = (z₁₋α/2 √(2p̄q̄) + z₁₋β √(p₁q₁ + p₂q₂))² / (p₁ − p₂)²; two means: "
        "n = 2 (z₁₋α/2 + z₁₋β)² σ² / Δ²; inflated by the design effect n / n_eff.",
        "Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed. "
        "Hillsdale, NJ: Erlbaum.",
    ),
    _M(
        "Monitoring",
        "p-chart and Laney p′ chart",
        "Whether a KPI's movement between periods is more than routine variation.",
        "p-chart limits p̄ ± 3√(p̄(1 − p̄)/n_i); Laney: z_i = (p_i − p̄)/σ_i, σ_z = mean moving "
        "range of z / 1.128, limits p̄ ± 3 σ_i σ_z.",
        "Laney, D. B. (2002). Improved control charts for attributes. Quality Engineering "
        "14(4), 531–537. doi:10.1081/QEN-120003555",
    ),
)


def render_methods(
    out_path: str | os.PathLike[str],
    *,
    brand: Branding,
    logo_path: Path | None = None,
    run_facts: dict[str, str] | None = None,
    nav: list[tuple[str, str]] | None = None,
) -> Path:
    """Write the methods appendix page, branded like the other report pages.

    Parameters
    ----------
    out_path : path
        Where to write the page (usually ``methods.html`` beside ``index.html``).
    brand : Branding
        Client name, consultant, colours and fonts.
    logo_path : Path, optional
        Logo file (PNG, JPEG or SVG), embedded as a data URI.
    run_facts : dict of str to str, optional
        Labelled facts for the cover block and footer.
    nav : list of (title, href), optional
        Links to the run's other pages (relative hrefs only).

    Returns
    -------
    Path
        ``out_path``, written atomically.

    Raises
    ------
    PageNotSelfContained
        If the page would load anything from outside itself.
    TypeError, ValueError
        For arguments of the wrong type or hrefs that are not relative links.

    Notes
    -----
    The text is :data:`METHODS`, rendered with autoescaping jinja2 and grouped by
    :attr:`Method.group`; each method has an ``h3`` under its group's ``h2``.

    Examples
    --------
    >>> import tempfile
    >>> from cxlib.config import Branding
    >>> out = render_methods(Path(tempfile.mkdtemp()) / "methods.html",
    ...                      brand=Branding(client_name="Acme"))
    >>> page = out.read_text(encoding="utf-8")
    >>> "Wilson score interval" in page, "10.1080/00031305.2016.1158180" in page
    (True, True)
    """
    from cxlib import __version__, report

    out = Path(out_path)
    facts = report._facts(run_facts)
    links = report._nav(nav)
    groups: dict[str, list[Method]] = {}
    for method in METHODS:
        groups.setdefault(method.group, []).append(method)
    today = dt.date.today()
    page = (
        report._site()
        .get_template("methods.html.j2")
        .render(
            lang="en",
            title="Methods",
            subtitle="How the numbers in this report were produced",
            brand=brand,
            css=report._stylesheet(brand),
            csp=report._CSP,
            version=__version__,
            logo_uri=report._logo_uri(logo_path),
            date=today,
            date_label=report._date_label(today),
            nav=links,
            current=out.name,
            groups=groups,
            facts=facts,
        )
    )
    report._require_self_contained(page, out.name)
    return report._write_atomic(out, page)
