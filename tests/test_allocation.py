"""Tests of the allocator: closed forms, inner enumeration, searches, baselines and edge cases."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from isacfl.allocation import (
    STRATEGIES,
    ConvergenceWarning,
    InfeasibleScenarioError,
    InnerProblem,
    allocate,
    allocation_at,
    certified_search,
    check_allocation,
    device_values,
    golden_section_search,
    objective,
)
from isacfl.allocation.baselines import baseline_allocation
from isacfl.scenario import Scenario

# A one-device scenario whose numbers are easy to follow by hand: snapshots of 0.25 s in a 1 s
# sensing period give D = 4 samples for L = 1 and D = 2 for L = 2; training takes 0.05 s a sample.
HAND = dict(
    n_devices=1,
    sensing_duration_s=1.0,
    snapshot_s=0.25,
    max_snapshots=2,
    sensing_power_min_w=0.1,
    sensing_power_max_w=1.0,
    sensing_gain=1.0,
    sensing_fading_mean=1.0,
    noise_power_w=1.0,
    target_distance_m=1.0,
    sensing_pathloss_exponent=4.0,
    round_deadline_s=1.0,
    train_s_per_sample=0.05,
    model_bits=1e6,
    bandwidth_hz=1e6,
    comm_power_max_w=2.0,
    server_distance_m=10.0,
    comm_pathloss_exponent=2.0,
    comm_gain=1.0,
    comm_fading_mean=100.0,
    energy_per_sample_j=0.01,
    energy_budget_j=1.0,
)


def hand_theta(slot_s: float) -> float:
    """Outage threshold of the HAND device for an upload slot, written out from E6."""
    return (2.0 ** (1e6 / slot_s / 1e6) - 1.0) * 1.0 * 10.0**2 / (1.0 * 100.0)


def loop_device_value(scenario: Scenario, n: int, gamma: float) -> float:
    """V_n(gamma) by a plain loop over snapshot counts (-inf when no L meets the floor)."""
    p = scenario.device(n)
    a = p["sensing_gain"] * p["sensing_fading_mean"] / (p["noise_power_w"] * p["target_distance_m"] ** p["sensing_pathloss_exponent"])
    best = -math.inf
    for snapshots in range(1, scenario.max_snapshots + 1):
        count = math.floor(p["sensing_duration_s"] / (snapshots * p["snapshot_s"]) * (1 + 1e-9))
        slot = p["round_deadline_s"] - p["train_s_per_sample"] * count
        if count < 1 or slot <= 0:
            continue
        sensing_w = max(p["sensing_power_min_w"], gamma / (snapshots * a))
        if sensing_w > p["sensing_power_max_w"] * (1 + 1e-12):
            continue
        left_j = p["energy_budget_j"] - sensing_w * p["sensing_duration_s"] - p["energy_per_sample_j"] * count
        if left_j < -1e-12 * p["energy_budget_j"]:
            continue
        comm_w = min(p["comm_power_max_w"], max(left_j, 0.0) / slot)
        theta = (2 ** (p["model_bits"] / slot / p["bandwidth_hz"]) - 1) * p["noise_power_w"] * p["server_distance_m"] ** p[
            "comm_pathloss_exponent"] / (p["comm_gain"] * p["comm_fading_mean"])
        value = count * math.exp(-theta / comm_w) if comm_w > 0 else 0.0
        best = max(best, value)
    return best


# -- closed forms on one device ---------------------------------------------------------------


def test_inner_value_matches_hand_closed_form():
    scenario = Scenario(**HAND)
    # a = 1, so gamma = p^s L. At gamma = 0.5: L = 1 needs p^s = 0.5 W, L = 2 needs 0.25 W.
    # L = 1: D = 4, T_up = 0.8 s, p^c = min(2, (1 - 0.5 - 0.04) / 0.8) = 0.575 W.
    # L = 2: D = 2, T_up = 0.9 s, p^c = min(2, (1 - 0.25 - 0.02) / 0.9) = 0.8111 W.
    value_1 = 4 * math.exp(-hand_theta(0.8) / 0.575)
    value_2 = 2 * math.exp(-hand_theta(0.9) / (0.73 / 0.9))
    assert device_values(scenario, 0.5)[0] == pytest.approx(max(value_1, value_2), rel=1e-12)


def test_inner_allocation_matches_hand_powers():
    scenario = Scenario(**HAND)
    allocation = allocation_at(scenario, 0.5)
    value_1 = 4 * math.exp(-hand_theta(0.8) / 0.575)
    value_2 = 2 * math.exp(-hand_theta(0.9) / (0.73 / 0.9))
    expected_l = 1 if value_1 >= value_2 else 2
    assert allocation.snapshots[0] == expected_l
    assert allocation.samples[0] == {1: 4, 2: 2}[expected_l]
    assert allocation.sensing_power_w[0] == pytest.approx(0.5 / expected_l)
    assert allocation.comm_power_w[0] == pytest.approx({1: 0.575, 2: 0.73 / 0.9}[expected_l])
    assert allocation.sensing_snr[0] == pytest.approx(0.5)


def test_inner_value_below_floor_uses_min_power():
    scenario = Scenario(**HAND)
    # At gamma = 0.05 both L sense at p_th = 0.1 W; L = 1: p^c = (1 - 0.1 - 0.04) / 0.8 = 1.075 W.
    value_1 = 4 * math.exp(-hand_theta(0.8) / 1.075)
    value_2 = 2 * math.exp(-hand_theta(0.9) / ((1 - 0.1 - 0.02) / 0.9))
    assert device_values(scenario, 0.05)[0] == pytest.approx(max(value_1, value_2), rel=1e-12)


def test_inner_power_cap_binds():
    scenario = Scenario(**{**HAND, "energy_budget_j": 10.0})
    allocation = allocation_at(scenario, 0.5)
    assert allocation.comm_power_w[0] == 2.0


def test_search_bounds_hand_values():
    scenario = Scenario(**HAND)
    lower, upper = InnerProblem(scenario).search_bounds()
    assert lower == pytest.approx(0.1)  # p_th a
    # Largest SNR: L = 2 at P_s^max = 1 W (energy 1 + 0.02 > 1 J, so the budget binds:
    # p^s = 1 - 0.02 = 0.98 W, SNR 1.96); L = 1 reaches 0.96.
    assert upper == pytest.approx(1.96)


def test_objective_is_gamma_times_sum():
    scenario = Scenario.random(4, seed=2)
    gammas = np.array([0.5, 1.0, 2.0])
    values = device_values(scenario, gammas)
    assert values.shape == (3, 4)
    np.testing.assert_allclose(objective(scenario, gammas), gammas * values.sum(axis=1))


def test_objective_infeasible_above_upper_bound():
    scenario = Scenario.random(3, seed=2)
    _, upper = InnerProblem(scenario).search_bounds()
    assert objective(scenario, upper * 1.01) == -math.inf
    assert np.isneginf(device_values(scenario, upper * 1.01)).any()


# -- the inner enumeration against a plain loop ------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inner_matches_triple_loop(seed):
    scenario = Scenario.random(4, seed=seed, max_snapshots=12, target_distance_range_m=(20.0, 100.0))
    problem = InnerProblem(scenario)
    lower, upper = problem.search_bounds()
    gammas = np.linspace(0.0, upper, 41)
    vectorised = problem.device_values(gammas)
    for i, gamma in enumerate(gammas):
        for n in range(scenario.n_devices):
            expected = loop_device_value(scenario, n, gamma)
            assert vectorised[i, n] == pytest.approx(expected, rel=1e-10, abs=1e-300)


def test_profile_matches_sorted_cells():
    scenario = Scenario.random(30, seed=6, max_snapshots=16, target_distance_range_m=(20.0, 100.0))
    cells = InnerProblem(scenario).cells
    for gamma in (0.5, 2.0, 8.0):
        values = cells.log_values(gamma)
        order = np.argsort(-values, axis=1, kind="stable")
        ranked = np.take_along_axis(values, order, axis=1)
        profile = cells.profile(gamma)
        np.testing.assert_array_equal(profile.best_log_value, ranked[:, 0])
        np.testing.assert_array_equal(profile.runner_up_log_value, ranked[:, 1])
        np.testing.assert_array_equal(profile.third_log_value, ranked[:, 2])
        finite = np.isfinite(ranked[:, 0])
        np.testing.assert_array_equal(profile.best_snapshots[finite], cells.snapshots[finite, order[finite, 0]])
        np.testing.assert_array_equal(cells.device_log_values([gamma])[0], ranked[:, 0])


def test_profile_slopes_match_finite_differences():
    scenario = Scenario.random(30, seed=7, max_snapshots=16, target_distance_range_m=(20.0, 100.0))
    cells = InnerProblem(scenario).cells
    gamma, step = 3.0, 1e-6
    profile = cells.profile(gamma)
    rows = np.arange(scenario.n_devices)
    column = profile.best_snapshots - 1
    above = cells.log_values(gamma + step)[rows, column]
    below = cells.log_values(gamma - step)[rows, column]
    smooth = np.isfinite(above) & np.isfinite(below)
    with np.errstate(invalid="ignore"):
        estimate = (above - below) / (2 * step)
    np.testing.assert_allclose(profile.best_log_slope[smooth], estimate[smooth], rtol=1e-4, atol=1e-6)
    assert np.all(profile.best_log_slope <= 0)


def test_device_values_non_increasing():
    scenario = Scenario.random(6, seed=4, target_distance_range_m=(20.0, 60.0))
    _, upper = InnerProblem(scenario).search_bounds()
    values = device_values(scenario, np.linspace(0.0, upper, 2001))
    assert np.all(np.diff(values, axis=0) <= 1e-12 * values[:-1])


# -- the searches ------------------------------------------------------------------------------


@pytest.mark.parametrize("bound", ["first_order", "second_order"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_certified_never_worse_than_grid(seed, bound):
    scenario = Scenario.random(5, seed=seed, target_distance_range_m=(20.0, 60.0))
    problem = InnerProblem(scenario)
    lower, upper = problem.search_bounds()
    grid = np.linspace(lower, upper, 20001)
    grid_best = float(np.max(problem.objective(grid)))
    result = certified_search(problem, bound=bound)
    assert result.status == 0
    assert result.relative_gap <= 1e-6
    assert result.upper_bound >= grid_best
    assert result.fun >= grid_best * (1 - result.relative_gap)
    assert problem.objective(result.x) == pytest.approx(result.fun, rel=1e-12)
    # The first-order bound converges slowly, so its tight run stops at 1e-8.
    tight_rtol = 1e-10 if bound == "second_order" else 1e-8
    tight = certified_search(problem, rtol=tight_rtol, bound=bound)
    assert tight.status == 0
    assert tight.fun >= grid_best * (1 - tight_rtol)


def test_certified_beats_golden_on_multimodal_case():
    # With targets at 20-60 m the best L jumps and golden section often misses the global maximum.
    gaps = []
    for seed in range(12):
        scenario = Scenario.random(10, seed=seed, target_distance_range_m=(20.0, 60.0))
        best = allocate(scenario, "proposed")
        golden = allocate(scenario, "golden")
        assert golden.objective <= best.certificate.upper_bound
        gaps.append(1 - golden.objective / best.objective)
    assert max(gaps) > 1e-3


@pytest.mark.parametrize("seed", range(4))
def test_interval_bounds_hold_on_fine_grid(seed):
    # Both interval bounds of the certified search must lie above J everywhere in the interval.
    from isacfl.allocation.search import _interval_bound

    scenario = Scenario.random(6, seed=seed, target_distance_range_m=(20.0, 100.0))
    problem = InnerProblem(scenario)
    lower, upper = problem.search_bounds()
    rng = np.random.default_rng(seed)
    for _ in range(40):
        a = rng.uniform(lower, upper)
        b = min(upper, a + (upper - lower) * 10.0 ** rng.uniform(-5, -1))
        inside = np.linspace(a, b, 401)
        worst = float(np.max(problem.objective(inside)))
        left, right = problem.cells.profile(a), problem.cells.profile(b)
        assert b * left.total >= worst * (1 - 1e-12)
        assert _interval_bound(left, right) >= worst * (1 - 1e-12)


def test_golden_matches_scipy_on_unimodal_case():
    # With L_max = 1 and identical devices, J is increasing then log-concave, so unimodal.
    scenario = Scenario(n_devices=3, max_snapshots=1, target_distance_m=30.0)
    problem = InnerProblem(scenario)
    lower, upper = problem.search_bounds()
    ours = golden_section_search(problem.objective, lower, upper, xtol=1e-10)
    reference = minimize_scalar(lambda g: -problem.objective(g), bounds=(lower, upper), method="bounded",
                                options={"xatol": 1e-10 * upper})
    assert ours.x == pytest.approx(reference.x, rel=1e-6)
    assert ours.fun == pytest.approx(-reference.fun, rel=1e-10)
    certified = certified_search(problem)
    assert certified.fun == pytest.approx(ours.fun, rel=1e-6)


def test_golden_on_quadratic():
    result = golden_section_search(lambda x: -(x - 1.3) ** 2, -2.0, 4.0, xtol=1e-10)
    assert result.status == 0
    assert result.x == pytest.approx(1.3, abs=1e-8)
    # Each iteration shrinks the bracket by the inverse golden ratio.
    assert result.nit == math.ceil(math.log(1e-10 * 4.0 / 6.0) / math.log((math.sqrt(5) - 1) / 2))


def test_golden_equal_bounds():
    result = golden_section_search(lambda x: x**2, 2.0, 2.0)
    assert result.x == 2.0
    assert result.fun == 4.0
    assert result.nfev == 1


def test_golden_flat_objective():
    result = golden_section_search(lambda x: 7.0, 0.0, 1.0)
    assert result.status == 0
    assert result.fun == 7.0
    assert 0.0 <= result.x <= 1.0


def test_golden_maxiter_warns():
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations"):
        result = golden_section_search(lambda x: -x * x, -1.0, 1.0, maxiter=3)
    assert result.status == 1


def test_golden_rejects_bad_bracket():
    with pytest.raises(ValueError, match=r"lower <= upper"):
        golden_section_search(lambda x: x, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"xtol must be > 0"):
        golden_section_search(lambda x: x, 0.0, 1.0, xtol=0.0)


def test_certified_evaluation_limit_warns():
    problem = InnerProblem(Scenario.random(10, seed=1, target_distance_range_m=(20.0, 60.0)))
    with pytest.warns(ConvergenceWarning, match="Maximum number of evaluations"):
        result = certified_search(problem, max_evaluations=17, rtol=1e-12)
    assert result.status == 1
    assert result.upper_bound >= result.fun
    assert result.relative_gap > 1e-6


def test_certified_bounds_agree_on_many_devices():
    problem = InnerProblem(Scenario.random(300, seed=4, max_snapshots=64))
    second = certified_search(problem, bound="second_order")
    first = certified_search(problem, bound="first_order")
    assert second.relative_gap <= 1e-6
    assert second.fun >= first.fun * (1 - 1e-6)
    assert first.fun >= second.fun * (1 - 1e-6)
    assert second.upper_bound >= first.fun
    assert first.upper_bound >= second.fun


def test_certified_rejects_bad_rtol():
    problem = InnerProblem(Scenario(n_devices=1))
    with pytest.raises(ValueError, match=r"rtol must be in \(0, 1\)"):
        certified_search(problem, rtol=0.0)
    with pytest.raises(ValueError, match=r"bound must be 'auto', 'first_order' or 'second_order'"):
        certified_search(problem, bound="exact")


# -- allocate: every strategy, feasibility and the certificate --------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_every_strategy_feasible(seed):
    distances = (20.0, 60.0) if seed % 2 else (80.0, 100.0)
    scenario = Scenario.random(8, seed=seed, target_distance_range_m=distances)
    for strategy in STRATEGIES:
        allocation = allocate(scenario, strategy, rho=0.4 if strategy == "ratio" else None)
        assert check_allocation(scenario, allocation) == [], strategy
        assert allocation.strategy == strategy


@pytest.mark.parametrize("seed", range(4))
def test_certificate_bounds_every_strategy(seed):
    scenario = Scenario.random(10, seed=seed)
    best = allocate(scenario, "proposed")
    assert best.certificate.relative_gap <= 1e-6
    for strategy in STRATEGIES[1:]:
        other = allocate(scenario, strategy, rho=0.3 if strategy == "ratio" else None)
        assert other.objective <= best.certificate.upper_bound, strategy


def test_proposed_gamma_min_is_smallest_snr():
    allocation = allocate(Scenario.random(6, seed=8), "proposed")
    assert allocation.gamma_min == allocation.sensing_snr.min()
    assert allocation.objective == pytest.approx(allocation.gamma_min * allocation.expected_samples, rel=1e-12)


def test_check_allocation_flags_overspending():
    scenario = Scenario(n_devices=2)
    allocation = allocate(scenario, "uniform")
    broken = dataclasses.replace(allocation, comm_power_w=allocation.comm_power_w + 1.0)
    problems = check_allocation(scenario, broken)
    assert any("energy above the budget" in problem for problem in problems)
    assert any("success probability differs" in problem for problem in problems)


def test_allocation_arrays_read_only():
    allocation = allocate(Scenario(n_devices=2), "maxcomm")
    with pytest.raises(ValueError, match="read-only"):
        allocation.samples[0] = 1


def test_allocation_to_dict_keys():
    data = allocate(Scenario(n_devices=2), "proposed").to_dict()
    assert set(data) == {"strategy", "objective", "gamma_min", "certificate", "devices"}
    assert set(data["certificate"]) == {"upper_bound", "relative_gap"}
    assert set(data["devices"][0]) == {"snapshots", "samples", "sensing_power_w", "comm_power_w", "sensing_snr",
                                       "success_prob"}
    assert isinstance(data["devices"][0]["samples"], int)


# -- edge cases ---------------------------------------------------------------------------------


def test_one_device():
    scenario = Scenario(n_devices=1, target_distance_m=50.0)
    best = allocate(scenario, "proposed")
    problem = InnerProblem(scenario)
    lower, upper = problem.search_bounds()
    grid = np.linspace(lower, upper, 50001)
    assert best.objective >= np.max(problem.objective(grid)) * (1 - 1e-12)
    assert check_allocation(scenario, best) == []


def test_single_snapshot_count():
    scenario = Scenario.random(4, seed=5, max_snapshots=1)
    for strategy in ("proposed", "golden", "maxsensing"):
        allocation = allocate(scenario, strategy)
        assert np.all(allocation.snapshots == 1)
        assert np.all(allocation.samples == 5000)


def test_equal_search_bounds():
    # With P_s^max = p_th and one snapshot count, the only reachable SNR is p_th a.
    scenario = Scenario(n_devices=2, max_snapshots=1, sensing_power_max_w=0.05)
    problem = InnerProblem(scenario)
    lower, upper = problem.search_bounds()
    assert lower == upper
    result = certified_search(problem)
    assert result.x == upper
    assert result.relative_gap == 0.0
    allocation = allocate(scenario, "golden")
    assert np.allclose(allocation.sensing_power_w, 0.05)


def exactly_sufficient_scenario() -> Scenario:
    # Device 1 can afford p_th T_s plus 156 samples (L = 32) and nothing else: 0.05 + 156e-4 J.
    return Scenario(n_devices=2, energy_budget_j=[3.0, 0.05 + 156 * 1e-4])


def test_exactly_sufficient_budget_is_feasible():
    scenario = exactly_sufficient_scenario()
    allocation = allocate(scenario, "proposed")
    assert allocation.snapshots[1] == 32
    assert allocation.sensing_power_w[1] == pytest.approx(0.05)
    assert check_allocation(scenario, allocation) == []


def test_zero_upload_power_device():
    scenario = exactly_sufficient_scenario()
    allocation = allocate(scenario, "proposed")
    assert allocation.comm_power_w[1] == 0.0
    assert allocation.success_prob[1] == 0.0
    # The device still limits the SNR floor: it reaches at most p_th * 32 * a_1.
    assert allocation.gamma_min <= 0.05 * 32 * InnerProblem(scenario).gain_factor[1] * (1 + 1e-9)


def test_flat_objective_all_zero():
    scenario = Scenario(n_devices=1, energy_budget_j=0.05 + 156 * 1e-4)
    best = allocate(scenario, "proposed")
    assert best.objective == 0.0
    assert best.certificate.upper_bound == 0.0
    assert best.certificate.relative_gap == 0.0
    assert allocate(scenario, "golden").objective == 0.0


def test_budget_shortfall_is_reported():
    scenario = Scenario(n_devices=3, energy_budget_j=[3.0, 3.0, 0.06])
    with pytest.raises(InfeasibleScenarioError, match=r"device 2 .*falls short by 0\.0056 J") as info:
        allocate(scenario, "proposed")
    assert info.value.device == 2
    assert info.value.shortfall_j == pytest.approx(0.05 + 156e-4 - 0.06)


def test_baseline_shortfall_is_reported():
    # Uniform needs 2 p_th T_s for sensing: 0.1 + 0.0156 J at L = 32.
    scenario = Scenario(n_devices=2, energy_budget_j=[3.0, 0.1])
    with pytest.raises(InfeasibleScenarioError, match=r"device 1 .*uniform rule.*0\.0156 J") as info:
        allocate(scenario, "uniform")
    assert info.value.shortfall_j == pytest.approx(0.0156)
    assert allocate(scenario, "maxsensing").n_devices == 2


def test_no_timely_sample_is_reported():
    scenario = Scenario(n_devices=2, snapshot_s=[2e-4, 2.0])
    with pytest.raises(InfeasibleScenarioError, match=r"device 1 .*round deadline"):
        allocate(scenario, "golden")


@pytest.mark.parametrize("seed", range(5))
def test_no_nan_on_extreme_scenarios(seed):
    rng = np.random.default_rng(seed)
    scenario = Scenario.random(
        6, seed=seed, target_distance_range_m=(1.0, 400.0), server_distance_range_m=(10.0, 2000.0),
        energy_budget_j=rng.uniform(0.3, 5.0, 6), comm_power_max_w=rng.uniform(0.01, 5.0, 6),
    )
    for strategy in STRATEGIES:
        allocation = allocate(scenario, strategy, rho=0.7 if strategy == "ratio" else None)
        for name in ("sensing_power_w", "comm_power_w", "sensing_snr", "success_prob"):
            values = getattr(allocation, name)
            assert np.all(np.isfinite(values)), (strategy, name)
            assert np.all(values >= 0), (strategy, name)
        assert np.all(allocation.success_prob <= 1)
        assert math.isfinite(allocation.objective)
        assert check_allocation(scenario, allocation) == [], strategy


# -- baselines ----------------------------------------------------------------------------------


def hand_baseline(rule: str, rho: float | None = None):
    """Best L, p^s and p^c of the HAND device under a rule, by a plain loop."""
    best = None
    for snapshots, count, slot in ((1, 4, 0.8), (2, 2, 0.9)):
        left_j = 1.0 - 0.01 * count
        if rule == "maxsensing":
            sensing_w = min(1.0, left_j)
            comm_w = min(2.0, (left_j - sensing_w) / slot)
        elif rule == "maxcomm":
            comm_w = min(2.0, (left_j - 0.1) / slot)
            sensing_w = min(1.0, left_j - comm_w * slot)
        elif rule == "uniform":
            sensing_w = min(1.0, left_j / 2)
            comm_w = min(2.0, left_j / 2 / slot)
        else:
            comm_w = min(2.0, rho * left_j / slot)
            sensing_w = min(1.0, (1 - rho) * left_j)
        value = count * math.exp(-hand_theta(slot) / comm_w) if comm_w > 0 else 0.0
        if best is None or value > best[0]:
            best = (value, snapshots, sensing_w, comm_w)
    return best


@pytest.mark.parametrize("rule,rho", [("maxsensing", None), ("maxcomm", None), ("uniform", None), ("ratio", 0.2),
                                      ("ratio", 0.8)])
def test_baseline_matches_hand_rule(rule, rho):
    value, snapshots, sensing_w, comm_w = hand_baseline(rule, rho)
    result = baseline_allocation(Scenario(**HAND), rule, rho)
    assert result["snapshots"][0] == snapshots
    assert result["sensing_power_w"][0] == pytest.approx(sensing_w, rel=1e-12)
    assert result["comm_power_w"][0] == pytest.approx(comm_w, rel=1e-12)
    assert result["samples"][0] * result["success_prob"][0] == pytest.approx(value, rel=1e-12)


def test_maxsensing_leaves_rest_for_upload():
    # Budget 1 J, P_s^max = 1 W: L = 1 senses at 0.96 W and L = 2 at 0.98 W, which uses all the
    # energy left after computing, so the upload gets 0 W.
    result = baseline_allocation(Scenario(**HAND), "maxsensing")
    assert result["comm_power_w"][0] == 0.0
    assert result["success_prob"][0] == 0.0


def test_baseline_ties_take_smallest_snapshots():
    # Under MaxSensing both snapshot counts of the HAND device deliver D p = 0, a tie that L = 1 wins.
    result = baseline_allocation(Scenario(**HAND), "maxsensing")
    assert result["snapshots"][0] == 1
    assert result["sensing_power_w"][0] == pytest.approx(0.96)


def test_uniform_equals_ratio_half():
    scenario = Scenario.random(5, seed=3)
    uniform = allocate(scenario, "uniform")
    half = allocate(scenario, "ratio", rho=0.5)
    np.testing.assert_array_equal(uniform.snapshots, half.snapshots)
    np.testing.assert_allclose(uniform.comm_power_w, half.comm_power_w)
    np.testing.assert_allclose(uniform.sensing_power_w, half.sensing_power_w)


def test_allocate_rejects_bad_arguments():
    scenario = Scenario(n_devices=2)
    with pytest.raises(ValueError, match=r"strategy must be one of .* got 'best'"):
        allocate(scenario, "best")
    with pytest.raises(ValueError, match=r"rho is used only by the 'ratio' strategy"):
        allocate(scenario, "uniform", rho=0.5)
    with pytest.raises(ValueError, match=r"rho must be in \[0, 1\].*got 1\.5"):
        allocate(scenario, "ratio", rho=1.5)
    with pytest.raises(ValueError, match=r"^rho is required for strategy 'ratio'"):
        allocate(scenario, "ratio")


def test_allocation_at_rejects_infeasible_floor():
    scenario = Scenario(n_devices=2)
    _, upper = InnerProblem(scenario).search_bounds()
    with pytest.raises(ValueError, match=r"gamma_min must be in \[0, "):
        allocation_at(scenario, 2 * upper)


def test_same_input_same_output():
    scenario = Scenario.random(7, seed=11)
    first = allocate(scenario, "proposed")
    second = allocate(scenario, "proposed")
    assert first.objective == second.objective
    np.testing.assert_array_equal(first.comm_power_w, second.comm_power_w)


def test_no_warning_on_default_search():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        allocate(Scenario.random(10, seed=2, target_distance_range_m=(20.0, 60.0)), "proposed")


def test_huge_max_snapshots_capped_at_one_sample():
    from isacfl.allocation.inner import snapshot_counts

    scenario = Scenario(n_devices=2, max_snapshots=10**9, snapshot_s=[2e-4, 0.25])
    counts = snapshot_counts(scenario)
    # floor(1 s / 2e-4 s) = 5000 is the longest count that still yields one sample.
    assert counts[0] == 1
    assert counts[-1] == 5000
    capped = allocate(scenario, "proposed")
    reference = allocate(scenario.replace(max_snapshots=5000), "proposed")
    assert capped.objective == pytest.approx(reference.objective, rel=1e-12)
    assert capped.snapshots.tolist() == reference.snapshots.tolist()


@pytest.mark.parametrize("strategy", ["proposed", "golden"])
def test_underflowing_sensing_gain_is_infeasible(strategy):
    scenario = Scenario(n_devices=2, target_distance_m=[90.0, 1e80])
    with pytest.raises(InfeasibleScenarioError, match="device 1 is infeasible: its sensing gain factor"):
        allocate(scenario, strategy)


def test_ratio_one_names_missing_sensing_energy():
    scenario = Scenario.random(3, seed=0)
    with pytest.raises(InfeasibleScenarioError, match=r"rho = 1 leaves no energy for sensing.*use rho < 1") as info:
        allocate(scenario, "ratio", rho=1.0)
    assert info.value.device == 0
