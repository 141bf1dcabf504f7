"""The three learning sweeps of the book: energy ratio, number of devices, and a straggler.

Figure numbers refer to the ISAC-FL paper ("ISAC for AI: A Trade-off Framework Across Data
Acquisition and Transfer in Federated Learning", arXiv 2605.11915), whose figures they regenerate.

Each sweep is a grid of :class:`isacfl.fl.RunConfig` (variant x point) times the profile's seeds.
:func:`sweep_jobs` lists its ``(config, seed)`` jobs, :func:`run_sweep` runs them (results already
in the on-disk cache of :func:`isacfl.fl.runner.run` are read, not recomputed) and returns a
:class:`~isacfl.sweeps.stats.SweepResult` of per-seed metrics.

``ratio`` (paper Fig. 9)
    the fixed-ratio baseline with communication share ``rho`` of the energy left after computing,
    IID and Non-IID (two label shards per device);
``devices`` (paper Fig. 10)
    the four strategies with ``N`` devices, IID;
``straggler`` (paper Fig. 11)
    the four strategies, Non-IID, with device 0 given a fraction of the others' energy budget
    (device 0 is a random device, because positions are drawn from the seed).

Grid sizes come from the profile (:func:`isacfl.profiles.get_profile`): ``sweep_points`` sets the
number of points of each axis, ``num_seeds`` the seeds, and the run sizes (rounds, images) come
from :meth:`isacfl.fl.RunConfig.from_profile`. A point whose config equals one of another chapter
(``N = 10``, or a budget fraction of 1) shares that chapter's cached runs.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from ..profiles import Profile, get_profile
from ..scenario import Scenario
from .runner import Job, run_jobs
from .stats import SweepResult

__all__ = [
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

logger = logging.getLogger(__name__)

#: Sweep names, with the paper figure each regenerates.
FIGURES = {"ratio": "Fig. 9", "devices": "Fig. 10", "straggler": "Fig. 11"}

#: The four strategies the paper compares.
COMPARED_STRATEGIES = ("proposed", "maxsensing", "maxcomm", "uniform")

#: Range of the communication energy ratio. ``rho = 1`` leaves no energy for sensing, which
#: violates the smallest sensing power, and ``rho = 0`` gives no upload at all.
RATIO_RANGE = (0.05, 0.95)

#: Energy budget of every device but the straggler, in joules (the scenario default).
BASE_BUDGET_J = float(Scenario().energy_budget_j[0])

# Aliases accepted on the command line for each sweep.
_ALIASES = {"9": "ratio", "fig9": "ratio", "10": "devices", "fig10": "devices",
            "11": "straggler", "fig11": "straggler"}


def ratio_grid(profile: Profile) -> tuple[float, ...]:
    """Return ``sweep_points`` ratios evenly spaced on :data:`RATIO_RANGE`, rounded to 3 decimals.

    Examples
    --------
    >>> ratio_grid(get_profile("quick"))
    (0.05, 0.5, 0.95)
    """
    return tuple(float(r) for r in np.round(np.linspace(*RATIO_RANGE, profile.sweep_points), 3))


def device_counts(profile: Profile) -> tuple[int, ...]:
    """Return the device counts ``N`` of the devices sweep.

    With at least 6 sweep points: 5 to 30 in steps of 5. A run costs about in proportion to
    ``N``, so smaller profiles keep the default ``N = 10`` and the cheap end: (5, 10, 20) with 4
    or 5 points, and (5, 10) with fewer.

    Examples
    --------
    >>> device_counts(get_profile("quick")), device_counts(get_profile("book"))
    ((5, 10), (5, 10, 20))
    >>> device_counts(get_profile("paper"))
    (5, 10, 15, 20, 25, 30)
    """
    if profile.sweep_points >= 6:
        return (5, 10, 15, 20, 25, 30)
    if profile.sweep_points >= 4:
        return (5, 10, 20)
    return (5, 10)


def straggler_fractions(profile: Profile) -> tuple[float, ...]:
    """Return the straggler's budget as fractions of the others', starting from 1 (no straggler).

    With at least 6 sweep points the grid is (1, 0.5, 0.3, 0.2, 0.1, 0.05). With fewer it is
    (1, 0.1): the homogeneous network, whose runs other chapters share, and one straggler with a
    tenth of the budget.

    Examples
    --------
    >>> straggler_fractions(get_profile("book")), straggler_fractions(get_profile("paper"))
    ((1.0, 0.1), (1.0, 0.5, 0.3, 0.2, 0.1, 0.05))
    """
    if profile.sweep_points >= 6:
        return (1.0, 0.5, 0.3, 0.2, 0.1, 0.05)
    return (1.0, 0.1)


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """Grid of one sweep: ``configs[v][k]`` is the run config of variant ``v`` at point ``k``."""

    name: str
    #: Axis label with mathtext, for plots.
    axis_label: str
    #: Axis name in plain text, for tables.
    axis_name: str
    points: tuple[float, ...]
    variants: tuple[str, ...]
    configs: tuple[tuple[Any, ...], ...]
    seeds: tuple[int, ...]


def _canonical(name: str) -> str:
    key = str(name).lower()
    key = _ALIASES.get(key, key)
    if key not in FIGURES:
        raise ValueError(f"sweep must be one of {sorted(FIGURES)} (or 9, 10, 11), got {name!r}")
    return key


def sweep_spec(name: str, profile: Profile | str | None = None, *, points: Any = None,
               **config_changes: Any) -> SweepSpec:
    """Return the grid of the sweep ``name`` (``ratio``, ``devices``, ``straggler``, or 9, 10, 11).

    ``points`` replaces the profile's points of the swept axis (for example only the end points
    of the straggler axis). ``config_changes`` (for example
    ``server_distance_range_m=(50.0, 120.0)``) changes every config of the grid, to repeat a
    sweep in another scenario family.

    Raises
    ------
    ValueError
        If ``name`` or the profile is unknown.

    Examples
    --------
    >>> spec = sweep_spec("fig10", "quick")
    >>> spec.variants, spec.points, spec.seeds
    (('proposed', 'maxsensing', 'maxcomm', 'uniform'), (5, 10), (0, 1))
    >>> spec.configs[0][1].n_devices
    10
    """
    from ..fl.config import RunConfig

    key = _canonical(name)
    if points is not None and len(points) == 0:
        raise ValueError("points must hold at least one value of the swept axis, got none")
    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    seeds = tuple(range(profile.num_seeds))
    base = RunConfig.from_profile(profile, **config_changes)
    if key == "ratio":
        points = ratio_grid(profile) if points is None else tuple(float(p) for p in points)
        variants = ("iid", "noniid")
        partitions = {"iid": "iid", "noniid": "shards"}
        configs = tuple(tuple(base.replace(strategy="ratio", rho=rho, partition=partitions[v]) for rho in points)
                        for v in variants)
        label, plain = r"communication energy ratio $\rho$ (1)", "rho"
    elif key == "devices":
        points = device_counts(profile) if points is None else tuple(int(p) for p in points)
        variants = COMPARED_STRATEGIES
        configs = tuple(tuple(base.replace(strategy=s, n_devices=n) for n in points) for s in variants)
        label, plain = "number of devices $N$ (1)", "N"
    else:
        points = straggler_fractions(profile) if points is None else tuple(float(p) for p in points)
        variants = COMPARED_STRATEGIES
        configs = tuple(tuple(_straggler_config(base.replace(strategy=s, partition="shards"), f)
                              for f in points) for s in variants)
        label = "straggler budget / other devices' budget (1)"
        plain = "budget fraction"
    return SweepSpec(key, label, plain, points, variants, configs, seeds)


def _straggler_config(config: Any, fraction: float) -> Any:
    """Give device 0 ``fraction`` of the default budget; a fraction of 1 leaves the config unchanged."""
    if fraction == 1.0:
        return config
    budgets = np.full(config.n_devices, BASE_BUDGET_J)
    budgets[0] *= fraction
    return config.replace(scenario_overrides={"energy_budget_j": budgets})


def sweep_jobs(spec: SweepSpec) -> list[Job]:
    """List every ``(config, seed)`` job of a sweep, variant by variant, point by point, seed by seed."""
    return [Job(config, seed) for row in spec.configs for config in row for seed in spec.seeds]


def history_metrics(history: Any) -> dict[str, float]:
    """Return the scalar metrics of one run that the sweeps plot and the scorecard tests.

    ``accuracy`` is the final test accuracy (fraction) and ``loss_train`` the final training loss.
    ``success_prob_mean`` is the mean over devices of the upload success probability,
    ``sensing_snr_db_mean`` the mean over devices of the sensing SNR in dB, and ``samples_mean``
    the mean sample count. ``accuracy_jitter`` is the mean absolute change of test accuracy
    between consecutive evaluations in the second half of the run (0 with fewer than two
    evaluations there).
    """
    info = history.info
    last_round = history.accuracy_test[-1][0]
    late = np.array([value for server_round, value in history.accuracy_test if 2 * server_round >= last_round])
    jitter = float(np.mean(np.abs(np.diff(late)))) if late.size >= 2 else 0.0
    return {
        "accuracy": float(history.final("accuracy_test")),
        "loss_train": float(history.final("loss_train")),
        "success_prob_mean": float(np.mean(info["success_prob"])),
        "sensing_snr_db_mean": float(np.mean(info["sensing_snr_db"])),
        "samples_mean": float(np.mean(info["samples"])),
        "accuracy_jitter": jitter,
    }


def run_metrics(config: Any, seed: int) -> dict[str, float]:
    """Run (or read from the result cache) one FL run and reduce it to :func:`history_metrics`.

    This is the job function of every sweep: a picklable top-level function of ``(config, seed)``.
    """
    from ..fl.runner import run

    return history_metrics(run(config, seed))


def collect_metrics(jobs: list[Job], *, n_jobs: int | None = None, scheduler_address: str | None = None,
                    progress: bool = True, description: str = "runs") -> tuple[list[dict[str, float]], int]:
    """Return :func:`history_metrics` of every job and the number of runs that had to be computed.

    Runs already in the result cache are read in this process; only the missing ones go to
    :func:`isacfl.sweeps.run_jobs` (with ``n_jobs`` and ``scheduler_address`` as there).
    """
    from ..fl.results import load_result

    metrics: list[dict[str, float] | None] = []
    for job in jobs:
        cached = load_result(job.config, job.seed)
        metrics.append(history_metrics(cached) if cached is not None else None)
    missing = [i for i, m in enumerate(metrics) if m is None]
    logger.info("%s: %s runs, %s cached, %s to compute", description, len(jobs), len(jobs) - len(missing),
                len(missing))
    computed = run_jobs(run_metrics, [jobs[i] for i in missing], n_jobs=n_jobs,
                        scheduler_address=scheduler_address, progress=progress, description=description)
    for i, value in zip(missing, computed):
        metrics[i] = value
    return metrics, len(missing)


def run_sweep(
    name: str,
    profile: Profile | str | None = None,
    *,
    n_jobs: int | None = None,
    scheduler_address: str | None = None,
    progress: bool = True,
    points: Any = None,
    **config_changes: Any,
) -> SweepResult:
    """Run the sweep ``name`` at ``profile`` and return its per-seed metrics.

    Parameters
    ----------
    name : str
        ``ratio``, ``devices`` or ``straggler`` (also 9, 10, 11, fig9, fig10, fig11).
    profile : Profile or str, optional
        Run sizes; default ``ISACFL_PROFILE``.
    n_jobs, scheduler_address, progress
        As in :func:`isacfl.sweeps.run_jobs`.
    points, **config_changes
        Points of the swept axis and changes of every config, as in :func:`sweep_spec`.

    Returns
    -------
    SweepResult
        Metrics of :func:`history_metrics` with shape (variants, points, seeds).

    Notes
    -----
    Runs already in the result cache are read in this process; only the missing ones go to the
    workers. The cache folder is ``ISACFL_RESULTS_DIR`` (default ``results/cache``), so workers
    of a Dask cluster on other machines need that folder on a shared file system.
    """
    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    spec = sweep_spec(name, profile, points=points, **config_changes)
    metrics, computed_runs = collect_metrics(sweep_jobs(spec), n_jobs=n_jobs, scheduler_address=scheduler_address,
                                             progress=progress, description=f"{spec.name} sweep")

    shape = (len(spec.variants), len(spec.points), len(spec.seeds))
    names = list(metrics[0])
    arrays = {key: np.array([m[key] for m in metrics], dtype=float).reshape(shape) for key in names}
    info = {"profile": profile.name, "num_rounds": profile.num_rounds, "computed_runs": computed_runs,
            "paper_figure": FIGURES[spec.name], "axis_name": spec.axis_name, "config_changes": config_changes}
    return SweepResult(FIGURES[spec.name], spec.axis_label, spec.points, spec.variants, spec.seeds,
                       arrays, info)
