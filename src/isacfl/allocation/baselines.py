"""The baseline power rules: MaxSensing, MaxComm, Uniform and a fixed energy ratio.

Each baseline fixes how a device splits the energy left after computing,
``A_n(L) = E_n - c_n D_n(L)``, between sensing and upload, and then picks the snapshot count ``L``
that maximises the expected number of delivered samples ``D_n p_n``, the smallest ``L`` among
equal values. None of them looks at the sensing SNR: ignoring data quality is what the comparison
with the proposed allocation is about (a modelling choice of this book).

An ``L`` is feasible when the round deadline leaves a positive upload slot after training at least
one sample, ``A_n >= p_th T_s``, and the rule's sensing power is at least ``p_th``.
"""

from __future__ import annotations

import numpy as np

from ..channel import outage_threshold_w, samples, sensing_gain_factor, success_probability, upload_slot_s
from ..scenario import Scenario
from .errors import InfeasibleScenarioError
from .inner import ENERGY_SLACK, snapshot_counts

__all__ = ["BASELINES", "baseline_allocation"]

#: Names of the baseline rules.
BASELINES = ("maxsensing", "maxcomm", "uniform", "ratio")

# Fraction of the energy left after computing that each rule lets sensing use at most, which
# decides feasibility: the rule meets p_th only if that share of A_n covers p_th T_s.
_SENSING_SHARE = {"maxsensing": 1.0, "maxcomm": 1.0, "uniform": 0.5}


def _powers(rule: str, residual_j, sensing_s, slot_s, sensing_max_w, comm_max_w, sensing_min_w, rho):
    """Return ``(p^s, p^c)`` in watts of one rule, for every device and snapshot count."""
    if rule == "maxsensing":
        sensing_w = np.minimum(sensing_max_w, residual_j / sensing_s)
        comm_w = np.minimum(comm_max_w, (residual_j - sensing_w * sensing_s) / slot_s)
    elif rule == "maxcomm":
        comm_w = np.minimum(comm_max_w, (residual_j - sensing_min_w * sensing_s) / slot_s)
        sensing_w = np.minimum(sensing_max_w, (residual_j - comm_w * slot_s) / sensing_s)
    elif rule == "uniform":
        sensing_w = np.minimum(sensing_max_w, 0.5 * residual_j / sensing_s)
        comm_w = np.minimum(comm_max_w, 0.5 * residual_j / slot_s)
    else:
        comm_w = np.minimum(comm_max_w, rho * residual_j / slot_s)
        sensing_w = np.minimum(sensing_max_w, (1.0 - rho) * residual_j / sensing_s)
    # Clipping only moves values that rounding pushed past p_th or 0 W by at most ENERGY_SLACK.
    return np.maximum(sensing_w, sensing_min_w), np.maximum(comm_w, 0.0)


def baseline_allocation(scenario: Scenario, rule: str, rho: float | None = None) -> dict[str, np.ndarray]:
    """Allocate every device by one baseline rule.

    Parameters
    ----------
    scenario : Scenario
        The deployment.
    rule : {"maxsensing", "maxcomm", "uniform", "ratio"}
        MaxSensing: ``p^s = min(P_s^max, A_n / T_s)`` and the upload gets the rest,
        ``p^c = min(P_c^max, (A_n - p^s T_s) / T^up)``.
        MaxComm: ``p^c = min(P_c^max, (A_n - p_th T_s) / T^up)`` and sensing gets the rest,
        ``p^s = min(P_s^max, (A_n - p^c T^up) / T_s)``.
        Uniform: ``p^s T_s = p^c T^up = A_n / 2``, each power capped at its maximum.
        Ratio: ``p^c = min(P_c^max, rho A_n / T^up)`` and ``p^s = min(P_s^max, (1 - rho) A_n / T_s)``.
    rho : float, optional
        Share of ``A_n`` given to the upload, in ``[0, 1]``; required for ``"ratio"`` only.

    Returns
    -------
    dict
        Per-device arrays ``snapshots``, ``samples``, ``sensing_power_w``, ``comm_power_w``,
        ``sensing_snr`` and ``success_prob``.

    Raises
    ------
    ValueError
        If ``rule`` or ``rho`` is invalid.
    InfeasibleScenarioError
        If some device has no feasible snapshot count under the rule; the message gives the
        shortfall in joules.

    Examples
    --------
    >>> out = baseline_allocation(Scenario(n_devices=2), "uniform")
    >>> out["snapshots"], out["samples"]
    (array([1, 1]), array([5000, 5000]))
    """
    if rule not in BASELINES:
        raise ValueError(f"rule must be one of {list(BASELINES)}, got {rule!r}")
    if rule == "ratio":
        if rho is None:
            raise ValueError("rho is required for strategy 'ratio': the upload share of the energy, in [0, 1]")
        if not (0.0 <= rho <= 1.0):
            raise ValueError(f"rho must be in [0, 1] for the ratio rule, got {rho!r}")
        sensing_share = 1.0 - rho
    else:
        sensing_share = _SENSING_SHARE[rule]

    s = scenario
    snapshots = snapshot_counts(s)
    count = samples(s.sensing_duration_s, s.snapshot_s[:, None], snapshots[None, :])
    slot = upload_slot_s(s.round_deadline_s, s.train_s_per_sample[:, None], count)
    theta = outage_threshold_w(slot, s.model_bits, s.bandwidth_hz[:, None], s.noise_power_w,
                               s.server_distance_m[:, None], s.comm_pathloss_exponent,
                               s.comm_gain[:, None], s.comm_fading_mean)
    residual_j = s.energy_budget_j[:, None] - s.energy_per_sample_j[:, None] * count
    sensing_floor_j = s.sensing_power_min_w[:, None] * s.sensing_duration_s
    timely = (count >= 1) & (slot > 0)
    slack_j = ENERGY_SLACK * s.energy_budget_j[:, None]
    feasible = timely & (residual_j >= sensing_floor_j - slack_j) & (sensing_share * residual_j >= sensing_floor_j - slack_j)

    safe_slot = np.where(timely, slot, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sensing_w, comm_w = _powers(rule, residual_j, s.sensing_duration_s, safe_slot,
                                    s.sensing_power_max_w[:, None], s.comm_power_max_w[:, None],
                                    s.sensing_power_min_w[:, None], rho)
        value = np.where(feasible, count * success_probability(np.where(feasible, comm_w, 0.0), theta), -1.0)

    bad = np.flatnonzero(~feasible.any(axis=1))
    if bad.size:
        n = int(bad[0])
        if not timely[n].any():
            raise InfeasibleScenarioError(
                f"device {n} is infeasible: no snapshot count gives at least one sample that can be "
                "trained and still leave time to upload within the round deadline",
                device=n, shortfall_j=float("inf"))
        if sensing_share == 0 and sensing_floor_j[n, 0] > 0:
            raise InfeasibleScenarioError(
                f"device {n} is infeasible under the {rule} rule: rho = 1 leaves no energy for sensing, "
                f"but sensing_power_min_w = {float(s.sensing_power_min_w[n])!r} W > 0; use rho < 1",
                device=n, shortfall_j=float("inf"))
        # Energy needed for p_th under this rule, p_th T_s / share + c_n D, against the budget.
        if sensing_share > 0:
            sensing_needed_j = sensing_floor_j[n, 0] / sensing_share
        else:
            # rho = 1 leaves nothing for sensing, which only p_th = 0 allows.
            sensing_needed_j = np.inf if sensing_floor_j[n, 0] > 0 else 0.0
        needed = np.where(timely[n], sensing_needed_j + s.energy_per_sample_j[n] * count[n], np.inf)
        best = int(np.argmin(needed))
        shortfall = float(needed[best] - s.energy_budget_j[n])
        raise InfeasibleScenarioError(
            f"device {n} is infeasible under the {rule} rule: its energy budget "
            f"{s.energy_budget_j[n]:.6g} J falls short by {shortfall:.6g} J of what sensing at "
            f"p_th plus computing {int(count[n, best])} samples costs (the cheapest choice, "
            f"L = {best + 1})",
            device=n, shortfall_j=shortfall)

    choice = np.argmax(value, axis=1)
    rows = np.arange(s.n_devices)
    sensing_chosen = sensing_w[rows, choice]
    comm_chosen = comm_w[rows, choice]
    gain = sensing_gain_factor(s)
    return {
        "snapshots": snapshots[choice].astype(np.int64),
        "samples": count[rows, choice].astype(np.int64),
        "sensing_power_w": sensing_chosen,
        "comm_power_w": comm_chosen,
        "sensing_snr": sensing_chosen * snapshots[choice] * gain,
        "success_prob": success_probability(comm_chosen, theta[rows, choice]),
    }
