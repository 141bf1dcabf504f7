"""Helpers for the sympy derivations of the convergence-analysis chapters.

A derivation step is either an identity, checked by ``simplify(lhs - rhs) == 0``, or an inequality
``lhs <= rhs`` over a range of its symbols. Sympy proves some inequalities from the symbols'
assumptions; :func:`check_inequality` tries that first and otherwise evaluates the difference at
random points of the allowed ranges.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

__all__ = ["InequalityCheck", "check_identity", "check_inequality"]


def check_identity(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """Return whether ``lhs - rhs`` simplifies to zero.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> check_identity((x + 1) ** 2, x**2 + 2 * x + 1)
    True
    """
    return sp.simplify(sp.expand(lhs - rhs)) == 0


@dataclasses.dataclass(frozen=True)
class InequalityCheck:
    """Outcome of checking ``lhs <= rhs``."""

    #: Whether the inequality held (symbolically, or at every sampled point).
    holds: bool
    #: ``"symbolic"`` when sympy proved ``rhs - lhs >= 0``, else ``"sampled"``.
    method: str
    #: Points evaluated (0 for a symbolic proof).
    num_points: int
    #: Smallest ``rhs - lhs`` found at the sampled points (``nan`` for a symbolic proof).
    min_slack: float

    def __bool__(self) -> bool:
        return self.holds


def check_inequality(lhs: sp.Expr, rhs: sp.Expr, ranges: dict[sp.Symbol, tuple[float, float]],
                     num_points: int = 20000, seed: int = 0, rtol: float = 1e-12) -> InequalityCheck:
    """Check ``lhs <= rhs`` for every value of the symbols in ``ranges``.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
    ranges : dict
        Each free symbol of ``rhs - lhs`` mapped to ``(low, high)``; points are drawn
        log-uniformly when ``0 < low`` and ``high / low > 100``, else uniformly.
    num_points : int
        Random points tried when sympy cannot decide the sign.
    seed : int
        Seed of the points.
    rtol : float
        Slack allowed relative to ``|lhs| + |rhs|``, for rounding.

    Returns
    -------
    InequalityCheck

    Raises
    ------
    ValueError
        If a free symbol has no range or a range is empty.

    Examples
    --------
    >>> a, b = sp.symbols("a b", real=True)
    >>> bool(check_inequality((a + b) ** 2, 2 * a**2 + 2 * b**2, {a: (-5, 5), b: (-5, 5)}))
    True
    >>> check_inequality(a, a**2, {a: (0.1, 2.0)}).holds
    False
    """
    difference = sp.simplify(rhs - lhs)
    missing = difference.free_symbols - set(ranges)
    if missing:
        raise ValueError(f"ranges must give every free symbol of rhs - lhs; missing {sorted(map(str, missing))}")
    if difference.is_nonnegative:
        return InequalityCheck(holds=True, method="symbolic", num_points=0, min_slack=float("nan"))
    rng = np.random.default_rng(seed)
    symbols = sorted(difference.free_symbols, key=str)
    columns = []
    for symbol in symbols:
        low, high = ranges[symbol]
        if not low <= high:
            raise ValueError(f"range of {symbol} must satisfy low <= high, got {(low, high)}")
        if low > 0 and high / low > 100:
            columns.append(np.exp(rng.uniform(np.log(low), np.log(high), num_points)))
        else:
            columns.append(rng.uniform(low, high, num_points))
    slack = sp.lambdify(symbols, difference, "numpy")(*columns)
    lhs_values = sp.lambdify(symbols, lhs, "numpy")(*columns)
    rhs_values = sp.lambdify(symbols, rhs, "numpy")(*columns)
    tolerance = rtol * (np.abs(lhs_values) + np.abs(rhs_values))
    slack = np.broadcast_to(slack, (num_points,))
    return InequalityCheck(holds=bool(np.all(slack >= -tolerance)), method="sampled", num_points=num_points,
                           min_slack=float(slack.min()))
