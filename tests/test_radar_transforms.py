"""Tests of isacfl.radar.transforms: the three radar maps and the complex sensing noise."""

from __future__ import annotations

import numpy as np
import pytest

from isacfl.radar import transforms

N_ANTENNAS, N_SAMPLES, N_CHIRPS = 4, 32, 16


def point_target(range_bin: int, velocity_bin: int, antenna_step: float, amplitude: complex = 1.0) -> np.ndarray:
    """One raw frame of a point target whose phase advances by whole FFT bins along each axis.

    ``antenna_step`` is the phase advance per antenna in cycles.
    """
    a = np.arange(N_ANTENNAS)[:, None, None]
    n = np.arange(N_SAMPLES)[None, :, None]
    m = np.arange(N_CHIRPS)[None, None, :]
    phase = range_bin * n / N_SAMPLES + velocity_bin * m / N_CHIRPS + antenna_step * a
    return (amplitude * np.exp(2j * np.pi * phase)).astype(np.complex64)


# -- the three maps on a point target with known bins ----------------------------------------


def test_radar_cube_peak_bins_and_value():
    # A quarter cycle per antenna is bin 1 of the 4-point angle FFT.
    frame = point_target(range_bin=5, velocity_bin=3, antenna_step=0.25, amplitude=2.0)
    cube = transforms.radar_cube(frame)
    assert cube.shape == (N_ANTENNAS, N_SAMPLES, N_CHIRPS)
    assert np.unravel_index(cube.argmax(), cube.shape) == (1, 5, 3)
    # All energy lands in one cell: |A| times the number of points of the 3-D FFT.
    assert cube[1, 5, 3] == pytest.approx(2.0 * N_ANTENNAS * N_SAMPLES * N_CHIRPS, rel=1e-5)
    assert cube.sum() - cube[1, 5, 3] == pytest.approx(0.0, abs=1e-2)


def test_range_velocity_map_peak_bins_and_value():
    frame = point_target(range_bin=7, velocity_bin=2, antenna_step=0.1)
    rv = transforms.range_velocity_map(frame)
    assert rv.shape == (N_SAMPLES, N_CHIRPS)
    assert np.unravel_index(rv.argmax(), rv.shape) == (7, 2)
    # The magnitude is summed over antennas, so the antenna phases do not matter.
    assert rv[7, 2] == pytest.approx(N_ANTENNAS * N_SAMPLES * N_CHIRPS, rel=1e-5)


def test_range_velocity_map_negative_velocity_wraps():
    rv = transforms.range_velocity_map(point_target(range_bin=4, velocity_bin=-3, antenna_step=0.0))
    assert np.unravel_index(rv.argmax(), rv.shape) == (4, N_CHIRPS - 3)


def test_range_angle_map_peak_bins_and_value():
    # 8/64 of a cycle per antenna is bin 8 of the 64-point angle FFT.
    frame = point_target(range_bin=9, velocity_bin=4, antenna_step=8 / 64)
    ra = transforms.range_angle_map(frame)
    assert ra.shape == (N_SAMPLES, transforms.ANGLE_FFT_SIZE)
    assert np.unravel_index(ra.argmax(), ra.shape) == (9, 8)
    # Range FFT gain N_SAMPLES, coherent sum over 4 antennas, magnitude summed over chirps.
    assert ra[9, 8] == pytest.approx(N_ANTENNAS * N_SAMPLES * N_CHIRPS, rel=1e-5)


def test_range_angle_map_negative_angle_bin():
    ra = transforms.range_angle_map(point_target(range_bin=3, velocity_bin=1, antenna_step=-5 / 64))
    assert np.unravel_index(ra.argmax(), ra.shape) == (3, 64 - 5)


def test_range_angle_map_removes_static_target():
    moving = point_target(range_bin=6, velocity_bin=2, antenna_step=0.0)
    static = point_target(range_bin=12, velocity_bin=0, antenna_step=0.2, amplitude=100.0)
    ra_both = transforms.range_angle_map(moving + static)
    ra_moving = transforms.range_angle_map(moving)
    np.testing.assert_allclose(ra_both, ra_moving, atol=1e-2)
    assert ra_both[12].max() < 1e-2


def test_range_angle_map_custom_fft_size():
    ra = transforms.range_angle_map(point_target(2, 1, 0.25), angle_fft_size=16)
    assert ra.shape == (N_SAMPLES, 16)
    assert np.unravel_index(ra.argmax(), ra.shape) == (2, 4)


@pytest.mark.parametrize("name", sorted(transforms.TRANSFORMS))
def test_transforms_batch_equals_single(name):
    rng = np.random.default_rng(0)
    frames = (rng.standard_normal((3, N_ANTENNAS, N_SAMPLES, N_CHIRPS))
              + 1j * rng.standard_normal((3, N_ANTENNAS, N_SAMPLES, N_CHIRPS))).astype(np.complex64)
    transform = transforms.TRANSFORMS[name]
    batch = transform(frames)
    assert batch.dtype == np.float32
    for i in range(3):
        np.testing.assert_allclose(batch[i], transform(frames[i]), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(transforms.TRANSFORMS))
def test_transforms_reject_two_dimensional_input(name):
    with pytest.raises(ValueError, match=r"frames must have shape \(\.\.\., n_antennas, n_samples, n_chirps\)"):
        transforms.TRANSFORMS[name](np.ones((4, 8)))


def test_range_angle_map_rejects_small_fft():
    with pytest.raises(ValueError, match=r"angle_fft_size must be an integer >= n_antennas=4, got 3"):
        transforms.range_angle_map(point_target(1, 1, 0.0), angle_fft_size=3)


# -- normalisation ---------------------------------------------------------------------------


def test_normalise_maps_standardised_decibels():
    rng = np.random.default_rng(1)
    maps = rng.uniform(0.1, 1.0, size=(5, 2, 3, 4)) * np.array([1, 10, 100, 1000, 0.01])[:, None, None, None]
    out = transforms.normalise_maps(maps, sample_ndim=3).astype(np.float64)
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1.0, rtol=1e-5)
    # A map's overall level does not matter: maps 0 and 1 differ by a factor only, but their
    # draws differ, so compare a map with a scaled copy of itself.
    scaled = transforms.normalise_maps(maps[:1] * 1e4, sample_ndim=3)
    np.testing.assert_allclose(scaled, out[:1], atol=1e-4)
    # Cells are in decibels: a cell 10 times larger sits 20 dB / std higher.
    pair = transforms.normalise_maps(np.array([[1.0, 10.0]]), sample_ndim=1)
    assert pair[0, 1] - pair[0, 0] == pytest.approx(2.0, rel=1e-4)


def test_normalise_maps_zero_and_constant_maps():
    out = transforms.normalise_maps(np.array([[0.0, 0.0], [3.0, 3.0]]), sample_ndim=1)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, 0.0)


def test_normalise_maps_rejects_negative():
    with pytest.raises(ValueError, match="maps must hold non-negative magnitudes"):
        transforms.normalise_maps(np.array([[1.0, -1.0]]), sample_ndim=1)


def test_normalise_maps_rejects_bad_ndim():
    with pytest.raises(ValueError, match=r"sample_ndim must be an integer in \[1, 2\], got 3"):
        transforms.normalise_maps(np.ones((2, 2)), sample_ndim=3)


# -- complex sensing noise -------------------------------------------------------------------


@pytest.mark.parametrize("snr", [0.01, 1.0, 50.0])
def test_complex_noise_measured_snr(snr):
    rng = np.random.default_rng(2)
    clean = (rng.standard_normal((400, 4, 16, 8)) + 1j * rng.standard_normal((400, 4, 16, 8))).astype(np.complex64)
    noisy = transforms.add_complex_sensing_noise(clean, snr, np.random.default_rng(3))
    noise = noisy.astype(np.complex128) - clean
    measured = np.mean(np.abs(clean) ** 2) / np.mean(np.abs(noise) ** 2)
    assert measured == pytest.approx(snr, rel=0.02)


def test_complex_noise_circular():
    clean = np.full((200, 4, 32, 16), 3.0 + 4.0j, dtype=np.complex64)  # |x|^2 = 25
    noise = transforms.add_complex_sensing_noise(clean, 5.0, np.random.default_rng(4)) - clean
    # Variance 25 / 5 = 5 in all, 2.5 in each of the real and the imaginary part, zero mean.
    assert np.var(noise.real) == pytest.approx(2.5, rel=0.02)
    assert np.var(noise.imag) == pytest.approx(2.5, rel=0.02)
    assert abs(np.mean(noise)) < 0.01
    assert abs(np.mean(noise.real * noise.imag)) < 0.02


def test_complex_noise_per_frame_power():
    clean = np.ones((2, 4, 64, 64), dtype=np.complex128)
    clean[1] *= 10.0
    noise = transforms.add_complex_sensing_noise(clean, [1.0, 4.0], np.random.default_rng(5)) - clean
    power = np.mean(np.abs(noise) ** 2, axis=(1, 2, 3))
    assert power[0] == pytest.approx(1.0, rel=0.05)
    assert power[1] == pytest.approx(100.0 / 4.0, rel=0.05)


def test_complex_noise_dtypes():
    rng = np.random.default_rng(6)
    assert transforms.add_complex_sensing_noise(np.ones((2, 3), np.complex64), 1.0, rng).dtype == np.complex64
    assert transforms.add_complex_sensing_noise(np.ones((2, 3), np.float32), 1.0, rng).dtype == np.complex64
    assert transforms.add_complex_sensing_noise(np.ones((2, 3)), 1.0, rng).dtype == np.complex128


def test_complex_noise_infinite_snr_and_reproducible():
    clean = np.random.default_rng(7).standard_normal((3, 4, 8, 8)).astype(np.complex64)
    assert np.array_equal(transforms.add_complex_sensing_noise(clean, np.inf, np.random.default_rng(0)), clean)
    a = transforms.add_complex_sensing_noise(clean, 2.0, np.random.default_rng(8))
    b = transforms.add_complex_sensing_noise(clean, 2.0, np.random.default_rng(8))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("snr", [0.0, -2.0, np.nan])
def test_complex_noise_rejects_nonpositive_snr(snr):
    with pytest.raises(ValueError, match=r"snr must be > 0 \(linear, not dB\).*\(0, inf\]"):
        transforms.add_complex_sensing_noise(np.ones((2, 4), np.complex64), snr, np.random.default_rng(0))


def test_complex_noise_rejects_wrong_length():
    with pytest.raises(ValueError, match=r"snr must be a scalar or an array of length n=3 \(one per frame\)"):
        transforms.add_complex_sensing_noise(np.ones((3, 4), np.complex64), [1.0, 2.0], np.random.default_rng(0))


def test_complex_noise_rejects_seed_instead_of_generator():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator, got int"):
        transforms.add_complex_sensing_noise(np.ones((3, 4), np.complex64), 1.0, 0)


def test_complex_noise_rejects_empty_frames():
    with pytest.raises(ValueError, match=r"frames must have a frame axis with at least one frame, got shape \(0, 4\)"):
        transforms.add_complex_sensing_noise(np.ones((0, 4), np.complex64), 1.0, np.random.default_rng(0))
