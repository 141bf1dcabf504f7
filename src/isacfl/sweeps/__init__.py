"""Sweeps: many independent ``(config, seed)`` FL runs, their statistics, and the figure sweeps.

:func:`run_jobs` executes a list of :class:`Job` through joblib: in this process by default, on
local processes with ``n_jobs``, or on a ``dask.distributed`` cluster when a scheduler address is
given (argument or ``ISACFL_DASK_SCHEDULER``). :func:`mean_interval` and
:func:`difference_interval` give 95 % Student-t intervals over seeds. :func:`run_sweep` runs the
book's three learning sweeps (energy ratio, number of devices, straggler).
"""

from .figures import (
    COMPARED_STRATEGIES,
    FIGURES,
    SweepSpec,
    collect_metrics,
    device_counts,
    history_metrics,
    ratio_grid,
    run_metrics,
    run_sweep,
    straggler_fractions,
    sweep_jobs,
    sweep_spec,
)
from .runner import JOBS_ENV_VAR, SCHEDULER_ENV_VAR, Job, default_jobs, run_jobs
from .stats import CONFIDENCE, Interval, SweepResult, difference_interval, mean_interval, summary_difference_interval

__all__ = [
    "Job",
    "SCHEDULER_ENV_VAR",
    "run_jobs",
    "default_jobs",
    "JOBS_ENV_VAR",
    "CONFIDENCE",
    "Interval",
    "SweepResult",
    "mean_interval",
    "difference_interval",
    "summary_difference_interval",
    "FIGURES",
    "COMPARED_STRATEGIES",
    "SweepSpec",
    "ratio_grid",
    "device_counts",
    "straggler_fractions",
    "sweep_spec",
    "sweep_jobs",
    "run_sweep",
    "history_metrics",
    "run_metrics",
    "collect_metrics",
]
