"""Compiled loops of the inner problem: the value of every device-snapshot cell at an SNR floor.

numba compiles these loops so that one pass over the cells computes the upload power and the log
value of each cell and keeps each device's maximum, with no temporary arrays. The arithmetic is the
closed form of :mod:`isacfl.allocation.inner`, in the same order, so results match a numpy
evaluation bit for bit. Compiled code is cached on disk beside this file after the first call.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["cell_log_values", "device_log_values", "top_cells"]


@numba.njit(cache=True, nogil=True)
def _cell_log_value(gamma, slope, floor, free, cap, limit, theta, log_samples):
    """``log v`` of one cell at floor ``gamma``; ``-inf`` if infeasible or with zero upload power."""
    if gamma > limit:
        return -np.inf
    power = gamma * slope
    if power < floor:
        power = floor
    power = free - power
    if power > cap:
        power = cap
    if power <= 0.0:
        return -np.inf
    return log_samples - theta / power


@numba.njit(cache=True, nogil=True)
def _cell_log_slope(gamma, slope, floor, free, cap, log_value):
    """Return the derivative of one cell's ``log v`` in the floor divided by ``theta``, ``-slope / p_c^2``.

    The caller multiplies by ``theta``. The derivative is non-zero only where the upload power
    falls linearly with the floor. At a kink this is the left derivative, which is as valid a
    supergradient of the concave ``log v`` as the right one.
    """
    if not np.isfinite(log_value):
        return 0.0
    raw = free - gamma * slope
    if gamma * slope > floor and raw < cap:
        return -slope / (raw * raw)
    return 0.0


@numba.njit(cache=True, nogil=True)
def cell_log_values(gamma, slope, floor, free, cap, limit, theta, log_samples, out):
    """Fill ``out`` (shape ``(N, K)``) with ``log v`` of every cell at floor ``gamma``."""
    n_rows, n_columns = slope.shape
    for i in range(n_rows):
        for j in range(n_columns):
            out[i, j] = _cell_log_value(gamma, slope[i, j], floor[i, j], free[i, j], cap[i, j], limit[i, j],
                                        theta[i, j], log_samples[i, j])


@numba.njit(cache=True, nogil=True)
def device_log_values(gammas, slope, floor, free, cap, limit, theta, log_samples, out):
    """Fill ``out`` (shape ``(len(gammas), N)``) with each device's largest ``log v`` at each floor."""
    n_rows, n_columns = slope.shape
    for g in range(gammas.shape[0]):
        gamma = gammas[g]
        for i in range(n_rows):
            best = -np.inf
            for j in range(n_columns):
                value = _cell_log_value(gamma, slope[i, j], floor[i, j], free[i, j], cap[i, j], limit[i, j],
                                        theta[i, j], log_samples[i, j])
                if value > best:
                    best = value
            out[g, i] = best


@numba.njit(cache=True, nogil=True)
def top_cells(gamma, slope, floor, free, cap, limit, theta, log_samples,
              best_value, best_column, second_value, second_column, third_value, best_slope, second_slope):
    """Find each device's two best cells and the best value of the rest at floor ``gamma``, in one pass.

    ``best_slope`` and ``second_slope`` receive the derivative of the two cells' ``log v`` in the floor.

    Among equal values the earlier column (smaller ``L``) ranks first, as with ``numpy.argmax``.
    A device with fewer than two finite values reports column 0 for the missing ones.
    """
    n_rows, n_columns = slope.shape
    for i in range(n_rows):
        first, second, third = -np.inf, -np.inf, -np.inf
        first_j, second_j = 0, 0
        for j in range(n_columns):
            value = _cell_log_value(gamma, slope[i, j], floor[i, j], free[i, j], cap[i, j], limit[i, j],
                                    theta[i, j], log_samples[i, j])
            if value > first:
                third = second
                second, second_j = first, first_j
                first, first_j = value, j
            elif value > second:
                third = second
                second, second_j = value, j
            elif value > third:
                third = value
        best_value[i], best_column[i] = first, first_j
        second_value[i], second_column[i] = second, second_j
        third_value[i] = third
        best_slope[i] = theta[i, first_j] * _cell_log_slope(
            gamma, slope[i, first_j], floor[i, first_j], free[i, first_j], cap[i, first_j], first)
        second_slope[i] = theta[i, second_j] * _cell_log_slope(
            gamma, slope[i, second_j], floor[i, second_j], free[i, second_j], cap[i, second_j], second)
