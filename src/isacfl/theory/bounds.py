"""Closed forms of the convergence analysis: Proposition 1, Lemma 1 and Theorem 1.

Every function takes plain numbers or numpy arrays, so the chapters can evaluate a bound for a
whole scenario, or for a grid of SNRs, in one call. The symbols follow the book: ``D_n`` samples,
``p_n`` upload success probability, ``gamma_n`` sensing SNR (linear), ``C`` the gradient-noise
constant, ``mu`` and ``L`` the strong-convexity and smoothness constants.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "proposition1_constant",
    "proposition1_variance_bound",
    "lemma1_variance",
    "lemma1_bound",
    "AggregationMoments",
    "aggregation_moments",
    "descent_bound",
    "theorem1_bound",
    "MAX_ENUMERATED_DEVICES",
]

#: Largest number of devices for which :func:`aggregation_moments` enumerates every active set
#: (``2^N`` sets; 2^20 sets of 20 devices take about 170 MB of float64).
MAX_ENUMERATED_DEVICES = 20


def _positive(name: str, value: ArrayLike, *, allow_zero: bool = False) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    bad = ~(array >= 0) if allow_zero else ~(array > 0)
    if np.any(bad):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound} (allowed range {'[0' if allow_zero else '(0'}, inf)), "
                         f"got {value!r}")
    return array


def _device_arrays(samples: ArrayLike, success_prob: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    d = _positive("samples", samples)
    p = np.asarray(success_prob, dtype=float)
    if d.ndim != 1 or p.shape != d.shape:
        raise ValueError(f"samples and success_prob must be 1-D arrays of equal length, "
                         f"got shapes {d.shape} and {p.shape}")
    if np.any(~((p >= 0) & (p <= 1))):
        raise ValueError(f"success_prob must lie in [0, 1], got {success_prob!r}")
    if not np.any(p > 0):
        raise ValueError("success_prob must be > 0 for at least one device, or no upload can ever arrive")
    return d, p


def proposition1_constant(input_lipschitz: float, max_sample_norm_sq: float, clean_gradient_variance: float,
                          max_snr: float) -> float:
    """Return the gradient-noise constant ``C = L_x^2 X^2 + sigma_g^2 gamma_max`` of Proposition 1.

    Parameters
    ----------
    input_lipschitz : float
        ``L_x``, Lipschitz constant of the per-sample gradient in the input sample.
    max_sample_norm_sq : float
        ``X^2``, an upper bound on ``||x||^2`` over clean samples.
    clean_gradient_variance : float
        ``sigma_g^2``, the per-sample stochastic-gradient variance on clean data.
    max_snr : float
        ``gamma_max``, the largest sensing SNR (linear) a device can reach.

    Returns
    -------
    float
        ``C``, so that the full-batch gradient error over ``D`` noisy samples at SNR ``gamma`` is at
        most ``C / (gamma D)``.

    Raises
    ------
    ValueError
        If a parameter is negative, or ``max_snr`` is not positive.

    Notes
    -----
    The step ``sigma_g^2 <= sigma_g^2 gamma_max / gamma`` uses ``gamma <= gamma_max``; the constant
    therefore grows with the largest SNR admitted, and the bound is loose at low SNR by design.

    Examples
    --------
    >>> proposition1_constant(2.0, 3.0, 0.5, 10.0)  # 4 * 3 + 0.5 * 10
    17.0
    """
    lipschitz = _positive("input_lipschitz", input_lipschitz, allow_zero=True)
    norm_sq = _positive("max_sample_norm_sq", max_sample_norm_sq, allow_zero=True)
    variance = _positive("clean_gradient_variance", clean_gradient_variance, allow_zero=True)
    snr_max = _positive("max_snr", max_snr)
    return float(lipschitz**2 * norm_sq + variance * snr_max)


def proposition1_variance_bound(snr: ArrayLike, samples: ArrayLike, input_lipschitz: float,
                                max_sample_norm_sq: float, clean_gradient_variance: float) -> np.ndarray:
    """Evaluate the first bound of Proposition 1, ``(L_x^2 X^2 / gamma + sigma_g^2) / D``.

    This is the bound before the step ``1 <= gamma_max / gamma``; it keeps the SNR-independent
    sampling term visible. Arguments broadcast.

    Raises
    ------
    ValueError
        If ``snr`` or ``samples`` is not positive.

    Examples
    --------
    >>> proposition1_variance_bound([1.0, 4.0], 10, 2.0, 3.0, 0.5).round(3)
    array([1.25, 0.35])
    """
    gamma = _positive("snr", snr)
    d = _positive("samples", samples)
    return (input_lipschitz**2 * max_sample_norm_sq / gamma + clean_gradient_variance) / d


def lemma1_variance(samples: ArrayLike, success_prob: ArrayLike, device_variance: ArrayLike) -> float:
    """Return ``sum_n D_n^2 p_n sigma_n^2 / (sum_m D_m p_m)^2``, the aggregated-noise variance of Lemma 1.

    This is exact for the analysis weights ``a_n = D_n 1_n / sum_m D_m p_m``, whose denominator is
    the mean of the random one that FedAvg uses over the devices that got through.

    Parameters
    ----------
    samples : array_like, shape (N,)
        ``D_n``.
    success_prob : array_like, shape (N,)
        ``p_n`` in [0, 1].
    device_variance : array_like, shape (N,)
        ``sigma_n^2``, the variance of device ``n``'s gradient error.

    Raises
    ------
    ValueError
        If the shapes differ, a probability leaves [0, 1], every probability is 0, or a sample
        count or variance is negative.

    Examples
    --------
    >>> lemma1_variance([1, 1], [1.0, 1.0], [2.0, 2.0])  # (2 + 2) / 2^2
    1.0
    """
    d, p = _device_arrays(samples, success_prob)
    variance = _positive("device_variance", device_variance, allow_zero=True)
    return float(np.sum(d**2 * p * variance) / np.sum(d * p) ** 2)


def lemma1_bound(constant: float, snr_min: float, samples: ArrayLike, success_prob: ArrayLike) -> float:
    """Return the Lemma 1 bound ``C / (gamma_min sum_n D_n p_n)``.

    Examples
    --------
    >>> lemma1_bound(10.0, 2.0, [100, 50], [0.5, 1.0])  # 10 / (2 * 100)
    0.05
    """
    d, p = _device_arrays(samples, success_prob)
    c = _positive("constant", constant, allow_zero=True)
    gamma = _positive("snr_min", snr_min)
    return float(c / (gamma * np.sum(d * p)))


@dataclasses.dataclass(frozen=True)
class AggregationMoments:
    """Exact moments of FedAvg over the random active set, from all ``2^N`` upload outcomes."""

    #: Probability that no upload gets through (the round is skipped).
    empty_prob: float
    #: ``E[sum_{n in S} D_n^2 sigma_n^2 / (sum_{m in S} D_m)^2 | S nonempty]``: the aggregated-noise
    #: variance of FedAvg with its random denominator, given that the round is not skipped.
    noise_variance: float
    #: ``E[D_n 1_n / sum_{m in S} D_m | S nonempty]``: the mean weight of each device, shape (N,).
    mean_weights: np.ndarray
    #: The Lemma 1 value ``sum_n D_n^2 p_n sigma_n^2 / (sum_m D_m p_m)^2`` for comparison.
    lemma1_variance: float

    @property
    def ratio_to_lemma1(self) -> float:
        """``noise_variance / lemma1_variance``: how far the mean-denominator approximation is off."""
        return self.noise_variance / self.lemma1_variance


def aggregation_moments(samples: ArrayLike, success_prob: ArrayLike, device_variance: ArrayLike) -> AggregationMoments:
    """Compute the exact aggregated-noise variance of FedAvg over unreliable uploads (E7, E8).

    Every one of the ``2^N`` active sets ``S`` is enumerated with its probability
    ``prod_{n in S} p_n prod_{n not in S} (1 - p_n)``. For independent zero-mean device errors of
    variance ``sigma_n^2``, the aggregate ``sum_{n in S} D_n e_n / sum_{m in S} D_m`` has conditional
    variance ``sum_{n in S} D_n^2 sigma_n^2 / (sum_{m in S} D_m)^2``. The function returns its mean
    over nonempty sets next to the value of Lemma 1, which replaces the denominator by its mean.

    Parameters
    ----------
    samples, success_prob, device_variance : array_like, shape (N,)
        ``D_n``, ``p_n`` and ``sigma_n^2`` as in :func:`lemma1_variance`.

    Returns
    -------
    AggregationMoments

    Raises
    ------
    ValueError
        For the invalid inputs of :func:`lemma1_variance`, or ``N > MAX_ENUMERATED_DEVICES``.

    Examples
    --------
    >>> m = aggregation_moments([1, 1], [0.5, 0.5], [1.0, 1.0])
    >>> m.empty_prob
    0.25
    >>> # nonempty sets: {1}, {2} (variance 1 each) and {1, 2} (variance 2 / 4), each 1/3 likely
    >>> round(m.noise_variance, 6)
    0.833333
    >>> m.lemma1_variance  # (0.5 + 0.5) / 1^2
    1.0
    """
    d, p = _device_arrays(samples, success_prob)
    variance = _positive("device_variance", device_variance, allow_zero=True)
    n = d.size
    if n > MAX_ENUMERATED_DEVICES:
        raise ValueError(f"aggregation_moments enumerates 2^N active sets; N must be <= "
                         f"{MAX_ENUMERATED_DEVICES}, got {n}")
    active = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    set_prob = np.prod(np.where(active, p, 1.0 - p), axis=1)
    nonempty = active.any(axis=1)
    empty_prob = float(set_prob[~nonempty].sum())
    active, set_prob = active[nonempty], set_prob[nonempty]
    total = active @ d
    noise = (active @ (d**2 * variance)) / total**2
    weights = active * d / total[:, None]
    scale = 1.0 - empty_prob
    return AggregationMoments(
        empty_prob=empty_prob,
        noise_variance=float(set_prob @ noise / scale),
        mean_weights=set_prob @ weights / scale,
        lemma1_variance=lemma1_variance(d, p, variance),
    )


def descent_bound(num_rounds: ArrayLike, mu: float, smoothness: float, initial_gap: float, error_bound: float,
                  empty_prob: float = 0.0) -> np.ndarray:
    """Unroll the one-step inequality of gradient descent with step ``1/L`` and gradient error ``e_t``.

    Each round, with probability ``empty_prob`` no upload arrives and the model is kept; otherwise
    ``w_{t+1} = w_t - (grad F(w_t) + e_t) / L`` with ``E||e_t||^2 <= error_bound``. Then
    ``E[G_{t+1}] <= rho E[G_t] + (1 - q) error_bound / (2 L)`` with ``rho = 1 - (1 - q) mu / L``,
    whose solution is ``rho^T G_0 + (1 - rho^T) (1 - q) error_bound / (2 L (1 - rho))``.

    Parameters
    ----------
    num_rounds : array_like of int
        Rounds ``T >= 0`` at which to evaluate the bound.
    mu, smoothness : float
        Strong-convexity ``mu`` and smoothness ``L`` constants, ``0 < mu <= L``.
    initial_gap : float
        ``G_0 = F(w_0) - F*``.
    error_bound : float
        Bound on ``E||e_t||^2`` given that the round is not skipped.
    empty_prob : float
        ``q``, probability that a round is skipped, in [0, 1).

    Returns
    -------
    numpy.ndarray
        The bound on ``E[F(w_T) - F*]`` at every ``T``.

    Raises
    ------
    ValueError
        If ``mu`` or ``smoothness`` is not positive, ``mu > smoothness``, a round count or gap is
        negative, or ``empty_prob`` leaves [0, 1).

    Notes
    -----
    With ``q = 0`` and ``error_bound = 2 C / (gamma_min sum_n D_n p_n) + 2 zeta^2`` this is
    Theorem 1 (:func:`theorem1_bound`). The descent step holds for any error, with no assumption
    on its mean: ``F(w - (g + e)/L) <= F(w) - ||g||^2 / (2L) + ||e||^2 / (2L)`` by L-smoothness.

    Examples
    --------
    >>> descent_bound([0, 1, 2], mu=1.0, smoothness=2.0, initial_gap=4.0, error_bound=0.0)
    array([4., 2., 1.])
    """
    t = np.asarray(num_rounds, dtype=float)
    if np.any(~(t >= 0)):
        raise ValueError(f"num_rounds must be >= 0, got {num_rounds!r}")
    mu_ = float(_positive("mu", mu))
    lip = float(_positive("smoothness", smoothness))
    if mu_ > lip:
        raise ValueError(f"mu must be <= smoothness (a mu-strongly convex, L-smooth function has mu <= L), "
                         f"got mu={mu} and smoothness={smoothness}")
    gap0 = float(_positive("initial_gap", initial_gap, allow_zero=True))
    error = float(_positive("error_bound", error_bound, allow_zero=True))
    if not 0.0 <= empty_prob < 1.0:
        raise ValueError(f"empty_prob must lie in [0, 1), got {empty_prob!r}")
    rho = 1.0 - (1.0 - empty_prob) * mu_ / lip
    contraction = rho**t
    stationary = (1.0 - empty_prob) * error / (2.0 * lip * (1.0 - rho))
    return contraction * gap0 + (1.0 - contraction) * stationary


def theorem1_bound(num_rounds: ArrayLike, mu: float, smoothness: float, initial_gap: float,
                   noise_term: float, heterogeneity_sq: float = 0.0) -> np.ndarray:
    """Evaluate Theorem 1: ``(1 - mu/L)^T G_0 + (1 - (1 - mu/L)^T) / mu * (noise_term + zeta^2)``.

    Parameters
    ----------
    num_rounds : array_like of int
        Rounds ``T``.
    mu, smoothness : float
        ``mu`` and ``L``.
    initial_gap : float
        ``F(w_0) - F*``.
    noise_term : float
        ``C / (gamma_min sum_n D_n p_n)``, the Lemma 1 bound (:func:`lemma1_bound`).
    heterogeneity_sq : float
        ``zeta^2`` (0 for IID data).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        As :func:`descent_bound`.

    Examples
    --------
    >>> theorem1_bound([0, 1, 1000], mu=1.0, smoothness=2.0, initial_gap=4.0, noise_term=0.5).round(6)
    array([4.  , 2.25, 0.5 ])
    """
    noise = float(_positive("noise_term", noise_term, allow_zero=True))
    zeta_sq = float(_positive("heterogeneity_sq", heterogeneity_sq, allow_zero=True))
    return descent_bound(num_rounds, mu, smoothness, initial_gap, 2.0 * noise + 2.0 * zeta_sq)
