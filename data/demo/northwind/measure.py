"""Measure the planted effects in the generated data (written to truth/effects.yaml).

Plain pandas, numpy and scipy on the generated tables, so the README can state the size of
each effect as it came out, not only as it was put in.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import stats

from . import config_text
from .comments import THEMES
from .model import ATTRIBUTES, DONT_KNOW, MIN_GAP_DAYS, QUIET_DAYS, STAGES, _nps_group

FEATURES = [
    "monthly_data_gb",
    "calls_per_month",
    "app_logins_per_month",
    "support_contacts_12m",
    "add_ons",
    "lines",
    "is_business",
]
THEME_NAMES = dict(zip(THEMES[:9], [t[0] for t in config_text.CODEFRAME], strict=True))


def _r(x, digits: int = 4):
    return None if x is None or pd.isna(x) else round(float(x), digits)


def _p(x) -> float:
    return float(f"{float(x):.3g}")


def shapley_r2(corr: np.ndarray) -> np.ndarray:
    """LMG/Shapley decomposition of R^2 from a correlation matrix (outcome last)."""
    p = corr.shape[0] - 1
    rxx, rxy = corr[:p, :p], corr[:p, p]
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        s = [j for j in range(p) if mask >> j & 1]
        r2[mask] = rxy[s] @ np.linalg.solve(rxx[np.ix_(s, s)], rxy[s])
    size = np.array([bin(m).count("1") for m in range(1 << p)])
    fact = np.array([np.prod(range(1, k + 1)) for k in range(p + 1)], dtype=float)
    out = np.zeros(p)
    for j in range(p):
        without = np.array([m for m in range(1 << p) if not m >> j & 1])
        w = fact[size[without]] * fact[p - size[without] - 1] / fact[p]
        out[j] = (w * (r2[without | (1 << j)] - r2[without])).sum()
    return out


def nps_score(nps: pd.Series) -> float:
    nps = pd.Series(nps).dropna()
    return 100 * ((nps >= 9).mean() - (nps <= 6).mean())


def compile_codeframe() -> dict[str, re.Pattern]:
    """Regexes of the demo codeframe with the kit's documented matching rules.

    Keywords match whole words case-insensitively, ``*`` stands for any word ending and a
    space for any run of whitespace; patterns are regular expressions that no word
    character may touch at either end.
    """
    out = {}
    for name, _, keywords, patterns in config_text.CODEFRAME:
        parts = [re.escape(k).replace(r"\*", r"\w*").replace(r"\ ", r"\s+") for k in keywords]
        parts += [f"(?:{p})" for p in patterns]
        out[name] = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)
    return out


def _quarter(ts: pd.Series) -> np.ndarray:
    month, year = ts.dt.month, ts.dt.year
    q1 = (year == 2026) & (month <= 3)
    q3 = (year == 2026) & (month >= 7) & (month <= 9)
    return np.select([q1, q3], ["2026Q1", "2026Q3"], "")


def _compare(a: pd.Series, b: pd.Series) -> dict:
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    t = stats.ttest_ind(b, a, equal_var=False)
    return {
        "n_2026Q1": len(a),
        "n_2026Q3": len(b),
        "mean_2026Q1": _r(a.mean()),
        "mean_2026Q3": _r(b.mean()),
        "diff": _r(b.mean() - a.mean()),
        "p_value": _p(t.pvalue),
    }


def _drivers(rel: pd.DataFrame) -> dict:
    attrs = list(ATTRIBUTES["name"])
    x = rel[attrs].astype("float64").replace(DONT_KNOW, np.nan)
    ok = x.notna().all(axis=1)
    data = np.column_stack([x[ok].to_numpy(), rel.loc[ok, "nps"].to_numpy(dtype=float)])
    corr = np.corrcoef(data, rowvar=False)
    shares = shapley_r2(corr)
    z = (data - data.mean(0)) / data.std(0)
    design = np.column_stack([np.ones(len(z)), z[:, :-1]])
    beta = np.linalg.lstsq(design, z[:, -1], rcond=None)[0][1:]
    return {
        "n": int(ok.sum()),
        "r2": _r(shares.sum()),
        "shapley_share": {a: _r(s / shares.sum()) for a, s in zip(attrs, shares, strict=True)},
        "standardised_beta": {a: _r(b) for a, b in zip(attrs, beta, strict=True)},
        "correlation": {a: _r(c) for a, c in zip(attrs, corr[:-1, -1], strict=True)},
    }


def _waves(ev: pd.DataFrame, resp: pd.DataFrame) -> dict:
    q = _quarter(ev["occurred_at"])
    stages = {
        s: _compare(
            ev.loc[(ev["stage"] == s) & (q == "2026Q1"), "csat"],
            ev.loc[(ev["stage"] == s) & (q == "2026Q3"), "csat"],
        )
        for s in STAGES
    }
    rel = resp[resp["survey"] == "relationship"]
    measures = {}
    for col in ["nps", "csat", "ces", *ATTRIBUTES["name"]]:
        values = rel[col].astype("float64").replace(DONT_KNOW, np.nan)
        measures[col] = _compare(values[rel["wave"] == "2026Q1"], values[rel["wave"] == "2026Q3"])
    tx = resp[resp["touchpoint_id"].str.startswith("onboard_")]
    return {
        "event_csat_by_stage": stages,
        "relationship_survey_by_measure": measures,
        "onboarding_transactional_csat": _compare(
            tx.loc[tx["wave"] == "2026Q1", "csat"], tx.loc[tx["wave"] == "2026Q3", "csat"]
        ),
        "nps_score": {w: _r(nps_score(s), 2) for w, s in resp.groupby("wave")["nps"]},
    }


def _pain(cust: pd.DataFrame, ev: pd.DataFrame, rel: pd.DataFrame) -> pd.DataFrame:
    used = pd.crosstab(ev["cust"], ev["touchpoint_id"]).gt(0)
    used = used.reindex(range(len(cust)), fill_value=False)
    rel_used = used.iloc[rel["cust"].to_numpy()].reset_index(drop=True)
    rel_nps = rel["nps"].reset_index(drop=True).astype(float)
    rows = []
    for tp, s in ev.groupby("touchpoint_id")["csat"]:
        s = s.dropna().astype(float)
        users = rel_used[tp].to_numpy()
        impact = nps_score(rel_nps[~users]) - nps_score(rel_nps[users])
        dissat, reach = (s <= 2).mean(), used[tp].mean()
        pain = dissat * reach * max(impact, 0) / 100
        rows.append((tp, len(s), s.mean(), dissat, reach, impact, pain))
    columns = ["touchpoint_id", "n", "mean_csat", "dissatisfied", "reach", "nps_impact", "pain"]
    return pd.DataFrame(rows, columns=columns).sort_values("pain", ascending=False, kind="stable")


def _contacts(contacts: pd.DataFrame, ev: pd.DataFrame) -> dict:
    k = contacts.sort_values(["cust", "contacted_at"], kind="stable")
    gap = k.groupby("cust")["contacted_at"].diff() / pd.Timedelta(days=1)
    short = gap < MIN_GAP_DAYS
    complaints = ev.loc[(ev["stage"] == "support") & ~ev["completed"], ["cust", "occurred_at"]]
    pairs = k.reset_index()[["index", "cust", "contacted_at", "team"]].merge(complaints, on="cust")
    lag = (pairs["contacted_at"] - pairs["occurred_at"]) / pd.Timedelta(days=1)
    quiet = pairs[(lag >= 0) & (lag < QUIET_DAYS)].drop_duplicates("index")
    teams = sorted(k["team"].unique())
    return {
        "rows": len(k),
        "by_team": {t: int((k["team"] == t).sum()) for t in teams},
        "gap_breaches_by_team": {t: int(short[k["team"] == t].sum()) for t in teams},
        "quiet_period_breaches_by_team": {t: int((quiet["team"] == t).sum()) for t in teams},
        "customers_with_gap_breach": int(k.loc[short, "cust"].nunique()),
        "min_gap_days_other_teams": _r(gap[k["team"] != "Marketing"].min(), 2),
    }


def _segments(cust: pd.DataFrame, rel: pd.DataFrame) -> dict:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(np.log1p(cust[FEATURES].astype(float)))
    fits = {k: KMeans(k, n_init=4, random_state=0).fit_predict(scaled) for k in range(2, 8)}
    seg_rel = cust["segment"].to_numpy()[rel["cust"].to_numpy()]
    share = cust["segment"].value_counts(normalize=True).sort_index()
    share_rel = pd.Series(seg_rel).value_counts(normalize=True).sort_index()
    return {
        "sizes": {s: int(n) for s, n in cust["segment"].value_counts().sort_index().items()},
        "silhouette_log_z_by_k": {
            k: _r(silhouette_score(scaled, lab, sample_size=2000, random_state=0))
            for k, lab in fits.items()
        },
        "kmeans_k4_adjusted_rand": _r(adjusted_rand_score(cust["segment"], fits[4])),
        "nps_score": {s: _r(nps_score(g), 2) for s, g in rel.groupby(seg_rel)["nps"]},
        "annual_revenue_share": {
            s: _r(v)
            for s, v in (
                cust.groupby("segment")["annual_revenue"].sum() / cust["annual_revenue"].sum()
            ).items()
        },
        "share_of_base": {s: _r(v) for s, v in share.items()},
        "share_of_relationship_respondents": {s: _r(v) for s, v in share_rel.items()},
    }


def _comments(resp: pd.DataFrame, ctruth: pd.DataFrame) -> dict:
    comments = resp["comment"].iloc[ctruth["row"]].reset_index(drop=True)
    group = _nps_group(resp["nps"].iloc[ctruth["row"]]).reset_index(drop=True)
    tagged = pd.DataFrame({n: comments.str.contains(rx) for n, rx in compile_codeframe().items()})
    intended = ctruth["theme"].map(THEME_NAMES).fillna("")
    coded = ~ctruth["theme"].isin(["roaming", "general"]) & (ctruth["language"] == "en")
    hit = np.array([bool(t) and bool(tagged.at[i, t]) for i, t in enumerate(intended)])
    roaming = ctruth["theme"] == "roaming"
    uncoded = ~tagged.any(axis=1)
    english = ctruth["language"] == "en"
    billing = ctruth["theme"] == "billing"
    return {
        "with_comment": len(ctruth),
        "share_with_comment": _r(len(ctruth) / len(resp)),
        "languages": {
            k: int(v) for k, v in ctruth["language"].value_counts().sort_index().items()
        },
        "pii": {
            k: int(v)
            for k, v in ctruth.loc[ctruth["pii"] != "", "pii"].value_counts().sort_index().items()
        },
        "billing_share_of_comments": {
            g: _r(billing[group == g].mean()) for g in ("detractor", "passive", "promoter")
        },
        "codeframe_recall_on_coded_themes": _r(hit[coded.to_numpy()].mean()),
        "roaming_comments": int(roaming.sum()),
        "roaming_uncoded_share": _r(uncoded[roaming].mean()),
        "uncoded_comments": int(uncoded.sum()),
        "uncoded_english_by_true_theme": {
            k: int(v)
            for k, v in ctruth.loc[uncoded & english, "theme"].value_counts().sort_index().items()
        },
    }


def measure(cust, ev, resp, contacts, pulse, ctruth) -> dict:
    """Every planted effect as it came out in the generated tables."""
    rel = resp[resp["survey"] == "relationship"]
    pain = _pain(cust, ev, rel)
    sup = ev[ev["stage"] == "support"]
    w1 = resp[resp["wave"] == "2026Q1"]
    churn = cust["churned"].to_numpy()[w1["cust"]]
    group = _nps_group(w1["nps"]).to_numpy()
    return {
        "drivers": _drivers(rel),
        "wave_change": _waves(ev, resp),
        "support_channels": {
            ch: {"n": int(s.notna().sum()), "mean_csat": _r(s.mean())}
            for ch, s in sup.groupby("channel")["csat"]
        },
        "pain": {
            r.touchpoint_id: {
                "mean_csat": _r(r.mean_csat),
                "dissatisfied": _r(r.dissatisfied),
                "reach": _r(r.reach),
                "nps_impact": _r(r.nps_impact, 2),
                "pain": _r(r.pain),
            }
            for r in pain.head(6).itertuples()
        },
        "worst_touchpoint": pain["touchpoint_id"].iloc[0],
        "churn": {
            "overall": _r(cust["churned"].mean()),
            "by_nps_group_2026Q1": {
                g: {"n": int((group == g).sum()), "churn_rate": _r(churn[group == g].mean())}
                for g in ("detractor", "passive", "promoter")
            },
        },
        "contacts": _contacts(contacts, ev),
        "employee_engagement": {w: _r(s.mean()) for w, s in pulse.groupby("wave")["engaged"]},
        "segments": _segments(cust, rel),
        "comments": _comments(resp, ctruth),
        "dont_know_codes": int((resp["staff_helpfulness"] == DONT_KNOW).sum()),
        "rows": {"responses": len(resp), "touchpoint_events": len(ev), "customers": len(cust)},
    }
