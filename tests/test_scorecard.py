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


# -- claims on sweeps and runs -------------------------------------------------------------------

from isacfl.scorecard import (  # noqa: E402
    allocation_claims,
    allocation_samples,
    device_claims,
    golden_claim,
    golden_gaps,
    learning_claims,
    ratio_claims,
    straggler_claims,
)
from isacfl.sweeps import SweepResult  # noqa: E402

STRATEGIES = ("proposed", "maxsensing", "maxcomm", "uniform")
SEED_OFFSETS = np.array([0.0, 0.002, -0.001])


def _sweep(points, accuracy_by_variant, variants=STRATEGIES, **extra):
    """Build a SweepResult whose seeds are the given means plus small fixed offsets."""
    accuracy = np.array([[[mean + offset for offset in SEED_OFFSETS] for mean in accuracy_by_variant[v]]
                         for v in variants])
    metrics = {"accuracy": accuracy}
    metrics.update({name: np.broadcast_to(np.asarray(value, float)[None, :, None], accuracy.shape).copy()
                    for name, value in extra.items()})
    return SweepResult("Fig. x", "x (1)", tuple(points), tuple(variants), (0, 1, 2), metrics)


def test_ratio_claims_peak_and_rising_success():
    result = _sweep((0.1, 0.5, 0.9), {"iid": [0.80, 0.88, 0.84], "noniid": [0.60, 0.70, 0.75]},
                    variants=("iid", "noniid"), success_prob_mean=[0.2, 0.7, 0.8])

    iid_peak, noniid_peak, success = ratio_claims(result)

    assert iid_peak.verdict is Verdict.HOLDS
    assert noniid_peak.verdict is Verdict.DOES_NOT_HOLD
    # Every seed rises by 0.6, so the interval is the single point 0.6 > 0.
    assert success.verdict is Verdict.HOLDS


def test_device_claims_verdicts():
    result = _sweep((5, 30), {"proposed": [0.85, 0.90], "maxsensing": [0.70, 0.86],
                              "maxcomm": [0.60, 0.65], "uniform": [0.80, 0.84]})

    improve, best, fastest = device_claims(result)

    assert improve.verdict is Verdict.HOLDS
    assert best.verdict is Verdict.HOLDS
    assert fastest.verdict is Verdict.HOLDS
    assert len(best.comparisons) == 2 * 3


def test_device_claims_best_fails_at_one_n():
    result = _sweep((5, 30), {"proposed": [0.85, 0.90], "maxsensing": [0.70, 0.92],
                              "maxcomm": [0.60, 0.65], "uniform": [0.80, 0.84]})

    _, best, _ = device_claims(result)

    assert best.verdict is Verdict.DOES_NOT_HOLD


def test_straggler_claims_verdicts():
    result = _sweep((1.0, 0.1), {"proposed": [0.80, 0.78], "maxsensing": [0.70, 0.66],
                                 "maxcomm": [0.75, 0.60], "uniform": [0.79, 0.76]})

    degrade, best, most = straggler_claims(result)

    assert degrade.verdict is Verdict.HOLDS
    assert best.verdict is Verdict.HOLDS
    assert most.verdict is Verdict.HOLDS


def test_learning_claims_verdicts():
    iid = _sweep((0.0,), {"proposed": [0.90], "maxsensing": [0.850], "maxcomm": [0.80], "uniform": [0.845]},
                 accuracy_jitter=[0.01])
    noniid = _sweep((0.0,), {"proposed": [0.80], "maxsensing": [0.60], "maxcomm": [0.70], "uniform": [0.75]},
                    accuracy_jitter=[0.01])

    verdicts = {row.claim: row.verdict for row in learning_claims(iid, noniid)}

    assert verdicts["IID: Proposed is best"] is Verdict.HOLDS
    assert verdicts["IID: MaxComm is worst"] is Verdict.HOLDS
    assert verdicts["IID: MaxSensing is about as accurate as Uniform"] is Verdict.HOLDS
    assert verdicts["IID: MaxSensing's accuracy curve is noisier than Uniform's"] is Verdict.DOES_NOT_HOLD
    assert verdicts["Non-IID is less accurate than IID for every strategy"] is Verdict.HOLDS
    assert verdicts["Non-IID: MaxSensing is worst"] is Verdict.HOLDS
    assert verdicts["Non-IID: Uniform is close to Proposed"] is Verdict.DOES_NOT_HOLD


def test_claims_carry_scenario_change():
    iid = _sweep((0.0,), {"proposed": [0.90], "maxsensing": [0.850], "maxcomm": [0.80], "uniform": [0.845]},
                 accuracy_jitter=[0.01])
    straggler = _sweep((1.0, 0.1), {"proposed": [0.80, 0.78], "maxsensing": [0.70, 0.66],
                                    "maxcomm": [0.75, 0.60], "uniform": [0.79, 0.76]})

    rows = learning_claims(iid, iid, scenario="small cell") + straggler_claims(straggler, scenario="small cell")
    default_rows = learning_claims(iid, iid) + straggler_claims(straggler)

    assert {row.scenario for row in rows} == {"small cell"}
    assert {row.scenario for row in default_rows} == {"default"}
    assert [row.verdict for row in rows] == [row.verdict for row in default_rows]


@pytest.fixture(scope="module")
def quick_allocations():
    return allocation_samples("quick")


def test_allocation_claims_on_real_allocations(quick_allocations):
    verdicts = {row.claim: row.verdict for row in allocation_claims(quick_allocations)}

    # Every baseline takes one snapshot per sample and 5,000 samples, so "most samples" ties.
    assert verdicts["MaxSensing acquires the most samples"] is Verdict.DOES_NOT_HOLD
    assert verdicts["Proposed gives every device the same SNR"] is Verdict.HOLDS
    assert verdicts["Proposed has the highest smallest SNR"] is Verdict.HOLDS


def test_golden_stays_below_certified_bound(quick_allocations):
    golden = quick_allocations.objective["golden"]

    assert golden.shape == (20,)
    assert np.all(golden <= quick_allocations.certified_upper_bound * (1 + 1e-12))


def test_golden_claim_reads_gaps(quick_allocations):
    gaps = golden_gaps(quick_allocations)
    row = golden_claim(quick_allocations)

    assert row.comparisons[0].interval.mean == pytest.approx(gaps.mean())


def test_means_agree_without_significance():
    # Proposed is ahead on average at both N, but MaxSensing's seeds at N = 30 scatter by 5 points
    # around 0.899, so that comparison is inconclusive while its mean still favours Proposed.
    result = _sweep((5, 30), {"proposed": [0.85, 0.90], "maxsensing": [0.70, 0.899],
                              "maxcomm": [0.60, 0.65], "uniform": [0.80, 0.84]})
    result.metrics["accuracy"][1, 1] += np.array([0.05, -0.05, 0.0])

    _, best, _ = device_claims(result)

    assert best.verdict is Verdict.INCONCLUSIVE
    assert best.means_agree is True
    assert best.as_row()["means agree"] == "yes"


def test_ratio_claim_means_agree_follows_peak():
    result = _sweep((0.1, 0.5, 0.9), {"iid": [0.80, 0.88, 0.84], "noniid": [0.60, 0.70, 0.75]},
                    variants=("iid", "noniid"), success_prob_mean=[0.2, 0.7, 0.8])

    iid_peak, noniid_peak, _ = ratio_claims(result)

    assert iid_peak.means_agree is True
    assert noniid_peak.means_agree is False
