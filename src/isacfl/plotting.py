"""Shared plotting conventions: one colour and marker per strategy, and the book's style.

Plot functions elsewhere in the package take a matplotlib ``ax`` and return it. Call
:func:`use_style` once at the top of a chapter; importing this module changes no global state.
"""

from __future__ import annotations

from importlib import resources

import matplotlib.pyplot as plt

__all__ = ["STRATEGY_COLORS", "STRATEGY_LABELS", "STRATEGY_MARKERS", "STRATEGY_ORDER", "use_style",
           "strategy_color", "strategy_label"]

#: Order in which strategies appear in legends and bar groups.
STRATEGY_ORDER = ("proposed", "golden", "maxsensing", "maxcomm", "uniform", "ratio", "centralised")

#: One colour per strategy everywhere in the book (colour-blind-safe Okabe-Ito palette).
STRATEGY_COLORS = {
    "proposed": "#D55E00",
    "golden": "#CC79A7",
    "maxsensing": "#0072B2",
    "maxcomm": "#009E73",
    "uniform": "#E69F00",
    "ratio": "#56B4E9",
    "centralised": "#000000",
}

#: Legend label of every strategy.
STRATEGY_LABELS = {
    "proposed": "Proposed (certified optimum)",
    "golden": "Proposed (golden-section, as in the paper)",
    "maxsensing": "MaxSensing",
    "maxcomm": "MaxComm",
    "uniform": "Uniform",
    "ratio": "Fixed ratio",
    "centralised": "Centralised, noise-free",
}

#: Marker of every strategy, so that figures stay readable in greyscale.
STRATEGY_MARKERS = {
    "proposed": "o",
    "golden": "D",
    "maxsensing": "s",
    "maxcomm": "^",
    "uniform": "v",
    "ratio": "P",
    "centralised": "*",
}


def strategy_color(strategy: str) -> str:
    """Return the colour of ``strategy``; unknown names raise ``ValueError``."""
    try:
        return STRATEGY_COLORS[strategy]
    except KeyError:
        raise ValueError(f"strategy must be one of {list(STRATEGY_COLORS)}, got {strategy!r}") from None


def strategy_label(strategy: str) -> str:
    """Return the legend label of ``strategy``; unknown names raise ``ValueError``."""
    try:
        return STRATEGY_LABELS[strategy]
    except KeyError:
        raise ValueError(f"strategy must be one of {list(STRATEGY_LABELS)}, got {strategy!r}") from None


def use_style() -> None:
    """Apply the book's matplotlib style (``isacfl.mplstyle``) to the current session."""
    with resources.as_file(resources.files(__package__) / "isacfl.mplstyle") as path:
        plt.style.use(str(path))
