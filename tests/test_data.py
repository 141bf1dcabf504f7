"""Tests of isacfl.data: the sensing-noise model, IDX reading, downloads and source fallback."""

from __future__ import annotations

import numpy as np
import pytest

from isacfl import data


# -- sensing noise ---------------------------------------------------------------------------


@pytest.mark.parametrize("snr", [0.1, 1.0, 10.0, 1000.0])
def test_sensing_noise_measured_snr(snr):
    rng = np.random.default_rng(1)
    clean = rng.uniform(0.0, 1.0, size=(4000, 28, 28)).astype(np.float32)
    noisy = data.add_sensing_noise(clean, snr, np.random.default_rng(2))
    signal = (clean.astype(np.float64) ** 2).sum(axis=(1, 2))
    noise = ((noisy.astype(np.float64) - clean) ** 2).sum(axis=(1, 2))
    assert abs(signal.mean() / noise.mean() / snr - 1.0) < 0.02


def test_sensing_noise_per_sample_power():
    # A bright and a dim sample at the same SNR get noise variances in the ratio of their powers.
    clean = np.stack([np.full((200, 784), 1.0), np.full((200, 784), 0.1)], axis=1).reshape(400, 784)
    noisy = data.add_sensing_noise(clean, 2.0, np.random.default_rng(3))
    variance = (noisy - clean).var(axis=1)
    bright, dim = variance[0::2].mean(), variance[1::2].mean()
    assert bright == pytest.approx(1.0 / 2.0, rel=0.02)
    assert dim == pytest.approx(0.01 / 2.0, rel=0.02)


def test_sensing_noise_snr_per_sample():
    clean = np.ones((2, 10000))
    noisy = data.add_sensing_noise(clean, np.array([1.0, 100.0]), np.random.default_rng(4))
    assert (noisy - clean).var(axis=1) == pytest.approx([1.0, 0.01], rel=0.05)


def test_sensing_noise_unclipped_float32():
    clean = np.zeros((500, 28, 28), dtype=np.float32)
    clean[:, 10:18, 10:18] = 1.0
    noisy = data.add_sensing_noise(clean, 0.5, np.random.default_rng(5))
    assert noisy.dtype == np.float32
    assert noisy.shape == clean.shape
    assert noisy.min() < 0.0
    assert noisy.max() > 1.0


def test_sensing_noise_reproducible_and_fresh():
    clean = np.random.default_rng(6).uniform(size=(5, 784))
    a = data.add_sensing_noise(clean, 3.0, np.random.default_rng(7))
    b = data.add_sensing_noise(clean, 3.0, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    first, second = data.add_sensing_noise(clean, 3.0, rng), data.add_sensing_noise(clean, 3.0, rng)
    assert np.array_equal(a, b)
    assert not np.array_equal(first, second)


def test_sensing_noise_infinite_snr():
    clean = np.random.default_rng(8).uniform(size=(3, 784))
    assert np.array_equal(data.add_sensing_noise(clean, np.inf, np.random.default_rng(0)), clean)


def test_sensing_noise_zero_sample():
    clean = np.zeros((2, 784))
    clean[1] = 0.5
    noisy = data.add_sensing_noise(clean, 1.0, np.random.default_rng(0))
    assert np.array_equal(noisy[0], clean[0])
    assert not np.array_equal(noisy[1], clean[1])


@pytest.mark.parametrize("snr", [0.0, -1.0, np.nan])
def test_sensing_noise_rejects_nonpositive_snr(snr):
    with pytest.raises(ValueError, match=r"snr must be > 0.*\(0, inf\]"):
        data.add_sensing_noise(np.ones((2, 4)), snr, np.random.default_rng(0))


def test_sensing_noise_rejects_wrong_length():
    with pytest.raises(ValueError, match=r"snr must be a scalar or an array of length n=3"):
        data.add_sensing_noise(np.ones((3, 4)), [1.0, 2.0], np.random.default_rng(0))


def test_sensing_noise_rejects_integer_seed():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator, got int"):
        data.add_sensing_noise(np.ones((3, 4)), 1.0, 0)


def test_sensing_noise_rejects_empty_images():
    with pytest.raises(ValueError, match="images must have a sample axis"):
        data.add_sensing_noise(np.ones((0, 4)), 1.0, np.random.default_rng(0))
