"""The synthetic demo client in data/demo: reproducible, small, valid, and the planted effects are
really in the files.

Every effect is measured here from the committed CSV files with plain pandas, numpy, scipy,
statsmodels and scikit-learn, reading the client's headers through the ``columns:`` mappings of
engagement.yaml (parsed with PyYAML, not with the kit's ingest), so the tests are independent of
the code that analyses the data. The sizes planted are documented in data/demo/README.md and
data/demo/truth/effects.yaml.
"""

from __future__ import annotations

import filecmp
import itertools
import math
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from scipy import stats

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
GENERATOR_SOURCES = {"generate.py"}  # plus everything under northwind/
ATTRIBUTES = [
    "network_coverage",
    "billing_clarity",
    "value_for_money",
    "app_ease",
    "staff_helpfulness",
    "onboarding_ease",
    "issue_resolution",
    "plan_flexibility",
]
FEATURES = [
    "monthly_data_gb",
    "calls_per_month",
    "app_logins_per_month",
    "support_contacts_12m",
    "add_ons",
    "lines",
    "is_business",
]


# --------------------------------------------------------------------------- loading


@cache
def config() -> dict:
    return yaml.safe_load((DEMO / "engagement.yaml").read_text(encoding="utf-8"))


@cache
def effects() -> dict:
    return yaml.safe_load((DEMO / "truth" / "effects.yaml").read_text(encoding="utf-8"))


def _sources(table: str) -> list[dict]:
    sources = config()["inputs"][table]
    return sources if isinstance(sources, list) else [sources]


@cache
def load(table: str) -> pd.DataFrame:
    """A canonical table read from the client files through engagement.yaml's mappings."""
    frames = []
    for source in _sources(table):
        frame = pd.read_csv(DEMO / source["file"], dtype=str, keep_default_na=False)
        frame = frame.rename(columns=source["columns"]).replace("", np.nan)
        if "wave" in source:
            frame["wave"] = source["wave"]
        fmt = source.get("date_format")
        for column in frame.columns:
            if column.endswith(("_at", "_date")):
                frame[column] = pd.to_datetime(frame[column], format=fmt or "ISO8601")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def numeric(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns].apply(pd.to_numeric)


@cache
def responses() -> pd.DataFrame:
    out = load("responses").copy()
    scores = ["nps", "csat", "ces", "weight", *ATTRIBUTES]
    out[scores] = numeric(out, scores)
    for column, codes in config()["survey"]["non_substantive_codes"].items():
        out[column] = out[column].mask(out[column].isin(codes))
    out["group"] = np.select(
        [out["nps"] >= 9, out["nps"] >= 7], ["promoter", "passive"], "detractor"
    )
    return out


@cache
def events() -> pd.DataFrame:
    out = load("touchpoint_events").copy()
    out[["csat", "effort", "duration_s"]] = numeric(out, ["csat", "effort", "duration_s"])
    out["completed"] = out["completed"].str.upper().map({"TRUE": True, "FALSE": False})
    journey = pd.DataFrame(config()["journey"]["touchpoints"]).set_index("id")
    out["stage"] = out["touchpoint_id"].map(journey["stage"])
    out["channel"] = out["touchpoint_id"].map(journey["channel"])
    month, year = out["occurred_at"].dt.month, out["occurred_at"].dt.year
    out["quarter"] = np.select(
        [(year == 2026) & (month <= 3), (year == 2026) & month.between(7, 9)],
        ["2026Q1", "2026Q3"],
        "",
    )
    return out


@cache
def customers() -> pd.DataFrame:
    out = load("customers").copy()
    out[FEATURES + ["tenure_months", "annual_revenue"]] = numeric(
        out, FEATURES + ["tenure_months", "annual_revenue"]
    )
    out["churned"] = out["churned"].map({"Yes": True, "No": False})
    return out


def nps_score(nps: pd.Series) -> float:
    return 100 * ((nps >= 9).mean() - (nps <= 6).mean())


# --------------------------------------------------------------------------- the files


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    subprocess.run(
        [sys.executable, str(DEMO / "generate.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=tmp_path_factory.getbasetemp(),
    )
    return out


def _generated(folder: Path) -> set[str]:
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return {
        f
        for f in files
        if f not in GENERATOR_SOURCES
        and not f.startswith("northwind/")
        and "__pycache__" not in f
        and not f.startswith(("runs/", "reports/", "baseline/"))
    }


@pytest.mark.slow
def test_regenerating_gives_byte_identical_files(regenerated):
    made = _generated(regenerated)
    committed = _generated(DEMO)
    assert made == committed
    assert len(made) == 15
    different = [f for f in sorted(made) if not filecmp.cmp(regenerated / f, DEMO / f, False)]
    assert different == []


def test_total_size_stays_small():
    committed = _generated(DEMO) | {"generate.py"}
    committed |= {p.relative_to(DEMO).as_posix() for p in (DEMO / "northwind").glob("*.py")}
    total = sum((DEMO / f).stat().st_size for f in committed)
    assert 3_000_000 < total < 5_000_000


@pytest.mark.parametrize(
    ("table", "low", "high"),
    [
        ("customers", 4_500, 5_500),
        ("responses", 5_500, 7_000),
        ("touchpoint_events", 40_000, 60_000),
        ("stakeholders", 20, 30),
        ("initiatives", 20, 30),
        ("contacts", 8_000, 15_000),
        ("employee_pulse", 500, 1_000),
    ],
)
def test_table_sizes(table, low, high):
    assert low <= len(load(table)) <= high


def test_each_wave_has_about_3000_responses_of_both_surveys():
    r = responses()
    counts = r.groupby(["wave", "survey"]).size().unstack()
    assert list(counts.index) == ["2026Q1", "2026Q3"]
    assert counts.sum(axis=1).between(2_700, 3_500).all()
    assert (counts["relationship"] > 1_800).all() and (counts["transactional"] > 700).all()
    assert r["response_id"].is_unique


def test_config_and_codeframe_validate():
    from cxlib.config import load_codeframe, load_engagement

    engagement = load_engagement(DEMO)
    codeframe = load_codeframe(DEMO / "codeframe.yaml")
    assert engagement.client.name == "Northwind Mobile"
    assert engagement.waves.baseline == "2026Q1"
    assert len(engagement.journey.stages) == 7
    assert len(codeframe.themes) == 9


def test_ingest_finds_no_problem():
    from cxlib import ingest

    report = ingest.validate(DEMO)
    assert report.problems == []
    assert report.rows["responses"] == len(load("responses"))


def test_every_touchpoint_in_the_data_is_in_the_journey():
    journey = pd.DataFrame(config()["journey"]["touchpoints"])
    per_stage = journey.groupby("stage").size()
    assert per_stage.between(2, 4).all() and len(per_stage) == 7
    assert set(events()["touchpoint_id"]) == set(journey["id"])
    assert set(responses()["touchpoint_id"].dropna()) <= set(journey["id"])
    assert set(load("initiatives")["touchpoint_id"].dropna()) <= set(journey["id"])
    assert set(journey["channel"]) == {"web", "app", "store", "phone", "chat"}


def test_dates_and_churn_are_consistent():
    c = customers()
    assert c["churn_date"].notna().eq(c["churned"]).all()
    churned = c.loc[c["churned"], "churn_date"]
    assert churned.between("2026-10-01", "2026-12-31").all()
    assert (c["signup_date"] <= pd.Timestamp("2026-09-30")).all()
    end = c["churn_date"].fillna(pd.Timestamp("2026-12-31"))
    months = np.floor((end - c["signup_date"]).dt.days / 30.4375)
    np.testing.assert_array_equal(c["tenure_months"], months)
    e = events()
    assert e["occurred_at"].between("2025-10-01", "2026-10-01").all()


def test_weights_post_stratify_regions():
    r = responses()
    base = customers()["region"].value_counts(normalize=True)
    for (_, _), part in r.groupby(["wave", "survey"]):
        weighted = part.groupby("Region")["weight"].sum() / part["weight"].sum()
        np.testing.assert_allclose(weighted[base.index], base, atol=1e-3)
    assert r["weight"].between(0.5, 2).all()


# --------------------------------------------------------------------------- planted effects


def _relationship_complete() -> pd.DataFrame:
    r = responses()
    rel = r[r["survey"] == "relationship"]
    return rel[[*ATTRIBUTES, "nps"]].dropna().astype(float)


def test_billing_clarity_is_the_strongest_nps_driver():
    data = _relationship_complete()
    assert len(data) > 3_000
    corr = data.corr()["nps"].drop("nps")
    assert corr.idxmax() == "billing_clarity"
    z = (data - data.mean()) / data.std()
    fit = sm.OLS(z["nps"], sm.add_constant(z[ATTRIBUTES])).fit()
    beta = fit.params.drop("const")
    assert beta.idxmax() == "billing_clarity"
    assert beta["billing_clarity"] > 1.4 * beta.drop("billing_clarity").max()


def test_billing_clarity_has_the_largest_shapley_share():
    # Shapley (LMG) decomposition of R^2 over all 2^8 subsets, each an OLS fit by statsmodels.
    data = _relationship_complete()
    r2 = {(): 0.0}
    for size in range(1, len(ATTRIBUTES) + 1):
        for subset in itertools.combinations(ATTRIBUTES, size):
            r2[subset] = sm.OLS(data["nps"], sm.add_constant(data[list(subset)])).fit().rsquared
    p = len(ATTRIBUTES)
    share = {}
    for a in ATTRIBUTES:
        others = [x for x in ATTRIBUTES if x != a]
        total = 0.0
        for size in range(p):
            weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for subset in itertools.combinations(others, size):
                with_a = tuple(x for x in ATTRIBUTES if x in subset or x == a)
                total += weight * (r2[with_a] - r2[subset])
        share[a] = total
    full = r2[tuple(ATTRIBUTES)]
    assert sum(share.values()) == pytest.approx(full, rel=1e-9)
    ranked = sorted(share, key=share.get, reverse=True)
    assert ranked[0] == "billing_clarity"
    assert share["billing_clarity"] > 1.5 * share[ranked[1]]
    measured = effects()["top_nps_driver"]["measured"]["shapley_share"]
    assert share["billing_clarity"] / full == pytest.approx(measured["billing_clarity"], abs=1e-3)


def test_billing_comments_concentrate_among_detractors():
    r = responses().dropna(subset=["comment"])
    billing = r["comment"].str.contains(r"\b(?:bill|invoice|overcharg|charged)", case=False)
    share = billing.groupby(r["group"]).mean()
    assert share["detractor"] > 0.2
    assert share["detractor"] > 4 * share["promoter"]
    table = pd.crosstab(r["group"] == "detractor", billing)
    assert stats.chi2_contingency(table).pvalue < 1e-20


def test_onboarding_event_csat_rises_and_no_other_stage_changes():
    e = events().dropna(subset=["csat"])
    p_values, diffs = {}, {}
    for stage, part in e.groupby("stage"):
        q1 = part.loc[part["quarter"] == "2026Q1", "csat"]
        q3 = part.loc[part["quarter"] == "2026Q3", "csat"]
        p_values[stage] = stats.ttest_ind(q3, q1, equal_var=False).pvalue
        diffs[stage] = q3.mean() - q1.mean()
    assert len(p_values) == 7
    assert p_values.pop("onboarding") < 1e-8
    assert 0.35 < diffs.pop("onboarding") < 0.7
    assert min(p_values.values()) > 0.05 / 6  # Bonferroni over the six other stages
    assert max(abs(d) for d in diffs.values()) < 0.2


def test_onboarding_ease_rises_and_no_other_survey_measure_changes():
    r = responses()
    rel = r[r["survey"] == "relationship"]
    p_values, diffs = {}, {}
    for column in ["nps", "csat", "ces", *ATTRIBUTES]:
        q1 = rel.loc[rel["wave"] == "2026Q1", column].dropna()
        q3 = rel.loc[rel["wave"] == "2026Q3", column].dropna()
        p_values[column] = stats.ttest_ind(q3, q1, equal_var=False).pvalue
        diffs[column] = q3.mean() - q1.mean()
    assert p_values.pop("onboarding_ease") < 1e-20
    assert diffs.pop("onboarding_ease") > 0.5
    assert min(p_values.values()) > 0.05 / 10
    # NPS itself, as a score: two-proportion comparison of promoters minus detractors
    q1, q3 = (rel.loc[rel["wave"] == w, "nps"] for w in ("2026Q1", "2026Q3"))
    se = math.sqrt(
        sum(
            ((s >= 9).mean() + (s <= 6).mean() - ((s >= 9).mean() - (s <= 6).mean()) ** 2) / len(s)
            for s in (q1, q3)
        )
    )
    z = (nps_score(q3) - nps_score(q1)) / 100 / se
    assert abs(z) < 1.96


def test_onboarding_transactional_csat_rises():
    r = responses()
    tx = r[r["touchpoint_id"].fillna("").str.startswith("onboard_")]
    q1 = tx.loc[tx["wave"] == "2026Q1", "csat"].dropna()
    q3 = tx.loc[tx["wave"] == "2026Q3", "csat"].dropna()
    assert min(len(q1), len(q3)) > 80
    assert q3.mean() - q1.mean() > 0.25
    assert stats.ttest_ind(q3, q1, equal_var=False).pvalue < 0.01


def test_chat_is_clearly_worse_than_phone_and_store_at_support():
    e = events()
    sup = e[(e["stage"] == "support")].dropna(subset=["csat"])
    means = sup.groupby("channel")["csat"].mean()
    for better in ("phone", "store"):
        gap = means[better] - means["chat"]
        assert 0.6 < gap < 1.1
        t = stats.ttest_ind(
            sup.loc[sup["channel"] == better, "csat"], sup.loc[sup["channel"] == "chat", "csat"]
        )
        assert t.pvalue < 1e-30
    assert means.idxmin() == "chat"


def test_worst_touchpoint_is_support_chat():
    e, r, c = events(), responses(), customers()
    rel = r[r["survey"] == "relationship"]
    users = e.groupby("touchpoint_id")["customer_id"].agg(set)
    rated = e.dropna(subset=["csat"]).groupby("touchpoint_id")["csat"]
    pain = {}
    for tp, people in users.items():
        used = rel["customer_id"].isin(people)
        gap = nps_score(rel.loc[~used, "nps"]) - nps_score(rel.loc[used, "nps"])
        dissatisfied = rated.get_group(tp).le(2).mean()
        reach = len(people) / len(c)
        pain[tp] = dissatisfied * reach * max(gap, 0)
    worst = max(pain, key=pain.get)
    assert worst == "support_chat" == effects()["worst_touchpoint"]["touchpoint_id"]
    runner_up = sorted(pain.values())[-2]
    assert pain["support_chat"] > 2 * runner_up
    assert rated.mean().idxmin() == "support_chat"
    # and dissatisfied chat users are far less likely to recommend
    chat = e[(e["touchpoint_id"] == "support_chat")].dropna(subset=["csat"])
    unhappy = set(chat.loc[chat["csat"] <= 2, "customer_id"])
    happy = set(chat.loc[chat["csat"] >= 4, "customer_id"]) - unhappy
    gap = nps_score(rel.loc[rel["customer_id"].isin(happy), "nps"]) - nps_score(
        rel.loc[rel["customer_id"].isin(unhappy), "nps"]
    )
    assert gap > 10


def test_detractors_churn_more_than_promoters():
    r, c = responses(), customers()
    w1 = r[r["wave"] == "2026Q1"].merge(c[["customer_id", "churned"]], on="customer_id")
    assert len(w1) == (r["wave"] == "2026Q1").sum()
    rate = w1.groupby("group")["churned"].mean()
    assert rate["detractor"] > 0.2
    assert rate["promoter"] < 0.12
    assert rate["detractor"] > 2 * rate["promoter"]
    assert rate["detractor"] > rate["passive"] > rate["promoter"]
    table = pd.crosstab(w1["group"], w1["churned"])
    assert stats.chi2_contingency(table).pvalue < 1e-15


def test_only_marketing_breaks_the_contact_policy():
    k = load("contacts").sort_values(["customer_id", "contacted_at"], kind="stable")
    k = k.rename(columns={"team": "Sending team"})  # kept as is, or mapped to "team"
    gap = k.groupby("customer_id")["contacted_at"].diff().dt.total_seconds() / 86_400
    breaches = (gap < 30).groupby(k["Sending team"]).sum()
    assert breaches["Marketing"] > 200
    assert breaches.drop("Marketing").eq(0).all()
    assert k.loc[gap < 30, "customer_id"].nunique() >= 100
    # quiet period: no survey from the other teams within 7 days of an unresolved support call
    e = events()
    open_issues = e.loc[
        (e["stage"] == "support") & ~e["completed"], ["customer_id", "occurred_at"]
    ]
    others = k[k["Sending team"] != "Marketing"].reset_index()
    pairs = others.merge(open_issues, on="customer_id")
    lag = (pairs["contacted_at"] - pairs["occurred_at"]).dt.total_seconds() / 86_400
    assert not ((lag >= 0) & (lag < 7)).any()
    assert set(k["survey"]) == {"relationship", "transactional"}
    breach = effects()["contact_policy_breach"]
    assert breach["team"] == "Marketing"
    assert breach["measured"]["gap_breaches_by_team"]["Marketing"] == breaches["Marketing"]


def test_every_response_follows_an_invitation():
    r, k = responses(), load("contacts").rename(columns={"team": "Sending team"})
    invites = k[k["Sending team"] != "Marketing"]
    pairs = r[["response_id", "customer_id", "survey", "responded_at"]].merge(
        invites[["customer_id", "survey", "contacted_at"]], on=["customer_id", "survey"]
    )
    lag = (pairs["responded_at"] - pairs["contacted_at"]).dt.total_seconds() / 86_400
    answered = pairs.loc[(lag >= 0) & (lag <= 15), "response_id"].nunique()
    assert answered == len(r)


def test_employee_engagement_is_about_seventy_percent():
    pulse = load("employee_pulse")
    engaged = pulse["engaged"].astype(int).groupby(pulse["wave"]).mean()
    assert 0.65 <= engaged["2026Q1"] <= 0.75
    assert abs(engaged["2026Q3"] - engaged["2026Q1"]) < 0.06
    scores = pd.to_numeric(pulse["score"])
    assert (pulse["engaged"].astype(int) == (scores >= 7)).all()
    assert set(pulse["department"]) == {
        "Executive",
        "Customer Care",
        "Marketing",
        "Sales",
        "Billing",
        "Digital",
        "Network",
        "Retail",
        "HR",
    }


def test_four_personas_are_recovered_by_kmeans():
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler

    c = customers()
    truth = pd.read_csv(DEMO / "truth" / "segments.csv")
    assert (truth["customer_id"] == c["customer_id"]).all()
    assert truth["segment"].nunique() == 4
    assert truth["segment"].value_counts(normalize=True).min() > 0.15
    x_log = StandardScaler().fit_transform(np.log1p(c[FEATURES]))
    x_raw = StandardScaler().fit_transform(c[FEATURES])
    silhouettes = {}
    for k in range(2, 8):
        labels = KMeans(k, n_init=4, random_state=0).fit_predict(x_log)
        silhouettes[k] = silhouette_score(x_log, labels, sample_size=2000, random_state=0)
        if k == 4:
            assert adjusted_rand_score(truth["segment"], labels) > 0.95
    assert max(silhouettes, key=silhouettes.get) == 4
    raw = KMeans(4, n_init=4, random_state=0).fit_predict(x_raw)
    assert adjusted_rand_score(truth["segment"], raw) > 0.85
    # the personas differ in NPS too
    r = responses()
    rel = r[r["survey"] == "relationship"].merge(truth, on="customer_id")
    by_segment = rel.groupby("segment")["nps"].apply(nps_score)
    assert by_segment.max() - by_segment.min() > 20


def test_budget_prepaid_answer_less_often():
    truth = pd.read_csv(DEMO / "truth" / "segments.csv")
    r = responses()
    rel = r[r["survey"] == "relationship"].merge(truth, on="customer_id")
    base = truth["segment"].value_counts(normalize=True)["Budget prepaid"]
    sample = rel["segment"].value_counts(normalize=True)["Budget prepaid"]
    assert sample < base - 0.05


# --------------------------------------------------------------------------- comments


def _codeframe_regex() -> dict[str, re.Pattern]:
    # The kit's documented codeframe rules: whole words, case-insensitive, * = word ending.
    cf = yaml.safe_load((DEMO / "codeframe.yaml").read_text(encoding="utf-8"))
    out = {}
    for theme in cf["themes"]:
        parts = [
            re.escape(k).replace(r"\*", r"\w*").replace(r"\ ", r"\s+")
            for k in theme.get("keywords", [])
        ]
        parts += [f"(?:{p})" for p in theme.get("patterns", [])]
        out[theme["name"]] = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.I)
    return out


THEME_OF = {
    "billing": "Billing",
    "network": "Network coverage",
    "service": "Customer service",
    "app": "App and online account",
    "price": "Price and value",
    "onboarding": "Onboarding and setup",
    "contract": "Contract and renewal",
    "store": "Store experience",
    "plans": "Plans and add-ons",
}


@cache
def comments() -> pd.DataFrame:
    truth = pd.read_csv(DEMO / "truth" / "comments.csv", keep_default_na=False)
    r = responses()[["response_id", "comment", "group", "customer_id"]]
    return truth.merge(r, on="response_id", validate="one_to_one")


def test_about_sixty_percent_of_responses_have_a_comment():
    r = responses()
    assert 0.55 < r["comment"].notna().mean() < 0.65
    c = comments()
    assert len(c) == r["comment"].notna().sum()
    assert c["comment"].nunique() > 0.6 * len(c)


def test_codeframe_catches_the_themed_comments():
    c = comments()
    regex = _codeframe_regex()
    coded = c[(c["language"] == "en") & c["theme"].isin(THEME_OF)]
    hits = [
        bool(regex[THEME_OF[t]].search(s))
        for t, s in zip(coded["theme"], coded["comment"], strict=True)
    ]
    assert np.mean(hits) > 0.97


def test_roaming_comments_are_the_cluster_the_codeframe_misses():
    c = comments()
    regex = _codeframe_regex()
    caught = c["comment"].apply(lambda s: any(rx.search(s) for rx in regex.values()))
    roaming = c["theme"] == "roaming"
    assert roaming.sum() > 100
    assert (~caught[roaming]).mean() > 0.65
    uncoded_english = c[~caught & (c["language"] == "en")]
    assert uncoded_english["theme"].value_counts().idxmax() == "roaming"
    assert (
        uncoded_english["comment"].str.contains(r"roaming|abroad|travel pass", case=False).mean()
        > 0.6
    )
    assert effects()["uncoded_theme"]["name"] == "Roaming abroad"


def test_the_kits_tagger_agrees_that_roaming_is_uncoded():
    from cxlib import text, voc
    from cxlib.config import load_codeframe

    c = comments().set_index("response_id")
    cf = voc.codeframe_from_config(load_codeframe(DEMO / "codeframe.yaml"))
    tags = text.tag_themes(c["comment"], cf)
    tagged = c.index.isin(tags["response"].unique())
    roaming = (c["theme"] == "roaming").to_numpy()
    assert (~tagged[roaming]).mean() > 0.65
    english = (c["language"] == "en").to_numpy()
    assert tagged[english & ~roaming & (c["theme"] != "general").to_numpy()].mean() > 0.97


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(d if i % 2 == 0 else (2 * d - 9 if d > 4 else 2 * d) for i, d in enumerate(digits))
    return total % 10 == 0


def test_comments_carry_pii_to_redact():
    c = comments()
    text = c["comment"]
    emails = text.str.contains(r"[\w.]+@example\.(?:com|org|net)")
    phones = text.str.contains(r"(?:\+44 7700 900\d{3}|07700 900\d{3}|0161 496 0\d{3})")
    cards = text.str.extractall(r"(\d{4} ?\d{4} ?\d{4} ?\d{4})")[0].str.replace(" ", "")
    assert emails.sum() > 50 and phones.sum() > 50
    assert len(cards) > 10 and all(_luhn_ok(n) for n in cards)
    first = customers().set_index("customer_id").loc[c["customer_id"], "first_name"].to_numpy()
    signed = c["pii"].eq("name").to_numpy()
    assert signed.sum() > 30
    assert all(
        re.search(rf"\b{name}\b", s, re.I)
        for name, s in zip(first[signed], text[signed], strict=True)
    )
    assert (c.loc[emails, "pii"] == "email").all()


def test_a_few_comments_are_in_spanish_german_and_french():
    c = comments()
    languages = c["language"].value_counts()
    assert set(languages.index) == {"en", "es", "de", "fr"}
    assert languages.drop("en").between(5, 60).all()
    foreign = c.loc[c["language"] != "en", "comment"]
    assert (
        foreign.str.contains(r"factura|Rechnung|facture|servicio|Kundenservice|réseau").mean()
        > 0.4
    )


def test_dont_know_codes_are_declared_and_only_in_staff_helpfulness():
    raw = pd.concat(pd.read_csv(DEMO / s["file"]) for s in _sources("responses"))
    mapping = _sources("responses")[0]["columns"]
    rated = raw.rename(columns=mapping)[ATTRIBUTES]
    nines = (rated == 99).sum()
    assert nines["staff_helpfulness"] > 100
    assert nines.drop("staff_helpfulness").eq(0).all()
    assert config()["survey"]["non_substantive_codes"] == {"staff_helpfulness": [99]}
    assert responses()[ATTRIBUTES].max().max() == 10


# --------------------------------------------------------------------------- strategy


def test_strategy_has_the_planted_flaws_and_nothing_else():
    goals = config()["strategy"]["goals"]
    assert len(config()["strategy"]["business_objectives"]) == 3
    two = [
        g["id"] for g in goals if isinstance(g["accountable"], list) and len(g["accountable"]) != 1
    ]
    missing = [g["id"] for g in goals if not g["operational_measure"].strip()]
    assert two == ["day_one"] == [effects()["strategy_flaws"]["two_accountable"]]
    assert missing == ["coverage"] == [effects()["strategy_flaws"]["missing_operational_measure"]]
    assert all(g["leader"] and g["customer_measure"] for g in goals)
    cx_goal = config()["strategy"]["cx_goal"]
    assert cx_goal["measure"] == {
        "table": "customers",
        "column": "churned",
        "op": "==",
        "value": False,
    }
    retention = 1 - customers()["churned"].mean()
    assert 0.8 < retention < cx_goal["target"]


def test_raci_has_one_accountable_except_the_planted_decision():
    decisions = config()["governance"]["decisions"]
    people = set(load("stakeholders")["person"])
    accountable = {d["id"]: [p for p, role in d["raci"].items() if "A" in role] for d in decisions}
    assert accountable.pop("change_survey") == ["Daniel Osei", "Sophie Laurent"]
    assert all(len(a) == 1 for a in accountable.values())
    named = {p for d in decisions for p in d["raci"]}
    named |= set(config()["governance"]["steering"]["members"])
    named |= set(config()["governance"]["working_team"]["members"])
    assert named <= people


def test_stakeholders_and_initiatives_are_plausible():
    s = load("stakeholders")
    assert set(s["level"]) == {"executive", "manager", "frontline"}
    assert {"Executive", "Customer Care", "Marketing", "Sales", "Billing", "Digital", "Network",
            "Retail", "HR"} <= set(s["department"])  # fmt: skip
    i = load("initiatives")
    assert i["initiative_id"].is_unique
    assert set(i["owner"]) <= set(s["person"]) and set(i["proposed_by"]) <= set(s["person"])
    assert (i["decided_at"].dropna() >= i.loc[i["decided_at"].notna(), "proposed_at"]).all()
    done = i[i["status"] == "implemented"]
    assert (
        done["implemented_at"].notna().all()
        and (done["implemented_at"] > done["decided_at"]).all()
    )
    assert i["proposed_at"].between("2025-10-01", "2026-09-30").all()
    fix = i.set_index("initiative_id").loc["INI-01"]
    assert fix["implemented_at"] == pd.Timestamp("2026-05-15")
