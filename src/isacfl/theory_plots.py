"""Figures of the convergence-analysis chapters. Each function draws on the given ``ax`` and returns it.

Most curves here are indexed by SNR, dataset size or bound variant, not by allocation strategy, so
they use a sequential colour map. Only :func:`plot_aggregation_ratio` compares allocation
strategies, and it uses the strategy colours of :mod:`isacfl.plotting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from . import plotting
from .channel import snr_db
from .theory.mlp import GradientError, InverseSnrFit, TrainingHistory

__all__ = ["sequential_colors", "plot_gradient_error", "plot_accuracy_vs_snr", "plot_loss_curves",
           "plot_gap_and_bounds", "plot_gap_sweep", "plot_aggregation_ratio"]


def sequential_colors(count: int) -> list:
    """Return ``count`` colours of the viridis map, dark to light, for ordered curves."""
    return [plt.get_cmap("viridis")(x) for x in np.linspace(0.0, 0.85, max(count, 1))]


def plot_gradient_error(ax, errors: Sequence[GradientError], fit: InverseSnrFit | None = None,
                        show_sampling: bool = True):
    """Plot the measured squared gradient error against SNR in dB, one curve per dataset size.

    Error bars are one standard error over the repeats; ``fit`` adds its law as dashed lines and
    ``show_sampling`` the clean-sample (sampling-only) error as dotted lines.
    """
    sizes = sorted({e.num_samples for e in errors})
    for color, size in zip(sequential_colors(len(sizes)), sizes):
        rows = sorted((e for e in errors if e.num_samples == size), key=lambda e: e.snr)
        gamma = np.array([e.snr for e in rows])
        ax.errorbar(snr_db(gamma), [e.total for e in rows], yerr=[e.total_stderr for e in rows], color=color,
                    marker="o", capsize=2, label=f"measured, $D = {size}$")
        if show_sampling:
            ax.plot(snr_db(gamma), [e.sampling for e in rows], color=color, linestyle=":", linewidth=1.2)
        if fit is not None:
            grid = np.logspace(np.log10(gamma.min()), np.log10(gamma.max()), 100)
            ax.plot(snr_db(grid), fit.predict(grid, size), color=color, linestyle="--", linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("sensing SNR $\\gamma$ (dB)")
    ax.set_ylabel("$E\\|g_n - \\nabla F_n\\|^2$ (squared gradient norm)")
    handles, labels = ax.get_legend_handles_labels()
    if fit is not None:
        handles.append(plt.Line2D([], [], color="grey", linestyle="--"))
        labels.append("fit $a/(\\gamma D) + b/D + c/\\gamma^2$" if fit.bias > 0 else "fit $a/(\\gamma D) + b/D$")
    if show_sampling:
        handles.append(plt.Line2D([], [], color="grey", linestyle=":"))
        labels.append("same samples, clean (sampling term)")
    ax.legend(handles, labels)
    return ax


def plot_accuracy_vs_snr(ax, snr: np.ndarray, accuracies: np.ndarray, clean_accuracy: float | None = None):
    """Plot test accuracy (percent) against SNR in dB; ``accuracies`` has one row per seed."""
    values = 100.0 * np.atleast_2d(accuracies)
    mean = values.mean(axis=0)
    ax.plot(snr_db(snr), mean, marker="o", color=sequential_colors(1)[0], label=f"mean of {len(values)} seeds")
    if len(values) > 1:
        ax.fill_between(snr_db(snr), values.min(axis=0), values.max(axis=0), alpha=0.2,
                        color=sequential_colors(1)[0], label="min-max over seeds")
    if clean_accuracy is not None:
        ax.axhline(100.0 * clean_accuracy, color="black", linestyle="--", linewidth=1.0, label="clean data")
    ax.set_xlabel("sensing SNR $\\gamma$ (dB)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    return ax


def plot_loss_curves(ax, histories: Mapping[str, TrainingHistory], styles: Mapping[str, dict] | None = None):
    """Plot training-loss curves against SGD steps, one per labelled run.

    ``styles`` maps a label to keyword arguments of ``ax.plot`` (colour, line style); missing labels
    get sequential colours in insertion order.
    """
    colors = sequential_colors(len(histories))
    for color, (label, history) in zip(colors, histories.items()):
        kwargs = {"color": color}
        kwargs.update((styles or {}).get(label, {}))
        ax.plot(history.steps, history.losses, label=label, **kwargs)
    ax.set_yscale("log")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("training loss (cross-entropy, nats)")
    ax.legend()
    return ax


def plot_gap_and_bounds(ax, rounds: np.ndarray, gaps: np.ndarray, bounds: Mapping[str, np.ndarray]):
    """Plot the measured optimality gap (mean and 10-90% band over seeds) and bound curves against rounds."""
    colors = sequential_colors(len(bounds) + 1)
    ax.plot(rounds, gaps.mean(axis=0), color="black", label=f"measured, mean of {len(gaps)} seeds")
    ax.fill_between(rounds, np.quantile(gaps, 0.1, axis=0), np.quantile(gaps, 0.9, axis=0), color="black",
                    alpha=0.15, label="measured, 10-90% of seeds")
    for color, (label, values) in zip(colors, bounds.items()):
        ax.plot(rounds, values, color=color, linestyle="--", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("round $t$")
    ax.set_ylabel("$F(w_t) - F^*$ (loss units)")
    ax.legend()
    return ax


def plot_gap_sweep(ax, x: np.ndarray, measured: np.ndarray, bounds: Mapping[str, np.ndarray], xlabel: str):
    """Plot the final optimality gap against a swept quantity on log-log axes, measured and bounded."""
    colors = sequential_colors(len(bounds) + 1)
    ax.plot(x, measured, color="black", marker="o", label="measured")
    for color, (label, values) in zip(colors, bounds.items()):
        ax.plot(x, values, color=color, marker="s", linestyle="--", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("final $F(w_T) - F^*$ (loss units)")
    ax.legend()
    return ax


def plot_aggregation_ratio(ax, scale: np.ndarray, ratios: Mapping[str, np.ndarray]):
    """Plot the exact FedAvg noise variance over Lemma 1's value against a scaling of every ``p_n``.

    ``ratios`` maps a strategy name (see :mod:`isacfl.plotting`) to one ratio per entry of ``scale``;
    each strategy gets its book-wide colour and marker.
    """
    for strategy, values in ratios.items():
        ax.plot(scale, values, color=plotting.strategy_color(strategy), marker=plotting.STRATEGY_MARKERS[strategy],
                label=plotting.strategy_label(strategy))
    ax.axhline(1.0, color="grey", linestyle=":", linewidth=1.0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("scale factor $\\kappa$ on every success probability $p_n$ (1)")
    ax.set_ylabel("exact variance / Lemma 1 value (1)")
    ax.legend()
    return ax
