"""Time one sweep's FL runs with one worker process and with two, side by side, and print the ratio.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sweep_jobs.py [--runs 6] [--profile quick]

Workload: the first ``--runs`` jobs of the energy-ratio sweep at the given profile (FL on MNIST,
10 devices), computed from scratch into a temporary result folder, so the cache plays no part.
The two settings alternate (1, 2, 1, 2, ...) for ``--repeats`` rounds, each with its own fresh
folder, and the median wall time of each is reported. A ratio below 1 means two processes are
faster. Each FL run uses one torch thread, so two processes use at most two cores; on a machine
whose cores are busy with other work, the second process brings little.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from isacfl.profiles import get_profile
from isacfl.sweeps import run_jobs, sweep_jobs, sweep_spec
from isacfl.sweeps.figures import run_metrics


def time_jobs(jobs, n_jobs: int) -> float:
    """Return the wall time of computing ``jobs`` with ``n_jobs`` processes into a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="isacfl-bench-") as folder:
        os.environ["ISACFL_RESULTS_DIR"] = folder
        start = time.perf_counter()
        run_jobs(run_metrics, jobs, n_jobs=n_jobs, progress=False)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="FL runs per timing (default 6)")
    parser.add_argument("--repeats", type=int, default=2, help="timings per setting (default 2)")
    parser.add_argument("--profile", default="quick", help="run-size profile (default quick)")
    args = parser.parse_args()

    profile = get_profile(args.profile)
    jobs = sweep_jobs(sweep_spec("ratio", profile))[: args.runs]
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeats):
        for n_jobs in (1, 2):
            times[n_jobs].append(time_jobs(jobs, n_jobs))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"{len(jobs)} FL runs at profile {profile.name}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"1 process:  {one:7.1f} s (median of {args.repeats})")
    print(f"2 processes: {two:7.1f} s (median of {args.repeats})")
    print(f"ratio 2 processes / 1 process: {two / one:.2f}")


if __name__ == "__main__":
    main()
