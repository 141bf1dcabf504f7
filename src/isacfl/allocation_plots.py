"""Plots of the allocation chapter: per-device allocations, the outer objective, gaps and run times.

Every function draws on the matplotlib ``ax`` it is given and returns it; colours and markers come
from :mod:`isacfl.plotting`.
"""

from __future__ import annotations

import numpy as np

from .channel import snr_db
from .plotting import STRATEGY_MARKERS, strategy_color, strategy_label

__all__ = ["plot_per_device", "plot_objective_curve", "plot_gap_histogram", "plot_runtime"]

#: Quantities :func:`plot_per_device` can draw, with their axis labels.
PER_DEVICE_QUANTITIES = {
    "samples": "samples $D_n$",
    "sensing_snr_db": r"sensing SNR $\gamma_n$ (dB)",
    "success_prob": "upload success probability $p_n$",
}


def plot_per_device(ax, allocations, quantity: str):
    """Draw one quantity per device as grouped bars, one colour per strategy.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    allocations : sequence of Allocation
        One allocation per strategy, all for the same scenario.
    quantity : {"samples", "sensing_snr_db", "success_prob"}
        What to draw.
    """
    if quantity not in PER_DEVICE_QUANTITIES:
        raise ValueError(f"quantity must be one of {list(PER_DEVICE_QUANTITIES)}, got {quantity!r}")
    n_devices = allocations[0].n_devices
    width = 0.8 / len(allocations)
    devices = np.arange(n_devices)
    for k, allocation in enumerate(allocations):
        if quantity == "sensing_snr_db":
            values = snr_db(allocation.sensing_snr)
        else:
            values = getattr(allocation, quantity)
        ax.bar(devices + (k - (len(allocations) - 1) / 2) * width, values, width,
               color=strategy_color(allocation.strategy), label=strategy_label(allocation.strategy))
    ax.set_xticks(devices, [str(n + 1) for n in devices])
    ax.set_xlabel("device $n$")
    ax.set_ylabel(PER_DEVICE_QUANTITIES[quantity])
    return ax


def plot_objective_curve(ax, gammas, values, picks):
    """Draw ``J(gamma_min)`` against ``gamma_min`` in dB and mark the searches' picks.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    gammas, values : array_like
        The SNR floors (linear) and ``J`` there.
    picks : dict
        Strategy name to ``(gamma_min, J)`` of the point that strategy chose.
    """
    ax.plot(snr_db(gammas), values, color="0.3", linewidth=1.2, label=r"$J(\gamma_{\min})$")
    for name, (gamma, value) in picks.items():
        ax.plot(snr_db(gamma), value, linestyle="none", marker=STRATEGY_MARKERS[name], markersize=9,
                markerfacecolor="none", markeredgewidth=2, color=strategy_color(name), label=strategy_label(name))
    ax.set_xlabel(r"SNR floor $\gamma_{\min}$ (dB)")
    ax.set_ylabel(r"$J = \gamma_{\min} \sum_n D_n p_n$ (samples)")
    ax.legend(loc="lower right")
    return ax


def plot_gap_histogram(ax, gaps_by_label: dict[str, np.ndarray], bins: int = 20):
    """Draw histograms of golden-section gaps in percent, one per scenario family.

    Gaps below 1e-6 (golden section found the maximum to the certificate's tolerance) are drawn at
    1e-4 % so that the log-scaled axis can show them. Every family shows golden-section results, so
    the first is drawn in the golden-section colour and the others in greys, never in the colour of
    another strategy.
    """
    all_gaps = np.concatenate([np.asarray(g) for g in gaps_by_label.values()])
    top = max(100 * float(np.max(all_gaps)), 1e-3)
    edges = np.logspace(-4, np.log10(top) + 0.05, bins + 1)
    for (label, gaps), color in zip(gaps_by_label.items(), (strategy_color("golden"), "0.35", "0.7")):
        percent = np.maximum(100 * np.asarray(gaps), edges[0])
        ax.hist(percent, bins=edges, alpha=0.6, color=color, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("golden-section shortfall $1 - J_{golden}/J^*$ (%)")
    ax.set_ylabel("scenarios (count)")
    ax.legend(loc="best")
    return ax


def plot_runtime(ax, sizes, seconds_by_strategy: dict[str, np.ndarray], xlabel: str):
    """Draw run time against a problem size on log-log axes, with a slope-1 guide through the largest point."""
    sizes = np.asarray(sizes, dtype=float)
    for name, seconds in seconds_by_strategy.items():
        ax.loglog(sizes, seconds, marker=STRATEGY_MARKERS[name], color=strategy_color(name), label=strategy_label(name))
    reference = seconds_by_strategy[next(iter(seconds_by_strategy))]
    ax.loglog(sizes, reference[-1] * sizes / sizes[-1], linestyle=":", color="0.4", label="linear growth")
    ax.set_xticks(sizes, [f"{size:g}" for size in sizes])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("wall time (s)")
    ax.legend(loc="upper left", fontsize=8)
    return ax
