"""The outer problem: choose the SNR floor ``gamma_min`` that maximises ``J``.

Two searches are provided.

* :func:`golden_section_search` is the outer layer of the two-layer algorithm that the book
  reproduces: golden-section search for the maximum of a scalar function on an interval. It is
  exact for unimodal functions, but ``J(gamma_min) = gamma_min * sum_n V_n(gamma_min)`` is not
  unimodal in general (the best snapshot count of a device jumps as the floor rises), so it can
  stop at a local maximum.
* :func:`certified_search` is a branch and bound over ``gamma_min`` that returns the global maximum
  together with an upper bound on it. It rests on two facts: every ``V_n`` is non-increasing, so
  on an interval ``[a, b]`` the objective obeys ``J(g) <= b * sum_n V_n(a)``, and the log of each
  cell's value is concave in the floor, which gives bounds of second order in ``b - a``.
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
from .inner import InnerProblem, PointProfile

#: Cell count up to which ``certified_search(bound="auto")`` uses the first-order bound.
_SMALL_PROBLEM_CELLS = 1 << 16

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
    the maximiser to within the tolerance after about ``log(xtol) / log(0.618)`` iterations. On a
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
    initial_points: int = 17,
    bound: str = "auto",
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
    bound : {"auto", "first_order", "second_order"}, optional
        Interval bound of the branch and bound. ``first_order`` evaluates many floors per
        vectorised call and suits small problems; ``second_order`` needs far fewer evaluations on
        large ones. ``auto`` picks ``first_order`` up to 65,536 cells.

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
    Branch and bound over intervals of ``gamma_min``. Below ``gamma_lo`` the objective grows
    linearly, and above ``gamma_hi`` it is infeasible, so the maximum over
    ``[gamma_lo, gamma_hi]`` is the global one. The search repeatedly splits the intervals whose
    bound exceeds the best value found by more than the tolerance, and discards intervals whose
    bound is at most that value. Two interval bounds are available:

    * ``first_order``: ``J(g) <= b * S(a)`` on ``[a, b]``, with ``S = sum_n V_n``, which is valid
      because every ``V_n`` is non-increasing. Intervals are halved.
    * ``second_order``: :func:`_interval_bound`, which also uses the log-concavity of each cell's
      value in the floor, so intervals near the optimum are far cheaper to certify. Intervals are
      split where a device's best cell stops being feasible (:func:`_split_point`).

    In both, as the surviving intervals close in, cells that cannot be any device's best choice
    anywhere in them are dropped, so that later evaluations are cheaper: cell ``(n, L)`` is
    dropped when ``v_nL(a) < V_n(b)`` on the hull ``[a, b]`` of the survivors.

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
    if bound not in ("auto", "first_order", "second_order"):
        raise ValueError(f"bound must be 'auto', 'first_order' or 'second_order', got {bound!r}")
    if bound == "auto":
        bound = "first_order" if problem.cells.size <= _SMALL_PROBLEM_CELLS else "second_order"
    search = _first_order_search if bound == "first_order" else _second_order_search
    result = search(problem, rtol, max_evaluations, initial_points)
    if result.status:
        warnings.warn(result.message, ConvergenceWarning, stacklevel=2)
    logger.debug("certified search: x=%s value=%s bound=%s after %s evaluations",
                 result.x, result.fun, result.upper_bound, result.nfev)
    return result


def _second_order_search(problem: InnerProblem, rtol: float, max_evaluations: int, initial_points: int) -> SearchResult:
    """Branch and bound with one floor per evaluation and :func:`_interval_bound`."""
    lower, upper = problem.search_bounds()
    cells = problem.cells
    ncell = 0
    profiles: dict[float, PointProfile] = {}

    def evaluate(point: float) -> PointProfile:
        nonlocal ncell
        ncell += cells.size
        profiles[point] = cells.profile(point)
        return profiles[point]

    if upper - lower <= rtol * max(upper, np.finfo(float).tiny):
        value = upper * evaluate(upper).total
        return SearchResult(upper, value, 1, 0, 0, "The feasible range of gamma_min is a single point.",
                            ncell=ncell, upper_bound=value, relative_gap=0.0)

    grid = np.linspace(lower, upper, initial_points)
    for point in grid:
        evaluate(float(point))
    nfev = grid.size
    best_x = max(profiles, key=lambda g: g * profiles[g].total)
    best_value = best_x * profiles[best_x].total

    def push(heap: list, a: float, b: float) -> None:
        heapq.heappush(heap, (-_interval_bound(profiles[a], profiles[b]), a, b))

    heap: list = []
    for a, b in zip(grid[:-1], grid[1:]):
        push(heap, float(a), float(b))
    hull_width = upper - lower
    nit = 0
    while True:
        heap, bound, stop = _prune_heap(heap, best_value, nfev, rtol, max_evaluations)
        if stop is not None:
            status, message = stop
            break
        nit += 1
        threshold = best_value / (1.0 - rtol)
        batch_size = max(1, min(max_evaluations - nfev, max(4, 2**16 // max(cells.size, 1))))
        split = []
        while heap and len(split) < batch_size and -heap[0][0] > threshold:
            split.append(heapq.heappop(heap))
        for _, a, b in split:
            middle = _split_point(profiles[a], b)
            if not a < middle < b:
                continue  # too short to split in floating point; J(a) and J(b) are already known
            total = evaluate(middle).total
            nfev += 1
            if middle * total > best_value:
                best_x, best_value = middle, middle * total
            push(heap, a, middle)
            push(heap, middle, b)

        alive = {point for item in heap for point in item[1:]} | {best_x}
        for point in set(profiles) - alive:
            del profiles[point]
        if heap:
            hull_a = min(item[1] for item in heap)
            hull_b = max(item[2] for item in heap)
            if hull_b - hull_a < 0.5 * hull_width and cells.snapshots.shape[1] > 1:
                cells = _prune_cells(cells, hull_a, hull_b, profiles[hull_b])
                hull_width = hull_b - hull_a

    gap = (bound - best_value) / bound if bound > 0 else 0.0
    return SearchResult(float(best_x), float(best_value), nfev, nit, status, message, ncell=ncell,
                        upper_bound=float(bound), relative_gap=float(gap))


def _prune_heap(heap: list, best_value: float, nfev: int, rtol: float,
                max_evaluations: int) -> tuple[list, float, tuple[int, str] | None]:
    """Drop the intervals whose bound cannot beat ``best_value`` and decide whether to stop.

    Returns the pruned heap (entries start with the negated bound), the largest bound, and
    ``(status, message)`` when the gap meets ``rtol`` or the evaluations are spent, else None.
    """
    heap = [item for item in heap if -item[0] > best_value]
    heapq.heapify(heap)
    bound = max(best_value, -heap[0][0]) if heap else best_value
    if bound - best_value <= rtol * bound:
        return heap, bound, (0, "The relative gap is within rtol.")
    if nfev >= max_evaluations:
        message = f"Maximum number of evaluations ({max_evaluations}) reached before the gap met rtol={rtol:g}."
        return heap, bound, (1, message)
    return heap, bound, None


def _first_order_search(problem: InnerProblem, rtol: float, max_evaluations: int, initial_points: int) -> SearchResult:
    """Branch and bound with the bound ``b * S(a)``, many floors per vectorised evaluation."""
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
    while True:
        heap, bound, stop = _prune_heap(heap, best_value, nfev, rtol, max_evaluations)
        if stop is not None:
            status, message = stop
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
                continue  # too short to split in floating point; J(a) and J(b) are already known
            if m * sm > best_value:
                best_x, best_value = float(m), float(m * sm)
            heapq.heappush(heap, (-m * sa, a, m, sa, sm))
            heapq.heappush(heap, (-b * sm, m, b, sm, sb))

        if heap:
            hull_a = min(item[1] for item in heap)
            hull_b = max(item[2] for item in heap)
            if hull_b - hull_a < 0.5 * hull_width and cells.snapshots.shape[1] > 1:
                upper_log = cells.device_log_values([hull_b])[0]
                keep = (cells.log_values(hull_a) >= upper_log[:, None]) & (cells.limit >= hull_a)
                cells = cells.subset(keep)
                hull_width = hull_b - hull_a

    gap = (bound - best_value) / bound if bound > 0 else 0.0
    return SearchResult(best_x, best_value, nfev, nit, status, message, ncell=ncell,
                        upper_bound=float(bound), relative_gap=float(gap))


def _split_point(left: PointProfile, b: float) -> float:
    """Return where to split ``[a, b]``: the feasibility limit of a best cell at ``a`` nearest the middle.

    ``J`` can drop only where some device's best cell stops being feasible, so its maximum is often
    at such a limit. Splitting there makes the limit an interval end, where
    :func:`_interval_bound` accounts for the drop, instead of leaving it inside an interval.
    """
    a = left.gamma
    middle = 0.5 * (a + b)
    inside = left.best_limit[(left.best_limit > a) & (left.best_limit < b)]
    if inside.size == 0:
        return middle
    nearest = float(inside[np.argmin(np.abs(inside - middle))])
    # A limit within a sliver of an end would leave a useless interval; bisect instead.
    return nearest if min(nearest - a, b - nearest) > 1e-3 * (b - a) else middle


def _interval_bound(left: PointProfile, right: PointProfile) -> float:
    """Bound ``J`` on ``[a, b]``: the smaller of :func:`_settled_bound` and :func:`_chord_bound`.

    Both are second order in ``b - a`` where few devices change their best cell. The first is
    tighter on wide intervals, the second where devices switch cells inside the interval.
    """
    return min(_settled_bound(left, right), _chord_bound(left, right))


def _settled_bound(left: PointProfile, right: PointProfile) -> float:
    """Bound ``J`` on ``[a, b]`` from the profiles at its two ends, by devices whose best cell does not change.

    A device is *settled* on ``[a, b]`` when the same cell ``c`` is best at both ends with a
    positive value, its feasibility limit lies beyond ``a``, and no other cell's value at ``a``
    exceeds ``v_c(b)``. Then ``V_n = v_c`` on the whole interval, because every cell value is
    non-increasing. ``log v_c`` is concave in the floor: the upload power is a concave, positive
    function of it, and ``-theta / p`` is concave in a concave positive ``p``. So
    ``v_c(g) <= v_c(e) exp(s_c (g - e))`` at either end ``e``, with ``s_c`` the derivative there.

    Any other device is worth at most ``V_n(a)`` until the limit of its best cell at ``a`` and at
    most its runner-up value at ``a`` after it. The limits of these devices cut ``(a, b]`` into
    pieces, each with a constant sum ``C`` of their values. With ``U`` the sum of the exponential
    bounds, ``H(g) = g (U(g) + C)`` bounds ``J`` on a piece, and Taylor's theorem with
    ``H'' <= 2 U'(b) + b U''(a)`` (``U'`` rises and ``U''`` falls) bounds ``H``; the first-order
    bound ``g (sum of settled V_n(a) + C)`` applies as well, and the smaller of the two is used.
    """
    a, b = left.gamma, right.gamma
    settled = (left.best_snapshots == right.best_snapshots) & np.isfinite(right.best_log_value) & (
        left.runner_up_log_value <= right.best_log_value) & (left.best_limit > a)

    # Pieces of (a, b]: the unsettled devices' limits inside [a, b) sorted, each lowering C.
    before = np.exp(left.best_log_value[~settled])
    after = np.exp(left.runner_up_log_value[~settled])
    limits = left.best_limit[~settled]
    inside = limits < b
    order = np.argsort(limits[inside])
    cuts = limits[inside][order]
    drops = (before - after)[inside][order]
    starts = np.concatenate(([a], np.maximum(cuts, a)))
    ends = np.concatenate((np.maximum(cuts, a), [b]))
    rest = before.sum() - np.concatenate(([0.0], np.cumsum(drops)))
    # The first piece is [a, cut_1]; a cut at a itself leaves the single point a, handled below.

    weight_a = np.exp(left.best_log_value[settled])
    first_order = ends * (weight_a.sum() + rest)
    bounds = first_order
    with np.errstate(over="ignore", invalid="ignore"):
        for end in (left, right):
            weight = np.exp(end.best_log_value[settled])
            slope = end.best_log_slope[settled]
            e = end.gamma
            u_slope_b = float(np.sum(weight * slope * np.exp(slope * (b - e))))
            u_curve_a = float(np.sum(weight * slope**2 * np.exp(slope * (a - e))))
            curvature = max(0.0, 2.0 * u_slope_b + b * u_curve_a)
            value = e * (weight.sum() + rest)
            derivative = weight.sum() + rest + e * float(np.sum(weight * slope))
            at_start = value + derivative * (starts - e) + 0.5 * curvature * (starts - e) ** 2
            at_end = value + derivative * (ends - e) + 0.5 * curvature * (ends - e) ** 2
            second_order = np.maximum(at_start, at_end)
            bounds = np.minimum(bounds, np.where(np.isfinite(second_order), second_order, np.inf))
    # Pieces of zero length carry no point beyond a.
    bounds = np.where(ends > starts, bounds, -np.inf)
    return float(max(a * left.total, np.max(bounds)))


def _chord_bound(left: PointProfile, right: PointProfile) -> float:
    """Bound ``J`` on ``[a, b]`` from the profile at ``a``, to second order in ``b - a``.

    ``J(a)`` is known. On ``(a, b]``, device ``n``'s value is at most
    ``U_n(g) = max(t_1(g), t_2(g), v_3)``. Here ``t_i`` is the tangent bound
    ``v_i(a) exp(s_i (g - a))`` of its ``i``-th best cell at ``a``, valid because ``log v`` of a cell
    is concave in the floor (see :func:`_settled_bound`). ``v_3``, the third-best value at ``a``,
    bounds every other cell because cell values never rise. A cell whose feasibility limit is ``a`` itself is worth 0 on
    ``(a, b]``. ``U = sum_n U_n`` is convex, so it lies below its chord, and ``J(g) <= g U(g)`` is at
    most the maximum of ``g`` times that chord, a concave quadratic.
    """
    a, b = left.gamma, right.gamma
    width = b - a
    first = np.where(left.best_limit > a, np.exp(left.best_log_value), 0.0)
    second = np.where(left.runner_up_limit > a, np.exp(left.runner_up_log_value), 0.0)
    third = np.exp(left.third_log_value)
    at_a = float(np.maximum(np.maximum(first, second), third).sum())
    with np.errstate(over="ignore", under="ignore"):
        at_b = float(np.maximum(np.maximum(first * np.exp(left.best_log_slope * width),
                                           second * np.exp(left.runner_up_log_slope * width)), third).sum())
    slope = min(0.0, (at_b - at_a) / width)
    # g (at_a + slope (g - a)) peaks at g = a / 2 - at_a / (2 slope) when slope < 0.
    peak = b if slope == 0.0 else min(b, max(a, 0.5 * a - at_a / (2.0 * slope)))
    bound = peak * (at_a + slope * (peak - a))
    return float(max(a * left.total, bound))


def _prune_cells(cells, lower: float, upper: float, upper_profile: PointProfile):
    """Keep the cells that can be their device's best choice somewhere in ``[lower, upper]``."""
    log_lower = cells.log_values(lower)
    keep = (log_lower >= upper_profile.best_log_value[:, None]) & (cells.limit >= lower)
    return cells.subset(keep)
