"""Theme-level results: NPS and sentiment per theme, and suggested new themes.

Both functions take the long tag table of :func:`cxlib.text.tag_themes`. They are
re-exported by :mod:`cxlib.text`.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from cxlib._stats_common import (
    adjust,
    check_columns,
    check_confidence,
    check_frame,
    check_method,
    check_min_n,
    kish,
    nps_parts,
    nps_scores,
    numeric_column,
    safe_div,
    small_flag,
    weight_column,
)
from cxlib.stats_compare import _nps_diff

__all__ = ["suggest_themes", "theme_summary"]


def _tag_positions(tags: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, np.ndarray, list]:
    """Row positions and theme codes of a long tag table, validated against ``index``."""
    check_frame(tags, "tags")
    check_columns(tags, ["response", "theme"])
    theme = tags["theme"]
    names = list(theme.cat.categories) if isinstance(theme.dtype, pd.CategoricalDtype) else None
    names = names if names is not None else sorted(theme.dropna().unique().tolist())
    codes = pd.Categorical(theme, categories=names).codes
    pos = index.get_indexer(tags["response"])
    if np.any(pos < 0):
        raise ValueError("tags refer to responses that are not in the responses table")
    return pos, codes.astype(np.intp), names


def theme_summary(
    responses: pd.DataFrame,
    tags: pd.DataFrame,
    *,
    score: Hashable = "nps",
    comment: Hashable = "comment",
    sentiment: Hashable | None = None,
    weight: Hashable | None = None,
    include_negated: bool = False,
    method: str = "adjusted_wald",
    p_adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Per theme: how often it comes up, its sentiment, and the NPS of those who raise it.

    Answers "which themes go with detractors?": for each theme, the NPS of commenters
    who mention it against commenters who do not, with the difference, its interval and
    a p-value adjusted across themes.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses with a unique index (the one the comments Series had when tagged).
    tags : pandas.DataFrame
        Long output of :func:`cxlib.text.tag_themes` (``response``, ``theme``,
        ``negated``).
    score : str, default "nps"
        Column of 0-10 answers.
    comment : str, default "comment"
        Column of comments; only responses with a non-blank comment form the base.
    sentiment : str, optional
        Column with VADER compound scores already computed; default None computes them
        with :func:`cxlib.text.sentiment`.
    weight : str, optional
        Survey weights (Kish effective bases, as in :func:`cxlib.stats.nps`).
    include_negated : bool, default False
        Count mentions whose every occurrence is negated ("no problems with billing")
        as mentions. By default they are not counted.
    method : {"adjusted_wald", "wald"}, default "adjusted_wald"
        NPS interval method for the difference.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across themes.
    confidence : float, default 0.95
        Confidence level.
    min_n : int, default 30
        Themes with fewer (effective) mentioning or non-mentioning scores are flagged.

    Returns
    -------
    pandas.DataFrame
        One row per theme (codeframe order): ``theme``, ``n_mentions`` (comments
        mentioning it), ``share`` (of all non-blank comments, 0..1), ``mean_sentiment``
        (mean compound, -1..1), ``n``, ``n_eff`` (scored responses mentioning it),
        ``nps_mentioning``, ``n_not``, ``n_eff_not``, ``nps_not_mentioning`` (NPS,
        -100..100), ``estimate`` (difference, NPS points), ``se``, ``ci_low``,
        ``ci_high``, ``statistic``, ``p_value``, ``p_adjusted`` and ``small_n``.

    Raises
    ------
    ValueError
        If the index is not unique, columns are missing or tags refer to unknown rows.

    See Also
    --------
    cxlib.stats_compare.nps_difference : the test used for each theme.

    Notes
    -----
    Mentioning and non-mentioning commenters are disjoint, so the comparison is the
    two-sample NPS test of :func:`cxlib.stats_compare.nps_difference` (adjusted Wald by
    default). Sums per theme are taken over the tag rows (one ``bincount`` each), so
    the cost grows with the number of mentions, not responses times themes.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.text import tag_themes
    >>> df = pd.DataFrame({"nps": [2, 3, 10, 9, 8],
    ...                    "comment": ["bill wrong", "bill late", "great", "great staff", "ok"]})
    >>> cf = {"themes": [{"name": "Billing", "keywords": ["bill*"]}]}
    >>> out = theme_summary(df, tag_themes(df["comment"], cf), min_n=2)
    >>> int(out.loc[0, "n_mentions"]), float(round(out.loc[0, "estimate"], 1))
    (2, -166.7)
    """
    from cxlib.text import _text
    from cxlib.text import sentiment as _vader

    check_frame(responses, "responses")
    check_method(method)
    z = check_confidence(confidence)
    min_n = check_min_n(min_n)
    check_columns(responses, [comment])
    if not responses.index.is_unique:
        raise ValueError("responses must have a unique index")
    has = _text(responses[comment]).notna().to_numpy()
    if not include_negated and "negated" in tags.columns:
        tags = tags[~tags["negated"].to_numpy(dtype=bool)]
    pos, codes, names = _tag_positions(tags, responses.index)
    keep = has[pos]
    pos, codes = pos[keep], codes[keep]
    k = len(names)

    s = nps_scores(responses, score)
    w = weight_column(responses, weight)
    valid = ~np.isnan(s) & has
    wv = np.where(valid, 1.0 if w is None else w, 0.0)
    vec = {
        "n": valid.astype(float),
        "sw": wv,
        "sw2": wv * wv,
        "pro": np.where(s >= 9, wv, 0.0),
        "det": np.where(s <= 6, wv, 0.0),
    }
    inside = {key: np.bincount(codes, weights=v[pos], minlength=k) for key, v in vec.items()}
    outside = {key: v.sum() - inside[key] for key, v in vec.items()}
    p_in, p_out = nps_parts(inside, method), nps_parts(outside, method)
    diff = _nps_diff(p_in, p_out, z)

    if sentiment is None:
        compound = _vader(responses[comment])["compound"].to_numpy()
    else:
        check_columns(responses, [sentiment])
        compound = numeric_column(responses, sentiment, "sentiment")
    has_sent = ~np.isnan(compound) & has
    sent_sum = np.bincount(codes, weights=np.where(has_sent, compound, 0.0)[pos], minlength=k)
    sent_n = np.bincount(codes, weights=has_sent[pos].astype(float), minlength=k)
    n_mentions = np.bincount(codes, minlength=k)
    n_eff_in, n_eff_out = kish(inside["sw"], inside["sw2"]), kish(outside["sw"], outside["sw2"])
    out = pd.DataFrame(
        {
            "theme": names,
            "n_mentions": n_mentions.astype(np.int64),
            "share": safe_div(n_mentions, has.sum()),
            "mean_sentiment": safe_div(sent_sum, sent_n),
            "n": inside["n"].astype(np.int64),
            "n_eff": n_eff_in,
            "nps_mentioning": 100.0 * p_in.estimate,
            "n_not": outside["n"].astype(np.int64),
            "n_eff_not": n_eff_out,
            "nps_not_mentioning": 100.0 * p_out.estimate,
            **diff,
        }
    )
    out["p_adjusted"] = adjust(out["p_value"].to_numpy(), p_adjust)
    out["small_n"] = small_flag(n_eff_in, min_n) | small_flag(n_eff_out, min_n)
    return out


def suggest_themes(
    comments: pd.Series,
    tags: pd.DataFrame,
    *,
    n_themes: int = 5,
    seed: int = 0,
    n_terms: int = 8,
    n_examples: int = 3,
) -> pd.DataFrame:
    """Suggest candidate new themes from the comments no codeframe theme caught.

    Groups the uncoded comments by the words they share (TF-IDF plus non-negative matrix
    factorisation) so the consultant can read each candidate's top words and example
    comments and decide whether it deserves a place in the codeframe.

    Parameters
    ----------
    comments : pandas.Series
        All comments (unique index), ideally already redacted, since examples are
        returned verbatim.
    tags : pandas.DataFrame
        Long output of :func:`cxlib.text.tag_themes`; any comment with a tag row counts
        as caught.
    n_themes : int, default 5
        Number of candidate themes.
    seed : int, default 0
        Seed of the factorisation; the same seed gives the same candidates.
    n_terms : int, default 8
        Top terms reported per candidate.
    n_examples : int, default 3
        Example comments per candidate (those most strongly in the candidate).

    Returns
    -------
    pandas.DataFrame
        One row per candidate, largest first: ``candidate`` (1..n_themes, the
        factorisation's component), ``top_terms`` (comma-separated, strongest first),
        ``n_comments`` (uncoded comments assigned to it), ``share`` (of uncoded
        comments), and ``example_1`` ... ``example_<n_examples>`` (NaN when fewer).
        Empty when there are fewer uncoded comments than ``n_themes`` or no usable
        vocabulary.

    Raises
    ------
    TypeError
        If ``comments`` is not a Series.
    ValueError
        On non-positive counts or tags that refer to unknown comments.

    See Also
    --------
    cxlib.text.tag_themes : the tagging that defines "uncoded".

    Notes
    -----
    scikit-learn ``TfidfVectorizer`` (English stop words, words of two or more letters,
    unigrams and bigrams, sublinear term frequency, terms in at least two comments when
    there are 20 or more) and ``NMF(init="nndsvda", random_state=seed)``. Each comment is
    assigned to its strongest component; comments with no vocabulary left are
    unassigned. Ties are broken by position, so results are deterministic for a seed.

    References
    ----------
    Lee, D. D., & Seung, H. S. (1999). Learning the parts of objects by non-negative
    matrix factorization. Nature, 401, 788-791. doi:10.1038/44565

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(["parking was full"] * 4 + ["app keeps crashing"] * 4)
    >>> tags = pd.DataFrame({"response": [], "theme": []})
    >>> out = suggest_themes(s, tags, n_themes=2)
    >>> sorted(out["n_comments"].tolist())
    [4, 4]
    """
    from cxlib.text import _text

    for name, value in {
        "n_themes": n_themes,
        "n_terms": n_terms,
        "n_examples": n_examples,
    }.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    text = _text(comments)
    caught = np.zeros(len(text), dtype=bool)
    if len(tags):
        pos, _, _ = _tag_positions(tags, comments.index)
        caught[pos] = True
    uncoded = text[text.notna().to_numpy() & ~caught]
    columns = ["candidate", "top_terms", "n_comments", "share"] + [
        f"example_{i + 1}" for i in range(n_examples)
    ]
    if len(uncoded) < n_themes:
        return pd.DataFrame(columns=columns)
    return _factorise(uncoded, n_themes, seed, n_terms, n_examples, columns)


def _factorise(uncoded, n_themes, seed, n_terms, n_examples, columns) -> pd.DataFrame:
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english",
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2 if len(uncoded) >= 20 else 1,
    )
    try:
        x = vectorizer.fit_transform(uncoded.to_numpy())
    except ValueError:  # empty vocabulary (only stop words or digits)
        return pd.DataFrame(columns=columns)
    if x.shape[1] < n_themes:
        return pd.DataFrame(columns=columns)
    nmf = NMF(n_components=n_themes, init="nndsvda", random_state=seed, max_iter=500)
    weights = nmf.fit_transform(x)
    terms = vectorizer.get_feature_names_out()
    strongest = weights.max(axis=1)
    assigned = np.where(strongest > 0, weights.argmax(axis=1), -1)
    rows = []
    for c in range(n_themes):
        top = np.argsort(-nmf.components_[c], kind="stable")[:n_terms]
        members = np.flatnonzero(assigned == c)
        best = members[np.argsort(-weights[members, c], kind="stable")][:n_examples]
        examples = list(uncoded.to_numpy()[best]) + [np.nan] * (n_examples - len(best))
        rows.append(
            [c + 1, ", ".join(terms[top]), len(members), len(members) / len(uncoded), *examples]
        )
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["n_comments", "candidate"], ascending=[False, True], ignore_index=True)
