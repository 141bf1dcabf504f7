"""The sweep runner sends the same jobs to a local dask.distributed cluster and gets the same results."""

from __future__ import annotations

import os

import pytest

from isacfl.sweeps import SCHEDULER_ENV_VAR, Job, run_jobs

distributed = pytest.importorskip("dask.distributed")


def seeded_job(config: int, seed: int) -> tuple[int, int]:
    """Return a value fixed by the job and the id of the process that computed it."""
    return config * 1000 + seed, os.getpid()


@pytest.fixture(scope="module")
def scheduler_address():
    # Loopback only, no dashboard: the cluster lives and dies with this module.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


JOBS = [Job(config, seed) for config in (1, 2, 3) for seed in (0, 1)]
EXPECTED = [config * 1000 + seed for config in (1, 2, 3) for seed in (0, 1)]


def test_dask_results_match_serial(scheduler_address):
    on_cluster = run_jobs(seeded_job, JOBS, scheduler_address=scheduler_address, progress=False)
    serial = run_jobs(seeded_job, JOBS, progress=False)

    assert [value for value, _ in on_cluster] == EXPECTED
    assert [value for value, _ in serial] == EXPECTED


def test_dask_runs_in_worker_processes(scheduler_address):
    on_cluster = run_jobs(seeded_job, JOBS, scheduler_address=scheduler_address, progress=False)

    pids = {pid for _, pid in on_cluster}
    assert os.getpid() not in pids


def test_dask_selected_by_env_var(scheduler_address, monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV_VAR, scheduler_address)

    on_cluster = run_jobs(seeded_job, JOBS, progress=False)

    assert [value for value, _ in on_cluster] == EXPECTED
    assert os.getpid() not in {pid for _, pid in on_cluster}
