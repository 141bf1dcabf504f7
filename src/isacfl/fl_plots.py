"""Plots of FL runs: learning curves over rounds, mean and 95 % band over seeds, per strategy.

Every function takes a matplotlib ``ax``, draws on it and returns it. Colours, markers and labels
come from :mod:`isacfl.plotting`, so a strategy looks the same in every chapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from .fl.history import History
from .plotting import STRATEGY_MARKERS, STRATEGY_ORDER, strategy_color, strategy_label
from .sweeps.stats import Interval, mean_interval

__all__ = ["METRIC_LABELS", "curve_interval", "final_values", "plot_learning_curves"]

#: Axis label of every plotted history series; accuracy is drawn in percent.
METRIC_LABELS = {
    "loss_train": "training loss on noisy data (cross-entropy, nats)",
    "loss_test": "test loss on clean data (cross-entropy, nats)",
    "accuracy_test": "test accuracy on clean data (%)",
}


def _series(history: History, metric: str) -> tuple[np.ndarray, np.ndarray]:
    if metric not in METRIC_LABELS:
        raise ValueError(f"metric must be one of {list(METRIC_LABELS)}, got {metric!r}")
    pairs = getattr(history, metric)
    rounds = np.array([r for r, _ in pairs], dtype=int)
    values = np.array([v for _, v in pairs], dtype=float)
    return rounds, values


def curve_interval(histories: Sequence[History], metric: str) -> tuple[np.ndarray, Interval]:
    """Return the evaluated rounds and, at each, the mean and 95 % interval of ``metric`` over runs.

    Raises
    ------
    ValueError
        If there are no histories, the metric is unknown, or the runs were evaluated at
        different rounds.

    Examples
    --------
    >>> runs = [History(loss_train=[(0, 2.0), (5, 1.0)]), History(loss_train=[(0, 2.0), (5, 1.2)])]
    >>> rounds, band = curve_interval(runs, "loss_train")
    >>> rounds.tolist(), band.mean.round(3).tolist()
    ([0, 5], [2.0, 1.1])
    """
    if not histories:
        raise ValueError("histories must hold at least one run")
    rounds, _ = _series(histories[0], metric)
    rows = []
    for history in histories:
        these_rounds, values = _series(history, metric)
        if not np.array_equal(these_rounds, rounds):
            raise ValueError(f"runs were evaluated at different rounds: {rounds.tolist()} and {these_rounds.tolist()}")
        rows.append(values)
    return rounds, mean_interval(np.array(rows), axis=0)


def final_values(histories: Sequence[History], metric: str) -> np.ndarray:
    """Return the last recorded value of ``metric`` of each run, in run order."""
    return np.array([_series(history, metric)[1][-1] for history in histories])


def plot_learning_curves(ax: Axes, runs: Mapping[str, Sequence[History]], metric: str) -> Axes:
    """Draw ``metric`` against the round for each strategy: the mean line and its 95 % band.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    runs : mapping of strategy name to histories
        One history per seed; strategies are drawn in the book's legend order.
    metric : {"loss_train", "loss_test", "accuracy_test"}
        Series to draw; accuracy is shown in percent.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with axis labels and a legend. Accuracy bands are clipped to [0, 100] %.
    """
    scale = 100.0 if metric == "accuracy_test" else 1.0
    ordered = sorted(runs, key=lambda s: STRATEGY_ORDER.index(s) if s in STRATEGY_ORDER else len(STRATEGY_ORDER))
    for strategy in ordered:
        rounds, band = curve_interval(runs[strategy], metric)
        color = strategy_color(strategy)
        ax.plot(rounds, scale * band.mean, color=color, marker=STRATEGY_MARKERS.get(strategy),
                markevery=max(1, len(rounds) // 6), label=strategy_label(strategy))
        if band.n > 1:
            low, high = scale * band.low, scale * band.high
            if metric == "accuracy_test":
                # A t interval over few seeds can reach past 0 % or 100 %, which no accuracy can.
                low, high = np.clip(low, 0.0, 100.0), np.clip(high, 0.0, 100.0)
            ax.fill_between(rounds, low, high, color=color, alpha=0.18, linewidth=0)
    ax.set_xlabel("communication round")
    ax.set_ylabel(METRIC_LABELS[metric])
    ax.legend()
    return ax
