"""Acquisition of noisy samples from a device's clean pool."""

import numpy as np
import pytest

from isacfl.data import load_mnist
from isacfl.fl import acquire, acquire_devices, observation_indices


@pytest.fixture(scope="module")
def mnist_pool():
    data = load_mnist()
    return data.train_images[:500], data.train_labels[:500]


@pytest.mark.parametrize("snr", [0.1, 1.0, 10.0, 100.0])
def test_measured_snr_within_two_percent(mnist_pool, snr):
    images, labels = mnist_pool
    rng = np.random.default_rng(11)

    noisy, noisy_labels = acquire(images, labels, 3000, snr, rng)

    # acquire() draws the observation order first, so the same seed replays it here.
    idx = observation_indices(len(images), 3000, np.random.default_rng(11))
    clean = images[idx]
    np.testing.assert_array_equal(noisy_labels, labels[idx])
    signal = (clean.astype(np.float64) ** 2).sum()
    noise = ((noisy.astype(np.float64) - clean) ** 2).sum()
    assert abs(signal / noise / snr - 1) < 0.02


def test_pixels_not_clipped(mnist_pool):
    images, labels = mnist_pool

    noisy, _ = acquire(images, labels, 200, 1.0, np.random.default_rng(0))

    assert noisy.min() < 0
    assert noisy.max() > 1


def test_observation_counts_floor_or_ceil():
    counts = np.bincount(observation_indices(7, 30, np.random.default_rng(0)), minlength=7)

    assert counts.sum() == 30
    assert set(counts.tolist()) == {4, 5}


def test_fewer_samples_than_pool_no_repeats():
    idx = observation_indices(100, 40, np.random.default_rng(0))

    assert len(np.unique(idx)) == 40


def test_zero_samples_gives_empty_arrays(mnist_pool):
    images, labels = mnist_pool

    noisy, noisy_labels = acquire(images, labels, 0, 1.0, np.random.default_rng(0))

    assert noisy.shape == (0, 28, 28)
    assert noisy_labels.shape == (0,)


def test_empty_pool_with_samples_raises():
    with pytest.raises(ValueError, match="cannot acquire num_samples=3 from an empty pool"):
        observation_indices(0, 3, np.random.default_rng(0))


def test_infinite_snr_is_clean(mnist_pool):
    images, labels = mnist_pool

    noisy, noisy_labels = acquire(images, labels, 50, np.inf, np.random.default_rng(2))

    idx = observation_indices(len(images), 50, np.random.default_rng(2))
    np.testing.assert_array_equal(noisy, images[idx])


def test_devices_sizes_and_determinism(mnist_pool):
    images, labels = mnist_pool
    pools = [np.arange(0, 100), np.arange(100, 150), np.arange(150, 500)]

    first = acquire_devices(images, labels, pools, [120, 0, 30], [1.0, 2.0, 3.0], np.random.default_rng(4))
    second = acquire_devices(images, labels, pools, [120, 0, 30], [1.0, 2.0, 3.0], np.random.default_rng(4))

    assert [len(y) for _, y in first] == [120, 0, 30]
    assert set(first[0][1].tolist()) <= set(labels[:100].tolist())
    for (xa, ya), (xb, yb) in zip(first, second):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_devices_length_mismatch_raises(mnist_pool):
    images, labels = mnist_pool
    with pytest.raises(ValueError, match="one entry per device, got lengths 2, 3 and 3"):
        acquire_devices(images, labels, [np.arange(5)] * 2, [1, 2, 3], 1.0, np.random.default_rng(0))
