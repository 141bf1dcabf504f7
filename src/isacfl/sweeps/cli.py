"""The ``sweep`` subcommand: ``python -m isacfl sweep FIGURE --profile P [--jobs J]``."""

from __future__ import annotations

import argparse
import os
import sys
import time

from ..profiles import PROFILES, get_profile
from .figures import FIGURES, run_sweep
from .runner import JOBS_ENV_VAR, SCHEDULER_ENV_VAR, default_jobs
from .stats import SweepResult

__all__ = ["add_sweep_command", "format_summary"]

# Metrics shown in the summary table: key, heading, scale, and whether the metric is a fraction whose
# interval is clipped to [0, 1] as in the plots.
_SUMMARY_METRICS = (("accuracy", "accuracy (%)", 100.0, True), ("success_prob_mean", "mean p (%)", 100.0, True),
                    ("sensing_snr_db_mean", "mean SNR (dB)", 1.0, False))


def format_summary(result: SweepResult) -> str:
    """Return a plain-text table: one row per variant and point, mean and 95 % interval over seeds.

    Intervals of fractions (accuracy, success probability) are clipped to 0-100 %.

    Examples
    --------
    >>> import numpy as np
    >>> ones = np.ones((1, 1, 2))
    >>> r = SweepResult("Fig. 9", "rho (1)", (0.5,), ("iid",), (0, 1),
    ...                 {"accuracy": 0.9 * ones, "success_prob_mean": 0.5 * ones, "sensing_snr_db_mean": -3 * ones})
    >>> print(format_summary(r))  # doctest: +NORMALIZE_WHITESPACE
    variant  rho (1)  accuracy (%)        mean p (%)          mean SNR (dB)
    iid      0.5      90.00 [90.00, 90.00]  50.00 [50.00, 50.00]  -3.00 [-3.00, -3.00]
    """
    metrics = [row for row in _SUMMARY_METRICS if row[0] in result.metrics]
    header = ["variant", result.info.get("axis_name", result.axis_label)] + [row[1] for row in metrics]
    rows = []
    for variant in result.variants:
        intervals = [(result.interval(key, variant), scale, fraction) for key, _, scale, fraction in metrics]
        for k, point in enumerate(result.points):
            cells = [variant, f"{point:g}"]
            for interval, scale, fraction in intervals:
                low, high = interval.low[k], interval.high[k]
                if fraction:
                    low, high = max(low, 0.0), min(high, 1.0)
                cells.append(f"{scale * interval.mean[k]:.2f} [{scale * low:.2f}, {scale * high:.2f}]")
            rows.append(cells)
    widths = [max(len(line[i]) for line in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
             for line in [header] + rows]
    return "\n".join(lines)


def _handle(args: argparse.Namespace) -> int:
    from ..errors import CommandError

    start = time.perf_counter()
    if args.jobs is not None:
        try:
            default_jobs(args.jobs)
        except ValueError as error:
            raise CommandError(str(error).replace("n_jobs", "--jobs", 1)) from None
    address = args.dask_scheduler or os.environ.get(SCHEDULER_ENV_VAR) or None
    try:
        profile = get_profile(args.sweep_profile or args.profile)
        result = run_sweep(args.figure, profile, n_jobs=args.jobs, scheduler_address=args.dask_scheduler,
                           progress=not args.no_progress)
    except ValueError as error:
        raise CommandError(str(error)) from None
    except (OSError, TimeoutError) as error:
        if address is None:
            raise CommandError(str(error)) from None
        raise CommandError(f"the sweep could not reach its workers at {address} (set by --dask-scheduler or "
                           f"{SCHEDULER_ENV_VAR}): {error}") from None
    elapsed = time.perf_counter() - start
    print(f"{result.figure} sweep at profile {profile.name}: {len(result.seeds)} seeds per point, "
          f"{profile.num_rounds} rounds, {result.info['computed_runs']} runs computed, "
          f"{elapsed:.1f} s; intervals are 95 % Student t over seeds")
    print(format_summary(result))
    sys.stdout.flush()
    return 0


def add_sweep_command(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``sweep`` subcommand on the parser collection of ``python -m isacfl``."""
    names = ", ".join(f"{name} ({figure})" for name, figure in FIGURES.items())
    parser = subparsers.add_parser(
        "sweep",
        help="run one of the learning sweeps (paper Figs. 9-11) and print a summary table",
        description=f"Run the FL runs of one sweep, reading cached runs, and print the mean and 95 % "
                    f"interval over seeds of every point. Sweeps: {names}.",
    )
    parser.add_argument("figure", help="sweep to run: ratio, devices, straggler, or 9, 10, 11")
    parser.add_argument("--profile", dest="sweep_profile", choices=sorted(PROFILES), default=None,
                        help="run-size profile (default: the global --profile, then $ISACFL_PROFILE, then book)")
    parser.add_argument("--jobs", type=int, default=None,
                        help=f"local worker processes (default: ${JOBS_ENV_VAR}, else 1; -1 uses every core)")
    parser.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                        help=f"run on the Dask scheduler at ADDRESS, e.g. tcp://127.0.0.1:8786 "
                             f"(default: ${SCHEDULER_ENV_VAR}, else local)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=_handle)
