"""Verdicts on qualitative claims, computed from per-seed measurements.

Every claim of the reproduction scorecard reduces to comparisons between per-seed values: "A is
better than B", "A is about as good as B", "the curve peaks inside the range". Each comparison is
an interval over seeds (:func:`isacfl.sweeps.difference_interval`, 95 % Student t), and the
verdict follows from where that interval lies. The rules are written once, here, and the chapter
never types a verdict.

Rules
-----
``greater(a, b)``, the claim "a > b":
    holds when the whole interval of ``a - b`` is above 0, does not hold when the whole interval
    is at or below 0, and is inconclusive when the interval contains 0 in its interior.
``close(a, b, margin)``, the claim "a is about b" (an equivalence test):
    holds when the whole interval of ``a - b`` lies inside ``[-margin, margin]``, does not hold
    when the whole interval lies outside it (entirely above ``margin`` or below ``-margin``),
    and is inconclusive otherwise.
``interior_maximum(curve)``, the claim "the curve rises, then falls":
    let ``k`` be the point of largest mean. The claim holds when ``k`` is an inner point that is
    greater (rule ``greater``) than both end points. It does not hold when ``k`` is an end point
    that is greater than every inner point, and it is inconclusive otherwise.
``all_of(verdicts)``, a claim made of several parts:
    holds when every part holds, does not hold when some part does not hold, inconclusive
    otherwise.

Limitations
-----------
The intervals are not corrected for multiple comparisons: a compound claim of ``m`` parts, each
at 95 %, is weaker evidence than one 95 % comparison. With 2 or 3 seeds an interval is wide,
so many verdicts are inconclusive at the quick and book profiles. The maximum in
``interior_maximum`` is chosen from the same data that then test it, which favours "holds" a
little when the curve is flat.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..sweeps.stats import CONFIDENCE, Interval, difference_interval, summary_difference_interval

__all__ = [
    "Verdict",
    "Comparison",
    "greater",
    "greater_from_summary",
    "close",
    "interior_maximum",
    "all_of",
    "ClaimResult",
]


class Verdict(str, enum.Enum):
    """Outcome of a claim check."""

    HOLDS = "holds"
    DOES_NOT_HOLD = "does not hold"
    INCONCLUSIVE = "inconclusive"
    NOT_EVALUATED = "not evaluated"

    def __str__(self) -> str:
        return self.value


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One comparison behind a verdict: what was compared, the interval and its verdict."""

    description: str
    interval: Interval
    verdict: Verdict
    #: Whether the mean alone points in the direction the claim states, whatever the interval width.
    mean_agrees: bool = False

    def __str__(self) -> str:
        return f"{self.description}: {self.interval} -> {self.verdict}"


def greater(first: ArrayLike, second: ArrayLike, description: str = "a - b", *,
            paired: bool = True, confidence: float = CONFIDENCE) -> Comparison:
    """Check the claim ``mean(first) > mean(second)`` from per-seed values.

    Parameters
    ----------
    first, second : array_like of float, shape (n_seeds,)
        Per-seed values; paired by seed unless ``paired`` is False.
    description : str
        What the difference measures, for the scorecard table.
    paired, confidence
        As in :func:`isacfl.sweeps.difference_interval`.

    Returns
    -------
    Comparison
        Holds when the interval of ``first - second`` is above 0, does not hold when it is at
        or below 0, inconclusive when it straddles 0.

    Examples
    --------
    >>> str(greater([0.90, 0.91, 0.92], [0.80, 0.81, 0.83]).verdict)
    'holds'
    >>> str(greater([0.80, 0.81, 0.83], [0.90, 0.91, 0.92]).verdict)
    'does not hold'
    >>> str(greater([0.90, 0.80, 0.85], [0.85, 0.86, 0.84]).verdict)
    'inconclusive'
    """
    interval = difference_interval(first, second, paired=paired, confidence=confidence)
    if interval.low > 0:
        verdict = Verdict.HOLDS
    elif interval.high <= 0:
        verdict = Verdict.DOES_NOT_HOLD
    else:
        verdict = Verdict.INCONCLUSIVE
    return Comparison(description, interval, verdict, mean_agrees=bool(interval.mean > 0))


def greater_from_summary(first: tuple[float, float, int], second: tuple[float, float, int],
                         description: str = "a - b", *, confidence: float = CONFIDENCE) -> Comparison:
    """Check ``mean1 > mean2`` for independent samples known by ``(mean, standard error, n)``.

    The rule is that of :func:`greater`, on Welch's interval
    (:func:`isacfl.sweeps.summary_difference_interval`).

    Examples
    --------
    >>> str(greater_from_summary((2.0, 0.1, 10), (1.0, 0.1, 10)).verdict)
    'holds'
    """
    interval = summary_difference_interval(first, second, confidence=confidence)
    if interval.low > 0:
        verdict = Verdict.HOLDS
    elif interval.high <= 0:
        verdict = Verdict.DOES_NOT_HOLD
    else:
        verdict = Verdict.INCONCLUSIVE
    return Comparison(description, interval, verdict, mean_agrees=bool(interval.mean > 0))


def close(first: ArrayLike, second: ArrayLike, margin: float, description: str = "a - b", *,
          paired: bool = True, confidence: float = CONFIDENCE) -> Comparison:
    """Check the claim ``mean(first)`` is within ``margin`` of ``mean(second)`` (equivalence).

    Parameters
    ----------
    first, second : array_like of float, shape (n_seeds,)
        Per-seed values.
    margin : float
        Largest difference still called "close", in the unit of the values (> 0).
    description, paired, confidence
        As in :func:`greater`.

    Returns
    -------
    Comparison
        Holds when the interval of ``first - second`` lies inside ``[-margin, margin]``; does
        not hold when it lies entirely outside; inconclusive otherwise.

    Raises
    ------
    ValueError
        If ``margin`` is not positive.

    Examples
    --------
    >>> str(close([0.90, 0.91, 0.92], [0.90, 0.905, 0.915], margin=0.02).verdict)
    'holds'
    >>> str(close([0.90, 0.91, 0.92], [0.80, 0.81, 0.83], margin=0.02).verdict)
    'does not hold'
    """
    if not margin > 0:
        raise ValueError(f"margin must be > 0, got {margin!r}")
    interval = difference_interval(first, second, paired=paired, confidence=confidence)
    if -margin <= interval.low and interval.high <= margin:
        verdict = Verdict.HOLDS
    elif interval.low > margin or interval.high < -margin:
        verdict = Verdict.DOES_NOT_HOLD
    else:
        verdict = Verdict.INCONCLUSIVE
    return Comparison(f"{description} (margin {margin:g})", interval, verdict,
                      mean_agrees=bool(abs(interval.mean) <= margin))


def all_of(verdicts: Iterable[Verdict | Comparison]) -> Verdict:
    """Combine the parts of a compound claim.

    Holds when every part holds, does not hold when any part does not hold, and is inconclusive
    otherwise. A part that was not evaluated makes the whole claim not evaluated unless another
    part already does not hold.

    Raises
    ------
    ValueError
        If there are no parts.

    Examples
    --------
    >>> str(all_of([Verdict.HOLDS, Verdict.INCONCLUSIVE]))
    'inconclusive'
    >>> str(all_of([Verdict.INCONCLUSIVE, Verdict.DOES_NOT_HOLD]))
    'does not hold'
    """
    parts = [item.verdict if isinstance(item, Comparison) else Verdict(item) for item in verdicts]
    if not parts:
        raise ValueError("a compound claim needs at least one part, got none")
    if Verdict.DOES_NOT_HOLD in parts:
        return Verdict.DOES_NOT_HOLD
    if Verdict.NOT_EVALUATED in parts:
        return Verdict.NOT_EVALUATED
    if all(part is Verdict.HOLDS for part in parts):
        return Verdict.HOLDS
    return Verdict.INCONCLUSIVE


def interior_maximum(curve: ArrayLike, labels: Sequence[str] | None = None, *,
                     paired: bool = True, confidence: float = CONFIDENCE) -> tuple[Verdict, list[Comparison]]:
    """Check the claim that a curve rises, then falls: its maximum lies strictly inside the range.

    Parameters
    ----------
    curve : array_like of float, shape (n_seeds, n_points)
        Per-seed values at each point of the swept axis (at least 3 points).
    labels : sequence of str, optional
        Name of each point, for the comparison descriptions.
    paired, confidence
        As in :func:`greater`.

    Returns
    -------
    verdict : Verdict
        See the module rules.
    comparisons : list of Comparison
        The comparisons the verdict rests on.

    Raises
    ------
    ValueError
        If the curve has fewer than 3 points or is not two-dimensional.

    Examples
    --------
    >>> rises_falls = [[0.5, 0.8, 0.6], [0.52, 0.82, 0.61], [0.49, 0.79, 0.62]]
    >>> str(interior_maximum(rises_falls)[0])
    'holds'
    >>> rising = [[0.5, 0.6, 0.8], [0.52, 0.61, 0.82], [0.49, 0.62, 0.79]]
    >>> str(interior_maximum(rising)[0])
    'does not hold'
    """
    values = np.asarray(curve, dtype=float)
    if values.ndim != 2 or values.shape[1] < 3:
        raise ValueError(f"curve must have shape (n_seeds, n_points) with n_points >= 3, got {values.shape}")
    n_points = values.shape[1]
    names = list(labels) if labels is not None else [f"point {k}" for k in range(n_points)]
    if len(names) != n_points:
        raise ValueError(f"labels must name all {n_points} points, got {len(names)}")
    peak = int(np.argmax(values.mean(axis=0)))
    if 0 < peak < n_points - 1:
        comparisons = [
            greater(values[:, peak], values[:, end], f"{names[peak]} - {names[end]}",
                    paired=paired, confidence=confidence)
            for end in (0, n_points - 1)
        ]
        return all_of(comparisons), comparisons
    comparisons = [
        greater(values[:, peak], values[:, k], f"{names[peak]} - {names[k]}",
                paired=paired, confidence=confidence)
        for k in range(1, n_points - 1)
    ]
    if all(c.verdict is Verdict.HOLDS for c in comparisons):
        return Verdict.DOES_NOT_HOLD, comparisons
    return Verdict.INCONCLUSIVE, comparisons


@dataclasses.dataclass(frozen=True)
class ClaimResult:
    """Scorecard row: a claim of the ISAC-FL paper, its verdict and the evidence."""

    figure: str
    claim: str
    verdict: Verdict
    comparisons: tuple[Comparison, ...] = ()
    #: Why a claim was not evaluated, or anything else a reader of the row needs.
    note: str = ""
    #: The scenario the claim was checked in: "default", or the change made to it.
    scenario: str = "default"
    #: Whether the means alone point in the direction the claim states; None when not evaluated.
    means_agree: bool | None = None

    def as_row(self) -> dict[str, str]:
        """Return the row as strings keyed by column name, for a table."""
        evidence = "; ".join(str(c) for c in self.comparisons)
        agree = {True: "yes", False: "no", None: ""}[self.means_agree]
        return {"figure": self.figure, "claim": self.claim, "scenario": self.scenario,
                "verdict": str(self.verdict), "means agree": agree, "evidence": evidence, "note": self.note}
