"""PII redaction for verbatim comments before they appear in any output.

Finds e-mail addresses, URLs carrying personal tokens, IBANs (mod-97 checked), card
numbers (Luhn checked), phone numbers and listed customer names, and replaces each with a
token such as ``[email]``. Each kind is one ``Series.str.replace`` pass over all texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["KINDS", "RedactionResult", "redact"]

KINDS = ("url", "email", "iban", "card", "phone", "name")

_URL_KEYS = (
    r"token|access_token|auth|key|apikey|api_key|session|sessionid|session_id|sid|email|"
    r"e-mail|mail|id|uid|user|userid|user_id|username|customer|customerid|customer_id|"
    r"account|acct|phone|code|password|pwd|ref|signature|sig"
)
_URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s?#]+\?(?=(?:[^\s#]*[&;])?(?:[\w.-]*[_.-])?"
    rf"(?:{_URL_KEYS})(?:[_.-][\w.-]*)?=)[^\s]*[^\s.,;:!?)\]'\"]"
)
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[\w.%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")
_IBAN = re.compile(r"(?i)\b[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\w.,/-])\d(?:[ -]?\d){12,18}(?![\w/]|[.,]\d)")
_PHONE = re.compile(
    r"(?<![\w/.,+-])(?:"
    r"\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,4}){2,5}"  # +44 20 7946 0958
    r"|\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,4}"  # (555) 123-4567, (020) 7946 0958
    r"|0\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}"  # 020 7946 0958, 07700 900123
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567
    r")(?![\w/]|[.,:]\d)"
)


@dataclass(frozen=True)
class RedactionResult:
    """Redacted texts and what was removed.

    Attributes
    ----------
    redacted : pandas.Series
        The texts with PII replaced by tokens, same index as the input.
    counts : pandas.DataFrame
        One row per kind (``url``, ``email``, ``iban``, ``card``, ``phone``, ``name``):
        ``kind``, ``n_matches`` (replacements made) and ``n_texts`` (texts affected).
    """

    redacted: pd.Series
    counts: pd.DataFrame

    def to_dict(self) -> dict:
        """Return the counts as a plain dict ``{kind: n_matches}`` for a results file."""
        return dict(zip(self.counts["kind"], self.counts["n_matches"].astype(int), strict=True))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def _iban(match: re.Match) -> str:
    return "[iban]" if _iban_ok(match.group(0)) else match.group(0)


def _phone(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return "[phone]" if 9 <= digits <= 15 else match.group(0)


def _name_forms(name: str) -> set[str]:
    """Return the capitalised forms of a name: as given, first letter up, Title, UPPER."""
    return {name, name[:1].upper() + name[1:], name.title(), name.upper()}


def _name_regex(names: Iterable[str], *, any_case: bool = False) -> re.Pattern | None:
    cleaned = {n.strip() for n in names if isinstance(n, str) and len(n.strip()) >= 2}
    forms = {f for n in cleaned for f in _name_forms(n)}
    if not forms:
        return None
    alternatives = sorted((re.escape(n).replace(r"\ ", r"\s+") for n in forms), key=len)
    flags = "(?i)" if any_case else ""
    return re.compile(flags + r"(?<!\w)(?:" + "|".join(reversed(alternatives)) + r")(?!\w)")


def _lower_case_names(current: pd.Series, names: Iterable[str]) -> pd.Series:
    """Match ``names`` in any case in the texts written without a capital letter."""
    pattern = _name_regex(names, any_case=True)
    if pattern is None:
        return current
    bare = current.str.replace(r"\[(?:url|email|iban|card|phone|name)\]", "", regex=True)
    lower = bare.str.islower().fillna(False).to_numpy(dtype=bool)
    if lower.any():
        current = current.copy()
        current[lower] = current[lower].str.replace(pattern, "[name]", regex=True)
    return current


def redact(
    texts: pd.Series, *, names: Iterable[str] = (), lower_case_names: Iterable[str] = ()
) -> RedactionResult:
    """Replace personal data in free-text comments with tokens.

    Parameters
    ----------
    texts : pandas.Series
        Comments; missing values stay missing, non-strings are converted to text.
    names : iterable of str, optional
        Customer first and last names (or full names) to remove, matched whole-word and
        case-sensitively on their capitalised forms (as given, first letter in capitals,
        Title case and UPPER case); entries shorter than two characters are ignored.

    Returns
    -------
    RedactionResult
        ``redacted`` (Series, same index) and ``counts`` (one row per kind).

    Raises
    ------
    TypeError
        If ``texts`` is not a Series.

    See Also
    --------
    cxlib.text.suggest_themes : returns example comments, pass it redacted text.

    Notes
    -----
    Order and rules, each applied to all texts at once:

    1. ``[url]``: a whole http(s) or www URL whose query string has a personal
       parameter (token, email, id, uid, user, session, sid, key, auth, code, account,
       customer, phone, password, ref, signature and ``*_id`` style variants). Other
       URLs are kept.
    2. ``[email]``: ``local@domain.tld``.
    3. ``[iban]``: country code, two check digits and 11-30 letters or digits (spaces
       allowed in groups of four) whose ISO 13616 mod-97 check gives 1.
    4. ``[card]``: 13-19 digits, optionally separated by single spaces or dashes, that
       pass the Luhn check.
    5. ``[phone]``: international numbers starting with ``+``, numbers with an area
       code in brackets, national numbers starting with 0 (UK style, 9-15 digits) and
       North American ``555-123-4567``. Dates, times, prices, decimals, ratings such as
       ``9/10`` and bare digit runs (order numbers) are not matched.
    6. ``[name]``: listed names, longest first, in their capitalised forms only
       ("Price", "PRICE", and the name as given). A surname that is also a common word
       is thus removed where it is written as a name ("Mr Price called") but not as the
       word ("the price is high"); the word still goes at the start of a sentence
       ("Price went up"), the price of certainty. In a comment written without any
       capital letter, ``lower_case_names`` are matched in any case as well.

    Recall is high for the formats above but no pattern list catches everything;
    redaction reduces, it does not remove, the need to review verbatims.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(["Call me on 020 7946 0958 or mail jo.smith@example.com", "9/10 Jo"])
    >>> out = redact(s, names=["Jo"])
    >>> out.redacted.tolist()
    ['Call me on [phone] or mail [email]', '9/10 [name]']
    >>> redact(pd.Series(["the price is high, Mr Price"]), names=["Price"]).redacted[0]
    'the price is high, Mr [name]'
    >>> out.to_dict()
    {'url': 0, 'email': 1, 'iban': 0, 'card': 0, 'phone': 1, 'name': 1}
    """
    if not isinstance(texts, pd.Series):
        raise TypeError(f"texts must be a pandas Series, got {type(texts).__name__}")
    missing = texts.isna().to_numpy()
    current = (
        texts.astype(object)
        .where(~missing)
        .map(lambda v: v if isinstance(v, str) or pd.isna(v) else str(v))
    )
    steps = [
        ("url", _URL, "[url]"),
        ("email", _EMAIL, "[email]"),
        ("iban", _IBAN, _iban),
        ("card", _CARD, _card),
        ("phone", _PHONE, _phone),
        ("name", _name_regex(names), "[name]"),
    ]
    rows = []
    for kind, pattern, repl in steps:
        token = f"[{kind}]"
        before = current.str.count(re.escape(token)).fillna(0).to_numpy()
        if pattern is not None:
            current = current.str.replace(pattern, repl, regex=True)
        if kind == "name":
            current = _lower_case_names(current, lower_case_names)
        after = current.str.count(re.escape(token)).fillna(0).to_numpy()
        added = np.maximum(after - before, 0)
        rows.append((kind, int(added.sum()), int((added > 0).sum())))
    counts = pd.DataFrame(rows, columns=["kind", "n_matches", "n_texts"])
    return RedactionResult(redacted=current.rename(texts.name), counts=counts)
