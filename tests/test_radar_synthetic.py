"""Tests of isacfl.radar.synthetic: radar geometry, beam codebook, generator and cache."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from isacfl.radar import loader, synthetic, transforms

SPEED_OF_LIGHT = 299_792_458.0


# -- radar and codebook ----------------------------------------------------------------------


def test_full_radar_resolutions_by_hand():
    radar = synthetic.FULL_RADAR
    # c f_s / (2 S N) = 3e8 * 5e6 / (2 * 15.015e12 * 256) ~ 0.195 m
    assert radar.range_resolution_m == pytest.approx(SPEED_OF_LIGHT * 5e6 / (2 * 15.015e12 * 256))
    assert radar.range_resolution_m == pytest.approx(0.195, abs=1e-3)
    wavelength = SPEED_OF_LIGHT / 77e9
    assert radar.velocity_resolution_mps == pytest.approx(wavelength / (2 * 128 * 65e-6))
    assert radar.max_speed_mps == pytest.approx(wavelength / (4 * 65e-6))
    assert radar.frame_duration_s == pytest.approx(128 * 65e-6)
    assert radar.frame_shape == loader.FRAME_SHAPE


def test_radar_rejects_chirp_shorter_than_sampling():
    with pytest.raises(ValueError, match=r"chirp_period_s=1e-05 is shorter than the sampling window"):
        synthetic.FmcwRadar(chirp_period_s=1e-5)


def test_point_target_lands_in_predicted_bins():
    radar = synthetic.FmcwRadar(n_samples=64, n_chirps=32)
    range_m = 9 * radar.range_resolution_m
    velocity = -5 * radar.velocity_resolution_mps
    angle = math.asin(2 * 12 / 64)  # 0.5 sin(theta) * 64 = 12: angle bin 12 of a 64-point FFT
    frame = synthetic.point_target_frames(radar, [[1.0]], [[range_m]], [[velocity]], [[angle]])[0]
    rv = transforms.range_velocity_map(frame)
    ra = transforms.range_angle_map(frame)
    assert np.unravel_index(rv.argmax(), rv.shape) == (9, 32 - 5)
    assert np.unravel_index(ra.argmax(), ra.shape) == (9, 12)
    assert radar.velocity_bin(velocity) == pytest.approx(27)
    assert radar.angle_bin(angle, 64) == pytest.approx(12)


def test_codebook_beam_angles_uniform():
    codebook = synthetic.BeamCodebook()
    angles = np.degrees(codebook.beam_angles_rad)
    assert len(angles) == 64
    np.testing.assert_allclose(np.diff(angles), 90.0 / 64)
    assert angles[0] == pytest.approx(-45 + 90 / 128)


def test_codebook_best_beam_matches_brute_force():
    codebook = synthetic.BeamCodebook()
    angles = np.radians(np.linspace(-44.9, 44.9, 401))
    best = codebook.best_beam(angles)
    # Brute force: evaluate the array gain of every beam with an explicit loop over elements.
    for angle, chosen in zip(angles[::40], best[::40]):
        gains = []
        for steer in codebook.beam_angles_rad:
            response = sum(np.exp(1j * np.pi * m * (np.sin(angle) - np.sin(steer))) for m in range(16))
            gains.append(abs(response) ** 2)
        assert chosen == int(np.argmax(gains))
    assert np.all(np.diff(best) >= 0)  # beams are ordered by angle
    assert best[0] == 0
    assert best[-1] == 63


# -- generator -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    config = synthetic.SyntheticConfig(n_frames=40)
    folder = synthetic.write_synthetic_dataset(root, config, seed=3)
    return folder, config


def test_generator_writes_scenario9_layout(small_set):
    folder, config = small_set
    assert folder.name == "development_dataset"
    assert folder.parent.name == "Scenario9"
    rows = []
    for split in loader.SPLITS:
        with open(folder / f"scenario9_dev_{split}.csv", newline="") as handle:
            split_rows = list(csv.DictReader(handle))
        assert split_rows, split
        rows += split_rows
    assert len(rows) == 40
    assert {"unit1_radar_1", "beam_index_1"} <= set(rows[0])
    for row in rows:
        assert row["unit1_radar_1"].startswith("./unit1/radar_data/")
        assert (folder / row["unit1_radar_1"][2:]).is_file()
        assert 1 <= int(row["beam_index_1"]) <= 64


def test_generator_labels_follow_codebook(small_set):
    folder, config = small_set
    with open(folder / "scenario9_dev_train.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    angles = np.radians([float(r["synthetic_angle_deg"]) for r in rows])
    beams = np.array([int(r["beam_index_1"]) for r in rows])
    np.testing.assert_array_equal(beams - 1, config.codebook.best_beam(angles))


def test_generator_loads_as_synthetic(small_set):
    folder, config = small_set
    data = loader.load_scenario9(folder)
    assert data.is_synthetic
    assert data.source.startswith("synthetic")
    assert data.frame_shape == config.radar.frame_shape
    assert len(data.train) + len(data.val) + len(data.test) == 40
    assert synthetic.SyntheticConfig.from_dict(data.synthetic_parameters["config"]) == config


def test_generator_deterministic_per_seed():
    config = synthetic.SyntheticConfig(n_frames=6)
    a, scene_a = synthetic.synthesize_frames(config, 11)
    b, scene_b = synthetic.synthesize_frames(config, 11)
    c, _ = synthetic.synthesize_frames(config, 12)
    assert np.array_equal(a, b)
    assert np.array_equal(scene_a.labels, scene_b.labels)
    assert not np.allclose(a, c)


def test_generator_vehicle_visible_at_its_angle():
    # The range-angle map removes the static clutter, so its strongest angle bin should point at
    # the vehicle: within one 4-antenna resolution cell (2 / 4 in sin(theta)) of the true angle.
    config = synthetic.SyntheticConfig(n_frames=60, radar=synthetic.FmcwRadar(n_samples=32, n_chirps=32))
    frames, scene = synthetic.synthesize_frames(config, 5)
    ra = transforms.range_angle_map(frames)
    angle_profile = ra.max(axis=1)
    peak_bin = angle_profile.argmax(axis=1)
    sine_estimate = np.where(peak_bin < 32, peak_bin, peak_bin - 64) / 32
    moving = np.abs(scene.radial_velocity_mps) > 1.0  # the clutter filter also removes slow targets
    error = np.abs(sine_estimate - np.sin(scene.angle_rad))[moving]
    assert moving.sum() > 30
    assert np.median(error) < 0.1
    assert np.mean(error < 0.25) > 0.9


def test_generator_clutter_to_vehicle_power():
    # Without noise and vehicles far apart from the clutter, the clutter power is the configured
    # multiple of the mean vehicle echo at 10 m (which is 1 per raw sample).
    config = synthetic.SyntheticConfig(n_frames=3, clutter_to_vehicle_db=20.0, reference_snr_db=300.0)
    rng = np.random.default_rng(synthetic.np.random.SeedSequence(0).spawn(3)[0])
    amplitude, _, _ = synthetic._clutter(config, rng)
    assert np.sum(np.abs(amplitude) ** 2) == pytest.approx(100.0)


def test_generator_refuses_existing_folder(small_set):
    folder, config = small_set
    with pytest.raises(FileExistsError, match="already exists; write the synthetic set into an empty folder"):
        synthetic.write_synthetic_dataset(folder.parent.parent, config, seed=3)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_frames": 2}, r"n_frames must be an integer >= 3"),
        ({"split_fractions": (0.5, 0.5, 0.5)}, r"split_fractions must be three positive shares summing to 1"),
        ({"speed_range_mps": (5.0, 40.0)}, r"speed_range_mps must satisfy 0 < lo <= hi < 14\.\d\d m/s"),
        ({"lane_offsets_m": (10.0, 40.0)}, r"put vehicles beyond the radar's maximum range"),
        ({"centre_power_fraction": 1.5}, r"centre_power_fraction must be in \[0, 1\]"),
    ],
)
def test_config_rejects_invalid(changes, message):
    with pytest.raises(ValueError, match=message):
        synthetic.SyntheticConfig(**changes)


# -- cache -----------------------------------------------------------------------------------


def test_cache_generates_once(tmp_path):
    config = synthetic.SyntheticConfig(n_frames=5)
    first = synthetic.load_synthetic_scenario9(config, seed=1, cache_dir=tmp_path)
    stamp = (first.root / "scenario9_dev_train.csv").stat().st_mtime_ns
    second = synthetic.load_synthetic_scenario9(config, seed=1, cache_dir=tmp_path)
    assert second.root == first.root
    assert (second.root / "scenario9_dev_train.csv").stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(first.train.frames, second.train.frames)
    # Only the finished set remains: no staging folder is left behind.
    assert [p.name for p in tmp_path.iterdir()] == [first.root.parent.parent.name]
    other = synthetic.load_synthetic_scenario9(config, seed=2, cache_dir=tmp_path)
    assert other.root != first.root


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ISACFL_DATA_DIR", str(tmp_path))
    assert synthetic.synthetic_cache_dir() == tmp_path / "deepsense_synthetic"
