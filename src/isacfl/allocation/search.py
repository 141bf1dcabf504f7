"""The outer problem: choose the SNR floor ``gamma_min`` that maximises ``J``.

Two searches are provided.

* :func:`golden_section_search` is the outer layer of the two-layer algorithm that the book
  reproduces: golden-section search for the maximum
  of a scalar function on an interval. It is exact for unimodal functions, but
  ``J(gamma_min) = gamma_min * sum_n V_n(gamma_min)`` is not unimodal in general (the best snapshot
  count of a device jumps as the floor rises), so it can stop at a local maximum.
* :func:`certified_search` is a branch and bound over ``gamma_min`` that returns the global maximum
  together with an upper bound on it. It uses one fact: every ``V_n`` is non-increasing, so on an
  interval ``[a, b]`` the objective obeys ``J(g) <= b * sum_n V_n(a)``.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import math
import warnings
from collections.abc import Callable

import numpy as np

from .errors import ConvergenceWarning
from .inner import InnerProblem

__all__ = ["SearchResult", "golden_section_search", "certified_search", "INVERSE_GOLDEN_RATIO"]

logger = logging.getLogger(__name__)

#: ``(sqrt(5) - 1) / 2``: golden-section search keeps this fraction of the bracket per iteration.
INVERSE_GOLDEN_RATIO = (math.sqrt(5.0) - 1.0) / 2.0


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """Outcome of a scalar maximisation.

    ``x`` is the argument and ``fun`` the value found. ``upper_bound`` and ``relative_gap`` certify
    it (``fun <= max <= upper_bound``, ``relative_gap = (upper_bound - fun) / upper_bound``); they
    are ``None`` for a search that proves nothing. ``status`` is 0 on success and 1 when the search
    hit its iteration or evaluation limit, and ``message`` explains why.
    """

    x: float
    fun: float
    nfev: int  #: objective evaluations
    nit: int  #: iterations of the search loop
    status: int
    message: str
    ncell: int = 0  #: device-snapshot cells evaluated in total (0 when not applicable)
    upper_bound: float | None = None
    relative_gap: float | None = None

    @property
    def success(self) -> bool:
        """Whether the search reached its tolerance."""
        return self.status == 0


def _check_bracket(lower: float, upper: float) -> None:
    if not (math.isfinite(lower) and math.isfinite(upper) and lower <= upper):
        raise ValueError(f"the bracket must satisfy lower <= upper, both finite; got [{lower!r}, {upper!r}]")


def golden_section_search(
    func: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    xtol: float = 1e-8,
    maxiter: int = 500,
    cells_per_evaluation: int = 0,
) -> SearchResult:
    """Maximise a scalar function on ``[lower, upper]`` by golden-section search.

    Each iteration keeps the part of the bracket that contains the better of two interior points,
    which shrinks the bracket by the factor ``(sqrt(5) - 1) / 2`` for one new evaluation.

    Parameters
    ----------
    func : callable
        The function to maximise, ``func(x) -> float``.
    lower, upper : float
        The bracket, ``lower <= upper``.
    xtol : float, optional
        Relative tolerance: the search stops when the bracket is shorter than
        ``xtol * max(|lower|, |upper|)`` (or than ``xtol`` when both are 0). Must be > 0.
    maxiter : int, optional
        Largest number of iterations (at least 1).
    cells_per_evaluation : int, optional
        Cells one call of ``func`` evaluates; only used to fill :attr:`SearchResult.ncell`.

    Returns
    -------
    SearchResult
        ``x`` is the better of the two final interior points (``lower`` itself when the bracket has
        zero length); ``upper_bound`` and ``relative_gap`` are ``None``.

    Raises
    ------
    ValueError
        If the bracket or a tolerance is invalid.

    Warns
    -----
    ConvergenceWarning
        If ``maxiter`` iterations did not reach ``xtol``.

    Notes
    -----
    This is the outer layer of the two-layer algorithm of "ISAC for AI: A Trade-off Framework
    Across Data Acquisition and Transfer in Federated Learning". On a unimodal function it returns
    the maximiser to within the tolerance after about ``log(xtol) / log(0.618)`` iterations; on a
    function with several local maxima it returns one of them, not necessarily the largest.

    Examples
    --------
    >>> result = golden_section_search(lambda x: -(x - 2.0) ** 2, 0.0, 5.0)
    >>> round(result.x, 6), result.status
    (2.0, 0)
    """
    _check_bracket(lower, upper)
    if not xtol > 0:
        raise ValueError(f"xtol must be > 0, got {xtol!r}")
    if maxiter < 1:
        raise ValueError(f"maxiter must be >= 1, got {maxiter!r}")
    scale = max(abs(lower), abs(upper)) or 1.0
    if upper - lower <= xtol * scale:
        value = float(func(lower))
        return SearchResult(lower, value, 1, 0, 0, "The bracket is already within the tolerance.",
                            ncell=cells_per_evaluation)

    a, b = float(lower), float(upper)
    c = b - INVERSE_GOLDEN_RATIO * (b - a)
    d = a + INVERSE_GOLDEN_RATIO * (b - a)
    fc, fd = float(func(c)), float(func(d))
    nfev, nit = 2, 0
    while b - a > xtol * scale and nit < maxiter:
        nit += 1
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - INVERSE_GOLDEN_RATIO * (b - a)
            fc = float(func(c))
        else:
            a, c, fc = c, d, fd
            d = a + INVERSE_GOLDEN_RATIO * (b - a)
            fd = float(func(d))
        nfev += 1
    x, fun = (c, fc) if fc >= fd else (d, fd)
    if b - a > xtol * scale:
        message = f"Maximum number of iterations ({maxiter}) reached before the bracket met xtol={xtol:g}."
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
        status = 1
    else:
        message = "The bracket is within the tolerance."
        status = 0
    logger.debug("golden-section search: x=%s value=%s after %s iterations", x, fun, nit)
    return SearchResult(x, fun, nfev, nit, status, message, ncell=nfev * cells_per_evaluation)


def certified_search(
    problem: InnerProblem,
    *,
    rtol: float = 1e-6,
    max_evaluations: int = 100_000,
    initial_points: int = 33,
) -> SearchResult:
    """Find the global maximum of ``J(gamma_min)`` with a certified upper bound.

    Parameters
    ----------
    problem : InnerProblem
        The precomputed inner problem of a scenario.
    rtol : float, optional
        Target relative gap ``(upper_bound - fun) / upper_bound``, in ``(0, 1)``.
    max_evaluations : int, optional
        Largest number of SNR floors evaluated (at least ``initial_points``).
    initial_points : int, optional
        Points of the first uniform grid over ``[gamma_lo, gamma_hi]`` (at least 2).

    Returns
    -------
    SearchResult
        ``x`` is the best floor found, ``fun = J(x)``, and ``upper_bound`` bounds ``J`` on the whole
        feasible range, so ``fun`` is within ``relative_gap`` of the global maximum.

    Raises
    ------
    ValueError
        If a tolerance or limit is out of range.

    Warns
    -----
    ConvergenceWarning
        If ``max_evaluations`` is reached with a gap above ``rtol``; the result still carries the
        certificate it reached.

    Notes
    -----
    Branch and bound over intervals of ``gamma_min``. Every ``V_n`` is non-increasing, so on
    ``[a, b]`` the bound ``J(g) <= b * S(a)`` holds, with ``S = sum_n V_n``. Below ``gamma_lo`` the
    objective grows linearly, and above ``gamma_hi`` it is infeasible, so the maximum over
    ``[gamma_lo, gamma_hi]`` is the global one. The search repeatedly halves the intervals whose
    bound exceeds the best value found by more than the tolerance, and discards intervals whose
    bound is at most that value. As the surviving intervals close in, cells that cannot be any
    device's best choice anywhere in them are dropped, so that later evaluations are cheaper:
    cell ``(n, L)`` is dropped when ``v_nL(a) < V_n(b)`` on the hull ``[a, b]`` of the survivors.

    Examples
    --------
    >>> from isacfl.scenario import Scenario
    >>> problem = InnerProblem(Scenario.random(5, seed=3))
    >>> result = certified_search(problem)
    >>> result.status, bool(result.relative_gap <= 1e-6)
    (0, True)
    """
    if not 0 < rtol < 1:
        raise ValueError(f"rtol must be in (0, 1), got {rtol!r}")
    if initial_points < 2:
        raise ValueError(f"initial_points must be >= 2, got {initial_points!r}")
    if max_evaluations < initial_points:
        raise ValueError(f"max_evaluations must be >= initial_points={initial_points}, got {max_evaluations!r}")

    lower, upper = problem.search_bounds()
    cells = problem.cells
    ncell = 0

    def sums(points: np.ndarray) -> np.ndarray:
        nonlocal ncell
        ncell += points.size * cells.size
        with np.errstate(over="ignore"):
            return np.exp(cells.device_log_values(points)).sum(axis=1)

    if upper - lower <= rtol * max(upper, np.finfo(float).tiny):
        value = float(upper * sums(np.array([upper]))[0])
        return SearchResult(upper, value, 1, 0, 0, "The feasible range of gamma_min is a single point.",
                            ncell=ncell, upper_bound=value, relative_gap=0.0)

    grid = np.linspace(lower, upper, initial_points)
    totals = sums(grid)
    values = grid * totals
    nfev = grid.size
    best = int(np.argmax(values))
    best_x, best_value = float(grid[best]), float(values[best])

    # Heap of (-bound, a, b, S(a), S(b)); the bound of [a, b] is b * S(a).
    heap = [(-b * sa, a, b, sa, sb) for a, b, sa, sb in zip(grid[:-1], grid[1:], totals[:-1], totals[1:])]
    heapq.heapify(heap)
    hull_width = upper - lower
    nit = 0
    status, message = 0, "The relative gap is within rtol."
    while True:
        # Drop intervals that cannot beat the best value; stop when the largest bound is close.
        heap = [item for item in heap if -item[0] > best_value]
        heapq.heapify(heap)
        bound = max(best_value, -heap[0][0]) if heap else best_value
        if bound - best_value <= rtol * bound:
            break
        if nfev >= max_evaluations:
            status = 1
            message = f"Maximum number of evaluations ({max_evaluations}) reached before the gap met rtol={rtol:g}."
            break
        nit += 1
        threshold = best_value / (1.0 - rtol)
        batch_size = max(1, min(len(heap), max_evaluations - nfev, max(8, 2**16 // max(cells.size, 1))))
        split = []
        while heap and len(split) < batch_size and -heap[0][0] > threshold:
            split.append(heapq.heappop(heap))
        midpoints = np.array([0.5 * (item[1] + item[2]) for item in split])
        mid_totals = sums(midpoints)
        nfev += midpoints.size
        for (_, a, b, sa, sb), m, sm in zip(split, midpoints, mid_totals):
            if not a < m < b:
                # The interval is too short to split in floating point: its bound is attained.
                best_value = max(best_value, b * sb)
                continue
            if m * sm > best_value:
                best_x, best_value = float(m), float(m * sm)
            heapq.heappush(heap, (-m * sa, a, m, sa, sm))
            heapq.heappush(heap, (-b * sm, m, b, sm, sb))

        hull_a = min(item[1] for item in heap) if heap else best_x
        hull_b = max(item[2] for item in heap) if heap else best_x
        if heap and hull_b - hull_a < 0.5 * hull_width and cells.size > problem.scenario.n_devices:
            cells = _prune_cells(cells, hull_a, hull_b)
            hull_width = hull_b - hull_a

    gap = (bound - best_value) / bound if bound > 0 else 0.0
    if status:
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
    logger.debug("certified search: x=%s value=%s bound=%s after %s evaluations", best_x, best_value, bound, nfev)
    return SearchResult(best_x, best_value, nfev, nit, status, message, ncell=ncell,
                        upper_bound=float(bound), relative_gap=float(gap))


def _prune_cells(cells, lower: float, upper: float):
    """Keep the cells that can be their device's best choice somewhere in ``[lower, upper]``."""
    log_lower = cells.log_values(np.array([lower]))[0]
    log_upper = cells.log_values(np.array([upper]))[0]
    device_upper = np.maximum.reduceat(log_upper, cells.starts)
    keep = (log_lower >= device_upper[cells.device]) & (cells.limit >= lower)
    return cells.subset(keep)
