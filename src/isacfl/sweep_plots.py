"""Plots of the sweeps: accuracy against the energy ratio, the number of devices and a straggler.

Each function takes a matplotlib ``ax`` and a :class:`isacfl.sweeps.SweepResult`, draws the mean
over seeds with its 95 % interval as error bars, and returns the ``ax``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .plotting import STRATEGY_COLORS, STRATEGY_LABELS, STRATEGY_MARKERS
from .sweeps.stats import SweepResult

__all__ = ["plot_accuracy_vs_ratio", "plot_link_vs_ratio", "plot_strategies"]

# Line style of the two data splits in the energy-ratio figure, whose curves share one colour.
_SPLIT_STYLE = {"iid": ("-", "o", "IID"), "noniid": ("--", "s", "Non-IID")}


def _errorbar(ax: Axes, x, interval, **style) -> None:
    mean = np.asarray(interval.mean)
    # An interval from one seed is unbounded, so it is drawn without error bars.
    half = np.where(np.isfinite(interval.half_width), interval.half_width, 0.0)
    ax.errorbar(x, 100 * mean, yerr=100 * half, capsize=3, **style)


def plot_accuracy_vs_ratio(ax: Axes, result: SweepResult) -> Axes:
    """Plot test accuracy (IID and Non-IID) against the communication energy ratio ``rho``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    result : SweepResult
        Energy-ratio sweep with variants ``iid`` and/or ``noniid`` and the metric ``accuracy``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rho = np.asarray(result.points)
    for split in result.variants:
        linestyle, marker, label = _SPLIT_STYLE[split]
        _errorbar(ax, rho, result.interval("accuracy", split), color=STRATEGY_COLORS["ratio"],
                  linestyle=linestyle, marker=marker, label=f"{label} test accuracy")
    ax.set_xlabel(r"communication energy ratio $\rho$ (1)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(loc="lower center")
    return ax


def plot_link_vs_ratio(ax: Axes, result: SweepResult) -> Axes:
    """Plot the mean upload success probability against ``rho``, with the mean sensing SNR on a twin axis.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes for the success probability; a twin axis on the right is created for the SNR.
    result : SweepResult
        Energy-ratio sweep with the metrics ``success_prob_mean`` and ``sensing_snr_db_mean``
        (both identical for the two data splits, because the allocation ignores the data).

    Returns
    -------
    matplotlib.axes.Axes
        The success-probability axes; the SNR axes is ``ax.right_ax``.
    """
    rho = np.asarray(result.points)
    variant = result.variants[0]
    success = result.interval("success_prob_mean", variant)
    snr = result.interval("sensing_snr_db_mean", variant)
    prob_line = ax.errorbar(rho, success.mean, yerr=np.nan_to_num(success.half_width, posinf=0.0),
                            color=STRATEGY_COLORS["maxcomm"], marker="^", capsize=3,
                            label=r"mean success probability $\bar p$")
    ax.set_xlabel(r"communication energy ratio $\rho$ (1)")
    ax.set_ylabel(r"mean upload success probability $\bar p$ (1)")
    ax.set_ylim(-0.02, 1.02)
    right = ax.twinx()
    snr_line = right.errorbar(rho, snr.mean, yerr=np.nan_to_num(snr.half_width, posinf=0.0),
                              color=STRATEGY_COLORS["maxsensing"], marker="s", linestyle=":", capsize=3,
                              label=r"mean sensing SNR $\bar\gamma$")
    right.set_ylabel(r"mean sensing SNR $\bar\gamma$ (dB)")
    right.grid(False)
    ax.legend(handles=[prob_line, snr_line], loc="center left")
    ax.right_ax = right
    return ax


def plot_strategies(ax: Axes, result: SweepResult, *, metric: str = "accuracy",
                    x_scale: float = 1.0) -> Axes:
    """Plot ``metric`` (a fraction, drawn in %) against the swept axis, one curve per strategy.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    result : SweepResult
        Sweep whose variants are strategy names of :mod:`isacfl.plotting`.
    metric : str, default "accuracy"
        Metric to plot, a fraction in [0, 1].
    x_scale : float, default 1
        Factor applied to the swept values before plotting (for example the energy budget
        of the other devices, to turn a fraction into joules).

    Returns
    -------
    matplotlib.axes.Axes
    """
    x = x_scale * np.asarray(result.points)
    for strategy in result.variants:
        _errorbar(ax, x, result.interval(metric, strategy), color=STRATEGY_COLORS[strategy],
                  marker=STRATEGY_MARKERS[strategy], label=STRATEGY_LABELS[strategy])
    ax.set_xlabel(result.axis_label)
    ax.set_ylabel("test accuracy (%)" if metric == "accuracy" else f"{metric} (%)")
    ax.legend()
    return ax
