"""Sensed training data: each device observes samples of its clean pool through sensing noise.

A device acquires ``D_n`` samples (E1) at its sensing SNR ``gamma_n`` (E2). Each acquired sample is
a pool sample plus fresh AWGN at that SNR (:func:`isacfl.data.add_sensing_noise`), so a device
whose ``D_n`` exceeds its pool observes some pool samples more than once, with new noise each
time. Data are acquired once, before the first round.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..data import add_sensing_noise

__all__ = ["observation_indices", "acquire", "acquire_devices"]


def observation_indices(pool_size: int, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Choose which pool samples a device observes, ``num_samples`` in all.

    The pool is walked in a fresh random order, as many times as needed: every pool sample is
    observed either ``floor(D / P)`` or ``ceil(D / P)`` times, where ``P`` is the pool size.

    Raises
    ------
    ValueError
        If ``num_samples < 0``, or if ``num_samples > 0`` from an empty pool.

    Examples
    --------
    >>> idx = observation_indices(3, 7, np.random.default_rng(0))
    >>> len(idx), sorted(np.bincount(idx, minlength=3).tolist())
    (7, [2, 2, 3])
    """
    if num_samples < 0:
        raise ValueError(f"num_samples must be >= 0, got {num_samples!r}")
    if num_samples > 0 and pool_size < 1:
        raise ValueError(f"cannot acquire num_samples={num_samples} from an empty pool")
    passes = -(-num_samples // pool_size) if num_samples else 0
    order = np.concatenate([rng.permutation(pool_size) for _ in range(passes)]) if passes else np.zeros(0, int)
    return order[:num_samples].astype(np.int64)


def acquire(
    pool_images: ArrayLike,
    pool_labels: ArrayLike,
    num_samples: int,
    snr: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Acquire ``num_samples`` noisy observations of a device's clean pool at sensing SNR ``snr``.

    Parameters
    ----------
    pool_images : array_like, shape (P, ...)
        Clean samples of the device (MNIST: pixels in [0, 1]).
    pool_labels : array_like, shape (P,)
        Their labels.
    num_samples : int
        Samples ``D_n`` to acquire (0 gives empty arrays).
    snr : float
        Linear per-sample sensing SNR ``gamma_n > 0`` (``inf`` for clean data).
    rng : numpy.random.Generator
        Source of the observation order and of the noise.

    Returns
    -------
    images : numpy.ndarray, shape (D, ...)
        Noisy samples, float32 for float32 input, not clipped.
    labels : numpy.ndarray, shape (D,)
        Their labels.

    Examples
    --------
    >>> x, y = acquire(np.ones((4, 2, 2), np.float32), np.arange(4), 6, 1.0, np.random.default_rng(0))
    >>> x.shape, sorted(np.bincount(y).tolist())
    ((6, 2, 2), [1, 1, 2, 2])
    """
    images = np.asarray(pool_images)
    labels = np.asarray(pool_labels)
    if len(images) != len(labels):
        raise ValueError(f"pool_images and pool_labels differ in length: {len(images)} and {len(labels)}")
    idx = observation_indices(len(images), int(num_samples), rng)
    if len(idx) == 0:
        return images[:0].astype(np.float32, copy=True), labels[:0].copy()
    return add_sensing_noise(images[idx], snr, rng), labels[idx]


def acquire_devices(
    images: ArrayLike,
    labels: ArrayLike,
    pools: Sequence[np.ndarray],
    num_samples: ArrayLike,
    snr: ArrayLike,
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Acquire every device's data: device ``n`` draws ``num_samples[n]`` from ``images[pools[n]]``.

    Devices draw one after another from ``rng``, so the result depends only on its state.

    Raises
    ------
    ValueError
        If ``pools``, ``num_samples`` and ``snr`` differ in length.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    counts = np.asarray(num_samples)
    snrs = np.broadcast_to(np.asarray(snr, dtype=float), counts.shape)
    if not (len(pools) == len(counts) == len(snrs)):
        raise ValueError(
            f"pools, num_samples and snr must have one entry per device, got lengths "
            f"{len(pools)}, {len(counts)} and {len(snrs)}"
        )
    return [
        acquire(images[pool], labels[pool], int(count), float(gamma), rng)
        for pool, count, gamma in zip(pools, counts, snrs)
    ]
