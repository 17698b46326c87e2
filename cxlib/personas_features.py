"""Step 2, the inputs of segmentation: behavioural columns turned into scaled features.

Split from :mod:`cxlib.personas` (which re-exports everything here) by concern. Compute
layer: no IO, no printing, no rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxlib._stats_common import check_columns, check_frame
from cxlib.errors import CxError

__all__ = ["PersonaError", "PersonaFeatures", "numeric_feature", "persona_features"]


class PersonaError(CxError, ValueError):
    """The customers table or the personas settings cannot produce personas."""


@dataclass(frozen=True, eq=False)
class PersonaFeatures:
    """Scaled behavioural features, one row per customer.

    Attributes
    ----------
    values : pandas.DataFrame
        Scaled features indexed by customer id; one column per numeric feature and one
        0/1 column per level of a categorical feature (named ``feature=level``).
    transforms : pandas.DataFrame
        One row per output column: ``column``, ``feature`` (source column),
        ``transform`` (``numeric``, ``log1p``, ``binary`` (0/1) or ``one_hot``), ``center``
        (mean) and ``scale`` (standard deviation), in transformed units, and
        ``n_missing`` (values imputed by the median).
    """

    values: pd.DataFrame
    transforms: pd.DataFrame


def persona_features(
    customers: pd.DataFrame,
    *,
    features: Sequence[str],
    customer_id: str = "customer_id",
    log: str | Sequence[str] = "auto",
    skew_threshold: float = 1.0,
) -> PersonaFeatures:
    r"""Turn behavioural columns into scaled features for segmentation.

    Numeric columns (and text columns holding numbers, see :func:`numeric_feature`) are
    standardised, after a log transform when they are skewed money or count columns;
    categorical columns (such as the primary channel) become one 0/1 indicator per level.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customers table, one row per customer.
    features : sequence of str
        Behavioural columns (``personas.features`` in engagement.yaml).
    customer_id : str, default "customer_id"
        Unique customer key; becomes the index of ``values``.
    log : "auto" or sequence of str, default "auto"
        Columns to log-transform; ``"auto"`` picks non-negative numeric columns whose
        sample skewness exceeds ``skew_threshold``.
    skew_threshold : float, default 1.0
        Skewness above which ``log="auto"`` applies :math:`\log(1 + x)`.

    Returns
    -------
    PersonaFeatures
        The scaled matrix and a table documenting every transform.

    Raises
    ------
    PersonaError
        If no features are given, ids repeat, or a log column has negative values.
    ValueError
        If a column is missing.

    Notes
    -----
    Numeric and 0/1 columns: :math:`z = (x' - \bar x') / s(x')` (population standard
    deviation, 1 when it is 0), with :math:`x' = \log(1 + x)` for skewed columns, which
    stops a few very large accounts from deciding the personas on their own. Missing
    values are replaced by the median before scaling (counted in ``n_missing``) so every
    customer gets a persona. Indicators of categorical levels stay 0/1 (a missing
    category gives all-zero indicators), so two customers in different channels are
    :math:`\sqrt 2` apart, like 1.4 standard deviations of one numeric feature, and a
    rare level cannot dominate. A robust (median/IQR) scale was tried and rejected: a
    0/1 or count column with an IQR of 0 falls back to an arbitrary scale.

    References
    ----------
    Hastie, T., Tibshirani, R., & Friedman, J. (2009). The Elements of Statistical
    Learning (2nd ed.), section 14.3.3. Springer. doi:10.1007/978-0-387-84858-7

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"customer_id": [1, 2, 3, 4], "tenure": [1, 2, 3, 4],
    ...                    "channel": ["web", "app", "web", "web"]})
    >>> out = persona_features(df, features=["tenure", "channel"])
    >>> list(out.values.columns), out.values["tenure"].round(2).tolist()
    (['tenure', 'channel=app', 'channel=web'], [-1.34, -0.45, 0.45, 1.34])
    """
    check_frame(customers, "customers")
    features = list(features)
    if not features:
        raise PersonaError(
            "personas.features in engagement.yaml is empty: list the behavioural columns "
            "of the customers table to segment on (e.g. tenure_months, annual_revenue)"
        )
    check_columns(customers, [customer_id, *features])
    ids = customers[customer_id]
    if ids.duplicated().any():
        raise PersonaError(
            f"customers: {customer_id!r} repeats, e.g. {ids[ids.duplicated()].iloc[0]!r}"
        )
    logged = set(features if log == "auto" else log)
    cols: dict[str, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    for name in features:
        series = customers[name]
        numbers = numeric_feature(series)
        if numbers is not None:
            x = numbers.to_numpy(dtype=float, na_value=np.nan)
            kind = "binary" if set(np.unique(x[~np.isnan(x)])) <= {0.0, 1.0} else "numeric"
            if kind == "numeric" and name in logged:
                kind = _log_kind(x, name, log == "auto", skew_threshold)
            cols[name], row = _standardise(np.log1p(x) if kind == "log1p" else x)
            rows.append({"column": name, "feature": name, "transform": kind, **row})
        else:
            text = series.astype("string")
            for level in sorted(text.dropna().unique()):
                column = f"{name}={level}"
                cols[column] = (text == level).fillna(False).to_numpy(dtype=float)
                rows.append(
                    {
                        "column": column,
                        "feature": name,
                        "transform": "one_hot",
                        "center": 0.0,
                        "scale": 1.0,
                        "n_missing": int(text.isna().sum()),
                    }
                )
    values = pd.DataFrame(cols, index=pd.Index(ids.to_numpy(), name=customer_id))
    return PersonaFeatures(values=values, transforms=pd.DataFrame(rows))


def numeric_feature(series: pd.Series) -> pd.Series | None:
    """Return a feature column as numbers, or None when it is categorical.

    Numeric and true/false columns are numbers. Extra columns of the customers table
    arrive from ingest as text; a text column whose every non-blank value reads as a
    number is converted (so ``"2.5"`` is 2.5), any other text column is categorical.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_feature(pd.Series(["1", " 2.5", None])).tolist()
    [1.0, 2.5, nan]
    >>> numeric_feature(pd.Series(["app", "web"])) is None
    True
    """
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = series.astype("string").str.strip().replace("", pd.NA)
    parsed = pd.to_numeric(text, errors="coerce")
    if parsed.notna().sum() == text.notna().sum() and text.notna().any():
        return parsed.astype(float)
    return None


def _log_kind(x: np.ndarray, name: str, auto: bool, threshold: float) -> str:
    finite = x[~np.isnan(x)]
    if finite.size and finite.min() < 0:
        if auto:
            return "numeric"
        raise PersonaError(f"cannot log-transform {name!r}: it has negative values")
    if not auto:
        return "log1p"
    skew = pd.Series(finite).skew() if finite.size > 2 else 0.0
    return "log1p" if np.isfinite(skew) and skew > threshold else "numeric"


def _standardise(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    missing = np.isnan(x)
    x = np.where(missing, np.median(x[~missing]) if (~missing).any() else 0.0, x)
    center = float(np.mean(x))
    scale = float(np.std(x)) or 1.0
    return (x - center) / scale, {
        "center": center,
        "scale": scale,
        "n_missing": int(missing.sum()),
    }
