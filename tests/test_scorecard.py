"""Verdict rules of the scorecard, on per-seed values whose intervals are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from isacfl.scorecard import Verdict, all_of, close, greater, interior_maximum

# Differences d = (0.1, 0.2, 0.3): mean 0.2, sd 0.1, half width 4.302653 * 0.1 / sqrt(3) = 0.2484,
# so the interval is about [-0.048, 0.448]: it straddles 0.
T_975_2 = 4.302652729749464
STRADDLING = (np.array([1.1, 1.2, 1.3]), np.ones(3))


def test_greater_holds_when_interval_above_zero():
    result = greater([1.1, 1.2, 1.3], [0.9, 1.0, 1.1])

    assert result.verdict is Verdict.HOLDS
    assert result.interval.low == pytest.approx(0.2)


def test_greater_inconclusive_when_interval_straddles_zero():
    result = greater(*STRADDLING)

    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.interval.low == pytest.approx(0.2 - T_975_2 * 0.1 / math.sqrt(3))


def test_greater_fails_when_interval_below_zero():
    assert greater([0.9, 1.0, 1.1], [1.1, 1.2, 1.3]).verdict is Verdict.DOES_NOT_HOLD


def test_greater_fails_on_identical_values():
    # Interval [0, 0]: a tie is not "greater".
    assert greater([0.5, 0.6], [0.5, 0.6]).verdict is Verdict.DOES_NOT_HOLD


def test_greater_one_seed_is_inconclusive():
    assert greater([0.9], [0.1]).verdict is Verdict.INCONCLUSIVE


def test_close_holds_inside_margin():
    # Differences 0.01, 0.02, 0.03: interval about [-0.0048, 0.0448], inside +/- 0.05.
    assert close([1.01, 1.02, 1.03], [1.0, 1.0, 1.0], margin=0.05).verdict is Verdict.HOLDS


def test_close_fails_outside_margin():
    assert close([1.1, 1.2, 1.3], [0.9, 1.0, 1.1], margin=0.1).verdict is Verdict.DOES_NOT_HOLD


def test_close_inconclusive_across_margin():
    # Interval about [-0.048, 0.448] crosses the margin 0.1.
    assert close(*STRADDLING, margin=0.1).verdict is Verdict.INCONCLUSIVE


def test_close_rejects_non_positive_margin():
    with pytest.raises(ValueError, match="margin must be > 0, got 0"):
        close([1.0], [1.0], margin=0)


def test_all_of_combines_parts():
    assert all_of([Verdict.HOLDS, Verdict.HOLDS]) is Verdict.HOLDS
    assert all_of([Verdict.HOLDS, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert all_of([Verdict.INCONCLUSIVE, Verdict.DOES_NOT_HOLD]) is Verdict.DOES_NOT_HOLD
    assert all_of([Verdict.HOLDS, Verdict.NOT_EVALUATED]) is Verdict.NOT_EVALUATED


def test_all_of_rejects_empty():
    with pytest.raises(ValueError, match="at least one part"):
        all_of([])


PEAKED = np.array([[0.5, 0.8, 0.6], [0.52, 0.82, 0.61], [0.49, 0.79, 0.62]])


def test_interior_maximum_holds_for_peak():
    verdict, comparisons = interior_maximum(PEAKED, labels=["0.1", "0.5", "0.9"])

    assert verdict is Verdict.HOLDS
    assert [c.description for c in comparisons] == ["0.5 - 0.1", "0.5 - 0.9"]


def test_interior_maximum_fails_for_rising_curve():
    verdict, _ = interior_maximum(PEAKED[:, [0, 2, 1]])

    assert verdict is Verdict.DOES_NOT_HOLD


def test_interior_maximum_inconclusive_for_flat_peak():
    # The middle point is best on average but not separable from the last point.
    curve = np.array([[0.5, 0.80, 0.79], [0.5, 0.80, 0.82], [0.5, 0.80, 0.78]])

    verdict, _ = interior_maximum(curve)

    assert verdict is Verdict.INCONCLUSIVE


def test_interior_maximum_rejects_two_points():
    with pytest.raises(ValueError, match=r"n_points >= 3, got \(3, 2\)"):
        interior_maximum(PEAKED[:, :2])
