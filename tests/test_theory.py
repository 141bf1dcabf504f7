"""Tests of isacfl.theory: closed-form bounds, exact aggregation moments, the ridge model and the MLP tools."""

import itertools

import numpy as np
import pytest
import sympy as sp
import torch

from isacfl.models import MLP
from isacfl.theory import (
    RidgeProblem,
    aggregation_moments,
    check_identity,
    check_inequality,
    descent_bound,
    fit_inverse_snr_law,
    lemma1_bound,
    lemma1_variance,
    measure_gradient_error,
    proposition1_constant,
    proposition1_variance_bound,
    ridge_gradient_constant,
    simulate_federated_ridge,
    sup_quadratic_on_ball,
    theorem1_bound,
    train_centralised,
)
from isacfl.theory import mlp as mlp_module


# ---------------------------------------------------------------- bounds

def test_proposition1_constant_hand_value():
    # C = L_x^2 X^2 + sigma_g^2 gamma_max = 9 * 2 + 0.25 * 100
    assert proposition1_constant(3.0, 2.0, 0.25, 100.0) == pytest.approx(43.0)


def test_proposition1_constant_rejects_zero_snr():
    with pytest.raises(ValueError, match="max_snr must be > 0"):
        proposition1_constant(1.0, 1.0, 1.0, 0.0)


def test_proposition1_first_bound_below_constant_form():
    gamma = np.array([0.5, 1.0, 10.0])
    first = proposition1_variance_bound(gamma, 50, 2.0, 3.0, 0.4)
    constant = proposition1_constant(2.0, 3.0, 0.4, max_snr=10.0)
    assert np.all(first <= constant / (gamma * 50) * (1 + 1e-12))
    # equality at gamma = gamma_max
    assert first[-1] == pytest.approx(constant / (10.0 * 50))


def test_lemma1_variance_hand_value():
    # sum D^2 p sigma^2 = 4 * 0.5 * 1 + 1 * 1 * 3 = 5; sum D p = 2
    assert lemma1_variance([2, 1], [0.5, 1.0], [1.0, 3.0]) == pytest.approx(5 / 4)


def test_lemma1_rejects_all_zero_probabilities():
    with pytest.raises(ValueError, match="success_prob must be > 0 for at least one device"):
        lemma1_variance([2, 1], [0.0, 0.0], [1.0, 3.0])


def test_lemma1_rejects_probability_above_one():
    with pytest.raises(ValueError, match=r"success_prob must lie in \[0, 1\]"):
        lemma1_bound(1.0, 1.0, [2, 1], [0.5, 1.5])


def test_lemma1_bound_dominates_variance():
    samples = np.array([100, 40, 250])
    prob = np.array([0.9, 0.3, 0.6])
    snr = np.array([2.0, 5.0, 3.0])
    constant = 7.0
    variance = constant / (snr * samples)
    assert lemma1_variance(samples, prob, variance) <= lemma1_bound(constant, snr.min(), samples, prob)


def test_aggregation_moments_brute_force_three_devices():
    samples = np.array([3.0, 1.0, 2.0])
    prob = np.array([0.5, 0.8, 0.3])
    variance = np.array([1.0, 4.0, 2.0])
    expected, empty = 0.0, 0.0
    for outcome in itertools.product((0, 1), repeat=3):
        mask = np.array(outcome, dtype=bool)
        weight = np.prod(np.where(mask, prob, 1 - prob))
        if not mask.any():
            empty += weight
            continue
        expected += weight * np.sum(samples[mask] ** 2 * variance[mask]) / samples[mask].sum() ** 2
    moments = aggregation_moments(samples, prob, variance)
    assert moments.empty_prob == pytest.approx(empty)
    assert moments.noise_variance == pytest.approx(expected / (1 - empty))
    assert moments.mean_weights.sum() == pytest.approx(1.0)


def test_aggregation_moments_match_monte_carlo():
    rng = np.random.default_rng(3)
    samples = np.array([5.0, 2.0, 8.0, 1.0])
    prob = np.array([0.7, 0.4, 0.9, 0.5])
    variance = np.array([0.5, 2.0, 1.0, 3.0])
    trials = 400_000
    uploaded = rng.random((trials, 4)) < prob
    errors = rng.standard_normal((trials, 4)) * np.sqrt(variance)
    nonempty_rounds = uploaded.any(axis=1)
    numerator = (uploaded * samples * errors).sum(axis=1)[nonempty_rounds]
    aggregate = numerator / (uploaded * samples).sum(axis=1)[nonempty_rounds]
    moments = aggregation_moments(samples, prob, variance)
    assert np.mean(aggregate**2) == pytest.approx(moments.noise_variance, rel=0.01)


def test_aggregation_moments_reliable_uploads_equal_lemma1():
    moments = aggregation_moments([3, 1, 2], [1.0, 1.0, 1.0], [1.0, 4.0, 2.0])
    assert moments.empty_prob == 0.0
    assert moments.ratio_to_lemma1 == pytest.approx(1.0)


def test_aggregation_moments_reject_too_many_devices():
    with pytest.raises(ValueError, match="N must be <= 20, got 21"):
        aggregation_moments(np.ones(21), np.full(21, 0.5), np.ones(21))


def test_descent_bound_equals_iterated_recursion():
    mu, lip, gap0, error, empty = 0.3, 1.1, 2.0, 0.05, 0.1
    values = [gap0]
    for _ in range(25):
        values.append((1 - (1 - empty) * mu / lip) * values[-1] + (1 - empty) * error / (2 * lip))
    np.testing.assert_allclose(descent_bound(np.arange(26), mu, lip, gap0, error, empty), values, rtol=1e-12)


def test_theorem1_bound_limit_and_start():
    bound = theorem1_bound([0, 10_000], mu=0.5, smoothness=2.0, initial_gap=3.0, noise_term=0.2,
                           heterogeneity_sq=0.1)
    assert bound[0] == pytest.approx(3.0)
    # (noise + zeta^2) / mu
    assert bound[1] == pytest.approx(0.3 / 0.5)


def test_descent_bound_rejects_mu_above_smoothness():
    with pytest.raises(ValueError, match="mu must be <= smoothness"):
        descent_bound(3, mu=2.0, smoothness=1.0, initial_gap=1.0, error_bound=0.0)


def test_descent_bound_rejects_certain_skip():
    with pytest.raises(ValueError, match=r"empty_prob must lie in \[0, 1\)"):
        descent_bound(3, mu=1.0, smoothness=1.0, initial_gap=1.0, error_bound=0.0, empty_prob=1.0)


# ---------------------------------------------------------------- symbolic checks

def test_check_identity_detects_wrong_expansion():
    x = sp.Symbol("x")
    assert check_identity((x - 1) * (x + 1), x**2 - 1)
    assert not check_identity((x - 1) ** 2, x**2 - 1)


def test_check_inequality_symbolic_path():
    a = sp.Symbol("a", positive=True)
    result = check_inequality(sp.Integer(0), a**2, {a: (0.1, 1.0)})
    assert result.holds
    assert result.method == "symbolic"


def test_check_inequality_sampled_failure():
    gamma, gamma_max = sp.symbols("gamma gamma_max", positive=True)
    # 1 <= gamma_max / gamma fails when gamma > gamma_max
    result = check_inequality(sp.Integer(1), gamma_max / gamma, {gamma: (0.1, 10.0), gamma_max: (0.1, 10.0)})
    assert not result.holds
    assert result.min_slack < 0


def test_check_inequality_missing_range():
    a, b = sp.symbols("a b", real=True)
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        check_inequality(a, a + b**2 - 1, {a: (0.0, 1.0)})


# ---------------------------------------------------------------- ridge model

@pytest.fixture
def problem():
    rng = np.random.default_rng(11)
    return RidgeProblem(np.linspace(0.5, 1.0, 3), rng.standard_normal(3), label_noise_std=0.4, ridge=0.05)


def test_ridge_gradient_variance_matches_monte_carlo(problem):
    rng = np.random.default_rng(5)
    w = np.array([0.3, -0.7, 1.2])
    for snr in (0.5, 4.0, np.inf):
        inputs, labels = problem.sample(300_000, snr, rng)
        grads = inputs * (inputs @ w - labels)[:, None] + problem.ridge * w
        measured = np.mean(np.sum((grads - grads.mean(axis=0)) ** 2, axis=1))
        assert measured == pytest.approx(float(problem.gradient_variance(w, snr)), rel=0.02)


def test_ridge_mean_gradient_matches_objective(problem):
    rng = np.random.default_rng(6)
    w = np.array([0.1, 0.2, -0.4])
    snr = 2.0
    inputs, labels = problem.sample(400_000, snr, rng)
    step = 1e-6
    numeric = np.array([(problem.objective(w + step * e, snr) - problem.objective(w - step * e, snr)) / (2 * step)
                        for e in np.eye(3)])
    np.testing.assert_allclose(problem.batch_gradient(w, inputs, labels), numeric, atol=0.02)


def test_ridge_gap_zero_at_optimum(problem):
    snr = 3.0
    optimum = problem.optimum(snr)
    assert problem.gap(optimum, snr) == pytest.approx(0.0, abs=1e-15)
    w = np.array([1.0, 0.0, -1.0])
    assert problem.gap(w, snr) == pytest.approx(problem.objective(w, snr) - problem.objective(optimum, snr))


def test_ridge_noise_shrinks_optimum(problem):
    assert np.all(np.abs(problem.optimum(0.5)) < np.abs(problem.optimum(50.0)))


def test_ridge_rejects_nonpositive_scales():
    with pytest.raises(ValueError, match="feature_scales must be a non-empty 1-D array of positive values"):
        RidgeProblem([1.0, 0.0], [1.0, 1.0])


def test_sup_quadratic_exact_for_isotropic():
    # max of 3 ||w||^2 - 1 on the ball of radius 2 is 11
    value = sup_quadratic_on_ball(lambda w: 3 * np.sum(w**2, axis=-1) - 1, dim=3, radius=2.0)
    assert value == pytest.approx(11.0)


def test_sup_quadratic_upper_bounds_sampled_points():
    rng = np.random.default_rng(2)
    matrix = rng.standard_normal((4, 4))
    matrix = matrix @ matrix.T - 2 * np.eye(4)
    linear = rng.standard_normal(4)
    center = rng.standard_normal(4)

    def quadratic(w):
        return np.einsum("...i,ij,...j->...", w, matrix, w) + w @ linear + 0.5

    directions = rng.standard_normal((20_000, 4))
    points = center + 1.5 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    assert quadratic(points).max() <= sup_quadratic_on_ball(quadratic, 4, 1.5, center) + 1e-9


def test_ridge_gradient_constant_bounds_variance(problem):
    radius = 2.0
    constant = ridge_gradient_constant(problem, (0.2, 20.0), radius)
    rng = np.random.default_rng(8)
    directions = rng.standard_normal((5000, 3))
    points = radius * rng.random((5000, 1)) ** (1 / 3) * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    for snr in (0.2, 1.0, 7.0, 20.0):
        assert np.all(problem.gradient_variance(points, snr) <= constant / snr)


def test_ridge_gradient_constant_rejects_bad_range(problem):
    with pytest.raises(ValueError, match="snr_range must satisfy 0 < low <= high < inf"):
        ridge_gradient_constant(problem, (5.0, 1.0), 1.0)


def test_federated_ridge_reproducible(problem):
    first = simulate_federated_ridge(problem, [20, 30], [0.6, 0.8], snr=3.0, num_rounds=10, num_seeds=2, seed=4)
    second = simulate_federated_ridge(problem, [20, 30], [0.6, 0.8], snr=3.0, num_rounds=10, num_seeds=2, seed=4)
    np.testing.assert_array_equal(first.gaps, second.gaps)


def test_federated_ridge_no_uploads_keeps_model(problem):
    result = simulate_federated_ridge(problem, [20, 30], [0.0, 0.0], snr=3.0, num_rounds=5, num_seeds=1, seed=0)
    assert result.skipped_fraction == 1.0
    np.testing.assert_array_equal(result.gaps[0], np.full(6, problem.gap(np.zeros(3), 3.0)))


def test_federated_ridge_under_descent_bound(problem):
    samples = np.array([30, 60, 45])
    prob = np.array([0.5, 0.9, 0.7])
    snr = 2.0
    rounds = 30
    result = simulate_federated_ridge(problem, samples, prob, snr, rounds, num_seeds=40, seed=1)
    radius = 1.5 * np.linalg.norm(problem.true_weights)
    assert result.max_weight_norm <= radius
    per_sample = sup_quadratic_on_ball(lambda w: problem.gradient_variance(w, snr), 3, radius)
    moments = aggregation_moments(samples, prob, per_sample / samples)
    bound = descent_bound(np.arange(rounds + 1), problem.strong_convexity(snr), problem.smoothness(snr),
                          problem.gap(np.zeros(3), snr), moments.noise_variance, moments.empty_prob)
    assert np.all(result.mean_gap <= bound * (1 + 1e-12))


def test_federated_ridge_rejects_probability_above_one(problem):
    with pytest.raises(ValueError, match=r"success_prob must lie in \[0, 1\]"):
        simulate_federated_ridge(problem, [20], [1.2], snr=1.0, num_rounds=1, num_seeds=1, seed=0)


# ---------------------------------------------------------------- MLP tools

def _tiny_pool(size=60, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((size, 28, 28)).astype(np.float32), rng.integers(0, 10, size)


def _tiny_model(seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP((784, 16, 10))


def test_gradient_error_zero_for_whole_clean_pool():
    images, labels = _tiny_pool()
    result = measure_gradient_error(_tiny_model(), images, labels, snr=np.inf, num_samples=len(labels),
                                    repeats=2, rng=np.random.default_rng(0))
    assert result.total == pytest.approx(0.0, abs=1e-10)
    assert result.sampling == pytest.approx(0.0, abs=1e-10)


def test_gradient_error_clean_equals_sampling_term():
    images, labels = _tiny_pool()
    result = measure_gradient_error(_tiny_model(), images, labels, snr=np.inf, num_samples=10,
                                    repeats=3, rng=np.random.default_rng(1))
    assert result.total == pytest.approx(result.sampling)
    assert result.total > 0


def test_gradient_error_grows_as_snr_falls():
    images, labels = _tiny_pool()
    model = _tiny_model()
    low = measure_gradient_error(model, images, labels, 0.1, 30, 5, np.random.default_rng(2))
    high = measure_gradient_error(model, images, labels, 100.0, 30, 5, np.random.default_rng(2))
    assert low.noise_induced > 10 * high.noise_induced


def test_gradient_error_rejects_oversized_sample():
    images, labels = _tiny_pool()
    with pytest.raises(ValueError, match=r"num_samples must lie in \[1, 60\]"):
        measure_gradient_error(_tiny_model(), images, labels, 1.0, 61, 2, np.random.default_rng(0))


def test_flat_gradient_chunking(monkeypatch):
    images, labels = _tiny_pool(50)
    model = _tiny_model()
    whole = mlp_module.flat_gradient(model, images, labels)
    monkeypatch.setattr(mlp_module, "_CHUNK", 7)
    np.testing.assert_allclose(mlp_module.flat_gradient(model, images, labels).numpy(), whole.numpy(),
                               rtol=1e-5, atol=1e-7)


def test_train_centralised_reproducible_and_keeps_global_rng():
    images, labels = _tiny_pool(64)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = train_centralised(images, labels, steps=12, seed=3, record_every=4)
    assert torch.equal(torch.random.get_rng_state(), before)
    second = train_centralised(images, labels, steps=12, seed=3, record_every=4)
    assert first.steps.tolist() == [0, 4, 8, 12]
    np.testing.assert_array_equal(first.losses, second.losses)


def test_train_centralised_rejects_zero_steps():
    images, labels = _tiny_pool(8)
    with pytest.raises(ValueError, match="steps, batch_size and record_every must be >= 1"):
        train_centralised(images, labels, steps=0, seed=0)


def test_inverse_snr_fit_recovers_bias_law():
    snr = np.tile([0.01, 0.1, 1.0, 10.0], 3)
    samples = np.repeat([50, 200, 800], 4)
    errors = (3.0 / snr + 0.5) / samples + 0.002 / snr**2
    fit = fit_inverse_snr_law(snr, samples, errors, with_bias=True)
    assert fit.scale == pytest.approx(3.0)
    assert fit.offset == pytest.approx(0.5)
    assert fit.bias == pytest.approx(0.002)
    assert fit.relative_rms < 1e-9
    # without the bias term the same data cannot be fitted exactly
    assert fit_inverse_snr_law(snr, samples, errors).relative_rms > 0.05


def test_inverse_snr_fit_rejects_nonpositive_error():
    with pytest.raises(ValueError, match="must all be > 0"):
        fit_inverse_snr_law([1.0, 2.0, 3.0], [10, 10, 10], [0.1, 0.0, 0.2])
