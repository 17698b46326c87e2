"""Survey comments for the demo: composed from the phrase bank, with planted themes and PII."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import phrases as ph
from .model import TOUCHPOINT_THEME, _nps_group, _pick

THEMES = tuple(ph.THEMES)  # billing, network, service, app, price, onboarding, contract, ...
NEG_WEIGHT = dict(billing=1.0, network=0.7, service=0.7, app=0.3, price=0.5, onboarding=0.25,
                  contract=0.35, store=0.2, plans=0.3, roaming=0.5, general=0.06)  # fmt: skip
POS_WEIGHT = dict(billing=0.12, network=0.7, service=1.0, app=0.6, price=0.4, onboarding=0.25,
                  contract=0.2, store=0.45, plans=0.35, roaming=0.05, general=0.12)  # fmt: skip
SLOTS = {
    "{amount}": ph.AMOUNTS,
    "{n}": ph.COUNTS,
    "{mins}": ph.MINUTES,
    "{month}": ph.MONTHS,
    "{town}": ph.TOWNS,
    "{staff}": ph.STAFF,
    "{country}": ph.COUNTRIES,
    "{days}": ph.DAYS,
}


def _expand(rng, templates: tuple[str, ...], ways: int = 12) -> list[np.ndarray]:
    """Each template's variants: itself, or up to ``ways`` distinct fillings of its slots."""
    out = []
    for template in templates:
        variants = []
        for _ in range(ways if "{" in template else 1):
            text = template
            for slot, values in SLOTS.items():
                if slot in text:
                    text = text.replace(slot, values[rng.integers(len(values))])
            variants.append(text)
        out.append(np.array(list(dict.fromkeys(variants)), dtype=object))
    return out


def _from_pool(rng, pools: dict, keys: np.ndarray) -> np.ndarray:
    """One sentence per row from the pool of its key: a template, then one of its variants."""
    out = np.full(len(keys), "", dtype=object)
    for key, templates in pools.items():
        rows = np.flatnonzero(keys == key)
        flat = np.concatenate(templates)
        counts = np.array([len(t) for t in templates])
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        which = rng.integers(0, len(templates), len(rows))
        variant = np.floor(rng.random(len(rows)) * counts[which]).astype(int)
        out[rows] = flat[starts[which] + variant]
    return out


def _maybe(rng, texts: np.ndarray, p: float) -> np.ndarray:
    return np.where(rng.random(len(texts)) < p, texts, "")


def _luhn_cards(rng, k: int) -> np.ndarray:
    digits = np.concatenate([np.full((k, 1), 4), rng.integers(0, 10, (k, 14))], axis=1)
    doubled = digits.copy()
    doubled[:, ::2] *= 2  # from the right, every second digit of the 15 is doubled
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    check = (10 - doubled.sum(axis=1) % 10) % 10
    full = np.concatenate([digits, check[:, None]], axis=1)
    place = np.array([1000, 100, 10, 1])
    groups = [
        pd.Series(full[:, i : i + 4] @ place).astype(str).str.zfill(4) for i in (0, 4, 8, 12)
    ]
    spaced = groups[0] + " " + groups[1] + " " + groups[2] + " " + groups[3]
    plain = groups[0] + groups[1] + groups[2] + groups[3]
    return np.where(rng.random(k) < 0.6, spaced, plain)


def _decap(s: pd.Series) -> pd.Series:
    lower_next = s.str[1:2].str.islower().fillna(False)
    return (s.str[0].str.lower() + s.str[1:]).where(lower_next, s)


def _pii(rng, first: pd.Series, last: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A PII sentence per row: (kind, text to prepend, text to append)."""
    k = len(first)
    kind = np.array(["email", "phone", "name", "card"])[rng.choice(4, k, p=(0.35, 0.35, 0.2, 0.1))]
    dom = np.array(["example.com", "example.org", "example.net"])[rng.integers(0, 3, k)]
    num = pd.Series(rng.integers(1, 99, k)).astype(str)
    email = first.str.lower() + "." + last.str.lower() + num.to_numpy() + "@" + dom
    email = pd.Series(
        np.where(rng.random(k) < 0.5, "My email is " + email + " if you want to follow up.",
                 "Email me at " + email + " please.")
    )  # fmt: skip
    three = pd.Series(rng.integers(0, 1000, k)).astype(str).str.zfill(3)
    phone_fmt = rng.integers(0, 3, k)
    phone = np.select(
        [phone_fmt == 0, phone_fmt == 1],
        ["07700 900" + three, "+44 7700 900" + three],
        "0161 496 0" + three,
    )
    phone = np.where(
        rng.random(k) < 0.5,
        "Call me on " + phone + ".",
        "You can reach me on " + phone + " after 5pm.",
    )
    card = "My card number is " + pd.Series(_luhn_cards(rng, k)) + ", please check what was taken."
    sign = np.where(rng.random(k) < 0.5, "Regards, " + first, "- " + first)
    lead = np.where((kind == "name") & (rng.random(k) < 0.5), first + " here.", "")
    tail = np.select(
        [kind == "email", kind == "phone", kind == "card", (kind == "name") & (lead == "")],
        [email, phone, card, sign],
        "",
    )
    return kind, lead, tail


def add_comments(rng, resp: pd.DataFrame, cust: pd.DataFrame) -> pd.DataFrame:
    """Free-text comments for about 60% of responses, plus their true themes."""
    n = len(resp)
    group = _nps_group(resp["nps"]).to_numpy()
    p_comment = np.select([group == "detractor", group == "passive"], [0.74, 0.55], 0.55)
    has = rng.random(n) < p_comment
    rows = np.flatnonzero(has)
    r = resp.iloc[rows].reset_index(drop=True)
    g = group[rows]
    k = len(rows)

    u = rng.random(k)
    polarity = np.select(
        [
            g == "detractor",
            (g == "passive") & (u < 0.45),
            (g == "passive") & (u < 0.8),
            (g == "promoter") & (u < 0.85),
        ],
        ["negative", "negative", "mixed", "positive"],
        default=np.where(g == "passive", "positive", "mixed"),
    )
    neg_w = np.tile([NEG_WEIGHT[t] for t in THEMES], (k, 1))
    billing = r["billing_clarity"].astype("float64").fillna(7).to_numpy()
    onboard = r["onboarding_ease"].astype("float64").fillna(6).to_numpy()
    neg_w[:, THEMES.index("billing")] *= np.where(
        g == "detractor", 1 + np.maximum(0, 7 - billing) / 1.5, np.where(g == "passive", 0.6, 0.3)
    )
    neg_w[:, THEMES.index("onboarding")] *= 1 + np.maximum(0, 6 - onboard) / 3
    pos_w = np.tile([POS_WEIGHT[t] for t in THEMES], (k, 1))
    neg_theme = np.array(THEMES)[_pick(rng, neg_w)]
    pos_theme = np.array(THEMES)[_pick(rng, pos_w)]
    about = r["touchpoint_id"].map(TOUCHPOINT_THEME).fillna("").to_numpy()
    use_tp = (about != "") & (rng.random(k) < 0.75)
    neg_theme = np.where(use_tp & (polarity != "positive"), about, neg_theme)
    pos_theme = np.where(use_tp & (polarity == "positive"), about, pos_theme)
    pos_theme = np.where((polarity == "mixed") & (pos_theme == neg_theme), "service", pos_theme)
    pos_theme = np.where((polarity == "mixed") & (neg_theme == "service"), "network", pos_theme)

    banks = {t: [_expand(rng, part) for part in ph.THEMES[t]] for t in THEMES}
    neg_core = pd.Series(_from_pool(rng, {t: b[0] for t, b in banks.items()}, neg_theme))
    neg_det = pd.Series(
        _maybe(rng, _from_pool(rng, {t: b[1] for t, b in banks.items()}, neg_theme), 0.45)
    )
    pos_core = pd.Series(_from_pool(rng, {t: b[2] for t, b in banks.items()}, pos_theme))
    pos_det = pd.Series(
        _maybe(rng, _from_pool(rng, {t: b[3] for t, b in banks.items()}, pos_theme), 0.3)
    )
    opener = pd.Series(
        _maybe(rng, np.array(ph.OPENERS, dtype=object)[rng.integers(0, len(ph.OPENERS), k)], 0.2)
    )
    neg_close = pd.Series(
        _maybe(
            rng,
            np.array(ph.NEG_CLOSERS, dtype=object)[rng.integers(0, len(ph.NEG_CLOSERS), k)],
            0.35,
        )
    )
    pos_close = pd.Series(
        _maybe(
            rng,
            np.array(ph.POS_CLOSERS, dtype=object)[rng.integers(0, len(ph.POS_CLOSERS), k)],
            0.35,
        )
    )
    negative = opener + " " + neg_core + " " + neg_det + " " + neg_close
    positive = opener + " " + pos_core + " " + pos_det + " " + pos_close
    mixed = pos_core + " But " + _decap(neg_core) + " " + neg_det
    text = pd.Series(
        np.select([polarity == "negative", polarity == "positive"], [negative, positive], mixed)
    )

    cid = r["cust"].to_numpy()
    pii_rows = rng.random(k) < 0.07
    kind, lead, tail = _pii(
        rng,
        cust["first_name"].iloc[cid].reset_index(drop=True),
        cust["last_name"].iloc[cid].reset_index(drop=True),
    )
    text = pd.Series(np.where(pii_rows, lead + " " + text + " " + tail, text))
    pii = np.where(pii_rows, kind, "")

    language = np.full(k, "en", dtype=object)
    foreign = ~pii_rows & (rng.random(k) < 0.016)
    lang = np.array(list(ph.FOREIGN))[rng.integers(0, len(ph.FOREIGN), k)]
    want = np.where(polarity == "positive", "positive", "negative")
    for code, pool in ph.FOREIGN.items():
        for pol in ("negative", "positive"):
            texts = np.array([t for t, p in pool if p == pol], dtype=object)
            sel = np.flatnonzero(foreign & (lang == code) & (want == pol))
            text.iloc[sel] = texts[rng.integers(0, len(texts), len(sel))]
            language[sel] = code
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    lower = rng.random(k) < 0.05
    text = text.where(~lower, text.str.lower())
    bare = rng.random(k) < 0.04
    text = text.where(~bare, text.str.rstrip(".!"))

    out = resp.copy()
    out["comment"] = ""
    out.loc[out.index[rows], "comment"] = text.to_numpy()
    truth = pd.DataFrame(
        {
            "row": rows,
            "language": language,
            "polarity": polarity,
            "theme": np.where(
                language == "en", np.where(polarity == "positive", pos_theme, neg_theme), ""
            ),
            "theme2": np.where((language == "en") & (polarity == "mixed"), pos_theme, ""),
            "pii": pii,
        }
    )
    return out, truth
