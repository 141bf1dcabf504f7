"""Tests of isacfl.channel against hand-computed values and a Monte Carlo of the Rayleigh uplink."""

from __future__ import annotations

import math

import numpy as np
import pytest

from isacfl import channel
from isacfl.scenario import Scenario


# -- E1: samples -----------------------------------------------------------------------------


def test_samples_match_integer_division():
    # T_s / t = 1.0 / 2e-4 = 5000 exactly, so D = 5000 // L, computed here in integers.
    snapshots = np.arange(1, 33)
    assert channel.samples(1.0, 2e-4, snapshots).tolist() == [5000 // L for L in range(1, 33)]


def test_samples_floor_exact_ratios():
    # 1.0 / (5 * 2e-4) is 999.9999999999999 in floating point; the exact ratio is 1000.
    assert int(channel.samples(1.0, 2e-4, 5)) == 1000
    assert int(channel.samples(0.3, 0.1, 1)) == 3
    assert int(channel.samples(1.0, 0.3, 1)) == 3


def test_samples_zero_when_one_sample_is_too_long():
    assert int(channel.samples(1e-3, 2e-4, 6)) == 0


def test_samples_broadcast_devices_by_snapshots():
    grid = channel.samples(1.0, np.array([[1e-4], [2e-4]]), np.array([1, 2, 4]))
    assert grid.tolist() == [[10000, 5000, 2500], [5000, 2500, 1250]]
    assert grid.dtype == np.int64


def test_samples_rejects_zero_snapshots():
    with pytest.raises(ValueError, match="snapshots must be whole numbers >= 1"):
        channel.samples(1.0, 2e-4, [1, 0])


# -- E2: sensing SNR -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "duration, snapshot, snapshots, message",
    [
        (1.0, 2e-4, 1.5, "snapshots must be whole numbers >= 1, got array\\(1.5\\)"),
        (1.0, 2e-4, np.nan, "snapshots must be whole numbers >= 1"),
        (1.0, 2e-4, np.inf, "snapshots must be whole numbers >= 1"),
        (-1.0, 2e-4, 1, "sensing_duration_s must be finite and >= 0, got -1.0"),
        (np.nan, 2e-4, 1, "sensing_duration_s must be finite and >= 0"),
        (1.0, 0.0, 1, "snapshot_s must be finite and > 0, got 0.0"),
        (1.0, np.nan, 1, "snapshot_s must be finite and > 0"),
        (1e300, 1e-300, 1, "too large for an int64 sample count"),
    ],
)
def test_samples_rejects_invalid_input(duration, snapshot, snapshots, message):
    # Each of these used to return a wrapped-around or truncated count instead of an error.
    with pytest.raises(ValueError, match=message):
        channel.samples(duration, snapshot, snapshots)


def test_sensing_gain_factor_defaults():
    # a = G xi_bar / (sigma^2 d^alpha) = 100 * 5.8e-8 / (1e-12 * 90^4) = 5.8e-6 / 6.561e-5.
    gain = channel.sensing_gain_factor(Scenario(n_devices=2))
    assert gain == pytest.approx([5.8e-6 / 6.561e-5] * 2, rel=1e-12)


def test_sensing_gain_factor_per_device():
    # Doubling the distance at alpha_s = 4 divides the gain by 16.
    gain = channel.sensing_gain_factor(Scenario(n_devices=2, target_distance_m=[50.0, 100.0]))
    assert gain[0] / gain[1] == pytest.approx(16.0, rel=1e-12)


def test_sensing_snr_hand_values():
    assert float(channel.sensing_snr(2.0, 32, 0.25)) == 16.0
    assert channel.sensing_snr([0.05, 2.0], [1, 32], 0.0884).tolist() == pytest.approx([0.00442, 5.6576])


def test_sensing_snr_is_the_mean_over_fading():
    # E2 averages the exponential round-trip fading xi with mean xi_bar out of the instantaneous SNR.
    scenario = Scenario(n_devices=1)
    rng = np.random.default_rng(0)
    xi = rng.exponential(scenario.sensing_fading_mean, size=400_000)
    power, snapshots = 0.7, 8
    instantaneous = (power * snapshots * scenario.sensing_gain[0] * xi
                     / (scenario.noise_power_w * scenario.target_distance_m[0] ** scenario.sensing_pathloss_exponent))
    expected = channel.sensing_snr(power, snapshots, channel.sensing_gain_factor(scenario))[0]
    assert instantaneous.mean() == pytest.approx(expected, rel=0.01)


# -- E5, E6: upload --------------------------------------------------------------------------


def test_upload_slot_hand_values():
    assert channel.upload_slot_s(1.0, 2e-5, [5000, 156, 50000]).tolist() == pytest.approx([0.9, 0.99688, 0.0])


def test_outage_threshold_hand_value():
    # R_min / B = 6e6 / 1.0 / 2e6 = 3 bit/s/Hz, so 2^3 - 1 = 7 and
    # theta = 7 * 1e-12 * 100^3 / (10 * 1e-7) = 7 * 1e-6 / 1e-6 = 7 W.
    theta = channel.outage_threshold_w(1.0, 6e6, 2e6, 1e-12, 100.0, 3.0, 10.0, 1e-7)
    assert float(theta) == pytest.approx(7.0, rel=1e-12)


def test_outage_threshold_default_device():
    # L = 1: D = 5000, T_up = 0.9 s, Z = 32 * 269,322 bit, B = 2 MHz, r = 175 m, alpha_c = 3.
    scenario = Scenario(n_devices=1)
    spectral_efficiency = 32 * 269_322 / 0.9 / 2e6
    expected = (2**spectral_efficiency - 1) * 1e-12 * 175.0**3 / (10.0 * 4.6e-5)
    theta = channel.outage_threshold_w(0.9, scenario.model_bits, scenario.bandwidth_hz, scenario.noise_power_w,
                                       scenario.server_distance_m, scenario.comm_pathloss_exponent,
                                       scenario.comm_gain, scenario.comm_fading_mean)
    assert theta[0] == pytest.approx(expected, rel=1e-12)
    assert theta[0] == pytest.approx(0.3100, abs=5e-4)


def test_outage_threshold_infinite_without_slot():
    theta = channel.outage_threshold_w([0.5, 0.0, -0.1], 1e6, 2e6, 1e-12, 100.0, 3.0, 10.0, 1e-7)
    assert np.isfinite(theta[0])
    assert np.isinf(theta[1:]).all()


def test_success_probability_hand_values():
    probability = channel.success_probability([0.0, 1.0, 2.0, 0.5], 1.0)
    assert probability.tolist() == pytest.approx([0.0, math.exp(-1.0), math.exp(-0.5), math.exp(-2.0)])
    assert float(channel.success_probability(2.0, np.inf)) == 0.0
    assert float(channel.success_probability(2.0, 0.0)) == 1.0


def test_success_probability_rejects_negative_power():
    with pytest.raises(ValueError, match="comm_power_w must be >= 0"):
        channel.success_probability(-1.0, 1.0)


@pytest.mark.parametrize("theta", [-1.0, -np.inf, np.nan])
def test_success_probability_rejects_invalid_theta(theta):
    # A negative theta used to give a "probability" of e = 2.718 at p^c = theta = 1.
    with pytest.raises(ValueError, match=r"theta_w must be >= 0 \(not NaN\)"):
        channel.success_probability(1.0, theta)


def test_success_probability_matches_rayleigh_simulation():
    # Draw the uplink fading h ~ Exp(h_bar) (E3), compute the rate (E4) and count how often it
    # meets R_min = Z / T_up (E5). The count must match exp(-theta / p) of E6.
    scenario = Scenario(n_devices=1)
    slot, power = 0.9, 0.4
    theta = channel.outage_threshold_w(slot, scenario.model_bits, scenario.bandwidth_hz, scenario.noise_power_w,
                                       scenario.server_distance_m, scenario.comm_pathloss_exponent,
                                       scenario.comm_gain, scenario.comm_fading_mean)[0]
    rng = np.random.default_rng(1)
    trials = 200_000
    fading = rng.exponential(scenario.comm_fading_mean, size=trials)
    snr = (power * scenario.comm_gain[0] * fading
           / (scenario.noise_power_w * scenario.server_distance_m[0] ** scenario.comm_pathloss_exponent))
    rate = scenario.bandwidth_hz[0] * np.log2(1.0 + snr)
    measured = np.mean(rate >= scenario.model_bits / slot)
    expected = float(channel.success_probability(power, theta))
    standard_error = math.sqrt(expected * (1 - expected) / trials)
    assert abs(measured - expected) < 4 * standard_error


# -- E9: energy ------------------------------------------------------------------------------


def test_round_energy_hand_values():
    energy = channel.round_energy_j(0.5, 1.0, 1e-4, 1000, 2.0, 0.98)
    assert float(energy["sensing_j"]) == pytest.approx(0.5)
    assert float(energy["computing_j"]) == pytest.approx(0.1)
    assert float(energy["upload_j"]) == pytest.approx(1.96)
    assert float(energy["total_j"]) == pytest.approx(2.56)


def test_round_energy_broadcasts():
    energy = channel.round_energy_j(np.array([0.1, 0.2]), 1.0, 1e-4, np.array([5000, 156]), 1.0, 0.5)
    assert energy["total_j"].tolist() == pytest.approx([0.1 + 0.5 + 0.5, 0.2 + 0.0156 + 0.5])


def test_snr_db_hand_values():
    assert channel.snr_db([100.0, 1.0, 0.1]).tolist() == pytest.approx([20.0, 0.0, -10.0])
    assert channel.snr_db(0.0) == -np.inf
