"""Figures of the system-model chapter: sensing SNR, upload success, energy split and noisy digits.

Every function takes the matplotlib axes to draw on and returns them. The quantities come from
:mod:`isacfl.channel` and :func:`isacfl.data.add_sensing_noise`; nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from . import channel
from .data import add_sensing_noise
from .scenario import FIELD_DESCRIPTIONS, FIELD_UNITS, PER_DEVICE_FIELDS, Scenario

__all__ = [
    "ENERGY_COLORS",
    "plot_sensing_snr_vs_power",
    "plot_snapshot_tradeoff",
    "plot_success_probability",
    "plot_energy_split",
    "plot_noisy_digits",
    "energy_split_table",
    "FIELD_SYMBOLS_LATEX",
    "scenario_markdown_table",
]

#: Colour of each energy term in the energy-split figure (Okabe-Ito, distinct from the strategies).
ENERGY_COLORS = {"sensing_j": "#0072B2", "computing_j": "#999999", "upload_j": "#009E73"}

_ENERGY_LABELS = {"sensing_j": "sensing $p^s T_s$", "computing_j": "computing $c D$", "upload_j": "upload $p^c T^{up}$"}


def _device_scenario(scenario: Scenario, device: int, **changes: float) -> Scenario:
    """Return a one-device scenario with device ``device``'s parameters and some changed."""
    params = scenario.device(device)
    params["n_devices"] = 1
    params.update(changes)
    return Scenario.from_dict(params)


def plot_sensing_snr_vs_power(
    ax: Axes,
    scenario: Scenario,
    target_distances_m: Sequence[float],
    snapshots: Sequence[int] = (1, 32),
    num: int = 100,
) -> Axes:
    """Plot the mean sensing SNR (E2) in dB against the sensing power, per distance and snapshot count.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    scenario : Scenario
        Source of every parameter but the target distance; device 0's values are used.
    target_distances_m : sequence of float
        Device-to-target distances in metres, one colour each.
    snapshots : sequence of int
        Snapshot counts ``L``, one line style each.
    num : int
        Power grid points between ``sensing_power_min_w`` and ``sensing_power_max_w``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with a logarithmic power axis.
    """
    power = np.geomspace(scenario.sensing_power_min_w[0], scenario.sensing_power_max_w[0], num)
    styles = ["-", "--", ":", "-."]
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(target_distances_m)))
    for color, distance in zip(colors, target_distances_m):
        gain = channel.sensing_gain_factor(_device_scenario(scenario, 0, target_distance_m=distance))[0]
        for index, count in enumerate(snapshots):
            ax.plot(power, channel.snr_db(channel.sensing_snr(power, count, gain)), color=color,
                    linestyle=styles[index % len(styles)], label=f"$d$ = {distance:g} m, $L$ = {count}")
    ax.set_xscale("log")
    ax.set_xlabel("sensing power $p^s$ (W)")
    ax.set_ylabel("mean sensing SNR $\\gamma$ (dB)")
    ax.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return ax


def plot_snapshot_tradeoff(ax: Axes, scenario: Scenario, sensing_power_w: float, device: int = 0) -> Axes:
    """Plot the samples ``D`` (E1, left axis) and the mean sensing SNR (E2, right axis) against ``L``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes for the sample count; a twin axis on the right carries the SNR.
    scenario : Scenario
        The deployment.
    sensing_power_w : float
        Sensing power held fixed, in watts.
    device : int
        Index of the device shown.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``; the twin axis is ``ax.right_axis``.
    """
    params = scenario.device(device)
    counts = np.arange(1, scenario.max_snapshots + 1)
    samples = channel.samples(params["sensing_duration_s"], params["snapshot_s"], counts)
    gain = channel.sensing_gain_factor(scenario)[device]
    snr = channel.snr_db(channel.sensing_snr(sensing_power_w, counts, gain))
    ax.plot(counts, samples, color="#0072B2", marker="o", label="samples $D$ (left)")
    ax.set_yscale("log")
    ax.set_xlabel("snapshots per sample $L$")
    ax.set_ylabel("samples per round $D$")
    right = ax.twinx()
    right.plot(counts, snr, color="#D55E00", marker="s", label=f"SNR at $p^s$ = {sensing_power_w:g} W (right)")
    right.set_ylabel("mean sensing SNR $\\gamma$ (dB)")
    right.grid(False)
    right.spines["right"].set_visible(True)
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    ax.right_axis = right
    return ax


def plot_success_probability(
    ax: Axes,
    scenario: Scenario,
    server_distances_m: Sequence[float],
    snapshots: Sequence[int] = (1, 32),
    num: int = 200,
) -> Axes:
    """Plot the upload success probability (E6) against the communication power, per BS distance.

    The upload slot follows from the samples trained before it (E1, E5), so each snapshot count
    ``L`` gives its own curve.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    scenario : Scenario
        Source of every parameter but the BS distance; device 0's values are used.
    server_distances_m : sequence of float
        Device-to-base-station distances in metres, one colour each.
    snapshots : sequence of int
        Snapshot counts ``L``, one line style each.
    num : int
        Power grid points in ``(0, comm_power_max_w]``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.
    """
    power = np.linspace(0.0, scenario.comm_power_max_w[0], num)
    styles = ["-", "--", ":", "-."]
    colors = plt.get_cmap("plasma")(np.linspace(0.0, 0.8, len(server_distances_m)))
    for color, distance in zip(colors, server_distances_m):
        one = _device_scenario(scenario, 0, server_distance_m=distance)
        for index, count in enumerate(snapshots):
            samples = channel.samples(one.sensing_duration_s, one.snapshot_s[0], count)
            slot = channel.upload_slot_s(one.round_deadline_s, one.train_s_per_sample[0], samples)
            theta = channel.outage_threshold_w(slot, one.model_bits, one.bandwidth_hz[0], one.noise_power_w,
                                               distance, one.comm_pathloss_exponent, one.comm_gain[0],
                                               one.comm_fading_mean)
            ax.plot(power, channel.success_probability(power, theta), color=color,
                    linestyle=styles[index % len(styles)],
                    label=f"$r$ = {distance:g} m, $L$ = {count} ($T^{{up}}$ = {float(slot):.3f} s)")
    ax.set_xlabel("communication power $p^c$ (W)")
    ax.set_ylabel("upload success probability $p$")
    ax.set_ylim(0.0, 1.02)
    ax.legend(loc="lower right")
    return ax


def energy_split_table(
    scenario: Scenario, sensing_power_w: float, snapshots: Sequence[int], device: int = 0
) -> dict[str, np.ndarray]:
    """Compute one device's per-round energy terms (E9) when the upload gets what is left.

    For each snapshot count ``L`` the device senses at ``sensing_power_w``, trains on its
    ``D(L)`` samples, and spends the rest of its budget on the upload,
    ``p^c = min(P_c^max, (E - p^s T_s - c D) / T^up)``, clipped at 0.

    Parameters
    ----------
    scenario : Scenario
        The deployment.
    sensing_power_w : float
        Sensing power in watts.
    snapshots : sequence of int
        Snapshot counts ``L``.
    device : int
        Index of the device.

    Returns
    -------
    dict of numpy.ndarray
        ``snapshots``, ``samples``, ``comm_power_w``, ``upload_slot_s``, ``success_prob`` and the
        energy terms ``sensing_j``, ``computing_j``, ``upload_j``, ``total_j``, one entry per ``L``.

    Raises
    ------
    ValueError
        If ``sensing_power_w`` lies outside the device's sensing power range.

    Examples
    --------
    >>> t = energy_split_table(Scenario(n_devices=1), 1.0, [1, 32])
    >>> t["samples"].tolist(), t["total_j"].round(6).tolist()
    ([5000, 156], [3.0, 3.0])
    """
    params = scenario.device(device)
    if not params["sensing_power_min_w"] <= sensing_power_w <= params["sensing_power_max_w"]:
        raise ValueError(
            f"sensing_power_w must be in [{params['sensing_power_min_w']}, {params['sensing_power_max_w']}] W "
            f"for device {device}, got {sensing_power_w!r}"
        )
    counts = np.asarray(snapshots, dtype=np.int64)
    samples = channel.samples(params["sensing_duration_s"], params["snapshot_s"], counts)
    slot = channel.upload_slot_s(params["round_deadline_s"], params["train_s_per_sample"], samples)
    left = params["energy_budget_j"] - sensing_power_w * params["sensing_duration_s"] - params["energy_per_sample_j"] * samples
    with np.errstate(divide="ignore", invalid="ignore"):
        comm_power = np.where(slot > 0, np.clip(left / slot, 0.0, params["comm_power_max_w"]), 0.0)
    theta = channel.outage_threshold_w(slot, params["model_bits"], params["bandwidth_hz"], params["noise_power_w"],
                                       params["server_distance_m"], params["comm_pathloss_exponent"],
                                       params["comm_gain"], params["comm_fading_mean"])
    energy = channel.round_energy_j(sensing_power_w, params["sensing_duration_s"], params["energy_per_sample_j"],
                                    samples, comm_power, np.maximum(slot, 0.0))
    table = {"snapshots": counts, "samples": samples, "comm_power_w": comm_power, "upload_slot_s": slot,
             "success_prob": channel.success_probability(comm_power, theta)}
    table.update(energy)
    return table


def plot_energy_split(
    ax: Axes, scenario: Scenario, sensing_power_w: float, snapshots: Sequence[int], device: int = 0
) -> Axes:
    """Plot one device's per-round energy (E9) as stacked bars, one bar per snapshot count.

    The bars come from :func:`energy_split_table`. A dashed line marks the budget ``E_n``, and the
    success probability of each upload is written on its part of the bar.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.
    """
    table = energy_split_table(scenario, sensing_power_w, snapshots, device)
    positions = np.arange(len(table["snapshots"]))
    bottom = np.zeros(len(positions))
    for key in ("sensing_j", "computing_j", "upload_j"):
        ax.bar(positions, table[key], bottom=bottom, color=ENERGY_COLORS[key], label=_ENERGY_LABELS[key], width=0.6)
        bottom = bottom + table[key]
    budget = scenario.energy_budget_j[device]
    ax.axhline(budget, color="black", linestyle="--", linewidth=1.2, label=f"budget $E$ = {budget:g} J")
    upload_middle = bottom - table["upload_j"] / 2
    for x, middle, probability in zip(positions, upload_middle, table["success_prob"]):
        ax.text(x, middle, f"$p$ = {probability:.2f}", ha="center", va="center", fontsize=9, color="white")
    ax.set_xticks(positions, [f"{count}\n(D = {d})" for count, d in zip(table["snapshots"], table["samples"])])
    ax.set_xlabel("snapshots per sample $L$ (samples per round $D$)")
    ax.set_ylabel("energy per round (J)")
    ax.set_ylim(0.0, 1.1 * budget)
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return ax


def plot_noisy_digits(
    axes: np.ndarray, images: np.ndarray, snr_db_values: Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    """Show clean images (first column) and the same images observed at several sensing SNRs.

    Noise follows :func:`isacfl.data.add_sensing_noise` (per-sample SNR, no clipping). The grey
    scale of every panel is fixed to the clean pixel range [0, 1], so noisy pixels beyond it
    saturate in the picture but not in the data.

    Parameters
    ----------
    axes : numpy.ndarray of matplotlib.axes.Axes, shape (n_images, 1 + len(snr_db_values))
        Grid of axes, one row per image.
    images : numpy.ndarray, shape (n_images, 28, 28)
        Clean images in [0, 1].
    snr_db_values : sequence of float
        Sensing SNRs in dB, one column each.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    numpy.ndarray
        ``axes``.

    Raises
    ------
    ValueError
        If the axes grid does not have one row per image and one column per SNR plus one.
    """
    expected = (len(images), 1 + len(snr_db_values))
    if axes.shape != expected:
        raise ValueError(f"axes must have shape {expected} (images x (1 + SNRs)), got {axes.shape}")
    columns = [("clean", images)]
    for value in snr_db_values:
        columns.append((f"{value:g} dB", add_sensing_noise(images, 10.0 ** (value / 10.0), rng)))
    for column, (title, shown) in enumerate(columns):
        for row in range(len(images)):
            ax = axes[row, column]
            ax.imshow(shown[row], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        axes[0, column].set_title(title)
    return axes


#: LaTeX form of the symbol of every scenario parameter, for tables rendered with MathJax.
FIELD_SYMBOLS_LATEX = {
    "n_devices": "N",
    "sensing_duration_s": "T_s",
    "snapshot_s": "t_n",
    "max_snapshots": "L_{\\max}",
    "sensing_power_min_w": "p_{th}",
    "sensing_power_max_w": "P_s^{\\max}",
    "sensing_gain": "G_n^s",
    "sensing_fading_mean": "\\bar\\xi",
    "target_distance_m": "d_n",
    "sensing_pathloss_exponent": "\\alpha_s",
    "noise_power_w": "\\sigma^2",
    "round_deadline_s": "T_{\\max}",
    "train_s_per_sample": "\\tau_n",
    "model_bits": "Z",
    "bandwidth_hz": "B_n",
    "comm_power_max_w": "P_c^{\\max}",
    "server_distance_m": "r_n",
    "comm_pathloss_exponent": "\\alpha_c",
    "comm_gain": "G_n^c",
    "comm_fading_mean": "\\bar h",
    "energy_per_sample_j": "c_n",
    "energy_budget_j": "E_n",
}


def scenario_markdown_table(scenario: Scenario, device: int = 0) -> str:
    """Format every parameter of one device as a Markdown table: name, symbol, meaning, value, unit.

    Parameters
    ----------
    scenario : Scenario
        The deployment.
    device : int
        Index of the device whose per-device values are shown.

    Returns
    -------
    str
        A Markdown table with one row per parameter, symbols in ``$...$`` math.

    Examples
    --------
    >>> lines = scenario_markdown_table(Scenario(n_devices=2)).splitlines()
    >>> lines[0]
    '| parameter | symbol | meaning | value | unit |'
    >>> lines[2]
    '| `n_devices` | $N$ | number of devices | 2 | 1 |'
    >>> len(lines) - 2
    22
    """
    values = scenario.device(device)
    rows = ["| parameter | symbol | meaning | value | unit |", "|---|---|---|---|---|"]
    for name, (_, meaning) in FIELD_DESCRIPTIONS.items():
        scope = " (per device)" if name in PER_DEVICE_FIELDS else ""
        rows.append(
            f"| `{name}` | ${FIELD_SYMBOLS_LATEX[name]}$ | {meaning}{scope} | {values[name]:.4g} | {FIELD_UNITS[name]} |"
        )
    return "\n".join(rows)
