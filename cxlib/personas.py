"""Step 2: personas from behaviour (k-means, k chosen by silhouette and stability) or rules.

Compute layer: DataFrames in, tidy DataFrames and frozen result objects out; no IO, no
printing, no rounding. Segmentation works on scaled behavioural features of the customers
table; :mod:`cxlib.personas_profile` then profiles every persona against the whole base.

Persona order. Clusters are numbered by descending size (ties by the first customer in the
table), so persona 1 is always the largest; the consultant's cards in ``personas.cards``
name them in that order. Rule personas keep the order of ``personas.rules``; a card whose
name equals a rule's name is matched to that rule wherever it is listed.
"""

from __future__ import annotations

import html
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlib._stats_common import check_columns, check_frame
from cxlib.config import PersonaCard, PersonaRule, Personas
from cxlib.personas_features import (
    PersonaError,
    PersonaFeatures,
    numeric_feature,
    persona_features,
)

__all__ = [
    "OTHER",
    "PersonaError",
    "PersonaFeatures",
    "PersonaModel",
    "assign_rules",
    "build",
    "match_cards",
    "numeric_feature",
    "persona_features",
    "segment",
    "select_k",
]

#: Name of the persona holding customers that no rule matches.
OTHER = "Everyone else"
_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if value is pd.NA or value is None:
        return None
    return value


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]


# --------------------------------------------------------------------------- choosing k


def _matrix(features: PersonaFeatures | pd.DataFrame) -> np.ndarray:
    frame = features.values if isinstance(features, PersonaFeatures) else features
    check_frame(frame, "features")
    x = frame.to_numpy(dtype=float)
    if x.ndim != 2 or x.shape[1] == 0 or np.isnan(x).any():
        raise PersonaError("features must be a non-empty numeric table without missing values")
    return x


def _kmeans(k: int, seed: int, n_init: int):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=seed)


def _one_thread():
    """Run scikit-learn's OpenMP and BLAS loops on one thread.

    On a busy machine (several kernels of a batch run, two cores) OpenMP threads spin
    against each other: k-means on 5,000 customers measured 40 times slower with the
    default thread count than with one thread.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def select_k(
    features: PersonaFeatures | pd.DataFrame,
    *,
    k_range: tuple[int, int] = (2, 7),
    seed: int = 0,
    n_resamples: int = 10,
    max_sample: int = 10_000,
    silhouette_sample: int = 3_000,
    min_stability: float = 0.8,
) -> pd.DataFrame:
    r"""Score every candidate number of personas by silhouette and by stability.

    A good segmentation has personas that are well separated (silhouette) and that come
    back when the data are resampled (stability). The chosen k has the best silhouette
    among the stable ones.

    Parameters
    ----------
    features : PersonaFeatures or pandas.DataFrame
        Scaled features (see :func:`persona_features`).
    k_range : (int, int), default (2, 7)
        Smallest and largest k tried, inclusive.
    seed : int, default 0
        Seed for the subsample, k-means starts and resamples.
    n_resamples : int, default 10
        Bootstrap resamples per k for the stability score.
    max_sample : int, default 10000
        Customers (drawn at random) used to choose k; larger bases are subsampled.
    silhouette_sample : int, default 3000
        Customers (one seeded random subset, the same for every k) used for the
        silhouette, which costs :math:`O(n^2)`: their distances are computed once.
    min_stability : float, default 0.8
        Mean adjusted Rand index a k needs to count as stable.

    Returns
    -------
    pandas.DataFrame
        One row per k: ``k``, ``n`` (customers used), ``silhouette`` (mean silhouette
        width, -1..1), ``stability`` (mean adjusted Rand index over resamples),
        ``stability_sd``, ``stable`` (``stability >= min_stability``) and ``chosen``.

    Raises
    ------
    PersonaError
        If the range is invalid or there are too few customers.

    Notes
    -----
    Reference clustering: k-means (k-means++, 4 starts) on the sample. Each resample
    draws the sample with replacement, fits k-means (one start) and labels every sampled
    customer by its nearest centre; stability is the mean adjusted Rand index (Hubert &
    Arabie 1985) between those labels and the reference (Lange et al. 2004; Hennig 2007).
    ARI is 1 for identical partitions and about 0 for chance agreement. Choice: the
    highest silhouette (Rousseeuw 1987) among stable k; if none is stable, the most
    stable k.

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes. Journal of Computational and Applied
    Mathematics, 20, 53-65. doi:10.1016/0377-0427(87)90125-7

    Hubert, L., & Arabie, P. (1985). Comparing partitions. Journal of Classification,
    2(1), 193-218. doi:10.1007/BF01908075

    Lange, T., Roth, V., Braun, M. L., & Buhmann, J. M. (2004). Stability-based validation
    of clustering solutions. Neural Computation, 16(6), 1299-1323.
    doi:10.1162/089976604773717621

    Hennig, C. (2007). Cluster-wise assessment of cluster stability. Computational
    Statistics & Data Analysis, 52(1), 258-271. doi:10.1016/j.csda.2006.11.025

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = np.vstack([rng.normal(c, 0.3, size=(60, 2)) for c in (0, 4, 8)])
    >>> out = select_k(pd.DataFrame(x), k_range=(2, 4), n_resamples=5)
    >>> int(out.loc[out["chosen"], "k"].iloc[0])
    3
    """
    x = _matrix(features)
    lo, hi = (int(v) for v in k_range)
    if not 2 <= lo <= hi:
        raise PersonaError(
            f"personas.k_range must be two numbers 2 <= low <= high, found {k_range}"
        )
    if hi >= x.shape[0]:
        raise PersonaError(f"{x.shape[0]} customers are too few to try {hi} personas")
    if n_resamples < 2:
        raise ValueError("n_resamples must be at least 2")
    rng = np.random.default_rng(seed)
    if x.shape[0] > max_sample:
        x = x[np.sort(rng.choice(x.shape[0], max_sample, replace=False))]
    with _one_thread():
        from sklearn.metrics import pairwise_distances

        m = min(silhouette_sample, x.shape[0])
        sil_rows = np.sort(rng.choice(x.shape[0], m, replace=False))
        dist = pairwise_distances(x[sil_rows])
        rows = [_score_k(x, k, seed, rng, n_resamples, sil_rows, dist) for k in range(lo, hi + 1)]
    out = pd.DataFrame(rows)
    out["stable"] = out["stability"] >= min_stability
    pool = out[out["stable"]] if out["stable"].any() else out
    best = pool["silhouette" if out["stable"].any() else "stability"].idxmax()
    out["chosen"] = out.index == best
    return out


def _score_k(x, k, seed, rng, n_resamples, sil_rows, dist) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    ref = _kmeans(k, seed, 4).fit(x).labels_
    labels = ref[sil_rows]
    sil = silhouette_score(dist, labels, metric="precomputed") if len(set(labels)) > 1 else np.nan
    draws = rng.integers(0, x.shape[0], (n_resamples, x.shape[0]))
    aris = [
        adjusted_rand_score(ref, _kmeans(k, seed + b + 1, 1).fit(x[idx]).predict(x))
        for b, idx in enumerate(draws)
    ]
    return {"k": k, "n": x.shape[0], "silhouette": float(sil), "stability": float(np.mean(aris)),
            "stability_sd": float(np.std(aris, ddof=1))}  # fmt: skip


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class PersonaModel:
    """Personas and how they were made.

    Attributes
    ----------
    assignments : pandas.DataFrame
        ``customer_id``, ``persona_id`` (1..k, persona order) and ``persona`` (name).
    personas : pandas.DataFrame
        One row per persona in order: ``persona_id``, ``persona``, ``n`` (customers),
        ``share`` (of the base, 0..1).
    method : str
        ``"clusters"`` or ``"rules"``.
    k : int
        Number of personas (with rules, including "Everyone else" when it has members).
    reason : str
        Why this k: ``"forced"`` (set in engagement.yaml), ``"best_silhouette_stable"``,
        ``"most_stable"`` (no k reached the stability bar) or ``"rules"``.
    selection : pandas.DataFrame or None
        The :func:`select_k` table (clusters only, None when k was forced or rules used).
    transforms : pandas.DataFrame or None
        The :attr:`PersonaFeatures.transforms` table (clusters only).
    seed : int
        Seed used.
    min_stability : float
        Stability bar used to choose k.
    centres : pandas.DataFrame or None
        Mean scaled feature of each persona (index ``persona_id``; clusters only), in
        standard deviations from the base mean.
    """

    assignments: pd.DataFrame
    personas: pd.DataFrame
    method: str
    k: int
    reason: str
    selection: pd.DataFrame | None = field(default=None, repr=False)
    transforms: pd.DataFrame | None = field(default=None, repr=False)
    seed: int = 0
    min_stability: float = 0.8
    centres: pd.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the model (without per-customer assignments) as plain Python types."""
        return {
            "method": self.method,
            "k": int(self.k),
            "reason": self.reason,
            "seed": int(self.seed),
            "min_stability": float(self.min_stability),
            "personas": _records(self.personas),
            "selection": _records(self.selection),
            "transforms": _records(self.transforms),
            "centres": _records(None if self.centres is None else self.centres.reset_index()),
        }

    def _repr_html_(self) -> str:
        head = (
            f"<p><strong>{self.k} personas</strong> ({html.escape(self.method)}, "
            f"{html.escape(self.reason)})</p>"
        )
        return head + self.personas.to_html(index=False, escape=True)


def _persona_table(assign: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    counts = assign["persona_id"].value_counts().reindex(range(1, len(names) + 1), fill_value=0)
    table = pd.DataFrame(
        {
            "persona_id": np.arange(1, len(names) + 1),
            "persona": names,
            "n": counts.to_numpy(dtype=np.int64),
        }
    )
    table["share"] = table["n"] / max(len(assign), 1)
    return table


def segment(
    customers: pd.DataFrame,
    *,
    features: Sequence[str],
    customer_id: str = "customer_id",
    k_range: tuple[int, int] = (2, 7),
    k: int | None = None,
    cards: Sequence[PersonaCard] = (),
    seed: int = 0,
    n_resamples: int = 10,
    max_sample: int = 10_000,
    min_stability: float = 0.8,
) -> PersonaModel:
    """Find behavioural personas with k-means on scaled features.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customers table.
    features : sequence of str
        Behavioural columns (see :func:`persona_features`).
    customer_id : str, default "customer_id"
        Unique customer key.
    k_range : (int, int), default (2, 7)
        Candidate numbers of personas, when ``k`` is not set.
    k : int, optional
        Force this many personas (the selection table is then not computed).
    cards : sequence of PersonaCard, optional
        The consultant's cards (``personas.cards``); they name the personas, matched as
        :func:`match_cards` describes. Personas without a card are "Persona N".
    seed, n_resamples, max_sample, min_stability
        As in :func:`select_k`.

    Returns
    -------
    PersonaModel
        Assignments ordered so that persona 1 is the largest.

    Raises
    ------
    PersonaError
        As :func:`persona_features` and :func:`select_k`.

    Notes
    -----
    The final model is k-means (k-means++ starts, 4 restarts, Arthur & Vassilvitskii
    2007) on every customer. Clusters are renumbered by descending size, ties broken by
    the first customer in table order, so the same data and seed give the same personas.

    References
    ----------
    Arthur, D., & Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding.
    Proceedings of SODA 2007, 1027-1035. doi:10.5555/1283383.1283494

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"customer_id": range(90),
    ...     "tenure": np.r_[rng.normal(5, 1, 60), rng.normal(40, 2, 30)]})
    >>> from cxlib.config import PersonaCard
    >>> cards = [PersonaCard(name="Loyal", match={"tenure": "high"}), PersonaCard(name="New")]
    >>> model = segment(df, features=["tenure"], k=2, cards=cards)
    >>> model.personas[["persona", "n"]].values.tolist()
    [['New', 60], ['Loyal', 30]]
    """
    prepared = persona_features(customers, features=features, customer_id=customer_id)
    x = prepared.values.to_numpy(dtype=float)
    selection = None
    if k is None:
        selection = select_k(
            prepared,
            k_range=k_range,
            seed=seed,
            n_resamples=n_resamples,
            max_sample=max_sample,
            min_stability=min_stability,
        )
        chosen = int(selection.loc[selection["chosen"], "k"].iloc[0])
        reason = "best_silhouette_stable" if selection["stable"].any() else "most_stable"
    else:
        if int(k) < 2 or int(k) >= x.shape[0]:
            raise PersonaError(
                f"personas.k = {k} needs 2 <= k < number of customers ({x.shape[0]})"
            )
        chosen, reason = int(k), "forced"
    with _one_thread():
        labels = _kmeans(chosen, seed, 4).fit(x).labels_
    sizes = np.bincount(labels, minlength=chosen)
    first = np.array(
        [np.flatnonzero(labels == c).min() if sizes[c] else x.shape[0] for c in range(chosen)]
    )
    order = np.lexsort((first, -sizes))
    rank = np.empty(chosen, dtype=np.int64)
    rank[order] = np.arange(1, chosen + 1)
    pid = rank[labels]
    centres = prepared.values.groupby(pid).mean().rename_axis("persona_id")
    slots = _card_slots(centres, cards)
    persona_names = [cards[j].name if j is not None else f"Persona {i + 1}"
                     for i, j in enumerate(slots)]  # fmt: skip
    assign = pd.DataFrame(
        {
            customer_id: prepared.values.index.to_numpy(),
            "persona_id": pid,
            "persona": np.asarray(persona_names, dtype=object)[pid - 1],
        }
    )
    return PersonaModel(
        assign,
        _persona_table(assign, persona_names),
        "clusters",
        chosen,
        reason,
        selection,
        prepared.transforms,
        int(seed),
        float(min_stability),
        centres,
    )


def _card_slots(centres: pd.DataFrame, cards: Sequence[PersonaCard]) -> list[int | None]:
    """Index of the card for each cluster (persona order), or None."""
    cards = list(cards)
    k = len(centres)
    slots: list[int | None] = [None] * k
    matched = [i for i, c in enumerate(cards) if c.match]
    if matched:
        from scipy.optimize import linear_sum_assignment

        score = np.zeros((len(matched), k))
        for row, i in enumerate(matched):
            for feature, side in cards[i].match.items():
                if feature not in centres.columns:
                    raise PersonaError(
                        f"persona card {cards[i].name!r} matches on {feature!r}, which is not "
                        f"a segmentation feature ({', '.join(map(str, centres.columns))})"
                    )
                sign = 1.0 if side == "high" else -1.0
                score[row] += sign * centres[feature].to_numpy(dtype=float)
        rows, cols = linear_sum_assignment(-score)
        for row, col in zip(rows, cols, strict=True):
            slots[col] = matched[row]
    rest = iter(i for i, c in enumerate(cards) if not c.match)
    return [slot if slot is not None else next(rest, None) for slot in slots]


def assign_rules(
    customers: pd.DataFrame,
    rules: Sequence[PersonaRule],
    *,
    responses: pd.DataFrame | None = None,
    customer_id: str = "customer_id",
) -> PersonaModel:
    """Assign consultant-defined personas: the first rule a customer meets wins.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customers table.
    rules : sequence of PersonaRule
        ``personas.rules`` from engagement.yaml, in order.
    responses : pandas.DataFrame, optional
        Needed only when a condition names the responses table.
    customer_id : str, default "customer_id"
        Customer key in both tables.

    Returns
    -------
    PersonaModel
        Personas in rule order, then "Everyone else" for customers no rule matches
        (only when there are such customers).

    Raises
    ------
    PersonaError
        If there are no rules, a column is missing or a comparison is impossible.

    Notes
    -----
    A customer meets a rule when every condition holds. A condition on the responses
    table holds when any of the customer's responses meets it. Missing values never meet
    a condition. A numeric condition on a text column whose values are all numbers (an
    extra column as ingest delivers it) compares the numbers; on other text it is an
    error rather than a silent "no".

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import PersonaRule
    >>> df = pd.DataFrame({"customer_id": [1, 2, 3], "tenure_months": [2, 30, 50]})
    >>> rule = PersonaRule(name="Loyal", conditions=[{"table": "customers",
    ...     "column": "tenure_months", "op": ">=", "value": 24}])
    >>> assign_rules(df, [rule]).assignments["persona"].tolist()
    ['Everyone else', 'Loyal', 'Loyal']
    """
    check_frame(customers, "customers")
    if not rules:
        raise PersonaError("personas.method is rules but personas.rules is empty")
    check_columns(customers, [customer_id])
    ids = customers[customer_id]
    pid = np.zeros(len(customers), dtype=np.int64)
    for number, rule in enumerate(rules, start=1):
        met = np.ones(len(customers), dtype=bool)
        for cond in rule.conditions:
            met &= _condition(customers, responses, cond, ids, customer_id, rule.name)
        pid = np.where((pid == 0) & met, number, pid)
    names = [r.name for r in rules]
    if (pid == 0).any():
        names.append(OTHER)
        pid = np.where(pid == 0, len(names), pid)
    assign = pd.DataFrame(
        {
            customer_id: ids.to_numpy(),
            "persona_id": pid,
            "persona": np.asarray(names, dtype=object)[pid - 1],
        }
    )
    return PersonaModel(assign, _persona_table(assign, names), "rules", len(names), "rules")


def _condition(customers, responses, cond, ids, customer_id, rule) -> np.ndarray:
    frame = customers if cond.table == "customers" else responses
    if frame is None:
        raise PersonaError(f"rule {rule!r} needs the responses table, which is not available")
    if cond.column not in frame.columns:
        raise PersonaError(f"rule {rule!r}: {cond.table} has no column {cond.column!r}")
    column = frame[cond.column]
    number = isinstance(cond.value, int | float) and not isinstance(cond.value, bool)
    if number and not pd.api.types.is_numeric_dtype(column):
        column = numeric_feature(column)  # extra columns arrive from ingest as text
        if column is None:
            raise PersonaError(
                f"rule {rule!r}: {cond.table}.{cond.column} holds text, not numbers, so it "
                f"cannot be compared with {cond.value!r}"
            )
    try:
        met = _OPS[cond.op](column, cond.value).fillna(False).to_numpy(dtype=bool)
    except TypeError as exc:
        raise PersonaError(
            f"rule {rule!r}: cannot compare {cond.table}.{cond.column} "
            f"({frame[cond.column].dtype}) with {cond.value!r}"
        ) from exc
    if cond.table == "customers":
        return met
    return ids.isin(frame.loc[met, customer_id]).to_numpy()


def build(
    customers: pd.DataFrame,
    settings: Personas,
    *,
    responses: pd.DataFrame | None = None,
    customer_id: str = "customer_id",
    n_resamples: int = 10,
    max_sample: int = 10_000,
    min_stability: float = 0.8,
) -> PersonaModel:
    """Make the personas the engagement asks for (``personas:`` in engagement.yaml).

    Parameters
    ----------
    customers : pandas.DataFrame
        The customers table.
    settings : Personas
        The ``personas:`` section: method, features, k_range, k, seed, rules, cards.
    responses : pandas.DataFrame, optional
        For rules on responses.
    customer_id : str, default "customer_id"
        Customer key.
    n_resamples, max_sample, min_stability
        As in :func:`select_k`.

    Returns
    -------
    PersonaModel
        From :func:`segment` (named by the cards) or
        :func:`assign_rules`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Personas
    >>> df = pd.DataFrame({"customer_id": range(6), "spend": [1, 1, 2, 50, 51, 52]})
    >>> build(df, Personas(features=["spend"], k=2)).personas["n"].tolist()
    [3, 3]
    """
    if settings.method == "rules":
        return assign_rules(
            customers, settings.rules, responses=responses, customer_id=customer_id
        )
    return segment(
        customers,
        features=settings.features,
        customer_id=customer_id,
        k_range=settings.k_range,
        k=settings.k,
        seed=settings.seed,
        cards=settings.cards,
        n_resamples=n_resamples,
        max_sample=max_sample,
        min_stability=min_stability,
    )


def match_cards(model: PersonaModel, cards: Sequence[PersonaCard]) -> list[PersonaCard | None]:
    """Return the consultant's card for each persona, in persona order (None if none).

    Clusters: cards with ``match`` (features the persona stands out on, high or low) are
    assigned to the clusters whose centres fit them best (Hungarian assignment on the
    summed signed centres, Kuhn 1955); the other cards name the remaining clusters in
    order of size. Rules: a card whose name equals a rule's name goes to that rule;
    otherwise cards are taken in order. Cards beyond the number of personas are unused.

    Parameters
    ----------
    model : PersonaModel
        The personas.
    cards : sequence of PersonaCard
        ``personas.cards`` from engagement.yaml.

    Returns
    -------
    list of PersonaCard or None
        One entry per persona, in persona order.

    Raises
    ------
    PersonaError
        If a card matches on a feature that was not used for segmentation.

    References
    ----------
    Kuhn, H. W. (1955). The Hungarian method for the assignment problem. Naval Research
    Logistics Quarterly, 2(1-2), 83-97. doi:10.1002/nav.3800020109

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import PersonaCard
    >>> table = pd.DataFrame({"persona_id": [1, 2], "persona": ["A", "B"], "n": [1, 1]})
    >>> model = PersonaModel(table, table, "rules", 2, "rules")
    >>> [c.name if c else None for c in match_cards(model, [PersonaCard(name="B")])]
    [None, 'B']
    """
    cards = list(cards)
    names = model.personas["persona"].tolist()
    if model.method == "clusters" and model.centres is not None:
        return [None if j is None else cards[j] for j in _card_slots(model.centres, cards)]
    by_name = {c.name: c for c in cards}
    if set(by_name) & set(names):
        return [by_name.get(n) for n in names]
    return [cards[i] if i < len(cards) else None for i in range(len(names))]
