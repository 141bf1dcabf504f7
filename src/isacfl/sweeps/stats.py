"""Means over seeds and their Student-t confidence intervals.

:func:`mean_interval` turns the per-seed values of a point into a mean and a confidence interval,
and :func:`difference_interval` does the same for the seed-by-seed difference between two
strategies. :class:`SweepResult` stores the per-seed metrics of a whole sweep.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["CONFIDENCE", "Interval", "mean_interval", "difference_interval", "summary_difference_interval",
           "SweepResult"]

#: Confidence level of every interval in the book.
CONFIDENCE = 0.95


@dataclasses.dataclass(frozen=True)
class Interval:
    """Mean of independent values and the two ends of its confidence interval.

    For arrays of points the fields are arrays of the same shape.
    """

    mean: Any
    low: Any
    high: Any
    #: Number of values (seeds) behind each mean.
    n: int
    confidence: float = CONFIDENCE

    @property
    def half_width(self) -> Any:
        """Half the width of the interval (``inf`` when it rests on one value)."""
        return (np.asarray(self.high) - np.asarray(self.low)) / 2

    def __str__(self) -> str:
        if np.ndim(self.mean) != 0:
            return f"Interval(mean={self.mean}, low={self.low}, high={self.high}, n={self.n})"
        return f"{self.mean:.4g} [{self.low:.4g}, {self.high:.4g}]"


def mean_interval(values: ArrayLike, *, axis: int = 0, confidence: float = CONFIDENCE) -> Interval:
    """Return the mean of ``values`` along ``axis`` and its Student-t confidence interval.

    Parameters
    ----------
    values : array_like
        Independent values (typically one per seed) along ``axis``; no NaN allowed.
    axis : int, default 0
        Axis along which the values are independent repetitions.
    confidence : float, default 0.95
        Confidence level in (0, 1).

    Returns
    -------
    Interval
        ``mean +/- t_{(1+c)/2, n-1} s / sqrt(n)``, with ``s`` the sample standard deviation.
        With a single value the interval is ``(-inf, inf)``: one seed gives no estimate of the
        spread, so every verdict built on it is inconclusive.

    Raises
    ------
    ValueError
        If ``values`` is empty along ``axis``, contains NaN, or ``confidence`` is outside (0, 1).

    Notes
    -----
    The t interval assumes the per-seed values are independent and roughly normal. With the 3 to
    10 seeds of the book it is wider than a normal interval by the factor ``t / 1.96``
    (2.2 for 3 seeds, 1.2 for 10).

    Examples
    --------
    >>> iv = mean_interval([1.0, 2.0, 3.0])
    >>> round(iv.mean, 6), round(iv.high - iv.mean, 4)
    (2.0, 2.4841)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    array = np.asarray(values, dtype=float)
    if array.ndim == 0 or array.shape[axis] == 0:
        raise ValueError(f"values must hold at least one value along axis {axis}, got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(f"values must not contain NaN, got {array!r}")
    n = array.shape[axis]
    mean = array.mean(axis=axis)
    if n == 1:
        half = np.full_like(mean, math.inf)
    else:
        sem = array.std(axis=axis, ddof=1) / math.sqrt(n)
        half = stats.t.ppf((1 + confidence) / 2, df=n - 1) * sem
    low, high = mean - half, mean + half
    if np.ndim(mean) == 0:
        mean, low, high = float(mean), float(low), float(high)
    return Interval(mean=mean, low=low, high=high, n=n, confidence=confidence)


def difference_interval(
    first: ArrayLike,
    second: ArrayLike,
    *,
    paired: bool = True,
    confidence: float = CONFIDENCE,
) -> Interval:
    """Return the confidence interval of ``mean(first) - mean(second)``.

    Parameters
    ----------
    first, second : array_like of float, shape (n_seeds,)
        Per-seed values of two strategies or two points.
    paired : bool, default True
        True when value ``i`` of both comes from the same seed (same devices, same data split),
        so the interval is the t interval of the differences. False gives Welch's interval for
        independent samples.
    confidence : float, default 0.95
        Confidence level in (0, 1).

    Raises
    ------
    ValueError
        If paired samples differ in length, or as :func:`mean_interval`.

    Examples
    --------
    >>> iv = difference_interval([0.90, 0.91, 0.92], [0.80, 0.80, 0.83])
    >>> round(iv.mean, 6), bool(iv.low > 0)
    (0.1, True)
    """
    first = np.asarray(first, dtype=float).ravel()
    second = np.asarray(second, dtype=float).ravel()
    if paired:
        if first.shape != second.shape:
            raise ValueError(f"paired samples must have the same length, got {first.size} and {second.size}")
        return mean_interval(first - second, confidence=confidence)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    one, two = mean_interval(first), mean_interval(second)
    mean = one.mean - two.mean
    if first.size < 2 or second.size < 2:
        return Interval(mean, -math.inf, math.inf, min(first.size, second.size), confidence)
    var1, var2 = first.var(ddof=1) / first.size, second.var(ddof=1) / second.size
    se2 = var1 + var2
    if se2 == 0:
        return Interval(mean, mean, mean, min(first.size, second.size), confidence)
    dof = se2**2 / (var1**2 / (first.size - 1) + var2**2 / (second.size - 1))
    half = float(stats.t.ppf((1 + confidence) / 2, df=dof) * math.sqrt(se2))
    return Interval(mean, mean - half, mean + half, min(first.size, second.size), confidence)


def summary_difference_interval(first: tuple[float, float, int], second: tuple[float, float, int], *,
                                confidence: float = CONFIDENCE) -> Interval:
    """Return Welch's interval of ``mean1 - mean2`` from ``(mean, standard error, n)`` of two samples.

    For independent samples known only through their summaries; with the raw values use
    :func:`difference_interval`.

    Raises
    ------
    ValueError
        If a sample has fewer than 2 values or a negative standard error.

    Examples
    --------
    >>> iv = summary_difference_interval((1.0, 0.0, 5), (0.5, 0.0, 5))
    >>> iv.mean, iv.low, iv.high
    (0.5, 0.5, 0.5)
    """
    (mean1, se1, n1), (mean2, se2, n2) = first, second
    if min(n1, n2) < 2 or min(se1, se2) < 0:
        raise ValueError(f"each sample needs n >= 2 and a standard error >= 0, got {first!r} and {second!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    mean = float(mean1 - mean2)
    var1, var2 = float(se1) ** 2, float(se2) ** 2
    total = var1 + var2
    if total == 0:
        return Interval(mean, mean, mean, min(n1, n2), confidence)
    dof = total**2 / (var1**2 / (n1 - 1) + var2**2 / (n2 - 1))
    half = float(stats.t.ppf((1 + confidence) / 2, df=dof) * math.sqrt(total))
    return Interval(mean, mean - half, mean + half, min(n1, n2), confidence)


@dataclasses.dataclass(frozen=True, eq=False)
class SweepResult:
    """Per-seed metrics of a sweep: ``metrics[name][v, k, s]`` for variant ``v``, point ``k``, seed ``s``.

    A variant is one curve of the figure (a strategy, or a data split); a point is one value of
    the swept axis.
    """

    figure: str
    #: Name of the swept parameter, with its unit, for axis labels.
    axis_label: str
    points: tuple[float, ...]
    variants: tuple[str, ...]
    seeds: tuple[int, ...]
    metrics: dict[str, np.ndarray]
    #: Profile name, round count and anything else needed to read the numbers.
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = (len(self.variants), len(self.points), len(self.seeds))
        for name, values in self.metrics.items():
            if np.shape(values) != shape:
                raise ValueError(f"metric {name!r} must have shape (variants, points, seeds) = {shape}, "
                                 f"got {np.shape(values)}")

    def values(self, metric: str, variant: str) -> np.ndarray:
        """Return the per-seed values of ``metric`` for ``variant``, shape ``(n_seeds, n_points)``."""
        if metric not in self.metrics:
            raise ValueError(f"metric must be one of {sorted(self.metrics)}, got {metric!r}")
        if variant not in self.variants:
            raise ValueError(f"variant must be one of {list(self.variants)}, got {variant!r}")
        return np.asarray(self.metrics[metric][self.variants.index(variant)]).T

    def interval(self, metric: str, variant: str) -> Interval:
        """Return the mean and 95 % interval over seeds of ``metric`` at every point."""
        return mean_interval(self.values(metric, variant), axis=0)

    def summary_rows(self, metric: str) -> list[dict[str, Any]]:
        """Return one row per (variant, point): mean and 95 % interval of ``metric``."""
        rows = []
        for variant in self.variants:
            interval = self.interval(metric, variant)
            for k, point in enumerate(self.points):
                rows.append({"variant": variant, "point": point, "mean": float(interval.mean[k]),
                             "low": float(interval.low[k]), "high": float(interval.high[k])})
        return rows
