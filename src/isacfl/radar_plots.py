"""Plots of the radar beam-prediction chapter: example maps, top-k bars, resources, curves.

Every function draws on a matplotlib ``ax`` given by the caller and returns it. ``data_label``
(for example ``"synthetic"``) is written into the title, so a figure made from the synthetic
stand-in is labelled as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from .plotting import STRATEGY_ORDER, strategy_color, strategy_label
from .radar.synthetic import FmcwRadar

__all__ = [
    "plot_range_angle",
    "plot_range_velocity",
    "plot_topk_bars",
    "plot_allocation_bars",
    "plot_accuracy_curves",
]


def _title(text: str, data_label: str | None) -> str:
    return f"{text} ({data_label})" if data_label else text


def plot_range_angle(ax: Axes, ra_map: np.ndarray, radar: FmcwRadar, *, data_label: str | None = None,
                     true_angle_deg: float | None = None) -> Axes:
    """Draw a range-angle map with the angle axis in degrees from boresight and range in metres.

    The FFT's angle bins are reordered from ``[0, N)`` to ``[-N/2, N/2)`` and bin ``k`` is drawn
    at ``arcsin(2 k / N)``, the angle of a half-wavelength array. ``true_angle_deg`` adds a
    dashed line at the vehicle's true angle.
    """
    n_range, n_angle = ra_map.shape
    shifted = np.fft.fftshift(ra_map, axes=1)
    sines = 2.0 * (np.arange(n_angle) - n_angle // 2) / n_angle
    angles = np.degrees(np.arcsin(np.clip(sines, -1, 1)))
    ranges = np.arange(n_range) * radar.range_resolution_m
    mesh = ax.pcolormesh(angles, ranges, shifted, shading="nearest")
    if true_angle_deg is not None:
        ax.axvline(true_angle_deg, color="white", linestyle="--", linewidth=1.0, label="true angle")
        ax.legend(loc="upper right")
    ax.set_xlabel("angle from boresight (deg)")
    ax.set_ylabel("range (m)")
    ax.set_title(_title("Range-angle map", data_label))
    ax.grid(False)
    ax.figure.colorbar(mesh, ax=ax, label="magnitude (a.u.)")
    return ax


def plot_range_velocity(ax: Axes, rv_map: np.ndarray, radar: FmcwRadar, *, data_label: str | None = None) -> Axes:
    """Draw a range-velocity map with radial velocity in m/s (positive: receding) and range in metres."""
    n_range, n_velocity = rv_map.shape
    shifted = np.fft.fftshift(rv_map, axes=1)
    velocities = (np.arange(n_velocity) - n_velocity // 2) * radar.velocity_resolution_mps
    ranges = np.arange(n_range) * radar.range_resolution_m
    mesh = ax.pcolormesh(velocities, ranges, 20 * np.log10(shifted + 1e-12), shading="nearest")
    ax.set_xlabel("radial velocity (m/s)")
    ax.set_ylabel("range (m)")
    ax.set_title(_title("Range-velocity map", data_label))
    ax.grid(False)
    ax.figure.colorbar(mesh, ax=ax, label="magnitude (dB, a.u.)")
    return ax


def _ordered(strategies: Iterable[str]) -> list[str]:
    present = list(strategies)
    known = [s for s in STRATEGY_ORDER if s in present]
    return known + [s for s in present if s not in known]


def plot_topk_bars(ax: Axes, summary: Mapping[str, Mapping[str, Any]], *, data_label: str | None = None) -> Axes:
    """Draw grouped bars of top-k accuracy (percent) per strategy, one group per ``k``.

    Parameters
    ----------
    ax : matplotlib Axes
    summary : mapping
        Output of :func:`isacfl.radar.experiment.summarise_runs`: per strategy, ``topk_mean`` and
        ``topk_std`` dicts over ``k``. The error bars are one standard deviation over seeds.
        A ``"centralised"`` entry is drawn hatched, as the noise-free ceiling.
    data_label : str, optional
        Written into the title.
    """
    strategies = _ordered(summary)
    ks = sorted(next(iter(summary.values()))["topk_mean"])
    width = 0.8 / len(strategies)
    positions = np.arange(len(ks))
    top = 100.0
    for i, strategy in enumerate(strategies):
        means = [100 * summary[strategy]["topk_mean"][k] for k in ks]
        errors = [100 * summary[strategy]["topk_std"][k] for k in ks]
        top = max(top, *(mean + error for mean, error in zip(means, errors)))
        ax.bar(positions + (i - (len(strategies) - 1) / 2) * width, means, width, yerr=errors, capsize=2,
               color=strategy_color(strategy), label=strategy_label(strategy),
               hatch="//" if strategy == "centralised" else None,
               edgecolor="white" if strategy == "centralised" else None)
    ax.set_xticks(positions, [f"top-{k}" for k in ks])
    ax.set_xlabel("beams counted, k")
    ax.set_ylabel("top-k accuracy (%)")
    # Leave room for the caps of error bars that reach past 100 %.
    ax.set_ylim(0, top + 2)
    ax.set_title(_title("Beam prediction on the clean test frames", data_label))
    # The legend sits beside the axes, because the centralised bars reach the top of the plot.
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def plot_allocation_bars(ax_frames: Axes, ax_snr: Axes, summary: Mapping[str, Mapping[str, Any]], *,
                         data_label: str | None = None) -> tuple[Axes, Axes]:
    """Draw, per strategy, the frames all devices acquire and their mean sensing SNR in dB.

    The centralised entry, if present, is left out: it has no allocation.
    """
    strategies = [s for s in _ordered(summary) if s != "centralised"]
    colors = [strategy_color(s) for s in strategies]
    labels = [strategy_label(s) for s in strategies]
    positions = np.arange(len(strategies))
    ax_frames.bar(positions, [summary[s]["total_frames"] for s in strategies], color=colors)
    ax_frames.set_ylabel("frames acquired, all devices")
    ax_frames.set_title(_title("Data quantity", data_label))
    ax_snr.bar(positions, [summary[s]["mean_snr_db"] for s in strategies], color=colors)
    ax_snr.axhline(0.0, color="black", linewidth=0.8)
    ax_snr.set_ylabel("mean sensing SNR (dB)")
    ax_snr.set_title(_title("Data quality", data_label))
    for ax in (ax_frames, ax_snr):
        ax.set_xticks(positions, labels, rotation=20, ha="right")
        ax.set_xlabel("strategy")
    return ax_frames, ax_snr


def plot_accuracy_curves(ax: Axes, runs: Sequence[Any], *, data_label: str | None = None) -> Axes:
    """Draw the mean top-1 test accuracy (percent) against the round for each FL strategy.

    ``runs`` are :class:`~isacfl.radar.experiment.RadarRun` objects; runs of one strategy are
    averaged over seeds at their common rounds. Centralised runs are skipped (their curve is
    over epochs, not rounds).
    """
    grouped: dict[str, list[Any]] = {}
    for run in runs:
        if run.strategy != "centralised" and run.accuracy_curve:
            grouped.setdefault(run.strategy, []).append(run)
    for strategy in _ordered(grouped):
        curves = [dict(run.accuracy_curve) for run in grouped[strategy]]
        rounds = sorted(set.intersection(*(set(c) for c in curves)))
        mean = [100 * np.mean([c[r] for c in curves]) for r in rounds]
        ax.plot(rounds, mean, color=strategy_color(strategy), label=strategy_label(strategy), marker="o")
    ax.set_xlabel("communication round")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("top-1 test accuracy (%)")
    ax.set_title(_title("Learning curves", data_label))
    ax.legend()
    return ax
