"""The kit's chart look: a colour-blind-safe palette and a matplotlib/seaborn theme from the brand.

This module is part of the presentation layer. It is organised in sections:

1. colour maths (WCAG contrast, CIELAB distance, colour-vision-deficiency simulation);
2. the brand palette;
3. the theme (``theme_rc``, the scoped ``theme`` and the session-wide ``use_theme``);
4. charts (standard plotting functions, one signature shape: data first, keyword-only roles,
   ``ax`` in, Axes out).

Nothing here calls ``plt.show()`` or ``matplotlib.use()``: the notebook's inline backend shows
figures, and the runner's environment decides the backend. matplotlib and seaborn are imported
when a theme is built, so the colour functions stay cheap to import (the report renderer uses
them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from cxlib.config import Branding

__all__ = [
    "MUTED",
    "OKABE_ITO",
    "SMALL_ALPHA",
    "SMALL_HATCH",
    "cycle_colours",
    "empty_chart",
    "mark_small",
    "new_axes",
    "require_columns",
    "small_base_handle",
    "brand_palette",
    "contrast_ratio",
    "readable_text_on",
    "theme",
    "theme_rc",
    "use_theme",
]

# --------------------------------------------------------------------------------------------
# 1. Colour maths
# --------------------------------------------------------------------------------------------

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB.
_CVD_MATRICES = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}

# Linear sRGB to CIE XYZ (IEC 61966-2-1), and the D65 reference white.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_D65 = np.array([0.95047, 1.0, 1.08883])


def _rgb(color: str) -> np.ndarray:
    """Parse ``#RGB`` or ``#RRGGBB`` into sRGB components in [0, 1]."""
    if not isinstance(color, str):
        raise TypeError(f"expected a colour like '#1F4E79', found {type(color).__name__}")
    if not _HEX.match(color):
        raise ValueError(f"expected a colour like '#1F4E79', found {color!r}")
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return np.array([int(digits[i : i + 2], 16) / 255.0 for i in (0, 2, 4)])


def _linear(srgb: np.ndarray) -> np.ndarray:
    """Undo the sRGB transfer curve (WCAG 2.x threshold 0.03928)."""
    return np.where(srgb <= 0.03928, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _luminance(color: str) -> float:
    return float(np.dot([0.2126, 0.7152, 0.0722], _linear(_rgb(color))))


def _lab(color: str, vision: str = "normal") -> np.ndarray:
    """CIELAB (D65) of a colour, as seen with normal vision or a simulated deficiency."""
    lin = _linear(_rgb(color))
    if vision != "normal":
        lin = np.clip(_CVD_MATRICES[vision] @ lin, 0.0, 1.0)
    xyz = (_RGB_TO_XYZ @ lin) / _D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _min_delta_e(a: str, b: str) -> float:
    """Smallest CIE76 distance between two colours over normal vision and the three CVDs."""
    visions = ("normal", *_CVD_MATRICES)
    return min(float(np.linalg.norm(_lab(a, v) - _lab(b, v))) for v in visions)


def contrast_ratio(fg: str, bg: str) -> float:
    r"""WCAG 2.x contrast ratio between a text colour and a background colour.

    The ratio runs from 1 (no contrast) to 21 (black on white). WCAG AA asks for at least 4.5
    for body text and 3 for large text and chart elements.

    Parameters
    ----------
    fg, bg : str
        Colours as ``#RRGGBB`` or ``#RGB``. The ratio is symmetric, so the order only matters
        for readability of the call.

    Returns
    -------
    float
        ``(L1 + 0.05) / (L2 + 0.05)`` with ``L1`` the lighter relative luminance.

    Raises
    ------
    TypeError
        If a colour is not a string.
    ValueError
        If a colour is not a hex colour.

    See Also
    --------
    readable_text_on : pick black or white text for a background.

    Notes
    -----
    Relative luminance is :math:`L = 0.2126 R + 0.7152 G + 0.0722 B` on linearised sRGB
    components, where a component :math:`c` in [0, 1] is linearised as :math:`c / 12.92` when
    :math:`c \le 0.03928` and :math:`((c + 0.055) / 1.055)^{2.4}` otherwise. The ratio is
    :math:`(L_1 + 0.05) / (L_2 + 0.05)`. Checked against the WCAG definition (black on white is
    exactly 21) and WebAIM's contrast checker (#777777 on white is 4.48).

    References
    ----------
    .. [1] W3C (2008, 2023). Web Content Accessibility Guidelines (WCAG) 2.1/2.2, definitions of
       "contrast ratio" and "relative luminance". https://www.w3.org/TR/WCAG22/

    Examples
    --------
    >>> contrast_ratio("#000000", "#FFFFFF")
    21.0
    >>> round(contrast_ratio("#777777", "#FFFFFF"), 2)
    4.48
    """
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return round((high + 0.05) / (low + 0.05), 12)


def readable_text_on(bg: str) -> str:
    """Return black or white, whichever reads better on a background colour.

    Parameters
    ----------
    bg : str
        Background colour as ``#RRGGBB`` or ``#RGB``.

    Returns
    -------
    str
        ``"#000000"`` or ``"#FFFFFF"``: the one with the higher WCAG contrast ratio
        (black on ties).

    Raises
    ------
    TypeError, ValueError
        As :func:`contrast_ratio`.

    Notes
    -----
    Compares :func:`contrast_ratio` of black and of white against ``bg``; the crossover sits at
    a relative luminance of about 0.179.

    References
    ----------
    .. [1] W3C. Web Content Accessibility Guidelines (WCAG) 2.2, success criterion 1.4.3.
       https://www.w3.org/TR/WCAG22/

    Examples
    --------
    >>> readable_text_on("#1F4E79")
    '#FFFFFF'
    >>> readable_text_on("#F2A900")
    '#000000'
    """
    black = contrast_ratio("#000000", bg)
    white = contrast_ratio("#FFFFFF", bg)
    return "#000000" if black >= white else "#FFFFFF"


# --------------------------------------------------------------------------------------------
# 2. Palette
# --------------------------------------------------------------------------------------------

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
"""The Okabe–Ito colour-universal-design set, reordered so the strongest hues come first."""

# seaborn's "colorblind" palette adds these three to the Okabe–Ito hues.
_SEABORN_EXTRAS = ("#CA9161", "#FBAFE4", "#949494")
_MIN_DELTA_E = 15.0
_RELAXED = (_MIN_DELTA_E, 10.0, 5.0, 1e-6)
_BACKGROUND = "#FFFFFF"
_MAX_COLOURS = 10


def brand_palette(brand: Branding, n: int = 8) -> list[str]:
    r"""Build a categorical palette that starts with the brand and stays colour-blind safe.

    The first colour is always the brand's primary colour, so a single-series chart is in the
    client's colour. The secondary colour follows when it can be told apart from the primary by
    readers with a colour-vision deficiency; the rest come from the Okabe–Ito set, skipping any
    hue that would be a near-duplicate of one already chosen.

    Parameters
    ----------
    brand : Branding
        The engagement's branding (``primary_color`` and ``secondary_color`` are used).
    n : int, default 8
        Number of colours, between 1 and 10. More than about eight categories are hard to tell
        apart in any palette; group the rest as "Other" instead.

    Returns
    -------
    list of str
        ``n`` distinct ``#RRGGBB`` colours (upper case), brand primary first.

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n`` is outside 1..10.

    See Also
    --------
    theme : applies the palette as matplotlib's colour cycle.

    Notes
    -----
    Greedy selection. Candidates in order: brand secondary, the Okabe–Ito colours
    (:data:`OKABE_ITO`), then the three extra hues of seaborn's ``colorblind`` palette. A
    candidate is accepted when its CIE76 distance :math:`\Delta E^*_{ab}` (CIELAB, D65) to every
    colour already chosen, and to the white page background, is at least 15 under normal vision
    and under simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009, severity
    1.0, on linear sRGB). The Okabe–Ito set itself clears 15 pairwise (its closest pairs, blue vs
    bluish green and sky blue vs bluish green under tritanopia, are 16–17 apart). When fewer than
    ``n`` colours pass, the threshold is relaxed to 10, then 5, then only exact duplicates are
    refused, so a brand colour that clashes with its secondary still yields ``n`` colours, with
    the clashing one pushed to the end.

    References
    ----------
    .. [1] Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make figures and
       presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
    .. [2] Machado, G. M., Oliveira, M. M. & Fernandes, L. A. F. (2009). A physiologically-based
       model for simulation of color vision deficiency. IEEE Transactions on Visualization and
       Computer Graphics, 15(6), 1291–1298. https://doi.org/10.1109/TVCG.2009.113
    .. [3] CIE 15:2004. Colorimetry, 3rd edition (CIELAB and the 1976 colour difference).

    Examples
    --------
    >>> from cxlib.config import Branding
    >>> brand_palette(Branding(client_name="Acme", primary_color="#1F4E79"), n=3)
    ['#1F4E79', '#F2A900', '#0072B2']
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer, found {type(n).__name__}")
    if not 1 <= n <= _MAX_COLOURS:
        raise ValueError(f"n must be between 1 and {_MAX_COLOURS}, found {n}")
    chosen = [brand.primary_color.upper()]
    candidates = [brand.secondary_color.upper(), *OKABE_ITO, *_SEABORN_EXTRAS]
    for threshold in _RELAXED:
        for colour in candidates:
            if len(chosen) == n:
                return chosen
            if colour in chosen:
                continue
            if all(_min_delta_e(colour, c) >= threshold for c in [*chosen, _BACKGROUND]):
                chosen.append(colour)
    if len(chosen) < n:  # only when the candidates hold exact duplicates of near-white colours
        chosen.extend(c for c in candidates if c not in chosen)
    return chosen[:n]


# --------------------------------------------------------------------------------------------
# 3. Theme
# --------------------------------------------------------------------------------------------

_CONTEXTS = ("paper", "notebook", "talk", "poster")
_GENERIC_FONTS = {
    "sans-serif": "DejaVu Sans",
    "serif": "DejaVu Serif",
    "monospace": "DejaVu Sans Mono",
}
_AXIS_GREY = "#8C8C8C"
_GRID_GREY = "#E6E6E6"


def _fonts(font_family: str) -> dict[str, Any]:
    """Turn a CSS font stack into matplotlib font settings, keeping installed fonts only."""
    from matplotlib import font_manager

    names = [part.strip().strip("'\"").strip() for part in font_family.split(",")]
    names = [name for name in names if name]
    generic = next((name for name in names if name in _GENERIC_FONTS), "sans-serif")
    installed = {font.name for font in font_manager.fontManager.ttflist}
    usable = [name for name in names if name in installed]
    fallback = _GENERIC_FONTS[generic]
    if fallback not in usable:
        usable.append(fallback)
    return {"font.family": [generic], f"font.{generic}": usable}


def theme_rc(brand: Branding, *, context: str = "notebook") -> dict[str, Any]:
    """Return the matplotlib rc settings of the client theme.

    Starts from seaborn's ``ticks`` style and the requested plotting context, then applies the
    brand: its palette as the colour cycle, its text colour, its fonts (those installed), no top
    or right spine, and a light horizontal grid behind the data.

    Parameters
    ----------
    brand : Branding
        The engagement's branding.
    context : {"paper", "notebook", "talk", "poster"}, default "notebook"
        seaborn's scaling of fonts and lines; ``talk`` suits slides.

    Returns
    -------
    dict
        rc parameters, ready for ``matplotlib.rc_context`` or ``rcParams.update``.

    Raises
    ------
    ValueError
        If ``context`` is not one of the four names.

    See Also
    --------
    theme : the same settings as a context manager.
    use_theme : the same settings for the rest of a session.

    Notes
    -----
    Fonts in ``brand.font_family`` that matplotlib cannot find are left out (matplotlib would
    otherwise log a warning for each one), and DejaVu, which ships with matplotlib, closes the
    list, so a chart renders identically on a machine without the brand fonts.

    Examples
    --------
    >>> from cxlib.config import Branding
    >>> rc = theme_rc(Branding(client_name="Acme"), context="talk")
    >>> rc["axes.prop_cycle"].by_key()["color"][0]
    '#1F4E79'
    >>> rc["axes.spines.top"]
    False
    """
    import seaborn as sns
    from cycler import cycler

    if context not in _CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(_CONTEXTS)}; found {context!r}")
    palette = brand_palette(brand)
    text = brand.text_color
    rc: dict[str, Any] = {**sns.axes_style("ticks"), **sns.plotting_context(context)}
    rc.update(_fonts(brand.font_family))
    rc.update(
        {
            "axes.prop_cycle": cycler(color=palette),
            "patch.facecolor": palette[0],
            "text.color": text,
            "axes.labelcolor": text,
            "axes.titlecolor": text,
            "xtick.color": text,
            "ytick.color": text,
            "axes.edgecolor": _AXIS_GREY,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "axes.axisbelow": True,
            "grid.color": _GRID_GREY,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "legend.frameon": False,
            "image.cmap": "viridis",
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
        }
    )
    return rc


@contextmanager
def theme(brand: Branding, *, context: str = "notebook") -> Iterator[list[str]]:
    """Apply the client theme inside a ``with`` block, like seaborn's ``axes_style``.

    Settings are restored when the block ends, so one notebook can draw a slide-sized chart
    (``context="talk"``) between regular ones.

    Parameters
    ----------
    brand : Branding
        The engagement's branding.
    context : {"paper", "notebook", "talk", "poster"}, default "notebook"
        seaborn's scaling of fonts and lines.

    Yields
    ------
    list of str
        The brand palette in use (the colour cycle), for charts that need explicit colours.

    Raises
    ------
    ValueError
        If ``context`` is not one of the four names.

    See Also
    --------
    use_theme : apply the theme for the rest of the session.
    theme_rc : the settings as a dict.

    Notes
    -----
    Implemented with ``matplotlib.rc_context``; figures created inside the block keep the look,
    and Axes created after it use whatever was active before.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from cxlib.config import Branding
    >>> with theme(Branding(client_name="Acme", primary_color="#7A1F5C")) as palette:
    ...     print(mpl.rcParams["axes.prop_cycle"].by_key()["color"][0], palette[0])
    #7A1F5C #7A1F5C
    """
    import matplotlib as mpl

    rc = theme_rc(brand, context=context)
    with mpl.rc_context(rc):
        yield list(rc["axes.prop_cycle"].by_key()["color"])


def use_theme(brand: Branding, *, context: str = "notebook") -> None:
    """Apply the client theme for the rest of a notebook session (like ``sns.set_theme``).

    Called once in a playbook's setup cell; every chart after it carries the brand. It
    returns nothing, so as the last line of a cell it leaves no output on the client page.

    Parameters
    ----------
    brand : Branding
        The engagement's branding.
    context : {"paper", "notebook", "talk", "poster"}, default "notebook"
        seaborn's scaling of fonts and lines.

    Raises
    ------
    ValueError
        If ``context`` is not one of the four names.

    See Also
    --------
    theme : the scoped version, which also yields the palette.
    brand_palette : the colour cycle it installs.

    Notes
    -----
    Updates ``matplotlib.rcParams`` in place; ``matplotlib.rcdefaults()`` undoes it.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from cxlib.config import Branding
    >>> brand = Branding(client_name="Acme")
    >>> with mpl.rc_context():
    ...     use_theme(brand)
    ...     print(mpl.rcParams["axes.prop_cycle"].by_key()["color"] == brand_palette(brand))
    True
    """
    import matplotlib as mpl

    mpl.rcParams.update(theme_rc(brand, context=context))


# --------------------------------------------------------------------------------------------
# 4. Chart building blocks, shared by the step chart modules (plots_voc, plots_journey, ...)
# --------------------------------------------------------------------------------------------

#: How every chart marks an estimate on a small base.
SMALL_HATCH = "///"
SMALL_ALPHA = 0.35
MUTED = "#8C8C8C"


def new_axes(ax: Any = None, *, size: tuple[float, float] = (8.0, 4.5)) -> Any:
    """Return ``ax``, or the Axes of a new figure of ``size`` inches when it is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def cycle_colours() -> list[str]:
    """Return the colours of the active theme's cycle (the brand palette under use_theme)."""
    import matplotlib as mpl

    return list(mpl.rcParams["axes.prop_cycle"].by_key()["color"])


def require_columns(table: Any, columns: Sequence[str], name: str) -> Any:
    """Check that ``table`` is a DataFrame with ``columns``; return it.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame.
    ValueError
        Naming the missing columns.
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame, found {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")
    return table


def small_base_handle(min_n: int) -> Any:
    """Return a legend handle that explains the small-base marking."""
    from matplotlib.patches import Patch

    label = f"Small base (n < {min_n}): indicative only"
    return Patch(facecolor="white", edgecolor=MUTED, hatch=SMALL_HATCH, label=label)


def mark_small(bars: Any, small: Sequence[bool]) -> None:
    """Hatch and fade the bars whose estimate rests on a small base."""
    for bar, flag in zip(bars, small, strict=True):
        if flag:
            bar.set_alpha(SMALL_ALPHA)
            bar.set_hatch(SMALL_HATCH)


def empty_chart(ax: Any, message: str, *, title: str) -> Any:
    """Write a short message in place of a chart when there is nothing to draw."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=MUTED)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
