"""Run many independent ``(config, seed)`` jobs through joblib, locally or on a Dask cluster.

A sweep is a list of :class:`Job` objects. :func:`run_jobs` calls one function on each of them and
returns the results in job order. By default the jobs run one after the other in this process,
because on a 2-core machine two worker processes are not faster than one. ``n_jobs`` spreads them
over local processes (joblib's ``loky`` backend). A Dask scheduler address, given as an argument
or in the environment variable ``ISACFL_DASK_SCHEDULER``, sends the same jobs to a
``dask.distributed`` cluster through joblib's ``dask`` backend, and nothing else changes.
When ``n_jobs`` is not given, the environment variable ``ISACFL_JOBS`` sets it (default 1), so a
whole book build can run its sweeps on more processes without editing a chapter.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import warnings
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

import joblib
import numpy as np
from tqdm import tqdm

__all__ = ["Job", "SCHEDULER_ENV_VAR", "JOBS_ENV_VAR", "default_jobs", "run_jobs"]

logger = logging.getLogger(__name__)

#: Environment variable holding the address of a Dask scheduler (for example
#: ``tcp://127.0.0.1:8786``). When it is set, :func:`run_jobs` runs on that cluster.
SCHEDULER_ENV_VAR = "ISACFL_DASK_SCHEDULER"

#: Environment variable holding the number of local worker processes used when a caller gives none.
JOBS_ENV_VAR = "ISACFL_JOBS"


#: Largest number of local worker processes accepted.
MAX_JOBS = 256


def _jobs_rule() -> str:
    cores = os.cpu_count() or 1
    return (f"an integer from 1 to {MAX_JOBS}, or from -{cores} to -1 (-1 uses all {cores} cores, -2 all "
            f"but one); 1 runs in this process")


def _check_jobs(n_jobs: Any) -> int:
    cores = os.cpu_count() or 1
    if (isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer))
            or not (1 <= n_jobs <= MAX_JOBS or -cores <= n_jobs <= -1)):
        raise ValueError(f"n_jobs must be {_jobs_rule()}, got {n_jobs!r}")
    return int(n_jobs)


def default_jobs(n_jobs: int | None = None) -> int:
    """Return ``n_jobs`` if given, else the value of ``ISACFL_JOBS``, else 1.

    Raises
    ------
    ValueError
        If the number (given or read from the environment) is 0 or not an integer.

    Examples
    --------
    >>> default_jobs(2), default_jobs(-1)
    (2, -1)
    """
    if n_jobs is not None:
        return _check_jobs(n_jobs)
    text = os.environ.get(JOBS_ENV_VAR, "").strip()
    if not text:
        return 1
    try:
        return _check_jobs(int(text))
    except ValueError:
        raise ValueError(f"{JOBS_ENV_VAR} must be {_jobs_rule()}, got {text!r}") from None


@dataclasses.dataclass(frozen=True)
class Job:
    """One independent run of a sweep: a hashable configuration and the seed of its randomness."""

    config: Hashable
    seed: int


@contextlib.contextmanager
def quiet_worker_restarts() -> Iterator[None]:
    """Silence loky's warning that it replaced a worker process, for the enclosed block.

    loky restarts a worker whose memory grew by a few hundred MB, as after an FL run with 30
    devices. It then warns on stderr, although every job still runs once and returns its result,
    and in a chapter that warning fails the book build.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="A worker stopped while some jobs were given to the executor",
                                category=UserWarning)
        yield


def _resolve_scheduler(scheduler_address: str | None) -> str | None:
    if scheduler_address is not None:
        return scheduler_address
    return os.environ.get(SCHEDULER_ENV_VAR) or None


def run_jobs(
    function: Callable[[Any, int], Any],
    jobs: Sequence[Job],
    *,
    n_jobs: int | None = None,
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
    n_jobs : int, optional
        Local worker processes (joblib ``loky`` backend); 1 runs the jobs in this process, -1
        uses every core. Default: ``ISACFL_JOBS``, else 1. Ignored on a Dask cluster, which
        uses all of its workers.
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
        If ``n_jobs`` (or ``ISACFL_JOBS``) is 0 or not an integer, or if a job is not a
        :class:`Job`.

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
    n_jobs = default_jobs(n_jobs)
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
            with quiet_worker_restarts():
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
