"""Statistics over many scenarios: how far golden-section search falls short, and how run time grows."""

from __future__ import annotations

import logging
import time

import numpy as np
from tqdm import tqdm

from ..scenario import Scenario
from . import allocate

__all__ = ["golden_gap_survey", "time_allocator"]

logger = logging.getLogger(__name__)


def golden_gap_survey(
    n_scenarios: int,
    *,
    n_devices: int = 10,
    seed: int = 0,
    target_distance_range_m: tuple[float, float] | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Measure the relative shortfall of golden-section search on random scenarios.

    Scenario ``k`` is ``Scenario.random(n_devices, seed=seed + k, ...)``. For each, the gap is
    ``1 - J_golden / J_certified``. It can be negative, by at most the certificate's relative gap
    (about 1e-6), when golden section lands closer to the maximum than the certified search's
    tolerance requires.

    Parameters
    ----------
    n_scenarios : int
        Number of scenarios (at least 1).
    n_devices : int, optional
        Devices per scenario.
    seed : int, optional
        Seed of the first scenario.
    target_distance_range_m : tuple of float, optional
        Range of device-to-target distances, metres (default: the scenario default, 80-100 m).
    progress : bool, optional
        Show a tqdm progress bar.

    Returns
    -------
    numpy.ndarray
        The relative gaps, shape ``(n_scenarios,)``.

    Examples
    --------
    >>> gaps = golden_gap_survey(3, n_devices=4)
    >>> gaps.shape, bool(np.all(gaps > -1e-5))
    ((3,), True)
    """
    if n_scenarios < 1:
        raise ValueError(f"n_scenarios must be >= 1, got {n_scenarios!r}")
    gaps = np.empty(n_scenarios)
    for k in tqdm(range(n_scenarios), desc="golden-section gap", disable=not progress):
        scenario = Scenario.random(n_devices, seed=seed + k, target_distance_range_m=target_distance_range_m)
        best = allocate(scenario, "proposed").objective
        golden = allocate(scenario, "golden").objective
        gaps[k] = 1.0 - golden / best if best > 0 else 0.0
    logger.info("golden-section gap over %s scenarios: median %s, max %s", n_scenarios, np.median(gaps), gaps.max())
    return gaps


def time_allocator(
    n_devices: list[int],
    max_snapshots: list[int],
    *,
    strategies: tuple[str, ...] = ("golden", "proposed"),
    repeats: int = 3,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Measure the wall time of :func:`~isacfl.allocation.allocate` on a grid of ``N`` and ``L_max``.

    Each time is the shortest of ``repeats`` runs on ``Scenario.random(N, seed, max_snapshots=L)``.
    Wall times depend on the machine and on its load, so compare them only within one call.

    Returns
    -------
    dict
        ``n_devices`` and ``max_snapshots`` (the grid axes) and, per strategy, an array of seconds of
        shape ``(len(n_devices), len(max_snapshots))``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats!r}")
    times = {name: np.empty((len(n_devices), len(max_snapshots))) for name in strategies}
    cases = [(i, j) for i in range(len(n_devices)) for j in range(len(max_snapshots))]
    for i, j in tqdm(cases, desc="allocator timing", disable=not progress):
        scenario = Scenario.random(n_devices[i], seed=seed, max_snapshots=max_snapshots[j])
        for name in strategies:
            best = np.inf
            for _ in range(repeats):
                start = time.perf_counter()
                allocate(scenario, name)
                best = min(best, time.perf_counter() - start)
            times[name][i, j] = best
    return {"n_devices": np.asarray(n_devices), "max_snapshots": np.asarray(max_snapshots), **times}
