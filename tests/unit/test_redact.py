"""Tests for cxlib.redact: realistic positives and negatives for every PII kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlib.redact import KINDS, RedactionResult, _iban_ok, _luhn_ok, redact

POSITIVES = [
    ("mail me at jane.doe+cx@mail.example.co.uk", "mail me at [email]"),
    ("JOHN_SMITH@EXAMPLE.COM wrote to you", "[email] wrote to you"),
    ("ring +44 20 7946 0958 please", "ring [phone] please"),
    ("call (555) 123-4567 today", "call [phone] today"),
    ("my number is 020 7946 0958.", "my number is [phone]."),
    ("mobile 07700 900123", "mobile [phone]"),
    ("US office +1 415-555-2671", "US office [phone]"),
    ("text 555-123-4567", "text [phone]"),
    ("Paris +33 1 42 68 53 00", "Paris [phone]"),
    ("Berlin +49 (0)30 123456", "Berlin [phone]"),
    ("card 4111 1111 1111 1111 was charged", "card [card] was charged"),
    ("card 4111-1111-1111-1111", "card [card]"),
    ("mastercard 5500005555555559", "mastercard [card]"),
    ("amex 3782 822463 10005 ok", "amex [card] ok"),
    ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN [iban]"),
    ("iban DE89370400440532013000 thanks", "iban [iban] thanks"),
    ("see https://acme.com/reset?token=abc123&x=1 now", "see [url] now"),
    ("link www.acme.com/survey?id=998877.", "link [url]."),
    ("https://x.io/a?utm=1&session_id=zz", "[url]"),
    ("unsubscribe http://m.acme.com/u?email=a%40b.com", "unsubscribe [url]"),
]

NEGATIVES = [
    "I paid £12.50 on 12/03/2024",
    "order 123456789 arrived late",
    "rated 9/10, would be 10/10 with faster delivery",
    "call at 10:30 on 2024-03-15",
    "price $1,299.99 is too high",
    "visit https://acme.com/help?lang=en for help",
    "ticket #4111111111111112",
    "app version 2.13.4",
    "router IP 192.168.1.1",
    "delivered 15.03.2024",
    "order ORD-2024-001234",
    "GB82 WEST 1234 5698 7654 33",
    "4111 1111 1111 1112",
    "years 2023 and 2024",
    "extension 12345",
    "I waited 45 minutes and 3 days",
    "NPS 9, CSAT 4/5, CES 2",
    "about 20 000 customers",
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES)
def test_redacts_positives(text, expected):
    assert redact(pd.Series([text])).redacted.iloc[0] == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_negatives_untouched(text):
    assert redact(pd.Series([text])).redacted.iloc[0] == text


def test_names_word_boundary_case_insensitive_and_longest_first():
    s = pd.Series(["Thanks Sarah O'Neil and MARY", "Maryland is nice", "Mary Ann called", None])
    out = redact(s, names=["Sarah", "O'Neil", "mary", "Mary Ann", "J", " "])
    assert out.redacted.tolist()[:3] == [
        "Thanks [name] [name] and [name]",
        "Maryland is nice",
        "[name] called",
    ]
    assert pd.isna(out.redacted.iloc[3])


def test_counts_and_index_preserved():
    s = pd.Series(
        ["a@b.com and c@d.org", "call 020 7946 0958", "nothing here", np.nan, 12345],
        index=[10, 11, 12, 13, 14],
        name="comment",
    )
    out = redact(s)
    assert isinstance(out, RedactionResult)
    assert list(out.redacted.index) == [10, 11, 12, 13, 14] and out.redacted.name == "comment"
    counts = out.counts.set_index("kind")
    assert list(counts.index) == list(KINDS)
    assert counts.loc["email", "n_matches"] == 2 and counts.loc["email", "n_texts"] == 1
    assert counts.loc["phone", "n_matches"] == 1
    assert out.to_dict()["card"] == 0
    assert out.redacted.iloc[4] == "12345"


def test_existing_tokens_are_not_counted_again():
    out = redact(pd.Series(["already [email] here"]))
    assert out.counts["n_matches"].sum() == 0


def test_checksums():
    assert _luhn_ok("4111111111111111") and not _luhn_ok("4111111111111112")
    assert _luhn_ok("378282246310005")
    assert _iban_ok("GB82 WEST 1234 5698 7654 32") and _iban_ok("DE89370400440532013000")
    assert not _iban_ok("GB82 WEST 1234 5698 7654 33") and not _iban_ok("GB82WEST12")


def test_rejects_non_series():
    with pytest.raises(TypeError):
        redact(["a@b.com"])


def test_names_case_sensitive_on_capitalised_forms():
    # A surname that is also a word: "Price" as a name goes, "price" as a word stays.
    s = pd.Series(["the price is high", "Mr Price called", "PRICE JONES", "mr price"])
    out = redact(s, names=["Price", "jones"])
    assert out.redacted.tolist() == [
        "the price is high",
        "Mr [name] called",
        "[name] [name]",
        "mr price",
    ]
    assert out.to_dict()["name"] == 3


def test_lower_case_names_only_in_texts_without_capitals():
    # Planted in the demo: a whole comment in lower case ending "regards, isabella".
    s = pd.Series(["regards, isabella", "Isabella here", "isabella Smith", "the price is high"])
    out = redact(s, names=["Isabella", "Price"], lower_case_names=["Isabella"])
    assert out.redacted.tolist() == [
        "regards, [name]",
        "[name] here",
        "isabella Smith",  # has a capital: case rules apply, lower-case word kept
        "the price is high",
    ]
    assert out.to_dict()["name"] == 2
