"""The generating model of the Northwind Mobile demo: customers, journey events, survey contacts,
responses, churn and the employee pulse.

Every function takes the one ``numpy.random.Generator`` and draws from it in a fixed order;
tables are built with vectorised numpy/pandas (the few Python loops run over touchpoints,
themes or positions, never over rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import phrases as ph

SEED = 2026
N_CUSTOMERS = 5000
EVENTS_START = pd.Timestamp("2025-10-01")  # a full year of journey events
YEAR_START = pd.Timestamp("2026-01-01")
EVENTS_END = pd.Timestamp("2026-09-30")
CHURN_START = pd.Timestamp("2026-10-01")
AS_OF = pd.Timestamp("2026-12-31")
WAVES_BASELINE = "2026Q1"
ONBOARDING_FIX = pd.Timestamp("2026-05-15")  # go-live of initiative INI-01
MIN_GAP_DAYS = 30  # survey contact policy: at most one survey per customer per 30 days
QUIET_DAYS = 7  # ... and none within 7 days after an unresolved support contact

WAVES = {
    "2026Q1": {
        "invite": ("2026-02-02", 18),
        "tx": ("2026-01-05", "2026-03-27"),
    },
    "2026Q3": {
        "invite": ("2026-08-03", 18),
        "tx": ("2026-07-06", "2026-09-25"),
    },
}

REGIONS = ("North", "South", "East", "West", "Central")
REGION_SHARE = (0.22, 0.24, 0.18, 0.16, 0.20)
REGION_RESPONSE = (1.0, 0.8, 1.0, 1.05, 1.3)  # relative propensity to answer a survey
CHANNELS = ("app", "web", "store", "phone")

# Behaviour profiles of the four planted segments (true personas).
SEGMENTS = pd.DataFrame(
    [
        # name, share, loyalty, data GB, calls, app logins, support/yr, add-ons, extra lines,
        # business, revenue per line, response propensity, channel mix (app, web, store, phone)
        ("Young digital natives", 0.30, 0.10, 30, 14, 35, 0.8, 1.0, 0.05, 0, 380, 1.0,
         (0.65, 0.25, 0.05, 0.05)),
        ("Families on bundles", 0.28, 0.25, 12, 60, 12, 2.5, 3.5, 2.0, 0, 330, 1.15,
         (0.15, 0.30, 0.40, 0.15)),
        ("Small business", 0.17, -0.15, 16, 150, 6, 4.0, 2.0, 4.0, 1, 420, 0.9,
         (0.10, 0.20, 0.25, 0.45)),
        ("Budget prepaid", 0.25, -0.35, 2.5, 20, 1.5, 1.0, 0.2, 0.0, 0, 150, 0.6,
         (0.10, 0.20, 0.55, 0.15)),
    ],
    columns=[
        "name", "share", "loyalty", "data", "calls", "app", "support", "add_ons",
        "extra_lines", "business", "revenue", "response", "channels",
    ],
)  # fmt: skip
PLANS = (
    (("SIM Only Unlimited", 0.6), ("SIM Only 30GB", 0.4)),
    (("Family Share", 0.8), ("Home & Mobile Bundle", 0.2)),
    (("Business Pro", 0.7), ("Business Essentials", 0.3)),
    (("Pay As You Go", 0.7), ("Prepaid Saver", 0.3)),
)
SUPPORT_MIX = (  # chat, phone, store, app help, per segment
    (0.60, 0.15, 0.05, 0.20),
    (0.40, 0.30, 0.20, 0.10),
    (0.35, 0.45, 0.10, 0.10),
    (0.30, 0.25, 0.40, 0.05),
)

STAGES = ("research", "comparison", "purchase", "onboarding", "use", "support", "renewal")
# id, name, stage, channel, owner, latent CSAT mean, completion rate, median duration (s)
TOUCHPOINTS = pd.DataFrame(
    [
        ("research_web", "Website plan pages", "research", "web", "Marketing", 4.0, 0.96, 180),
        ("research_coverage", "Coverage checker", "research", "web", "Network", 3.7, 0.95, 90),
        ("research_store", "Store browse", "research", "store", "Retail", 4.0, 0.97, 600),
        ("compare_web", "Plan comparison tool", "comparison", "web", "Digital", 3.9, 0.9, 240),
        ("compare_chat", "Pre-sales chat", "comparison", "chat", "Sales", 3.8, 0.92, 420),
        ("compare_phone", "Sales line", "comparison", "phone", "Sales", 4.0, 0.95, 540),
        ("purchase_web", "Online checkout", "purchase", "web", "Digital", 3.9, 1.0, 420),
        ("purchase_store", "In-store purchase", "purchase", "store", "Retail", 4.1, 1.0, 1500),
        ("purchase_phone", "Telesales order", "purchase", "phone", "Sales", 4.0, 1.0, 900),
        ("onboard_sim", "SIM activation", "onboarding", "app", "Digital", 3.3, 0.9, 300),
        ("onboard_port", "Number transfer", "onboarding", "web", "Customer Care", 3.1, 0.88, 240),
        ("onboard_welcome_call", "Welcome call", "onboarding", "phone", "Customer Care", 3.4,
         0.97, 420),
        ("onboard_app_setup", "App account set-up", "onboarding", "app", "Digital", 3.3, 0.9,
         200),
        ("use_app", "Self-service app", "use", "app", "Digital", 4.1, 0.97, 120),
        ("use_web", "Online account", "use", "web", "Digital", 3.9, 0.96, 200),
        ("use_bill", "Monthly e-bill", "use", "web", "Billing", 3.6, 0.99, 150),
        ("support_chat", "Live chat support", "support", "chat", "Customer Care", 2.92, 0.82,
         900),
        ("support_phone", "Phone support", "support", "phone", "Customer Care", 3.85, 0.93, 720),
        ("support_store", "In-store help desk", "support", "store", "Retail", 3.95, 0.95, 1200),
        ("support_app", "In-app help centre", "support", "app", "Digital", 3.5, 0.85, 240),
        ("renew_web", "Online upgrade", "renewal", "web", "Sales", 3.9, 0.9, 360),
        ("renew_store", "In-store upgrade", "renewal", "store", "Retail", 4.0, 0.96, 1500),
        ("renew_phone", "Retention call", "renewal", "phone", "Customer Care", 3.6, 0.93, 780),
    ],
    columns=["id", "name", "stage", "channel", "owner", "mu", "completed", "duration"],
)  # fmt: skip
SURVEY_RATE = {s: 0.45 for s in STAGES} | {"onboarding": 0.7, "support": 0.5, "use": 0.3}
ONBOARDING_SHIFT = 0.55  # latent CSAT shift of onboarding events after ONBOARDING_FIX
CHAT_PENALTY = 3.0  # NPS points lost after a bad chat ...
CHAT_USE_PENALTY = 1.0  # ... and after any chat (customers would rather not have to chat)
CHAT_WINDOW_DAYS = 120  # ... within this many days before answering (inside the event data)
TOUCHPOINT_THEME = {
    "support_chat": "service",
    "support_phone": "service",
    "support_store": "store",
    "support_app": "app",
    "onboard_sim": "onboarding",
    "onboard_port": "onboarding",
    "onboard_welcome_call": "onboarding",
    "onboard_app_setup": "onboarding",
    "purchase_web": "app",
    "purchase_store": "store",
    "purchase_phone": "service",
    "renew_web": "contract",
    "renew_store": "contract",
    "renew_phone": "contract",
}

# Attribute ratings (1-10): mean, NPS coefficient, per-segment mean shifts.
ATTRIBUTES = pd.DataFrame(
    [
        ("network_coverage", 7.2, 0.20, (0.0, 0.0, -0.3, 0.0)),
        ("billing_clarity", 5.9, 0.45, (0.0, -0.4, -0.2, 0.2)),
        ("value_for_money", 6.3, 0.22, (0.0, 0.0, 0.0, 0.3)),
        ("app_ease", 7.4, 0.08, (0.6, 0.0, -0.2, -0.4)),
        ("staff_helpfulness", 7.6, 0.08, (0.0, 0.0, 0.0, 0.0)),
        ("onboarding_ease", 6.6, 0.00, (0.0, 0.0, 0.0, 0.0)),
        ("issue_resolution", 6.5, 0.16, (0.0, 0.0, -0.5, 0.0)),
        ("plan_flexibility", 6.9, 0.06, (0.0, 0.0, 0.0, -0.3)),
    ],
    columns=["name", "mu", "beta", "segment_shift"],
)
ONBOARDING_EASE_SHIFT = {"2026Q1": 0.0, "2026Q3": 0.9}
NPS_MEAN = 8.0
CHURN_P = {"detractor": 0.28, "passive": 0.14, "promoter": 0.075, "none": 0.15}
DONT_KNOW = 99  # "don't know" code in staff_helpfulness


# --------------------------------------------------------------------------- helpers


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    return (rng.random(len(probs))[:, None] > cum).sum(axis=1)


def _days(values: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.asarray(values, dtype=float), unit="D")


def _noise(rng: np.random.Generator, sd: float, groups) -> np.ndarray:
    """Normal noise centred within each group (wave, or stage and quarter).

    The groups' noise then has exactly the same mean, so the waves differ only by what was
    planted, not by a chance shift that a significance test could pick up.
    """
    groups = pd.Series(groups).reset_index(drop=True)
    z = pd.Series(rng.normal(0, sd, len(groups)))
    return (z - z.groupby(groups).transform("mean")).to_numpy()


def _clip_round(x: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(x), low, high).astype(int)


def _nps_group(nps: pd.Series) -> pd.Series:
    return pd.Series(
        np.select([nps >= 9, nps >= 7], ["promoter", "passive"], "detractor"), index=nps.index
    ).where(nps.notna())


# --------------------------------------------------------------------------- customers


def make_customers(rng: np.random.Generator) -> pd.DataFrame:
    n = N_CUSTOMERS
    seg = rng.choice(len(SEGMENTS), size=n, p=SEGMENTS["share"].to_numpy())
    s = SEGMENTS.iloc[seg].reset_index(drop=True)
    new = rng.random(n) < 0.16
    age = np.minimum(rng.exponential(4.5 * 365, n), 12 * 365)
    signup = np.where(
        new,
        EVENTS_START + _days(rng.random(n) * ((EVENTS_END - EVENTS_START).days + 1)),
        EVENTS_START - pd.Timedelta(days=1) - _days(age),
    )
    signup = pd.to_datetime(signup).normalize()
    lines = 1 + rng.poisson(s["extra_lines"].to_numpy())
    add_ons = rng.poisson(s["add_ons"].to_numpy())
    plan_p = np.array([[p for _, p in plans] for plans in PLANS])[seg]
    plan_names = np.array([[name for name, _ in plans] for plans in PLANS])
    plan = plan_names[seg, _pick(rng, plan_p)]
    revenue = s["revenue"].to_numpy() * lines * (1 + 0.08 * add_ons) * rng.lognormal(0, 0.25, n)
    cust = pd.DataFrame(
        {
            "segment": s["name"],
            "seg": seg,
            "loyalty": s["loyalty"].to_numpy() + rng.normal(0, 1, n),
            "signup_date": signup,
            "region": np.array(REGIONS)[rng.choice(5, size=n, p=REGION_SHARE)],
            "primary_channel": np.array(CHANNELS)[_pick(rng, np.stack(s["channels"]))],
            "annual_revenue": np.round(revenue, 2),
            "plan": plan,
            "first_name": rng.choice(ph.FIRST_NAMES, n),
            "last_name": rng.choice(ph.LAST_NAMES, n),
            "monthly_data_gb": np.round(rng.gamma(14, s["data"].to_numpy() / 14), 1),
            "calls_per_month": np.rint(rng.gamma(14, s["calls"].to_numpy() / 14)).astype(int),
            "app_logins_per_month": np.rint(rng.gamma(10, s["app"].to_numpy() / 10)).astype(int),
            "support_contacts_12m": rng.poisson(s["support"].to_numpy()),
            "add_ons": add_ons,
            "lines": lines,
            "is_business": s["business"].to_numpy(),
            "marketing_opt_in": np.where(rng.random(n) < 0.55, "Y", "N"),
        }
    )
    cust = cust.sort_values("signup_date", kind="stable").reset_index(drop=True)
    cust.insert(0, "customer_id", "NW" + pd.Series(np.arange(100001, 100001 + n)).astype(str))
    return cust


# --------------------------------------------------------------------------- journey events


def _spread(rng, start: pd.Series, end: pd.Series) -> pd.Series:
    """Uniform days between two dates (inclusive)."""
    span = (end.to_numpy() - start.to_numpy()) / np.timedelta64(1, "D") + 1
    day = np.floor(rng.random(len(span)) * span)
    return start.reset_index(drop=True) + _days(day)


def _events_for(rng, cust_idx, tp_ids, when) -> pd.DataFrame:
    """Events on the given days, at a time of day between 08:00 and 21:00."""
    when = pd.Series(when).reset_index(drop=True).dt.normalize()
    minutes = 8 * 60 + np.floor(rng.random(len(when)) * 13 * 60)
    return pd.DataFrame(
        {"cust": cust_idx, "touchpoint_id": tp_ids, "occurred_at": when + _days(minutes / 1440)}
    )


def make_events(rng: np.random.Generator, cust: pd.DataFrame) -> pd.DataFrame:
    n = len(cust)
    idx = np.arange(n)
    signup = cust["signup_date"]
    new = (signup >= EVENTS_START).to_numpy()
    parts = []

    # Acquisition: research, comparison, purchase, onboarding for customers who joined in 2026.
    nidx = idx[new]
    nsign = signup[new].reset_index(drop=True)
    k = (rng.random(len(nidx)) < 0.9) * (1 + rng.poisson(0.6, len(nidx)))
    c = np.repeat(nidx, k)
    ids = np.array(["research_web", "research_coverage", "research_store"])
    when = signup.iloc[c].reset_index(drop=True) - _days(1 + np.floor(rng.random(len(c)) * 30))
    parts.append(_events_for(rng, c, ids[rng.choice(3, len(c), p=(0.55, 0.25, 0.2))], when))
    k = (rng.random(len(nidx)) < 0.75) * (1 + rng.poisson(0.4, len(nidx)))
    c = np.repeat(nidx, k)
    ids = np.array(["compare_web", "compare_chat", "compare_phone"])
    when = signup.iloc[c].reset_index(drop=True) - _days(np.floor(rng.random(len(c)) * 14))
    parts.append(_events_for(rng, c, ids[rng.choice(3, len(c), p=(0.5, 0.25, 0.25))], when))
    buy = cust["primary_channel"].map(
        {"app": "purchase_web", "web": "purchase_web", "store": "purchase_store",
         "phone": "purchase_phone"}
    ).to_numpy()  # fmt: skip
    parts.append(_events_for(rng, nidx, buy[nidx], nsign))
    aband = nidx[rng.random(len(nidx)) < 0.25]
    when = signup.iloc[aband].reset_index(drop=True) - _days(
        1 + np.floor(rng.random(len(aband)) * 5)
    )
    abandoned = _events_for(rng, aband, np.full(len(aband), "purchase_web"), when)
    abandoned["abandoned"] = True
    parts.append(abandoned)
    app_first = cust["primary_channel"].isin(["app", "web"]).to_numpy()
    for tp_id, p in (
        ("onboard_sim", 0.92),
        ("onboard_port", 0.35),
        ("onboard_welcome_call", 0.55),
    ):
        c = nidx[rng.random(len(nidx)) < p]
        parts.append(
            _events_for(
                rng,
                c,
                np.full(len(c), tp_id),
                signup.iloc[c].reset_index(drop=True) + _days(np.floor(rng.random(len(c)) * 15)),
            )
        )
    c = nidx[rng.random(len(nidx)) < np.where(app_first[nidx], 0.7, 0.35)]
    parts.append(
        _events_for(
            rng,
            c,
            np.full(len(c), "onboard_app_setup"),
            signup.iloc[c].reset_index(drop=True) + _days(np.floor(rng.random(len(c)) * 15)),
        )
    )

    # Use and support: everyone, over the months they were customers in 2026.
    start = signup.where(signup > EVENTS_START, EVENTS_START)
    months = ((EVENTS_END - start).dt.days.to_numpy() + 1) / 30.4
    rates = {
        "use_app": cust["app_logins_per_month"].to_numpy() * 0.02 * months,
        "use_web": 0.07 * months,
        "use_bill": 0.1 * months * np.where(cust["lines"] > 1, 1.5, 1.0),
    }
    for tp_id, lam in rates.items():
        c = np.repeat(idx, rng.poisson(lam))
        parts.append(
            _events_for(
                rng,
                c,
                np.full(len(c), tp_id),
                _spread(rng, start.iloc[c], pd.Series(EVENTS_END, index=range(len(c)))),
            )
        )
    c = np.repeat(idx, rng.poisson(cust["support_contacts_12m"].to_numpy() / 12 * months + 0.05))
    mix = np.array(SUPPORT_MIX)[cust["seg"].to_numpy()[c]]
    ids = np.array(["support_chat", "support_phone", "support_store", "support_app"])
    parts.append(
        _events_for(
            rng,
            c,
            ids[_pick(rng, mix)],
            _spread(rng, start.iloc[c], pd.Series(EVENTS_END, index=range(len(c)))),
        )
    )

    # Renewal: customers whose contract came up during the year, some of them shopping around.
    old = idx[~new & (rng.random(n) < 0.3)]
    renew = (
        cust["primary_channel"]
        .map(
            {
                "app": "renew_web",
                "web": "renew_web",
                "store": "renew_store",
                "phone": "renew_phone",
            }
        )
        .to_numpy()
    )
    rwhen = _spread(
        rng,
        pd.Series(EVENTS_START + pd.Timedelta(days=20), index=range(len(old))),
        pd.Series(EVENTS_END, index=range(len(old))),
    )
    parts.append(_events_for(rng, old, renew[old], rwhen))
    for ids, p in (
        (np.array(["research_web", "research_coverage"]), 0.3),
        (np.array(["compare_web", "compare_phone"]), 0.3),
    ):
        m = rng.random(len(old)) < p
        when = rwhen[m].reset_index(drop=True) - _days(1 + np.floor(rng.random(m.sum()) * 20))
        parts.append(_events_for(rng, old[m], ids[rng.integers(0, 2, m.sum())], when))

    ev = pd.concat(parts, ignore_index=True)
    ev["abandoned"] = ev["abandoned"].eq(True)
    ev = _decorate(rng, ev, cust)
    # An unresolved support contact brings the customer back within a few days.
    back = ev[(ev["stage"] == "support") & ~ev["completed"]]
    back = back[rng.random(len(back)) < 0.6]
    again = pd.DataFrame(
        {
            "cust": back["cust"].to_numpy(),
            "touchpoint_id": np.where(
                rng.random(len(back)) < 0.5, back["touchpoint_id"].to_numpy(), "support_phone"
            ),
            "occurred_at": (back["occurred_at"] + _days(0.1 + rng.random(len(back)) * 5)).dt.floor(
                "min"
            ),
            "abandoned": False,
        }
    )
    ev = pd.concat([ev, _decorate(rng, again, cust)], ignore_index=True)
    end = EVENTS_END + pd.Timedelta(days=1)
    ev = ev[(ev["occurred_at"] >= EVENTS_START) & (ev["occurred_at"] < end)]
    return ev.sort_values(["occurred_at", "cust", "touchpoint_id"], kind="stable").reset_index(
        drop=True
    )


def _decorate(rng, ev: pd.DataFrame, cust: pd.DataFrame) -> pd.DataFrame:
    """Stage, channel, satisfaction, effort, completion and duration of each event."""
    ev = ev.reset_index(drop=True)
    m = len(ev)
    info = TOUCHPOINTS.set_index("id").loc[ev["touchpoint_id"]]
    ev["stage"] = info["stage"].to_numpy()
    ev["channel"] = info["channel"].to_numpy()
    fixed = (ev["stage"] == "onboarding") & (ev["occurred_at"] >= ONBOARDING_FIX)
    loyalty = cust["loyalty"].to_numpy()[ev["cust"].to_numpy()]
    surveyed = rng.random(m) < ev["stage"].map(SURVEY_RATE).to_numpy()
    quarter = ev["occurred_at"].dt.to_period("Q").astype(str)
    cell = ev["stage"] + ":" + quarter + ":" + pd.Series(surveyed).astype(str)
    ev["csat_latent"] = (
        info["mu"].to_numpy() + ONBOARDING_SHIFT * fixed + 0.35 * loyalty + _noise(rng, 0.95, cell)
    )
    # effort is asked like CES: "Northwind made it easy", 1 = strongly disagree, 7 = agree
    ev["ease_latent"] = 4.9 + 1.1 * (ev["csat_latent"] - 3.7) + _noise(rng, 0.9, cell)
    ev["csat"] = pd.array(_clip_round(ev["csat_latent"], 1, 5), dtype="Int64")
    ev["effort"] = pd.array(_clip_round(ev["ease_latent"], 1, 7), dtype="Int64")
    ev.loc[~surveyed, ["csat", "effort"]] = pd.NA
    stage_p = np.where(ev["stage"] == "purchase", 1.0, info["completed"].to_numpy())
    ev["completed"] = rng.random(m) < np.where(ev["abandoned"], 0.0, stage_p)
    ev["duration_s"] = np.rint(info["duration"].to_numpy() * rng.lognormal(0, 0.5, m)).astype(int)
    return ev


def planted() -> dict:
    """The generating parameters behind each effect (what was put in, not what came out)."""
    return {
        "seed": SEED,
        "onboarding_fix_date": str(ONBOARDING_FIX.date()),
        "onboarding_latent_csat_shift": ONBOARDING_SHIFT,
        "onboarding_ease_shift": ONBOARDING_EASE_SHIFT["2026Q3"],
        "chat_nps_penalty_bad_chat": CHAT_PENALTY,
        "chat_nps_penalty_any_chat": CHAT_USE_PENALTY,
        "chat_window_days": CHAT_WINDOW_DAYS,
        "touchpoint_latent_csat": dict(zip(TOUCHPOINTS["id"], TOUCHPOINTS["mu"], strict=True)),
        "nps_coefficients": dict(zip(ATTRIBUTES["name"], ATTRIBUTES["beta"], strict=True)),
        "churn_probability": CHURN_P,
        "min_gap_days": MIN_GAP_DAYS,
        "quiet_days": QUIET_DAYS,
        "segments": list(SEGMENTS["name"]),
    }
