"""Closed forms of the system model: samples, sensing SNR, upload outage and energy.

Every function is a vectorised numpy expression: arguments broadcast against each other, so one
call can evaluate all devices, or all devices times all snapshot counts. Equation labels (E1, E2,
E5, E6, E9) refer to the system-model chapter of the book.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .scenario import Scenario

__all__ = [
    "samples",
    "sensing_gain_factor",
    "sensing_snr",
    "upload_slot_s",
    "outage_threshold_w",
    "success_probability",
    "round_energy_j",
    "snr_db",
]

# Relative slack when flooring T_s / (L t_n): 1.0 / (5 * 2e-4) is 999.9999999999999 in binary
# floating point although the exact ratio is 1000.
_FLOOR_SLACK = 1e-9


def samples(sensing_duration_s: ArrayLike, snapshot_s: ArrayLike, snapshots: ArrayLike) -> np.ndarray:
    """Count the samples acquired in one sensing period (E1).

    ``D = floor(T_s / (L t))``, so that ``D L t <= T_s`` up to rounding of the inputs.

    Parameters
    ----------
    sensing_duration_s : array_like
        Sensing duration ``T_s`` in seconds.
    snapshot_s : array_like
        Snapshot length ``t`` in seconds.
    snapshots : array_like of int
        Snapshots ``L`` integrated per sample (at least 1).

    Returns
    -------
    numpy.ndarray of int64
        Number of samples ``D`` (may be 0 when one sample takes longer than ``T_s``).

    Raises
    ------
    ValueError
        If ``snapshots`` is not a whole number >= 1, ``sensing_duration_s`` is negative or not
        finite, ``snapshot_s`` is not positive and finite, or ``D`` does not fit in int64.

    Examples
    --------
    >>> samples(1.0, 2e-4, [1, 5, 32])
    array([5000, 1000,  156])
    """
    snapshots = np.asarray(snapshots)
    if not np.all((snapshots >= 1) & np.isfinite(snapshots) & (snapshots == np.floor(snapshots))):
        raise ValueError(f"snapshots must be whole numbers >= 1, got {snapshots!r}")
    duration = np.asarray(sensing_duration_s, dtype=float)
    if not np.all((duration >= 0) & np.isfinite(duration)):
        raise ValueError(f"sensing_duration_s must be finite and >= 0, got {sensing_duration_s!r}")
    snapshot = np.asarray(snapshot_s, dtype=float)
    if not np.all((snapshot > 0) & np.isfinite(snapshot)):
        raise ValueError(f"snapshot_s must be finite and > 0, got {snapshot_s!r}")
    with np.errstate(over="ignore"):
        count = np.floor(duration / (snapshots * snapshot) * (1.0 + _FLOOR_SLACK))
    # Casting a count of 2^63 or more to int64 would wrap around to a negative number.
    if np.any(count >= 2.0**63):
        raise ValueError(
            f"sensing_duration_s / (snapshots * snapshot_s) is too large for an int64 sample count, "
            f"got up to {float(np.max(count)):g}"
        )
    return count.astype(np.int64)


def sensing_gain_factor(scenario: Scenario) -> np.ndarray:
    """Return ``a_n = G_n^s xi_bar / (sigma^2 d_n^alpha_s)``, the mean sensing SNR per watt and snapshot.

    With it the fading-averaged sensing SNR (E2) is ``gamma_n = p_n^s L_n a_n``.

    Returns
    -------
    numpy.ndarray
        ``a_n`` in 1/W, shape ``(n_devices,)``.

    Examples
    --------
    >>> s = Scenario(n_devices=1, sensing_gain=100.0, sensing_fading_mean=1e-8,
    ...              noise_power_w=1e-12, target_distance_m=10.0, sensing_pathloss_exponent=4.0)
    >>> float(sensing_gain_factor(s)[0])  # 100 * 1e-8 / (1e-12 * 1e4)
    100.0
    """
    # Distances of astronomical size overflow d^alpha to inf, giving a_n = 0 (no reachable SNR).
    with np.errstate(over="ignore"):
        return (
            scenario.sensing_gain
            * scenario.sensing_fading_mean
            / (scenario.noise_power_w * scenario.target_distance_m**scenario.sensing_pathloss_exponent)
        )


def sensing_snr(sensing_power_w: ArrayLike, snapshots: ArrayLike, gain_factor: ArrayLike) -> np.ndarray:
    """Fading-averaged sensing SNR after coherent integration of ``L`` snapshots (E2).

    ``gamma = p^s L a``, linear (not dB).

    Parameters
    ----------
    sensing_power_w : array_like
        Sensing transmit power ``p^s`` in watts.
    snapshots : array_like
        Snapshots ``L`` integrated per sample.
    gain_factor : array_like
        ``a_n`` in 1/W, from :func:`sensing_gain_factor`.

    Examples
    --------
    >>> float(sensing_snr(0.5, 4, 2.0))
    4.0
    """
    return np.asarray(sensing_power_w, dtype=float) * np.asarray(snapshots) * np.asarray(gain_factor, dtype=float)


def upload_slot_s(round_deadline_s: ArrayLike, train_s_per_sample: ArrayLike, samples: ArrayLike) -> np.ndarray:
    """Time left for the upload after local training (E5): ``T^up = T_max - tau D`` in seconds.

    A value ``<= 0`` means the device cannot upload within the round.

    Examples
    --------
    >>> float(upload_slot_s(1.0, 2e-5, 5000))
    0.9
    """
    return np.asarray(round_deadline_s, dtype=float) - np.asarray(train_s_per_sample, dtype=float) * np.asarray(samples)


def outage_threshold_w(
    upload_slot_s: ArrayLike,
    model_bits: ArrayLike,
    bandwidth_hz: ArrayLike,
    noise_power_w: ArrayLike,
    server_distance_m: ArrayLike,
    comm_pathloss_exponent: ArrayLike,
    comm_gain: ArrayLike,
    comm_fading_mean: ArrayLike,
) -> np.ndarray:
    """Power scale ``theta`` of the Rayleigh outage probability (E6), in watts.

    The upload needs the rate ``R^min = Z / T^up``; under Rayleigh fading it succeeds with
    probability ``exp(-theta / p^c)``, where
    ``theta = (2^(R^min / B) - 1) sigma^2 r^alpha_c / (G^c h_bar)``.
    A non-positive upload slot gives ``theta = inf`` (the upload can never succeed).

    Examples
    --------
    >>> # R^min / B = 1 bit/s/Hz, so 2^1 - 1 = 1 and theta = sigma^2 r^3 / (G h_bar).
    >>> float(outage_threshold_w(1.0, 2e6, 2e6, 1e-12, 100.0, 3.0, 10.0, 1e-7))
    1.0
    """
    slot = np.asarray(upload_slot_s, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        spectral_efficiency = np.where(slot > 0, np.asarray(model_bits, dtype=float) / slot, np.inf) / np.asarray(
            bandwidth_hz, dtype=float
        )
        snr_needed = np.expm1(spectral_efficiency * np.log(2.0))
        theta = (
            snr_needed
            * np.asarray(noise_power_w, dtype=float)
            * np.asarray(server_distance_m, dtype=float) ** np.asarray(comm_pathloss_exponent, dtype=float)
            / (np.asarray(comm_gain, dtype=float) * np.asarray(comm_fading_mean, dtype=float))
        )
    return np.where(slot > 0, theta, np.inf)


def success_probability(comm_power_w: ArrayLike, theta_w: ArrayLike) -> np.ndarray:
    """Probability that the upload meets its rate (E6): ``p = exp(-theta / p^c)``.

    ``p = 0`` when ``p^c = 0`` or ``theta = inf``; the result always lies in ``[0, 1]``.

    Raises
    ------
    ValueError
        If ``comm_power_w`` or ``theta_w`` is negative, or ``theta_w`` is NaN.

    Examples
    --------
    >>> success_probability([0.0, 1.0, 2.0], 1.0).round(4)
    array([0.    , 0.3679, 0.6065])
    """
    power = np.asarray(comm_power_w, dtype=float)
    theta = np.asarray(theta_w, dtype=float)
    if np.any(power < 0):
        raise ValueError(f"comm_power_w must be >= 0, got {comm_power_w!r}")
    # A negative threshold would give exp(-theta / p) > 1.
    if not np.all(theta >= 0):
        raise ValueError(f"theta_w must be >= 0 (not NaN), got {theta_w!r}; allowed range is [0, inf]")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = np.exp(-theta / power)
    return np.where((power > 0) & np.isfinite(theta), value, 0.0)


def round_energy_j(
    sensing_power_w: ArrayLike,
    sensing_duration_s: ArrayLike,
    energy_per_sample_j: ArrayLike,
    samples: ArrayLike,
    comm_power_w: ArrayLike,
    upload_slot_s: ArrayLike,
) -> dict[str, np.ndarray]:
    """Energy one device spends in one round (E9), split by what it pays for, in joules.

    Returns
    -------
    dict
        ``sensing_j = p^s T_s``, ``computing_j = c D``, ``upload_j = p^c T^up`` and their
        ``total_j``. Upload energy is spent whether or not the upload succeeds.

    Examples
    --------
    >>> e = round_energy_j(1.0, 1.0, 1e-4, 5000, 2.0, 0.9)
    >>> {k: round(float(v), 6) for k, v in e.items()}
    {'sensing_j': 1.0, 'computing_j': 0.5, 'upload_j': 1.8, 'total_j': 3.3}
    """
    sensing = np.asarray(sensing_power_w, dtype=float) * np.asarray(sensing_duration_s, dtype=float)
    computing = np.asarray(energy_per_sample_j, dtype=float) * np.asarray(samples)
    upload = np.asarray(comm_power_w, dtype=float) * np.asarray(upload_slot_s, dtype=float)
    return {"sensing_j": sensing, "computing_j": computing, "upload_j": upload, "total_j": sensing + computing + upload}


def snr_db(snr: ArrayLike) -> np.ndarray:
    """Convert a linear SNR to decibels, ``10 log10(snr)`` (``-inf`` for 0)."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.asarray(snr, dtype=float))
