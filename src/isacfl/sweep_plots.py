"""Plots of the sweeps: accuracy against the energy ratio, the number of devices and a straggler.

Each function takes a matplotlib ``ax`` and a :class:`isacfl.sweeps.SweepResult`, draws the mean
over seeds with its 95 % interval as error bars, and returns the ``ax``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .plotting import STRATEGY_COLORS, STRATEGY_LABELS, STRATEGY_MARKERS
from .sweeps.stats import SweepResult

__all__ = ["plot_accuracy_vs_ratio", "plot_link_vs_ratio", "plot_strategies", "plot_golden_gaps"]

# Line style of the two data splits in the energy-ratio figure, whose curves share one colour.
_SPLIT_STYLE = {"iid": ("-", "o", "IID"), "noniid": ("--", "s", "Non-IID")}


def _bounded_errors(interval, scale: float = 1.0):
    """Return ``(mean, yerr)`` for ``errorbar``, the bars clipped to the range [0, 1] of a fraction.

    An interval from one seed is unbounded, so it is drawn without error bars.
    """
    mean = np.asarray(interval.mean, dtype=float)
    low = np.where(np.isfinite(interval.low), np.clip(interval.low, 0.0, 1.0), mean)
    high = np.where(np.isfinite(interval.high), np.clip(interval.high, 0.0, 1.0), mean)
    return scale * mean, scale * np.vstack([mean - low, high - mean])


def _errorbar(ax: Axes, x, interval, **style) -> None:
    mean, errors = _bounded_errors(interval, 100.0)
    ax.errorbar(x, mean, yerr=errors, capsize=3, **style)


def plot_accuracy_vs_ratio(ax: Axes, result: SweepResult) -> Axes:
    """Plot test accuracy (IID and Non-IID) against the communication energy ratio ``rho``.

    Error bars are 95 % intervals over seeds, clipped to the possible range 0 to 100 %.

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
    rho = np.asarray(result.points, dtype=float)
    # The two splits are shifted apart by 1 % of the axis so that their error bars stay visible.
    shift = 0.01 * (rho.max() - rho.min())
    for index, split in enumerate(result.variants):
        linestyle, marker, label = _SPLIT_STYLE[split]
        offset = (index - (len(result.variants) - 1) / 2) * shift
        _errorbar(ax, rho + offset, result.interval("accuracy", split), color=STRATEGY_COLORS["ratio"],
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
    success_mean, success_errors = _bounded_errors(success)
    prob_line = ax.errorbar(rho, success_mean, yerr=success_errors,
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
    ax.legend(handles=[prob_line, snr_line], loc="lower center")
    ax.right_ax = right
    return ax


def plot_strategies(ax: Axes, result: SweepResult, *, metric: str = "accuracy",
                    x_scale: float = 1.0, dodge: float = 0.012) -> Axes:
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
    dodge : float, default 0.012
        Horizontal shift between neighbouring strategies, as a fraction of the x range, so that
        error bars at the same point do not hide each other.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with the legend above them. A title set on these axes would overlap it, so
        put a title on the figure (``fig.suptitle``) instead.
    """
    x = x_scale * np.asarray(result.points, dtype=float)
    shift = dodge * (x.max() - x.min())
    for index, strategy in enumerate(result.variants):
        offset = (index - (len(result.variants) - 1) / 2) * shift
        _errorbar(ax, x + offset, result.interval(metric, strategy), color=STRATEGY_COLORS[strategy],
                  marker=STRATEGY_MARKERS[strategy], label=STRATEGY_LABELS[strategy])
    ax.set_xlabel(result.axis_label)
    ax.set_ylabel("test accuracy (%)" if metric == "accuracy" else f"{metric} (%)")
    # The legend sits above the axes, because wide error bars at paper scale leave no empty corner inside them.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), ncols=2, frameon=False)
    return ax


def plot_golden_gaps(ax: Axes, gaps, tolerance: float) -> Axes:
    """Plot the distribution of the golden-section shortfall below the certified optimum.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    gaps : array_like of float
        Relative shortfall ``1 - J_golden / J_certified`` of each scenario (>= 0 up to rounding).
    tolerance : float
        Shortfall still counted as reaching the optimum, drawn as a vertical line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    percent = 100 * np.clip(np.asarray(gaps, dtype=float), 0.0, None)
    bins = np.linspace(0.0, max(percent.max(), 100 * tolerance) * 1.05, 30)
    ax.hist(percent, bins=bins, color=STRATEGY_COLORS["golden"], edgecolor="white",
            label=f"{percent.size} random scenarios")
    ax.axvline(100 * tolerance, color="black", linestyle="--", linewidth=1,
               label=f"tolerance {100 * tolerance:g} %")
    ax.set_xlabel(r"shortfall of golden section below the certified optimum, $1 - J_{gs}/J^\star$ (%)")
    ax.set_ylabel("scenarios (count)")
    ax.legend()
    return ax
