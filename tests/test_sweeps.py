"""Sweep runner (job order, local processes, input checks) and the interval statistics."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from scipy import stats

from isacfl.sweeps import Job, difference_interval, mean_interval, run_jobs


def test_run_jobs_keeps_job_order():
    jobs = [Job(config, seed) for config, seed in [(3, 1), (1, 7), (2, 2)]]

    assert run_jobs(operator.mul, jobs, progress=False) == [3, 7, 4]


def test_run_jobs_two_processes_match_serial():
    jobs = [Job(config, seed) for config in range(4) for seed in range(3)]

    serial = run_jobs(operator.pow, jobs, progress=False)
    parallel = run_jobs(operator.pow, jobs, n_jobs=2, progress=False)

    assert parallel == serial
    assert serial == [config**seed for config in range(4) for seed in range(3)]


def test_run_jobs_rejects_zero_workers():
    with pytest.raises(ValueError, match=r"n_jobs must be a non-zero integer .* got 0"):
        run_jobs(operator.mul, [Job(1, 1)], n_jobs=0, progress=False)


def test_run_jobs_rejects_non_job():
    with pytest.raises(ValueError, match=r"jobs\[1\] must be a Job\(config, seed\), got tuple"):
        run_jobs(operator.mul, [Job(1, 1), (2, 2)], progress=False)


def test_mean_interval_known_answer():
    # Values 1, 2, 3: sample sd 1, so the half width is t_{0.975, 2} / sqrt(3) = 4.302653 / 1.732051.
    interval = mean_interval([1.0, 2.0, 3.0])

    assert interval.mean == pytest.approx(2.0)
    assert interval.high - interval.mean == pytest.approx(4.302652729749464 / math.sqrt(3))
    assert interval.mean - interval.low == pytest.approx(4.302652729749464 / math.sqrt(3))
    assert interval.n == 3


def test_mean_interval_matches_scipy_ttest():
    values = np.random.default_rng(4).normal(0.8, 0.05, size=7)

    reference = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    interval = mean_interval(values)

    assert interval.low == pytest.approx(reference.low)
    assert interval.high == pytest.approx(reference.high)


def test_mean_interval_along_axis():
    values = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0]])

    interval = mean_interval(values, axis=0)

    np.testing.assert_allclose(interval.mean, [2.0, 10.0])
    np.testing.assert_allclose(interval.low, [2.0 - 4.302652729749464 / math.sqrt(3), 10.0])


def test_mean_interval_one_value_is_unbounded():
    interval = mean_interval([0.9])

    assert interval.mean == 0.9
    assert interval.low == -math.inf
    assert interval.high == math.inf


def test_mean_interval_rejects_nan():
    with pytest.raises(ValueError, match="must not contain NaN"):
        mean_interval([0.5, float("nan")])


def test_mean_interval_rejects_empty():
    with pytest.raises(ValueError, match="at least one value"):
        mean_interval([])


def test_mean_interval_rejects_bad_confidence():
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\), got 1.5"):
        mean_interval([1.0, 2.0], confidence=1.5)


def test_paired_difference_is_interval_of_differences():
    first, second = [0.90, 0.93, 0.91, 0.95], [0.85, 0.86, 0.88, 0.87]

    paired = difference_interval(first, second)
    direct = mean_interval(np.subtract(first, second))

    assert paired.low == pytest.approx(direct.low)
    assert paired.high == pytest.approx(direct.high)


def test_welch_difference_matches_scipy():
    rng = np.random.default_rng(11)
    first, second = rng.normal(0.9, 0.02, size=5), rng.normal(0.85, 0.05, size=8)

    reference = stats.ttest_ind(first, second, equal_var=False).confidence_interval(0.95)
    interval = difference_interval(first, second, paired=False)

    assert interval.low == pytest.approx(reference.low)
    assert interval.high == pytest.approx(reference.high)


def test_paired_difference_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        difference_interval([1.0, 2.0, 3.0], [1.0, 2.0])
