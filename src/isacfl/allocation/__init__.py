"""Resource allocation: how each device splits its energy between sensing and upload.

The problem: maximise ``J = gamma_min * sum_n D_n p_n`` over each device's sensing power, snapshot
count and communication power, under per-device energy (E9), power and time (E5) limits, where
``gamma_min`` is the smallest sensing SNR (E2) over devices, ``D_n`` the sample count (E1) and
``p_n`` the upload success probability (E6). ``J`` is the term of the convergence bound that the
allocation controls: the larger it is, the smaller the bound.

:func:`allocate` is the entry point. Its strategies:

``proposed``
    the certified global optimum (:func:`~isacfl.allocation.search.certified_search`), used by
    every experiment of the book;
``golden``
    the two-layer algorithm of the paper this book reproduces ("ISAC for AI: A Trade-off
    Framework Across Data Acquisition and Transfer in Federated Learning"): golden-section search over ``gamma_min`` with the closed-form
    inner layer (:func:`~isacfl.allocation.search.golden_section_search`);
``maxsensing``, ``maxcomm``, ``uniform``, ``ratio``
    the baselines of :mod:`isacfl.allocation.baselines`.

:class:`InnerProblem` (and the shortcuts :func:`device_values` and :func:`objective`) evaluate
``V_n(gamma_min)`` and ``J(gamma_min)`` for plots and checks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..scenario import Scenario
from .baselines import BASELINES, baseline_allocation
from .errors import ConvergenceWarning, InfeasibleScenarioError
from .inner import InnerProblem, cell_allocation, device_values, objective
from .search import INVERSE_GOLDEN_RATIO, SearchResult, certified_search, golden_section_search

__all__ = [
    "STRATEGIES",
    "Allocation",
    "Certificate",
    "allocate",
    "allocation_at",
    "check_allocation",
    "InnerProblem",
    "device_values",
    "objective",
    "golden_section_search",
    "certified_search",
    "SearchResult",
    "INVERSE_GOLDEN_RATIO",
    "InfeasibleScenarioError",
    "ConvergenceWarning",
]

#: Strategy names accepted by :func:`allocate`.
STRATEGIES = ("proposed", "golden") + BASELINES

_PER_DEVICE = ("snapshots", "samples", "sensing_power_w", "comm_power_w", "sensing_snr", "success_prob")


@dataclasses.dataclass(frozen=True)
class Certificate:
    """Proof of near-optimality: the global maximum of ``J`` lies in ``[objective, upper_bound]``."""

    upper_bound: float
    relative_gap: float  #: ``(upper_bound - objective) / upper_bound``


@dataclasses.dataclass(frozen=True, eq=False)
class Allocation:
    """One allocation of every device's resources; per-device arrays have shape ``(N,)`` and are read-only.

    ``gamma_min`` is the smallest sensing SNR over devices (linear) and ``objective`` is
    ``J = gamma_min * sum_n samples_n * success_prob_n``. ``certificate`` is set for the
    ``proposed`` strategy only; ``search`` is the outer search's result for ``proposed`` and
    ``golden``.
    """

    strategy: str
    snapshots: np.ndarray  #: snapshots ``L_n`` integrated per sample
    samples: np.ndarray  #: samples ``D_n`` acquired (E1)
    sensing_power_w: np.ndarray  #: sensing power ``p_n^s``, W
    comm_power_w: np.ndarray  #: communication power ``p_n^c``, W
    sensing_snr: np.ndarray  #: fading-averaged sensing SNR ``gamma_n`` (E2), linear
    success_prob: np.ndarray  #: upload success probability ``p_n`` (E6)
    gamma_min: float
    objective: float
    certificate: Certificate | None = None
    rho: float | None = None  #: upload energy share of the ``ratio`` strategy
    search: SearchResult | None = None

    def __post_init__(self) -> None:
        for name in _PER_DEVICE:
            array = np.array(getattr(self, name), copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def n_devices(self) -> int:
        """Number of devices."""
        return int(self.samples.size)

    @property
    def expected_samples(self) -> float:
        """``sum_n D_n p_n``, the expected number of samples whose update reaches the server per round."""
        return float(np.sum(self.samples * self.success_prob))

    def to_dict(self) -> dict[str, Any]:
        """Return the allocation as plain JSON-ready values (the command line's output format)."""
        devices = [
            {name: (int(getattr(self, name)[n]) if name in ("snapshots", "samples") else float(getattr(self, name)[n]))
             for name in _PER_DEVICE}
            for n in range(self.n_devices)
        ]
        certificate = None
        if self.certificate is not None:
            certificate = {"upper_bound": self.certificate.upper_bound, "relative_gap": self.certificate.relative_gap}
        return {
            "strategy": self.strategy,
            "objective": self.objective,
            "gamma_min": self.gamma_min,
            "certificate": certificate,
            "devices": devices,
        }


def _build(strategy: str, fields: dict[str, np.ndarray], **extra: Any) -> Allocation:
    gamma_min = float(np.min(fields["sensing_snr"]))
    total = float(np.sum(fields["samples"] * fields["success_prob"]))
    return Allocation(strategy=strategy, gamma_min=gamma_min, objective=gamma_min * total, **fields, **extra)


def allocation_at(scenario: Scenario | InnerProblem, gamma_min: float, strategy: str = "proposed") -> Allocation:
    """Return the inner layer's allocation for a fixed SNR floor ``gamma_min``.

    Every device takes its best snapshot count at that floor (the smallest among equal values),
    the cheapest sensing power that meets the floor and the rest of its budget for the upload.

    Raises
    ------
    ValueError
        If ``gamma_min`` is outside ``[0, gamma_hi]``, the range where every device is feasible.
    InfeasibleScenarioError
        If some device cannot reach any floor.

    Examples
    --------
    >>> a = allocation_at(Scenario(n_devices=2), 5.0)
    >>> bool(a.gamma_min >= 5.0), a.snapshots.tolist()
    (True, [29, 29])
    """
    problem = scenario if isinstance(scenario, InnerProblem) else InnerProblem(scenario)
    snapshots = problem.best_snapshots(gamma_min)
    return _build(strategy, cell_allocation(problem, snapshots, gamma_min))


def allocate(
    scenario: Scenario,
    strategy: str,
    rho: float | None = None,
    *,
    rtol: float = 1e-6,
    xtol: float = 1e-8,
) -> Allocation:
    """Allocate sensing power, snapshot count and communication power to every device.

    Parameters
    ----------
    scenario : Scenario
        The deployment.
    strategy : {"proposed", "golden", "maxsensing", "maxcomm", "uniform", "ratio"}
        ``proposed`` is the certified global maximum of ``J``; ``golden`` is the paper's
        golden-section algorithm; the others are the baselines.
    rho : float, optional
        Upload share of the energy left after computing, in ``[0, 1]``; required by ``ratio`` and
        rejected by every other strategy.
    rtol : float, optional
        Relative gap the ``proposed`` certificate must reach, in ``(0, 1)``.
    xtol : float, optional
        Relative bracket tolerance of the ``golden`` search.

    Returns
    -------
    Allocation
        The allocation. For ``proposed`` its ``certificate`` bounds the global maximum of ``J``.

    Raises
    ------
    ValueError
        If ``strategy`` or ``rho`` is invalid.
    InfeasibleScenarioError
        If some device cannot meet its limits at any snapshot count (a subclass of
        ``ValueError``); the message names the device and the shortfall in joules.

    Warns
    -----
    ConvergenceWarning
        If a search stopped at its iteration limit.

    Notes
    -----
    Both searches work on ``J(gamma_min) = gamma_min * sum_n V_n(gamma_min)``, where ``V_n`` is
    device ``n``'s best expected number of delivered samples at SNR floor ``gamma_min``. The
    reported ``gamma_min`` is the smallest SNR of the returned allocation, which is at least the
    floor the search chose, and ``objective`` is ``J`` of that allocation.

    Examples
    --------
    >>> s = Scenario.random(4, seed=0)
    >>> best = allocate(s, "proposed")
    >>> bool(best.certificate.relative_gap <= 1e-6)
    True
    >>> others = [allocate(s, name).objective for name in ("golden", "maxsensing", "maxcomm", "uniform")]
    >>> all(other <= best.certificate.upper_bound for other in others)
    True
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
    if strategy != "ratio" and rho is not None:
        raise ValueError(f"rho is used only by the 'ratio' strategy, got rho={rho!r} with strategy {strategy!r}")
    if strategy in BASELINES:
        return _build(strategy, baseline_allocation(scenario, strategy, rho), rho=rho)

    problem = InnerProblem(scenario)
    if strategy == "golden":
        lower, upper = problem.search_bounds()
        result = golden_section_search(problem.objective, lower, upper, xtol=xtol,
                                       cells_per_evaluation=problem.cells.size)
        return _build(strategy, cell_allocation(problem, problem.best_snapshots(result.x), result.x), search=result)

    result = certified_search(problem, rtol=rtol)
    fields = cell_allocation(problem, problem.best_snapshots(result.x), result.x)
    allocation = _build(strategy, fields, search=result)
    bound = max(result.upper_bound, allocation.objective)
    gap = (bound - allocation.objective) / bound if bound > 0 else 0.0
    return dataclasses.replace(allocation, certificate=Certificate(upper_bound=bound, relative_gap=gap))


def check_allocation(scenario: Scenario, allocation: Allocation, *, rtol: float = 1e-9) -> list[str]:
    """List every limit that ``allocation`` breaks in ``scenario`` (an empty list if none).

    Checks the snapshot range, the sample count (E1), a positive upload slot (E5), the power
    ranges, the energy budget (E9) with relative slack ``rtol``, the success probability (E6) and
    its range, the SNR (E2), that every SNR is at least ``gamma_min``, and the objective.

    Examples
    --------
    >>> s = Scenario(n_devices=3)
    >>> check_allocation(s, allocate(s, "uniform"))
    []
    """
    from ..channel import outage_threshold_w, round_energy_j, samples, sensing_gain_factor, success_probability, upload_slot_s

    s = scenario
    a = allocation
    problems: list[str] = []

    def report(mask: np.ndarray, what: str) -> None:
        for n in np.flatnonzero(mask):
            problems.append(f"device {int(n)}: {what}")

    report((a.snapshots < 1) | (a.snapshots > s.max_snapshots), f"snapshots outside [1, {s.max_snapshots}]")
    count = samples(s.sensing_duration_s, s.snapshot_s, np.clip(a.snapshots, 1, None))
    report(a.samples != count, "samples differ from floor(T_s / (L t_n))")
    report(a.samples < 1, "fewer than one sample")
    slot = upload_slot_s(s.round_deadline_s, s.train_s_per_sample, a.samples)
    report(slot <= 0, "no time left to upload")
    slack = rtol * np.maximum(1.0, s.sensing_power_max_w)
    report((a.sensing_power_w < s.sensing_power_min_w - slack) | (a.sensing_power_w > s.sensing_power_max_w + slack),
           "sensing power outside [p_th, P_s^max]")
    report((a.comm_power_w < 0) | (a.comm_power_w > s.comm_power_max_w * (1 + rtol)),
           "communication power outside [0, P_c^max]")
    energy = round_energy_j(a.sensing_power_w, s.sensing_duration_s, s.energy_per_sample_j, a.samples,
                            a.comm_power_w, slot)["total_j"]
    report(energy > s.energy_budget_j * (1 + rtol) + rtol, "energy above the budget")
    theta = outage_threshold_w(slot, s.model_bits, s.bandwidth_hz, s.noise_power_w, s.server_distance_m,
                               s.comm_pathloss_exponent, s.comm_gain, s.comm_fading_mean)
    expected_p = success_probability(np.maximum(a.comm_power_w, 0.0), theta)
    report(~np.isclose(a.success_prob, expected_p, rtol=1e-9, atol=1e-12), "success probability differs from E6")
    report((a.success_prob < 0) | (a.success_prob > 1), "success probability outside [0, 1]")
    snr = a.sensing_power_w * a.snapshots * sensing_gain_factor(s)
    report(~np.isclose(a.sensing_snr, snr, rtol=1e-9), "sensing SNR differs from p^s L a_n")
    report(a.sensing_snr < a.gamma_min * (1 - rtol), "sensing SNR below gamma_min")
    if not np.isclose(a.objective, a.gamma_min * a.expected_samples, rtol=1e-9):
        problems.append(f"objective {a.objective!r} differs from gamma_min * sum D p")
    for name in _PER_DEVICE:
        if not np.all(np.isfinite(getattr(a, name))):
            problems.append(f"{name} has a value that is not finite")
    return problems
