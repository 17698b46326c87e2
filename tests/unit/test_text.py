"""Tests for cxlib.text: sentiment, codeframe tagging, theme summary, theme suggestions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cxlib import stats, text

# Published in the vaderSentiment README (cjhutto/vaderSentiment, "Demo" output):
# sentence -> (neg, neu, pos, compound)
README_EXAMPLES = {
    "VADER is smart, handsome, and funny.": (0.0, 0.254, 0.746, 0.8316),
    "VADER is smart, handsome, and funny!": (0.0, 0.248, 0.752, 0.8439),
    "VADER is very smart, handsome, and funny.": (0.0, 0.299, 0.701, 0.8545),
    "VADER is not smart, handsome, nor funny.": (0.646, 0.354, 0.0, -0.7424),
}

CODEFRAME = {
    "version": "1",
    "themes": [
        {
            "name": "Billing",
            "keywords": ["bill*", "charge*", "invoice"],
            "patterns": [r"overcharg\w*"],
            "exclude": ["billboard"],
        },
        {"name": "Service", "keywords": ["customer service", "agent*", "staff"]},
        {"name": "Delivery", "keywords": ["deliver*", "late", "parcel"]},
    ],
}


# ------------------------------------------------------------------------ sentiment


def test_sentiment_reproduces_published_readme_values():
    out = text.sentiment(pd.Series(list(README_EXAMPLES)))
    for i, (neg, neu, pos, compound) in enumerate(README_EXAMPLES.values()):
        assert out.loc[i, ["neg", "neu", "pos", "compound"]].tolist() == pytest.approx(
            [neg, neu, pos, compound], abs=1e-4
        )
    assert out["label"].tolist() == ["positive", "positive", "positive", "negative"]


def test_sentiment_matches_direct_vader_with_duplicates_and_missing():
    rng = np.random.default_rng(1)
    base = [
        "Great service, thanks!",
        "The delivery was late and the parcel damaged :(",
        "ok",
        "Not bad at all",
        "WORST experience EVER!!!",
        "I was overcharged again",
    ]
    values = list(rng.choice(base, 60)) + [None, "   ", np.nan]
    s = pd.Series(values, index=np.arange(100, 163))
    out = text.sentiment(s)
    analyzer = SentimentIntensityAnalyzer()
    for idx, value in s.items():
        if isinstance(value, str) and value.strip():
            direct = analyzer.polarity_scores(value)
            assert out.loc[idx, "compound"] == pytest.approx(direct["compound"], abs=1e-12)
            assert out.loc[idx, "neg"] == pytest.approx(direct["neg"], abs=1e-12)
        else:
            assert np.isnan(out.loc[idx, "compound"]) and pd.isna(out.loc[idx, "label"])
    assert list(out.index) == list(s.index)


def test_sentiment_label_thresholds():
    out = text.sentiment(pd.Series(["good", "bad", "The parcel arrived."]))
    compound = out["compound"].to_numpy()
    expected = np.where(
        compound >= 0.05, "positive", np.where(compound <= -0.05, "negative", "neutral")
    )
    assert out["label"].astype(str).tolist() == expected.tolist()
    assert list(out["label"].cat.categories) == ["negative", "neutral", "positive"]


def test_sentiment_rejects_non_series():
    with pytest.raises(TypeError):
        text.sentiment(["good"])


# ------------------------------------------------------------------------ tagging

HAND_SET = [
    # comment, expected {theme: negated}
    ("The bill was wrong and the agent was rude", {"Billing": False, "Service": False}),
    ("I was OVERCHARGED twice", {"Billing": False}),
    ("No problems with billing at all", {"Billing": True}),
    ("Never had an issue with customer service", {"Service": False}),  # 4 words away
    ("Not a single late delivery", {"Delivery": False}),  # "delivery" is 4 words on
    ("Delivery wasn't late, the invoice was", {"Delivery": False, "Billing": False}),
    ("There was no late parcel", {"Delivery": True}),
    ("Invoice late. Delivery ok", {"Billing": False, "Delivery": False}),
    ("I dont like the charges", {"Billing": True}),
    ("Saw your billboard by the store, billing fine", {}),
    ("Customer   Service rocks", {"Service": False}),
    ("Bills without errors, staff lovely", {"Billing": False, "Service": False}),
    ("without staff help my parcel got lost", {"Service": True, "Delivery": False}),
    ("Polite, friendly, quick", {}),
    ("billable hours? agentless? no", {"Billing": False, "Service": False}),  # wildcards
]


def _expected_long(rows):
    out = []
    for i, (_, tags) in enumerate(rows):
        for theme in ["Billing", "Service", "Delivery"]:
            if theme in tags:
                out.append((i, theme, tags[theme]))
    return out


def test_tag_themes_hand_built_set():
    s = pd.Series([c for c, _ in HAND_SET])
    long = text.tag_themes(s, CODEFRAME)
    got = list(zip(long["response"], long["theme"].astype(str), long["negated"], strict=True))
    assert got == _expected_long(HAND_SET)
    assert list(long["theme"].cat.categories) == ["Billing", "Service", "Delivery"]


def test_tag_themes_counts_mentions_and_drop_option():
    s = pd.Series(["late, late and late again", "no late parcel", None, ""], index=list("abcd"))
    long = text.tag_themes(s, CODEFRAME)
    assert long[["response", "mentions", "negated"]].values.tolist() == [
        ["a", 3, False],
        ["b", 2, True],
    ]
    dropped = text.tag_themes(s, CODEFRAME, negated="drop")
    assert dropped["response"].tolist() == ["a"]
    wide = text.tag_themes(s, CODEFRAME, output="wide")
    assert list(wide.columns) == ["Billing", "Service", "Delivery"]
    assert wide["Delivery"].tolist() == [True, True, False, False]
    assert list(wide.index) == list("abcd")


def test_tag_themes_deterministic_and_accepts_dataclass():
    s = pd.Series([c for c, _ in HAND_SET] * 3)
    cf = text.Codeframe.from_dict(CODEFRAME)
    a = text.tag_themes(s, cf)
    b = text.tag_themes(s, CODEFRAME)
    pd.testing.assert_frame_equal(a, b)
    assert cf.themes[0] == text.Theme(
        "Billing", ("bill*", "charge*", "invoice"), (r"overcharg\w*",), ("billboard",)
    )


def test_codeframe_validation_lists_every_problem():
    bad = {
        "version": "1",
        "colour": "red",
        "themes": [
            {"name": "A", "keywords": ["x"]},
            {"name": "a", "keywords": ["y"]},
            {"name": "B"},
            {"name": "C", "patterns": ["(unclosed"]},
            {"keywords": ["z"]},
        ],
    }
    with pytest.raises(text.CodeframeError) as info:
        text.Codeframe.from_dict(bad)
    message = str(info.value)
    for fragment in ["colour", "duplicate", "at least one keyword", "invalid pattern", "'name'"]:
        assert fragment in message
    assert isinstance(info.value, ValueError)
    with pytest.raises(text.CodeframeError):
        text.Codeframe.from_dict({"themes": []})


def test_tag_themes_argument_checks():
    s = pd.Series(["a", "b"], index=[1, 1])
    with pytest.raises(ValueError, match="unique"):
        text.tag_themes(s, CODEFRAME)
    with pytest.raises(ValueError, match="output"):
        text.tag_themes(pd.Series(["a"]), CODEFRAME, output="matrix")


# ------------------------------------------------------------------------ theme_summary


def test_theme_summary_matches_nps_difference():
    rng = np.random.default_rng(8)
    n = 400
    billing = rng.random(n) < 0.3
    nps = np.where(billing, rng.integers(0, 9, n), rng.integers(5, 11, n))
    comment = np.where(billing, "the bill was wrong", "fine overall")
    comment[rng.random(n) < 0.1] = ""
    df = pd.DataFrame({"nps": nps, "comment": comment}, index=np.arange(1000, 1000 + n))
    tags = text.tag_themes(df["comment"], CODEFRAME)
    out = text.theme_summary(df, tags)
    assert out["theme"].tolist() == ["Billing", "Service", "Delivery"]
    has = df["comment"].str.strip() != ""
    mention = has & df["comment"].str.contains("bill")
    row = out.iloc[0]
    ref = stats.nps_difference(df[mention], df[has & ~mention]).iloc[0]
    assert row["n_mentions"] == mention.sum()
    assert row["share"] == pytest.approx(mention.sum() / has.sum())
    for col in ["estimate", "ci_low", "ci_high", "p_value"]:
        assert row[col] == pytest.approx(ref[col], rel=1e-10)
    assert row["nps_mentioning"] == pytest.approx(ref["value_a"])
    compound = text.sentiment(df.loc[mention, "comment"])["compound"].mean()
    assert row["mean_sentiment"] == pytest.approx(compound)
    assert out.loc[1, "n_mentions"] == 0 and bool(out.loc[1, "small_n"])


def test_theme_summary_negated_mentions_excluded_by_default():
    df = pd.DataFrame(
        {
            "nps": [10, 9, 2, 3] * 10,
            "comment": ["no billing issues", "no billing issues", "bill wrong", "bill wrong"] * 10,
            "compound": [0.5, 0.5, -0.5, -0.5] * 10,
        }
    )
    tags = text.tag_themes(df["comment"], CODEFRAME)
    default = text.theme_summary(df, tags, sentiment="compound", min_n=5).iloc[0]
    counted = text.theme_summary(
        df, tags, sentiment="compound", include_negated=True, min_n=5
    ).iloc[0]
    assert default["n_mentions"] == 20 and default["nps_mentioning"] == pytest.approx(-100)
    assert counted["n_mentions"] == 40 and counted["mean_sentiment"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="not in the responses"):
        text.theme_summary(df.iloc[:5], tags, sentiment="compound")


# ------------------------------------------------------------------------ suggest_themes


def _planted_comments(seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    clusters = {
        "parking": ["parking", "car park", "spaces", "full", "ticket machine"],
        "app": ["app", "crashes", "login", "update", "phone app"],
        "opening": ["opening hours", "closed", "sunday", "early", "weekend"],
    }
    rows = []
    for words in clusters.values():
        for _ in range(40):
            picks = rng.choice(words, 3, replace=False)
            rows.append(f"The {picks[0]} and {picks[1]} were a problem, {picks[2]}")
    rows += ["The bill was wrong"] * 20  # caught by the codeframe
    order = rng.permutation(len(rows))
    return pd.Series(np.asarray(rows)[order])


def test_suggest_themes_finds_planted_clusters():
    s = _planted_comments()
    tags = text.tag_themes(s, CODEFRAME)
    out = text.suggest_themes(s, tags, n_themes=3, seed=0)
    assert len(out) == 3 and out["n_comments"].sum() == 120
    assert sorted(out["n_comments"]) == [40, 40, 40]
    firsts = {terms.split(", ")[0] for terms in out["top_terms"]}
    anchors = [
        {"parking", "car park", "spaces", "car", "park", "ticket", "machine", "full"},
        {"app", "crashes", "login", "update", "phone"},
        {"opening", "hours", "closed", "sunday", "early", "weekend"},
    ]
    for terms in out["top_terms"]:
        top = set(terms.split(", ")[:3])
        assert sum(bool(top & a) for a in anchors) == 1
    assert len(firsts) == 3
    assert not out[["example_1", "example_2", "example_3"]].isna().any().any()
    assert not out["example_1"].str.contains("bill").any()


def test_suggest_themes_deterministic_and_edge_cases():
    s = _planted_comments()
    tags = text.tag_themes(s, CODEFRAME)
    a = text.suggest_themes(s, tags, n_themes=3, seed=5)
    b = text.suggest_themes(s, tags, n_themes=3, seed=5)
    pd.testing.assert_frame_equal(a, b)
    few = text.suggest_themes(pd.Series(["one", "two"]), tags.iloc[:0], n_themes=3)
    assert few.empty and "top_terms" in few.columns
    with pytest.raises(ValueError):
        text.suggest_themes(s, tags, n_themes=0)


def test_codeframe_yaml_with_descriptions_tags_directly():
    import yaml

    from cxlib import text
    from cxlib.config import kit_root

    raw = yaml.safe_load((kit_root() / "data" / "demo" / "codeframe.yaml").read_text())
    codeframe = text.Codeframe.from_dict(raw)
    assert len(codeframe.themes) == len(raw["themes"])
    tags = text.tag_themes(pd.Series(["My bill was wrong again"]), codeframe, output="wide")
    assert tags.to_numpy().sum() >= 1
