"""The inner problem of the allocator: every device's best snapshot count for a given ``gamma_min``.

For a fixed minimum sensing SNR ``gamma_min`` the allocation problem splits into one small problem
per device. Device ``n`` enumerates its snapshot counts ``L = 1..L_max``; each ``L`` fixes the
sample count ``D`` (E1), the upload slot (E5) and the outage threshold ``theta`` (E6), and the
powers follow in closed form:

* sensing power ``p^s = max(p_th, gamma_min / (L a_n))``, the cheapest power that meets the SNR
  floor (E2);
* communication power ``p^c = min(P_c^max, (E_n - p^s T_s - c_n D) / T^up)``, the rest of the
  energy budget (E9);
* value ``v = D exp(-theta / p^c)``, the expected number of samples that reach the server.

``V_n(gamma_min)`` is the largest ``v`` over the feasible ``L``. Everything that does not depend on
``gamma_min`` is computed once, in :class:`InnerProblem`, and stored per device-snapshot *cell*
(one pair ``(n, L)``); only cells that are feasible for some ``gamma_min`` are kept.

Values are handled in the log domain, ``log v = log D - theta / p^c``, so that the maximum over
``L`` needs no exponential per cell; ``p^c = 0`` gives ``log v = -inf``, that is ``v = 0``.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from numpy.typing import ArrayLike

from ..channel import outage_threshold_w, samples, sensing_gain_factor, success_probability, upload_slot_s
from ..scenario import Scenario
from . import kernels
from .errors import InfeasibleScenarioError

__all__ = ["InnerProblem", "device_values", "objective", "snapshot_counts"]

logger = logging.getLogger(__name__)

#: Relative slack on the energy budget, so that a budget meant to be exactly sufficient
#: (0.0656 J for 0.05 J of sensing plus 156 samples at 1e-4 J) is not rejected for a rounding error.
ENERGY_SLACK = 1e-12

#: Relative slack when comparing an SNR floor with the largest SNR a cell can reach: a floor
#: computed as, say, a quarter of another cell's reach can land one rounding step above it.
REACH_SLACK = 1e-9


def snapshot_counts(scenario: Scenario) -> np.ndarray:
    """Return the snapshot counts ``1..L`` worth enumerating for ``scenario``.

    ``L`` is ``max_snapshots`` capped at the largest count that still yields one sample for some
    device, ``max_n floor(T_s / t_n)``: a larger count gives every device zero samples (E1), so
    enumerating it would only cost memory.

    Examples
    --------
    >>> snapshot_counts(Scenario(n_devices=1, max_snapshots=10**9, snapshot_s=0.25)).tolist()
    [1, 2, 3, 4]
    """
    longest = int(np.max(samples(scenario.sensing_duration_s, scenario.snapshot_s, 1)))
    return np.arange(1, max(1, min(scenario.max_snapshots, longest)) + 1)


@dataclasses.dataclass(frozen=True)
class PointProfile:
    """Per-device summary of the inner problem at one SNR floor, used by the certified search."""

    gamma: float
    best_log_value: np.ndarray  #: ``log V_n``
    best_snapshots: np.ndarray  #: snapshot count of each device's best cell (smallest among ties)
    runner_up_log_value: np.ndarray  #: largest ``log v`` over the device's other cells
    best_log_slope: np.ndarray  #: derivative of the best cell's ``log v`` in the floor, ``<= 0``
    best_limit: np.ndarray  #: largest floor at which the best cell is still feasible
    runner_up_log_slope: np.ndarray  #: derivative of the runner-up cell's ``log v``
    runner_up_limit: np.ndarray  #: largest floor at which the runner-up cell is still feasible
    third_log_value: np.ndarray  #: largest ``log v`` over the device's cells other than the two above

    @property
    def total(self) -> float:
        """``sum_n V_n``."""
        return float(np.exp(self.best_log_value).sum())


@dataclasses.dataclass(frozen=True, eq=False)
class CellSet:
    """Precomputed constants of the device-snapshot cells, one row per device, padded to equal length.

    Row ``n`` contains device ``n``'s cells sorted by ``L``. A padding cell, or a cell that is never
    feasible, has ``limit = -inf`` and so value 0. Communication power at SNR floor ``g`` is
    ``min(cap, free - max(floor, g * slope))`` (watts), valid while ``g <= reach``.
    """

    snapshots: np.ndarray  #: snapshot count ``L`` of each cell (0 for padding)
    log_samples: np.ndarray  #: ``log D``
    theta_w: np.ndarray  #: outage threshold ``theta`` (E6), watts
    reach: np.ndarray  #: largest SNR floor the cell can meet (linear; -inf for padding)
    limit: np.ndarray  #: ``reach * (1 + REACH_SLACK)``, the floor above which the cell counts as infeasible
    slope: np.ndarray  #: ``T_s / (L a_n T^up)``, watts of upload power per unit of SNR
    free: np.ndarray  #: ``(E_n - c_n D) / T^up``, upload power if sensing cost nothing, watts
    floor: np.ndarray  #: ``p_th T_s / T^up``, upload power that the minimum sensing power costs, watts
    cap: np.ndarray  #: ``P_c^max``, watts

    @property
    def size(self) -> int:
        """Number of cells, padding included."""
        return int(self.snapshots.size)

    @property
    def n_devices(self) -> int:
        """Number of devices (rows)."""
        return int(self.snapshots.shape[0])

    def subset(self, keep: np.ndarray) -> "CellSet":
        """Return the cells where ``keep`` (shape ``(N, K)``) is true, re-padded to the longest row."""
        width = max(1, int(keep.sum(axis=1).max()))
        # A stable sort of ~keep moves each row's kept cells to the front in their L order.
        order = np.argsort(~keep, axis=1, kind="stable")[:, :width]
        kept = np.take_along_axis(keep, order, axis=1)
        fields = {}
        for field in dataclasses.fields(self):
            values = np.take_along_axis(getattr(self, field.name), order, axis=1)
            if field.name in ("reach", "limit"):
                values = np.where(kept, values, -np.inf)
            fields[field.name] = values
        return CellSet(**fields)

    def _arguments(self) -> tuple:
        return (self.slope, self.floor, self.free, self.cap, self.limit, self.theta_w, self.log_samples)

    def log_values(self, gamma: float) -> np.ndarray:
        """Return ``log v`` of every cell at floor ``gamma``, shape ``(N, K)``; ``-inf`` where ``v = 0`` or infeasible."""
        out = np.empty(self.snapshots.shape)
        kernels.cell_log_values(float(gamma), *self._arguments(), out)
        return out

    def device_log_values(self, gamma: ArrayLike) -> np.ndarray:
        """Return ``log V_n`` for every floor in ``gamma`` and every device, shape ``(len(gamma), N)``."""
        gamma = np.atleast_1d(np.asarray(gamma, dtype=float))
        out = np.empty((gamma.size, self.n_devices))
        kernels.device_log_values(gamma, *self._arguments(), out)
        return out

    def profile(self, gamma: float) -> PointProfile:
        """Summarise every device at floor ``gamma``: its two best cells (value, slope, limit) and the third value."""
        n_devices = self.n_devices
        best_value, second_value, third_value = np.empty(n_devices), np.empty(n_devices), np.empty(n_devices)
        best_slope, second_slope = np.empty(n_devices), np.empty(n_devices)
        best_column = np.empty(n_devices, dtype=np.int64)
        second_column = np.empty(n_devices, dtype=np.int64)
        kernels.top_cells(float(gamma), *self._arguments(), best_value, best_column, second_value, second_column,
                          third_value, best_slope, second_slope)
        row_starts = np.arange(n_devices) * self.snapshots.shape[1]
        best, second = row_starts + best_column, row_starts + second_column
        snapshots, limit = self.snapshots.ravel(), self.limit.ravel()
        return PointProfile(
            gamma=float(gamma),
            best_log_value=best_value,
            best_snapshots=snapshots[best],
            runner_up_log_value=second_value,
            best_log_slope=best_slope,
            best_limit=limit[best],
            runner_up_log_slope=second_slope,
            runner_up_limit=limit[second],
            third_log_value=third_value,
        )


class InnerProblem:
    """The per-device inner problem of one scenario, with everything independent of ``gamma_min`` precomputed.

    Parameters
    ----------
    scenario : Scenario
        The deployment.

    Raises
    ------
    InfeasibleScenarioError
        If some device cannot reach any ``gamma_min``: no snapshot count leaves a positive upload
        slot with at least one sample, or the budget does not cover the minimum sensing energy
        ``p_th T_s`` plus the computing energy ``c_n D``. The message names the device and the
        shortfall in joules.

    Notes
    -----
    Implements the inner layer of the two-layer algorithm (closed forms from E1, E2, E5, E6 and
    E9). :meth:`device_values` costs ``O(N L_max)`` per SNR floor.

    Examples
    --------
    >>> problem = InnerProblem(Scenario(n_devices=2))
    >>> lo, hi = problem.search_bounds()
    >>> bool(0 < lo < hi)
    True
    >>> values = problem.device_values([lo, hi])
    >>> values.shape
    (2, 2)
    >>> bool(np.all(values[0] >= values[1]))  # V_n is non-increasing in gamma_min
    True
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        s = scenario
        snapshots = snapshot_counts(s)
        gain = sensing_gain_factor(s)
        unreachable = np.flatnonzero(~(np.isfinite(gain) & (gain > 0)))
        if unreachable.size:
            n = int(unreachable[0])
            raise InfeasibleScenarioError(
                f"device {n} is infeasible: its sensing gain factor G*xi_bar/(sigma^2*d^alpha_s) is "
                f"{float(gain[n])!r} 1/W (it under- or overflows in float64), so no positive sensing SNR can be "
                "targeted; bring sensing_gain, sensing_fading_mean, noise_power_w and target_distance_m "
                "to physical magnitudes",
                device=n,
                shortfall_j=float("inf"),
            )
        count = samples(s.sensing_duration_s, s.snapshot_s[:, None], snapshots[None, :])
        slot = upload_slot_s(s.round_deadline_s, s.train_s_per_sample[:, None], count)
        theta = outage_threshold_w(
            slot,
            s.model_bits,
            s.bandwidth_hz[:, None],
            s.noise_power_w,
            s.server_distance_m[:, None],
            s.comm_pathloss_exponent,
            s.comm_gain[:, None],
            s.comm_fading_mean,
        )
        residual_j = s.energy_budget_j[:, None] - s.energy_per_sample_j[:, None] * count
        sensing_floor_j = s.sensing_power_min_w[:, None] * s.sensing_duration_s
        timely = (count >= 1) & (slot > 0)
        usable = timely & (residual_j >= sensing_floor_j - ENERGY_SLACK * s.energy_budget_j[:, None])
        self._raise_if_infeasible(timely, usable, residual_j, sensing_floor_j, count)

        snr_per_watt = snapshots[None, :] * gain[:, None]
        max_sensing_w = np.minimum(s.sensing_power_max_w[:, None], residual_j / s.sensing_duration_s)
        # A budget that covers p_th within ENERGY_SLACK reaches at least the SNR of p_th.
        max_sensing_w = np.maximum(max_sensing_w, s.sensing_power_min_w[:, None])
        reach = np.where(usable, max_sensing_w * snr_per_watt, -np.inf)
        safe_slot = np.where(usable, slot, 1.0)
        self.cells = CellSet(
            snapshots=np.broadcast_to(snapshots, usable.shape).copy(),
            log_samples=np.log(np.maximum(count, 1)),
            theta_w=np.where(usable, theta, 1.0),
            reach=reach,
            limit=reach * (1.0 + REACH_SLACK),
            slope=s.sensing_duration_s / (snr_per_watt * safe_slot),
            free=np.where(usable, residual_j, 0.0) / safe_slot,
            floor=np.broadcast_to(sensing_floor_j, usable.shape) / safe_slot,
            cap=np.broadcast_to(s.comm_power_max_w[:, None], usable.shape).copy(),
        )
        self.gain_factor = gain
        self.samples_table = count
        self.upload_slot_table = slot
        self.theta_table = theta
        logger.debug("inner problem: %s devices, %s usable cells of %s", s.n_devices, self.cells.size, count.size)

    @staticmethod
    def _raise_if_infeasible(timely, usable, residual_j, sensing_floor_j, count) -> None:
        bad = np.flatnonzero(~usable.any(axis=1))
        if bad.size == 0:
            return
        n = int(bad[0])
        if not timely[n].any():
            raise InfeasibleScenarioError(
                f"device {n} is infeasible: no snapshot count gives at least one sample that can be "
                "trained and still leave time to upload within the round deadline; lengthen "
                "sensing_duration_s or round_deadline_s, or shorten snapshot_s or train_s_per_sample",
                device=n,
                shortfall_j=float("inf"),
            )
        shortfall = np.where(timely[n], sensing_floor_j[n] - residual_j[n], np.inf)
        best = int(np.argmin(shortfall))
        raise InfeasibleScenarioError(
            f"device {n} is infeasible: its energy budget falls short by {shortfall[best]:.6g} J of the "
            f"minimum sensing energy p_th*T_s = {sensing_floor_j[n, 0]:.6g} J plus the computing energy "
            f"of {int(count[n, best])} samples (the cheapest choice, L = {best + 1}); raise "
            f"energy_budget_j of device {n} by at least that much",
            device=n,
            shortfall_j=float(shortfall[best]),
        )

    # -- the objective ------------------------------------------------------------------------

    def search_bounds(self) -> tuple[float, float]:
        """Return ``(gamma_lo, gamma_hi)``, the interval the outer search covers.

        ``gamma_lo = min_n p_th a_n``: below it every device senses at ``p_th`` whatever the floor,
        so ``J`` grows linearly. ``gamma_hi`` is the smallest over devices of the largest SNR the
        device can reach within its budget; above it some device is infeasible.
        """
        s = self.scenario
        lo = float(np.min(s.sensing_power_min_w * self.gain_factor))
        hi = float(np.min(self.device_reach))
        return lo, max(lo, hi)

    def device_log_values(self, gamma_min: ArrayLike) -> np.ndarray:
        """Return ``log V_n(gamma_min)``, shape ``gamma_min.shape + (N,)``.

        ``-inf`` both for a device whose best upload power is zero and for a device that cannot
        meet the floor; :meth:`device_values` distinguishes the two.
        """
        gamma = np.asarray(gamma_min, dtype=float)
        if np.any(~np.isfinite(gamma)) or np.any(gamma < 0):
            raise ValueError(f"gamma_min must be finite and >= 0, got {gamma_min!r}")
        out = self.cells.device_log_values(gamma.ravel())
        return out.reshape(gamma.shape + (self.scenario.n_devices,))

    @property
    def device_reach(self) -> np.ndarray:
        """Largest SNR floor each device can meet within its budget, shape ``(N,)``."""
        return self.cells.reach.max(axis=1)

    def device_values(self, gamma_min: ArrayLike) -> np.ndarray:
        """Evaluate ``V_n(gamma_min)``, each device's largest expected number of delivered samples.

        Parameters
        ----------
        gamma_min : float or array_like
            SNR floor(s), linear, ``>= 0``.

        Returns
        -------
        numpy.ndarray
            Shape ``gamma_min.shape + (N,)``. ``V_n`` is non-increasing in ``gamma_min``. It is 0 for
            a device that can meet the floor only with zero upload power. It is ``-inf`` for a device
            that cannot meet the floor at all, which happens above :meth:`search_bounds`' upper end.

        Raises
        ------
        ValueError
            If ``gamma_min`` is negative or not finite.
        """
        gamma = np.asarray(gamma_min, dtype=float)
        values = np.exp(self.device_log_values(gamma))
        values[gamma[..., None] > self.device_reach * (1.0 + REACH_SLACK)] = -np.inf
        return values

    def objective(self, gamma_min: ArrayLike) -> np.ndarray | float:
        """Evaluate the outer objective ``J(gamma_min) = gamma_min * sum_n V_n(gamma_min)``.

        Returns a float for a scalar argument, an array otherwise; ``-inf`` where some device
        cannot meet the floor.
        """
        gamma = np.asarray(gamma_min, dtype=float)
        values = self.device_values(gamma)
        with np.errstate(invalid="ignore"):
            total = values.sum(axis=-1)
        result = np.where(np.isneginf(values).any(axis=-1), -np.inf, gamma * total)
        return float(result) if result.ndim == 0 else result

    # -- the allocation at one floor ----------------------------------------------------------

    def best_snapshots(self, gamma_min: float) -> np.ndarray:
        """Return each device's best snapshot count at ``gamma_min``, shape ``(N,)``.

        Among equal values the smallest ``L`` wins, and a device whose every feasible cell has
        value 0 gets its smallest feasible ``L``.

        Raises
        ------
        ValueError
            If ``gamma_min`` is outside ``[0, gamma_hi]``.
        """
        lo, hi = self.search_bounds()
        if not (np.isfinite(gamma_min) and 0 <= gamma_min <= hi):
            raise ValueError(f"gamma_min must be in [0, {hi!r}] for this scenario, got {gamma_min!r}")
        cells = self.cells
        log_v = cells.log_values(gamma_min)
        # Feasible cells of value 0 rank above infeasible ones, so that argmax picks a feasible cell.
        score = np.where(np.isfinite(log_v), log_v, -np.finfo(float).max)
        score[cells.limit < gamma_min] = -np.inf
        choice = score.argmax(axis=1)[:, None]
        return np.take_along_axis(cells.snapshots, choice, axis=1)[:, 0]


def device_values(scenario: Scenario, gamma_min: ArrayLike) -> np.ndarray:
    """Evaluate ``V_n(gamma_min)`` for every device of ``scenario``; see :meth:`InnerProblem.device_values`.

    Examples
    --------
    >>> s = Scenario(n_devices=3)
    >>> v = device_values(s, 10.0)
    >>> v.shape, bool(np.allclose(v, v[0]))  # identical devices get identical values
    ((3,), True)
    """
    return InnerProblem(scenario).device_values(gamma_min)


def objective(scenario: Scenario, gamma_min: ArrayLike) -> np.ndarray | float:
    """Evaluate ``J(gamma_min) = gamma_min * sum_n V_n(gamma_min)`` for ``scenario``.

    Examples
    --------
    >>> s = Scenario(n_devices=3)
    >>> bool(np.isclose(objective(s, 10.0), 10.0 * device_values(s, 10.0).sum()))
    True
    """
    return InnerProblem(scenario).objective(gamma_min)


def cell_allocation(problem: InnerProblem, snapshots: np.ndarray, gamma_min: float) -> dict[str, np.ndarray]:
    """Return the closed-form powers at ``gamma_min`` when device ``n`` integrates ``snapshots[n]`` snapshots."""
    s = problem.scenario
    device = np.arange(s.n_devices)
    snapshots = np.asarray(snapshots, dtype=np.int64)
    gain = problem.gain_factor[device]
    count = problem.samples_table[device, snapshots - 1]
    slot = problem.upload_slot_table[device, snapshots - 1]
    theta = problem.theta_table[device, snapshots - 1]
    sensing_w = np.maximum(s.sensing_power_min_w[device], gamma_min / (snapshots * gain))
    sensing_w = np.minimum(sensing_w, s.sensing_power_max_w[device])
    residual_j = s.energy_budget_j[device] - s.energy_per_sample_j[device] * count
    comm_w = np.clip((residual_j - sensing_w * s.sensing_duration_s) / slot, 0.0, s.comm_power_max_w[device])
    return {
        "snapshots": snapshots.astype(np.int64),
        "samples": count.astype(np.int64),
        "sensing_power_w": sensing_w,
        "comm_power_w": comm_w,
        "sensing_snr": sensing_w * snapshots * gain,
        "success_prob": success_probability(comm_w, theta),
    }
