"""Sweeps: many independent ``(config, seed)`` runs, executed through joblib, and their statistics.

A sweep is a list of :class:`Job` objects. :func:`run_jobs` calls one function on each of them and
returns the results in job order. By default the jobs run one after the other in this process,
because on a 2-core machine two worker processes are not faster than one. ``n_jobs`` spreads them
over local processes (joblib's ``loky`` backend). A Dask scheduler address, given as an argument
or in the environment variable ``ISACFL_DASK_SCHEDULER``, sends the same jobs to a
``dask.distributed`` cluster through joblib's ``dask`` backend, and nothing else changes.

:func:`mean_interval` turns the per-seed values of a point into a mean and a Student-t confidence
interval, and :func:`difference_interval` does the same for the seed-by-seed difference between
two strategies.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import joblib
import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from tqdm.auto import tqdm

__all__ = [
    "Job",
    "Interval",
    "SCHEDULER_ENV_VAR",
    "run_jobs",
    "mean_interval",
    "difference_interval",
]

logger = logging.getLogger(__name__)

#: Environment variable holding the address of a Dask scheduler (for example
#: ``tcp://127.0.0.1:8786``). When it is set, :func:`run_jobs` runs on that cluster.
SCHEDULER_ENV_VAR = "ISACFL_DASK_SCHEDULER"

#: Confidence level of every interval in the book.
CONFIDENCE = 0.95


@dataclasses.dataclass(frozen=True)
class Job:
    """One independent run of a sweep: a hashable configuration and the seed of its randomness."""

    config: Hashable
    seed: int


def _resolve_scheduler(scheduler_address: str | None) -> str | None:
    if scheduler_address is not None:
        return scheduler_address
    return os.environ.get(SCHEDULER_ENV_VAR) or None


def run_jobs(
    function: Callable[[Any, int], Any],
    jobs: Sequence[Job],
    *,
    n_jobs: int = 1,
    scheduler_address: str | None = None,
    progress: bool = True,
    description: str = "runs",
) -> list[Any]:
    """Call ``function(job.config, job.seed)`` for every job and return the results in job order.

    Parameters
    ----------
    function : callable
        Picklable function of ``(config, seed)``. Every job must be independent of the others.
    jobs : sequence of Job
        The runs of the sweep.
    n_jobs : int, default 1
        Local worker processes (joblib ``loky`` backend); 1 runs the jobs in this process, -1
        uses every core. Ignored on a Dask cluster, which uses all of its workers.
    scheduler_address : str, optional
        Address of a running ``dask.distributed`` scheduler. When it is None, the environment
        variable ``ISACFL_DASK_SCHEDULER`` is read; when both are unset, the jobs run locally.
    progress : bool, default True
        Show a tqdm progress bar over finished jobs.
    description : str
        Label of the progress bar.

    Returns
    -------
    list
        ``function(job.config, job.seed)`` for each job, in the order of ``jobs``.

    Raises
    ------
    ValueError
        If ``n_jobs`` is 0 or not an integer, or if a job is not a :class:`Job`.

    Notes
    -----
    On a cluster the function and the job configurations are pickled and sent to the workers, and
    the results are sent back, so they must be picklable. The results do not depend on where a
    job runs, because each job draws its randomness from its own seed.

    Examples
    --------
    >>> import operator
    >>> run_jobs(operator.mul, [Job(2, 3), Job(4, 5)], progress=False)
    [6, 20]
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (1 runs in this process, -1 uses every "
                         f"core), got {n_jobs!r}")
    jobs = list(jobs)
    for index, job in enumerate(jobs):
        if not isinstance(job, Job):
            raise ValueError(f"jobs[{index}] must be a Job(config, seed), got {type(job).__name__}")
    address = _resolve_scheduler(scheduler_address)
    calls = (joblib.delayed(function)(job.config, job.seed) for job in jobs)
    bar = tqdm(total=len(jobs), desc=description, disable=not progress, leave=False)
    results: list[Any] = []
    try:
        if address is not None:
            results = _run_on_dask(calls, address, bar)
        elif n_jobs == 1:
            for job in jobs:
                results.append(function(job.config, job.seed))
                bar.update()
        else:
            logger.info("running %s jobs on %s local processes", len(jobs), n_jobs)
            parallel = joblib.Parallel(n_jobs=int(n_jobs), return_as="generator")
            for result in parallel(calls):
                results.append(result)
                bar.update()
    finally:
        bar.close()
    return results


def _run_on_dask(calls, address: str, bar) -> list[Any]:
    """Run joblib calls on the Dask scheduler at ``address`` and return the results in order."""
    try:
        from dask.distributed import Client
    except ImportError as error:
        raise ImportError(
            f"a Dask scheduler address was given ({address!r}) but dask.distributed is not "
            f"installed; install it with `pip install 'isacfl[cluster]'` or unset {SCHEDULER_ENV_VAR}"
        ) from error
    logger.info("running jobs on the Dask scheduler at %s", address)
    results: list[Any] = []
    with Client(address) as client:
        logger.info("Dask cluster has %s workers", len(client.scheduler_info().get("workers", {})))
        with joblib.parallel_config(backend="dask"):
            for result in joblib.Parallel(n_jobs=-1, return_as="generator")(calls):
                results.append(result)
                bar.update()
    return results


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
        If ``values`` is empty along ``axis``, holds NaN, or ``confidence`` is outside (0, 1).

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
