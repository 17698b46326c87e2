"""The survey side of the demo: contact log, responses, missing answers, weights, churn and the
employee pulse.

Draws from the same generator as ``model`` in a fixed order (see ``generate.build``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import org
from .model import (
    AS_OF,
    ATTRIBUTES,
    CHAT_PENALTY,
    CHAT_USE_PENALTY,
    CHAT_WINDOW_DAYS,
    CHURN_P,
    CHURN_START,
    DONT_KNOW,
    MIN_GAP_DAYS,
    NPS_MEAN,
    ONBOARDING_EASE_SHIFT,
    QUIET_DAYS,
    REGION_RESPONSE,
    REGIONS,
    SEGMENTS,
    WAVES,
    WAVES_BASELINE,
    YEAR_START,
    _clip_round,
    _days,
    _noise,
    _nps_group,
)

# --------------------------------------------------------------------------- survey contacts


def _thin(cust: np.ndarray, t: np.ndarray, min_gap: float) -> np.ndarray:
    """Keep a contact only if the customer's previous kept contact is min_gap days earlier.

    Rows must be sorted by customer, then time. Greedy, vectorised over customers: one pass
    per position within a customer (a handful of passes), not per row.
    """
    pos = pd.Series(cust).groupby(cust).cumcount().to_numpy()
    keep = np.zeros(len(t), dtype=bool)
    last = np.full(cust.max() + 1 if len(cust) else 0, -np.inf)
    for k in range(pos.max() + 1 if len(pos) else 0):
        rows = np.flatnonzero(pos == k)
        ok = t[rows] - last[cust[rows]] >= min_gap
        keep[rows[ok]] = True
        last[cust[rows[ok]]] = t[rows[ok]]
    return keep


def _day_number(ts: pd.Series) -> np.ndarray:
    return ((ts - YEAR_START) / pd.Timedelta(days=1)).to_numpy(dtype=float)


def _after_complaint(contacts: pd.DataFrame, complaints: pd.DataFrame) -> np.ndarray:
    """Contacts sent within QUIET_DAYS after an unresolved support contact."""
    pairs = contacts.reset_index()[["index", "cust", "contacted_at"]].merge(complaints, on="cust")
    lag = (pairs["contacted_at"] - pairs["occurred_at"]) / pd.Timedelta(days=1)
    return contacts.index.isin(pairs.loc[(lag >= 0) & (lag < QUIET_DAYS), "index"].unique())


def make_contacts(rng: np.random.Generator, cust: pd.DataFrame, ev: pd.DataFrame):
    parts = []
    for wave, w in WAVES.items():
        start = pd.Timestamp(w["invite"][0])
        ok = (cust["signup_date"] <= start - pd.Timedelta(days=30)).to_numpy()
        elig = np.flatnonzero(ok & (rng.random(len(cust)) < 0.95))
        k = len(elig)
        when = start + _days(
            np.floor(rng.random(k) * w["invite"][1]) + (540 + np.floor(rng.random(k) * 120)) / 1440
        )
        parts.append(
            pd.DataFrame(
                {"cust": elig, "contacted_at": when, "survey": "relationship",
                 "team": "CX Insights", "wave": wave, "event": -1}
            )
        )  # fmt: skip
        lo, hi = (pd.Timestamp(x) for x in w["tx"])
        m = (
            ev["stage"].isin(["onboarding", "support", "renewal"])
            & ~ev["abandoned"]
            & ev["occurred_at"].between(lo, hi + pd.Timedelta(days=1), inclusive="left")
        ).to_numpy()
        sel = np.flatnonzero(m)
        when = ev["occurred_at"].iloc[sel].dt.normalize().to_numpy() + _days(
            1 + (600 + np.floor(rng.random(len(sel)) * 480)) / 1440
        )
        parts.append(
            pd.DataFrame(
                {"cust": ev["cust"].to_numpy()[sel], "contacted_at": when,
                 "survey": "transactional", "team": "Customer Care", "wave": wave, "event": sel}
            )
        )  # fmt: skip
    cand = pd.concat(parts, ignore_index=True)
    complaints = ev.loc[(ev["stage"] == "support") & ~ev["completed"], ["cust", "occurred_at"]]
    cand = cand[~_after_complaint(cand, complaints)]
    cand = cand.sort_values(["cust", "contacted_at"], kind="stable").reset_index(drop=True)
    cand = cand[_thin(cand["cust"].to_numpy(), _day_number(cand["contacted_at"]), MIN_GAP_DAYS)]

    # Marketing: one-off product research surveys that respect the policy ...
    pool = rng.permutation(np.flatnonzero(cust["signup_date"] < pd.Timestamp("2025-12-01")))
    breach_cust, normal_cust = np.sort(pool[:120]), pool[120:1320]
    span = (pd.Timestamp("2026-09-30") - pd.Timestamp("2026-01-05")).days
    when = pd.Timestamp("2026-01-05") + _days(
        np.floor(rng.random(len(normal_cust)) * span)
        + (660 + np.floor(rng.random(len(normal_cust)) * 360)) / 1440
    )
    mk = pd.DataFrame({"cust": normal_cust, "contacted_at": when})
    both = mk.reset_index().merge(
        cand[["cust", "contacted_at"]], on="cust", how="left", suffixes=("", "_o")
    )
    gap = (both["contacted_at"] - both["contacted_at_o"]).abs() / pd.Timedelta(days=1)
    too_close = both.loc[gap < MIN_GAP_DAYS, "index"].unique()
    mk = mk.drop(index=too_close)
    mk = mk[~_after_complaint(mk, complaints)]
    # ... and the planted breach: bursts of 3-5 surveys 5-9 days apart for 120 customers.
    k = rng.integers(3, 6, len(breach_cust))
    c = np.repeat(breach_cust, k)
    first = np.repeat(rng.integers(0, 4, len(breach_cust)), k)
    step = rng.integers(5, 10, len(c))
    pos = pd.Series(c).groupby(c).cumcount().to_numpy()
    offset = first + np.where(
        pos == 0, 0, pd.Series(np.where(pos == 0, 0, step)).groupby(c).cumsum().to_numpy()
    )
    burst = pd.DataFrame(
        {
            "cust": c,
            "contacted_at": pd.Timestamp("2026-04-28")
            + _days(offset + (660 + np.floor(rng.random(len(c)) * 360)) / 1440),
        }
    )
    mk = pd.concat([mk, burst], ignore_index=True)
    mk["survey"], mk["team"], mk["wave"], mk["event"] = "product research", "Marketing", "", -1
    contacts = pd.concat([cand, mk], ignore_index=True)
    contacts = contacts.sort_values(["contacted_at", "cust"], kind="stable").reset_index(drop=True)
    return contacts, breach_cust


# --------------------------------------------------------------------------- responses


def make_responses(rng, cust: pd.DataFrame, ev: pd.DataFrame, contacts: pd.DataFrame):
    inv = contacts[contacts["survey"].isin(["relationship", "transactional"])].reset_index(
        drop=True
    )
    seg = cust["seg"].to_numpy()[inv["cust"]]
    region = pd.Categorical(cust["region"].to_numpy()[inv["cust"]], categories=REGIONS).codes
    rel = (inv["survey"] == "relationship").to_numpy()
    p = np.where(
        rel,
        0.62 * SEGMENTS["response"].to_numpy()[seg] * np.array(REGION_RESPONSE)[region],
        0.6,
    )
    inv = inv[rng.random(len(inv)) < p].reset_index(drop=True)
    k = len(inv)
    delay = np.minimum(rng.exponential(1.5, k), 14) + rng.random(k) * 0.3
    resp = pd.DataFrame(
        {
            "cust": inv["cust"].to_numpy(),
            "wave": inv["wave"].to_numpy(),
            "survey": inv["survey"].to_numpy(),
            "event": inv["event"].to_numpy(),
            "responded_at": (inv["contacted_at"] + _days(delay)).dt.floor("min"),
        }
    )
    resp = resp.sort_values(["wave", "responded_at", "cust"], kind="stable").reset_index(drop=True)
    number = (resp.groupby("wave").cumcount() + 1).astype(str).str.zfill(5)
    resp.insert(0, "response_id", "R" + resp["wave"] + "-" + number)
    rel = (resp["survey"] == "relationship").to_numpy()
    ev_i = resp["event"].to_numpy()
    ci = resp["cust"].to_numpy()
    seg = cust["seg"].to_numpy()[ci]
    loyalty = cust["loyalty"].to_numpy()[ci]
    n = len(resp)
    resp["touchpoint_id"] = np.where(rel, "", ev["touchpoint_id"].to_numpy()[np.maximum(ev_i, 0)])
    resp["channel"] = np.where(
        rel, cust["primary_channel"].to_numpy()[ci], ev["channel"].to_numpy()[np.maximum(ev_i, 0)]
    )

    # Relationship survey: a halo shared by the ratings, attributes, then NPS from them.
    cell = resp["wave"] + ":" + resp["survey"]
    halo = 0.75 * loyalty + _noise(rng, 0.66, cell)
    nps_lat = np.full(n, NPS_MEAN) + 0.5 * halo
    for a in ATTRIBUTES.itertuples():
        mu = a.mu + np.array(a.segment_shift)[seg]
        if a.name == "onboarding_ease":
            mu = mu + resp["wave"].map(ONBOARDING_EASE_SHIFT).to_numpy()
        raw = mu + 1.9 * (0.5 * halo + _noise(rng, np.sqrt(0.75), cell))
        obs = _clip_round(raw, 1, 10)
        nps_lat += a.beta * (obs - a.mu)
        resp[a.name] = obs
    chats = ev.loc[ev["touchpoint_id"] == "support_chat", ["cust", "occurred_at", "csat_latent"]]
    pairs = resp.reset_index()[["index", "cust", "responded_at"]].merge(chats, on="cust")
    lag = (pairs["responded_at"] - pairs["occurred_at"]) / pd.Timedelta(days=1)
    pairs = pairs[(lag > 0) & (lag <= CHAT_WINDOW_DAYS)]
    resp["chat"] = resp.index.isin(pairs["index"].unique())
    resp["bad_chat"] = resp.index.isin(pairs.loc[pairs["csat_latent"] < 2.5, "index"].unique())
    penalty = (
        CHAT_PENALTY * resp["bad_chat"].to_numpy() + CHAT_USE_PENALTY * resp["chat"].to_numpy()
    )
    nps_lat += _noise(rng, 1.2, cell) - penalty

    # Transactional survey: the experience of the event that triggered it.
    e_csat = ev["csat_latent"].to_numpy()[np.maximum(ev_i, 0)]
    e_eff = ev["ease_latent"].to_numpy()[np.maximum(ev_i, 0)]
    tx_nps = NPS_MEAN + 0.5 * 0.75 * loyalty + 1.1 * (e_csat - 3.7) + _noise(rng, 1.6, cell)
    nps_lat = np.where(rel, nps_lat, tx_nps)
    resp["nps_latent"] = nps_lat
    resp["nps"] = _clip_round(nps_lat, 0, 10)
    rel_csat = 3.95 + 0.42 * (nps_lat - NPS_MEAN) + _noise(rng, 0.55, cell)
    resp["csat"] = np.where(
        rel, _clip_round(rel_csat, 1, 5), _clip_round(e_csat + rng.normal(0, 0.3, n), 1, 5)
    )
    rel_ces = 4.9 + 0.4 * (nps_lat - NPS_MEAN) + _noise(rng, 0.9, cell)
    resp["ces"] = np.where(
        rel, _clip_round(rel_ces, 1, 7), _clip_round(e_eff + rng.normal(0, 0.4, n), 1, 7)
    )
    return resp


def add_missing(rng, resp: pd.DataFrame) -> pd.DataFrame:
    """Item non-response, 'don't know' codes, and no attribute battery on transactional."""
    out = resp.copy()
    n = len(out)
    rel = (out["survey"] == "relationship").to_numpy()
    for name in ATTRIBUTES["name"]:
        col = pd.array(out[name].to_numpy(), dtype="Int64")
        col[~rel | (rng.random(n) < 0.015)] = pd.NA
        out[name] = col
    dk = rel & (rng.random(n) < 0.04)
    out.loc[dk, "staff_helpfulness"] = DONT_KNOW
    for name, share in (("ces", 0.03), ("csat", 0.01)):
        col = pd.array(out[name].to_numpy(), dtype="Int64")
        col[rng.random(n) < share] = pd.NA
        out[name] = col
    out["dont_know"] = dk
    return out


def add_weights(resp: pd.DataFrame, cust: pd.DataFrame) -> pd.Series:
    """Post-stratification to the customer base's region mix, per wave and survey."""
    pop = cust["region"].value_counts(normalize=True)
    region = cust["region"].to_numpy()[resp["cust"]]
    share = (
        pd.Series(region)
        .groupby([resp["wave"], resp["survey"]])
        .transform(lambda s: s.map(s.value_counts(normalize=True)))
    )
    return np.round(pd.Series(region).map(pop).to_numpy() / share.to_numpy(), 4)


def add_churn(rng, cust: pd.DataFrame, resp: pd.DataFrame) -> pd.DataFrame:
    """Churn in Oct-Dec 2026, by the NPS group of the customer's baseline answer.

    The baseline answer is the customer's latest 2026Q1 response, else their latest one.
    """
    out = cust.copy()
    order = resp.assign(base=resp["wave"] == WAVES_BASELINE)
    order = order.sort_values(["base", "responded_at"], kind="stable")
    latest = order.groupby("cust")["nps"].last()
    group = pd.Series("none", index=out.index)
    group.loc[latest.index] = _nps_group(latest).to_numpy()
    out["nps_group_latest"] = group
    churned = rng.random(len(out)) < group.map(CHURN_P).to_numpy()
    span = (AS_OF - CHURN_START).days + 1
    date = CHURN_START + _days(np.floor(rng.random(len(out)) * span))
    out["churned"] = churned
    out["churn_date"] = pd.Series(date).where(churned)
    end = out["churn_date"].fillna(AS_OF)
    out["tenure_months"] = np.floor((end - out["signup_date"]).dt.days / 30.4375).astype(int)
    return out


# --------------------------------------------------------------------------- employee pulse


def make_pulse(rng) -> pd.DataFrame:
    """Two pulse waves; about 70% engaged (score 7+) in each, by the same process."""
    dept = np.concatenate([np.full(n, d, dtype=object) for d, n, _ in org.HEADCOUNT])
    shift = np.concatenate([np.full(n, s) for _, n, s in org.HEADCOUNT])
    k = len(dept)
    person = rng.normal(0, 1.3, k)
    ids = ("EMP-" + pd.Series(np.arange(1001, 1001 + k)).astype(str)).to_numpy(dtype=object)
    waves = []
    for w, wave in enumerate(("2026Q1", "2026Q3")):
        if w:  # about one in ten left and was replaced by a new hire in the same department
            left = rng.random(k) < 0.1
            person = np.where(left, rng.normal(0, 1.3, k), person)
            hires = "EMP-" + pd.Series(np.arange(1001 + k * w, 1001 + k * w + k)).astype(str)
            ids = np.where(left, hires.to_numpy(dtype=object), ids)
        answered = rng.random(k) < 0.85
        deviation = person + rng.normal(0, 1.2, k)
        deviation -= deviation[answered].mean()  # same engagement process in both waves
        score = _clip_round(7.6 + shift + deviation, 0, 10)
        waves.append(
            pd.DataFrame(
                {"employee_id": ids, "department": dept, "wave": wave, "score": score,
                 "engaged": score >= 7}
            )[answered]
        )  # fmt: skip
    return pd.concat(waves, ignore_index=True)
