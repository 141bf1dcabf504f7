"""Tests of isacfl.scenario: input validation, JSON round trip and random positions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from isacfl.scenario import FIELD_DESCRIPTIONS, FIELD_UNITS, PER_DEVICE_FIELDS, SCALAR_FIELDS, Scenario

# The JSON keys of a scenario, in the order the specification lists them.
JSON_KEYS = [
    "n_devices", "sensing_duration_s", "snapshot_s", "max_snapshots", "sensing_power_min_w",
    "sensing_power_max_w", "sensing_gain", "sensing_fading_mean", "target_distance_m",
    "sensing_pathloss_exponent", "noise_power_w", "round_deadline_s", "train_s_per_sample", "model_bits",
    "bandwidth_hz", "comm_power_max_w", "server_distance_m", "comm_pathloss_exponent", "comm_gain",
    "comm_fading_mean", "energy_per_sample_j", "energy_budget_j",
]


# -- bad input -------------------------------------------------------------------------------

NEGATIVE_CASES = [
    # Powers (the smallest sensing power is only checked for sign, the largest also against it).
    ("sensing_power_min_w", -0.1, r"sensing_power_min_w must be >= 0, got -0\.1; allowed range is \[0, inf\)"),
    ("sensing_power_max_w", -2.0, r"sensing_power_max_w must be >= 0, got -2\.0; allowed range is \[0, inf\)"),
    ("comm_power_max_w", -1.0, r"comm_power_max_w must be >= 0, got -1\.0; allowed range is \[0, inf\)"),
    ("noise_power_w", 0.0, r"noise_power_w must be > 0, got 0\.0; allowed range is \(0, inf\)"),
    # Distances.
    ("target_distance_m", -90.0, r"target_distance_m must be > 0, got -90\.0; allowed range is \(0, inf\)"),
    ("server_distance_m", 0.0, r"server_distance_m must be > 0, got 0\.0; allowed range is \(0, inf\)"),
    # Durations.
    ("snapshot_s", 0.0, r"snapshot_s must be > 0, got 0\.0; allowed range is \(0, inf\)"),
    ("sensing_duration_s", -1.0, r"sensing_duration_s must be > 0, got -1\.0; allowed range is \(0, inf\)"),
    ("round_deadline_s", 0.0, r"round_deadline_s must be > 0, got 0\.0; allowed range is \(0, inf\)"),
    ("train_s_per_sample", -1e-5, r"train_s_per_sample must be >= 0, got -1e-05; allowed range is \[0, inf\)"),
    # Energies.
    ("energy_budget_j", -3.0, r"energy_budget_j must be >= 0, got -3\.0; allowed range is \[0, inf\)"),
    ("energy_per_sample_j", -1e-4, r"energy_per_sample_j must be >= 0"),
]


@pytest.mark.parametrize(("name", "value", "message"), NEGATIVE_CASES)
def test_scenario_rejects_out_of_range(name, value, message):
    with pytest.raises(ValueError, match=message):
        Scenario(n_devices=2, **{name: value})


@pytest.mark.parametrize("name", ["sensing_power_max_w", "comm_power_max_w", "target_distance_m",
                                  "server_distance_m", "snapshot_s", "sensing_duration_s", "noise_power_w"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_scenario_rejects_non_finite(name, value):
    with pytest.raises(ValueError, match=f"{name} must be finite, got {value!r}"):
        Scenario(n_devices=2, **{name: value})


def test_scenario_rejects_one_bad_device():
    with pytest.raises(ValueError, match=r"target_distance_m must be > 0, got \[90.0, -1.0, 80.0\]"):
        Scenario(n_devices=3, target_distance_m=[90.0, -1.0, 80.0])


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "8"])
def test_scenario_rejects_bad_max_snapshots(value):
    with pytest.raises(ValueError, match=f"max_snapshots must be an integer >= 1, got {value!r}"):
        Scenario(max_snapshots=value)


@pytest.mark.parametrize("value", [0, -1, 1.5])
def test_scenario_rejects_bad_n_devices(value):
    with pytest.raises(ValueError, match=f"n_devices must be an integer >= 1, got {value!r}"):
        Scenario(n_devices=value)


def test_scenario_accepts_integral_floats_for_counts():
    scenario = Scenario(n_devices=3.0, max_snapshots=16.0)
    assert scenario.n_devices == 3
    assert isinstance(scenario.n_devices, int)
    assert scenario.max_snapshots == 16
    assert isinstance(scenario.max_snapshots, int)


@pytest.mark.parametrize("name", PER_DEVICE_FIELDS)
def test_scenario_rejects_wrong_length(name):
    with pytest.raises(ValueError, match=rf"{name} must be a scalar or an array of length n_devices=3, got shape \(2,\)"):
        Scenario(n_devices=3, **{name: [1.0, 2.0]})


@pytest.mark.parametrize("name", [n for n in SCALAR_FIELDS if n != "max_snapshots"])
def test_scenario_rejects_array_for_shared(name):
    with pytest.raises(ValueError, match=rf"{name} must be a scalar shared by all devices, got shape \(3,\)"):
        Scenario(n_devices=3, **{name: [1.0, 2.0, 3.0]})


def test_scenario_rejects_non_numeric():
    with pytest.raises(ValueError, match="bandwidth_hz must be a real number, got 'wide'"):
        Scenario(bandwidth_hz="wide")


def test_scenario_rejects_min_above_max_power():
    with pytest.raises(
        ValueError,
        match=r"sensing_power_min_w must be <= sensing_power_max_w, but device 1 has "
        r"sensing_power_min_w=0\.5 W > sensing_power_max_w=0\.2 W",
    ):
        Scenario(n_devices=2, sensing_power_min_w=0.5, sensing_power_max_w=[2.0, 0.2])


def test_scenario_accepts_equal_min_and_max_power():
    scenario = Scenario(n_devices=1, sensing_power_min_w=1.0, sensing_power_max_w=1.0)
    assert scenario.sensing_power_min_w[0] == scenario.sensing_power_max_w[0]


def test_from_json_rejects_unknown_key():
    text = json.dumps({"n_devices": 2, "snapshot_ms": 0.2})
    with pytest.raises(ValueError, match=r"unknown scenario parameter\(s\) \['snapshot_ms'\]; allowed keys are"):
        Scenario.from_json(text)


def test_from_json_rejects_non_object(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="a scenario JSON document must be an object, got list"):
        Scenario.from_json(path)


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "must be an object, got list"),
    ("  [1, 2]", "must be an object, got list"),
    ("", "Expecting value"),
])
def test_from_json_reads_non_object_text_as_json(text, message):
    # Only "{" used to mark JSON text, so these were opened as file names.
    with pytest.raises(ValueError, match=message):
        Scenario.from_json(text)


def test_from_json_reads_path_string(tmp_path):
    path = tmp_path / "scenario.json"
    Scenario(n_devices=2).to_json(path)
    assert Scenario.from_json(str(path)) == Scenario(n_devices=2)


def test_replace_rejects_unknown_key():
    with pytest.raises(ValueError, match=r"unknown scenario parameter\(s\) \['budget_j'\]; allowed keys are"):
        Scenario().replace(budget_j=1.0)


def test_scenario_rejects_unstorable_n_devices():
    with pytest.raises(ValueError, match="n_devices=100000000000000000000 is too large to store snapshot_s"):
        Scenario(n_devices=1e20)


# -- storage and serialisation ---------------------------------------------------------------


def test_scenario_is_frozen_and_read_only():
    scenario = Scenario(n_devices=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.n_devices = 3
    with pytest.raises(ValueError, match="read-only"):
        scenario.energy_budget_j[0] = 10.0


def test_scenario_broadcasts_scalars():
    scenario = Scenario(n_devices=4, comm_gain=7.0)
    assert scenario.comm_gain.shape == (4,)
    assert scenario.comm_gain.tolist() == [7.0] * 4
    assert isinstance(scenario.noise_power_w, float)


def test_scenario_default_model_size():
    # 784-256-256-10 MLP: 784*256 + 256 + 256*256 + 256 + 256*10 + 10 = 269,322 weights of 32 bits.
    assert Scenario().model_bits == 32 * 269_322


def test_json_uses_specified_keys():
    assert list(json.loads(Scenario(n_devices=2).to_json())) == JSON_KEYS
    assert sorted(FIELD_UNITS) == sorted(JSON_KEYS)
    assert sorted(FIELD_DESCRIPTIONS) == sorted(JSON_KEYS)


def test_json_round_trip_is_exact(tmp_path):
    # Values whose decimal forms are long make a lossy float format show up.
    scenario = Scenario.random(7, seed=3, energy_budget_j=np.random.default_rng(1).uniform(0.1, 5.0, 7),
                               noise_power_w=1.0 / 3.0 * 1e-12)
    restored = Scenario.from_json(scenario.to_json())
    assert restored == scenario
    for field in dataclasses.fields(Scenario):
        assert np.array_equal(getattr(restored, field.name), getattr(scenario, field.name))
    path = tmp_path / "scenario.json"
    scenario.to_json(path)
    assert Scenario.from_json(path) == scenario
    assert Scenario.from_json(str(path)) == scenario
    assert [p.name for p in tmp_path.iterdir()] == ["scenario.json"]


def test_scenario_equality_sees_one_device():
    a = Scenario(n_devices=3)
    assert a == Scenario(n_devices=3)
    assert a != a.replace(energy_budget_j=[3.0, 3.0, 2.9])


def test_device_returns_plain_floats():
    scenario = Scenario(n_devices=2, target_distance_m=[80.0, 95.0])
    device = scenario.device(1)
    assert device["target_distance_m"] == 95.0
    assert type(device["target_distance_m"]) is float
    assert device["max_snapshots"] == 32
    with pytest.raises(ValueError, match=r"device index n must be an integer in \[0, 1\], got 2"):
        scenario.device(2)


def test_device_rejects_fractional_index():
    with pytest.raises(ValueError, match=r"device index n must be an integer in \[0, 2\], got 1.5"):
        Scenario(n_devices=3).device(1.5)


# -- random positions ------------------------------------------------------------------------


def test_random_is_deterministic_per_seed():
    assert Scenario.random(6, seed=11) == Scenario.random(6, seed=11)
    assert Scenario.random(6, seed=11) != Scenario.random(6, seed=12)
    sequence = np.random.SeedSequence(5)
    assert Scenario.random(6, seed=sequence) == Scenario.random(6, seed=np.random.SeedSequence(5))


def test_random_draws_in_default_ranges():
    scenario = Scenario.random(4000, seed=0)
    target, server = scenario.target_distance_m, scenario.server_distance_m
    assert target.min() >= 80.0
    assert target.max() <= 100.0
    assert server.min() >= 100.0
    assert server.max() <= 250.0
    # Uniform in the annulus: r^2 is uniform on [100^2, 250^2], so its mean is (100^2 + 250^2) / 2.
    assert np.mean(server**2) == pytest.approx((100.0**2 + 250.0**2) / 2, rel=0.02)
    # The fraction inside radius 175 m is (175^2 - 100^2) / (250^2 - 100^2) = 0.3928...
    assert np.mean(server < 175.0) == pytest.approx((175.0**2 - 100.0**2) / (250.0**2 - 100.0**2), abs=0.025)
    assert np.mean(target) == pytest.approx(90.0, abs=0.3)


def test_random_custom_ranges_and_overrides():
    scenario = Scenario.random(50, seed=2, target_distance_range_m=(20.0, 60.0), energy_budget_j=1.5)
    assert scenario.target_distance_m.min() >= 20.0
    assert scenario.target_distance_m.max() <= 60.0
    assert scenario.energy_budget_j.tolist() == [1.5] * 50


@pytest.mark.parametrize("bad", [(100.0, 80.0), (0.0, 10.0), (10.0, np.inf)])
def test_random_rejects_bad_range(bad):
    with pytest.raises(ValueError, match=r"target_distance_range_m must satisfy 0 < lo <= hi < inf"):
        Scenario.random(3, seed=0, target_distance_range_m=bad)


@pytest.mark.parametrize("bad", [(100.0,), (10.0, 20.0, 30.0), ("near", "far"), 5.0])
def test_random_rejects_malformed_range(bad):
    with pytest.raises(ValueError, match=r"server_distance_range_m must be a pair \(lo, hi\) of numbers"):
        Scenario.random(3, seed=0, server_distance_range_m=bad)


def test_random_rejects_bad_n_devices():
    with pytest.raises(ValueError, match="n_devices must be an integer >= 1, got 0"):
        Scenario.random(0, seed=0)
