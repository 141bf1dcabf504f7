"""Federated ridge regression on sensed inputs: a model in which every assumption of Theorem 1 holds.

Clean inputs have independent coordinates ``x_i = c_i r_i`` with random signs ``r_i = +-1``, so
every clean sample has the same power ``||x||^2 = ||c||^2`` and ``E[x x^T] = diag(c^2)``. Labels are
``y = x^T w_true + eps`` with ``eps ~ N(0, sigma_eps^2)``. A device senses ``x~ = x + z`` with
``z ~ N(0, s^2 I)`` and ``s^2 = ||c||^2 / (d gamma)`` (the per-sample SNR model of the book), and
minimises the ridge loss ``f(w; x~, y) = (x~^T w - y)^2 / 2 + lambda ||w||^2 / 2``.

Its expected loss at SNR ``gamma`` is the quadratic
``F_gamma(w) = ((w - w_true)^T diag(c^2) (w - w_true) + s^2 ||w||^2 + sigma_eps^2 + lambda ||w||^2) / 2``,
with constant Hessian ``diag(c^2) + (s^2 + lambda) I``, so ``mu`` and ``L`` are its extreme
eigenvalues. The sensing noise acts as extra ridge regularisation: it moves the minimiser towards 0.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["RidgeProblem", "sup_quadratic_on_ball", "ridge_gradient_constant", "FederatedRidgeResult",
           "simulate_federated_ridge"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RidgeProblem:
    """Linear regression with sensed inputs and a ridge penalty (see the module docstring).

    Parameters
    ----------
    feature_scales : array_like, shape (d,)
        ``c``, the magnitude of each clean input coordinate (positive).
    true_weights : array_like, shape (d,)
        ``w_true``, the weights that generate the labels.
    label_noise_std : float
        ``sigma_eps >= 0``.
    ridge : float
        ``lambda >= 0``.

    Examples
    --------
    >>> problem = RidgeProblem([1.0, 0.5], [1.0, -1.0], label_noise_std=0.1, ridge=0.0)
    >>> problem.noise_variance(1.25)  # ||c||^2 / (d gamma) = 1.25 / (2 * 1.25)
    0.5
    >>> problem.hessian_diagonal(1.25)
    array([1.5 , 0.75])
    """

    feature_scales: np.ndarray
    true_weights: np.ndarray
    label_noise_std: float = 0.5
    ridge: float = 0.0

    def __post_init__(self) -> None:
        scales = np.array(self.feature_scales, dtype=float)
        weights = np.array(self.true_weights, dtype=float)
        if scales.ndim != 1 or scales.size == 0 or np.any(~(scales > 0)):
            raise ValueError(f"feature_scales must be a non-empty 1-D array of positive values, got {self.feature_scales!r}")
        if weights.shape != scales.shape:
            raise ValueError(f"true_weights must have shape {scales.shape} like feature_scales, got {weights.shape}")
        if not self.label_noise_std >= 0:
            raise ValueError(f"label_noise_std must be >= 0, got {self.label_noise_std!r}")
        if not self.ridge >= 0:
            raise ValueError(f"ridge must be >= 0, got {self.ridge!r}")
        scales.flags.writeable = False
        weights.flags.writeable = False
        object.__setattr__(self, "feature_scales", scales)
        object.__setattr__(self, "true_weights", weights)

    @property
    def dim(self) -> int:
        """Input dimension ``d``."""
        return self.feature_scales.size

    @property
    def sample_norm_sq(self) -> float:
        """``||x||^2 = ||c||^2``, the same for every clean sample (so ``X^2`` of Proposition 1)."""
        return float(np.sum(self.feature_scales**2))

    def noise_variance(self, snr: float) -> float:
        """Per-coordinate sensing-noise variance ``s^2 = ||c||^2 / (d gamma)``; ``snr = inf`` gives 0."""
        if not snr > 0:
            raise ValueError(f"snr must be > 0 (linear, not dB), got {snr!r}")
        return self.sample_norm_sq / (self.dim * snr)

    def hessian_diagonal(self, snr: float) -> np.ndarray:
        """Diagonal of the Hessian of ``F_gamma``: ``c^2 + s^2 + lambda``."""
        return self.feature_scales**2 + self.noise_variance(snr) + self.ridge

    def strong_convexity(self, snr: float) -> float:
        """``mu``, the smallest Hessian eigenvalue of ``F_gamma``."""
        return float(self.hessian_diagonal(snr).min())

    def smoothness(self, snr: float) -> float:
        """``L``, the largest Hessian eigenvalue of ``F_gamma``."""
        return float(self.hessian_diagonal(snr).max())

    def optimum(self, snr: float) -> np.ndarray:
        """Minimiser of ``F_gamma``: ``c^2 w_true / (c^2 + s^2 + lambda)``, shrunk towards 0 by the noise."""
        return self.feature_scales**2 * self.true_weights / self.hessian_diagonal(snr)

    def objective(self, weights: ArrayLike, snr: float) -> np.ndarray:
        """Expected noisy loss ``F_gamma(w)`` for one weight vector or a stack of them (last axis ``d``)."""
        w = np.asarray(weights, dtype=float)
        offset = w - self.true_weights
        return 0.5 * (np.sum(self.feature_scales**2 * offset**2, axis=-1)
                      + (self.noise_variance(snr) + self.ridge) * np.sum(w**2, axis=-1)
                      + self.label_noise_std**2)

    def gap(self, weights: ArrayLike, snr: float) -> np.ndarray:
        """Optimality gap ``F_gamma(w) - F_gamma*`` (exact, since ``F_gamma`` is a known quadratic)."""
        offset = np.asarray(weights, dtype=float) - self.optimum(snr)
        return 0.5 * np.sum(self.hessian_diagonal(snr) * offset**2, axis=-1)

    def gradient_variance(self, weights: ArrayLike, snr: float) -> np.ndarray:
        """Variance ``E||grad f(w; x~, y) - grad F_gamma(w)||^2`` of one noisy sample's gradient, in closed form.

        With ``v = w - w_true`` and ``s^2`` the noise variance, the second moment is
        ``||c||^2 (||c v||^2 + s^2 ||w||^2 + sigma_eps^2) + 4 s^2 sum_j c_j^2 v_j w_j
        + d s^2 (||c v||^2 + sigma_eps^2) + (d + 2) s^4 ||w||^2`` (random signs have ``r^4 = 1``
        and Gaussian noise has ``E z^4 = 3 s^4``), and the mean is ``c^2 v + s^2 w``.
        The ridge term is deterministic and cancels.

        Parameters
        ----------
        weights : array_like, shape (..., d)
        snr : float
            Linear SNR; ``inf`` gives the clean-data variance.

        Returns
        -------
        numpy.ndarray, shape (...)
        """
        w = np.asarray(weights, dtype=float)
        c2 = self.feature_scales**2
        s2 = 0.0 if np.isinf(snr) else self.noise_variance(snr)
        v = w - self.true_weights
        cv2 = np.sum(c2 * v**2, axis=-1)
        w2 = np.sum(w**2, axis=-1)
        label_var = self.label_noise_std**2
        second_moment = (self.sample_norm_sq * (cv2 + s2 * w2 + label_var)
                         + 4.0 * s2 * np.sum(c2 * v * w, axis=-1)
                         + self.dim * s2 * (cv2 + label_var)
                         + (self.dim + 2) * s2**2 * w2)
        mean = c2 * v + s2 * w
        return second_moment - np.sum(mean**2, axis=-1)

    def sample(self, num_samples: int, snr: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``num_samples`` sensed inputs ``x~`` (shape (D, d)) and their labels ``y`` (shape (D,))."""
        if num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        signs = rng.choice((-1.0, 1.0), size=(num_samples, self.dim))
        clean = signs * self.feature_scales
        labels = clean @ self.true_weights + self.label_noise_std * rng.standard_normal(num_samples)
        s2 = 0.0 if np.isinf(snr) else self.noise_variance(snr)
        return clean + np.sqrt(s2) * rng.standard_normal(clean.shape), labels

    def batch_gradient(self, weights: ArrayLike, inputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Mean gradient of the ridge loss over a batch: ``x~^T (x~ w - y) / D + lambda w``."""
        w = np.asarray(weights, dtype=float)
        residual = inputs @ w - labels
        return inputs.T @ residual / len(labels) + self.ridge * w


def sup_quadratic_on_ball(function, dim: int, radius: float, center: ArrayLike | None = None) -> float:
    """Upper-bound the maximum of a quadratic function over the ball ``||w - center|| <= radius``.

    The quadratic ``q(center + u) = u^T P u + 2 b^T u + q0`` is recovered exactly from ``1 + 2d + d(d-1)/2``
    evaluations (by polarisation), and ``max(lambda_max(P), 0) r^2 + 2 ||b|| r + q0`` is returned,
    which is at least the true maximum.

    Parameters
    ----------
    function : callable
        Maps an array of shape (k, d) to k values; must be a polynomial of degree at most 2.
    dim : int
        ``d``.
    radius : float
        ``r >= 0``.
    center : array_like, shape (d,), optional
        Centre of the ball (default 0).

    Examples
    --------
    >>> sup_quadratic_on_ball(lambda w: np.sum(w**2, axis=-1) + w[..., 0], dim=2, radius=1.0)
    2.0
    """
    if not radius >= 0:
        raise ValueError(f"radius must be >= 0, got {radius!r}")
    centre = np.zeros(dim) if center is None else np.asarray(center, dtype=float)
    eye = np.eye(dim)
    q0 = float(function(centre[None, :])[0])
    plus = function(centre + eye)
    minus = function(centre - eye)
    linear = (plus - minus) / 2.0
    quad = np.diag((plus + minus) / 2.0 - q0)
    for i in range(dim):
        for j in range(i + 1, dim):
            both = float(function((centre + eye[i] + eye[j])[None, :])[0])
            # q(e_i + e_j) = P_ii + P_jj + 2 P_ij + 2 b_i + 2 b_j + q0
            quad[i, j] = quad[j, i] = (both - quad[i, i] - quad[j, j] - linear[i] - linear[j] - q0) / 2.0
    largest = max(float(np.linalg.eigvalsh(quad).max()), 0.0)
    return float(largest * radius**2 + np.linalg.norm(linear) * radius + q0)


def ridge_gradient_constant(problem: RidgeProblem, snr_range: tuple[float, float], radius: float) -> float:
    """Return ``C`` with ``gradient_variance(w, gamma) <= C / gamma`` for ``||w|| <= radius`` and SNRs in ``snr_range``.

    For fixed ``w`` the per-sample variance is ``A + B s^2 + Q s^4`` with ``A, Q >= 0`` and
    ``s^2`` proportional to ``1 / gamma``, so ``gamma * variance`` is convex in ``gamma`` and its
    maximum over an interval sits at an endpoint. ``C`` is the larger of the two endpoint values,
    each maximised over the ball with :func:`sup_quadratic_on_ball`.

    Notes
    -----
    This plays the role of Proposition 1's ``C = L_x^2 X^2 + sigma_g^2 gamma_max``. The ridge gradient
    is quadratic in the input, so it is Lipschitz in ``x`` only on bounded sets and the noise adds an
    ``s^4`` term; the lower end of ``snr_range`` is what bounds that term.

    Raises
    ------
    ValueError
        If the SNR range is not ``0 < low <= high < inf``.
    """
    low, high = snr_range
    if not 0 < low <= high < np.inf:
        raise ValueError(f"snr_range must satisfy 0 < low <= high < inf, got {snr_range!r}")
    values = [snr * sup_quadratic_on_ball(lambda w, snr=snr: problem.gradient_variance(w, snr), problem.dim, radius)
              for snr in (low, high)]
    return float(max(values))


@dataclasses.dataclass(frozen=True)
class FederatedRidgeResult:
    """Optimality gaps of federated ridge regression, one row per seed."""

    #: ``F_gamma(w_t) - F_gamma*`` for ``t = 0..T``, shape (num_seeds, T + 1).
    gaps: np.ndarray
    #: Largest ``||w_t||`` over every round and seed (checks that iterates stayed in the ball
    #: on which the gradient constant was computed).
    max_weight_norm: float
    #: Fraction of rounds in which no upload got through.
    skipped_fraction: float

    @property
    def mean_gap(self) -> np.ndarray:
        """Gap averaged over seeds, shape (T + 1,)."""
        return self.gaps.mean(axis=0)


def simulate_federated_ridge(problem: RidgeProblem, samples: ArrayLike, success_prob: ArrayLike, snr: float,
                             num_rounds: int, num_seeds: int, seed: int,
                             initial_weights: ArrayLike | None = None) -> FederatedRidgeResult:
    """Run FedAvg-style gradient descent on ridge regression with sensed inputs and Bernoulli uploads.

    Every round each device senses ``D_n`` fresh samples at the common SNR, computes the full-batch
    gradient at the broadcast model and uploads it; the upload succeeds with probability ``p_n``
    (E7). The server averages the gradients that arrived with weights ``D_n / sum_{m in S} D_m``
    (E8) and steps ``w <- w - g / L``; a round with no upload keeps the model.

    Parameters
    ----------
    problem : RidgeProblem
    samples : array_like of int, shape (N,)
        ``D_n >= 1``.
    success_prob : array_like, shape (N,)
        ``p_n`` in [0, 1].
    snr : float
        Common sensing SNR (linear) of every device.
    num_rounds : int
        ``T``.
    num_seeds : int
        Independent runs; run ``k`` draws from ``SeedSequence(seed).spawn(num_seeds)[k]``.
    seed : int
    initial_weights : array_like, shape (d,), optional
        ``w_0`` (default 0).

    Returns
    -------
    FederatedRidgeResult

    Notes
    -----
    One gradient step per round equals one local step of FedAvg (K = 1): with ``K = 1`` averaging
    the models ``w - eta g_n`` is the same as stepping along the averaged gradient. Drawing fresh
    samples every round makes the gradient errors of different rounds independent given the model,
    which the expectation in Theorem 1 uses. All devices share one SNR so that their expected losses
    coincide (``zeta = 0``); with different SNRs each device's noise regularises differently.

    Examples
    --------
    >>> problem = RidgeProblem([1.0, 0.5], [1.0, -1.0], label_noise_std=0.1)
    >>> result = simulate_federated_ridge(problem, [50, 50], [0.9, 0.9], snr=10.0, num_rounds=30,
    ...                                   num_seeds=2, seed=0)
    >>> result.gaps.shape
    (2, 31)
    >>> bool(result.mean_gap[-1] < 0.01 * result.mean_gap[0])
    True
    """
    d = np.asarray(samples)
    p = np.asarray(success_prob, dtype=float)
    if d.ndim != 1 or p.shape != d.shape or np.any(d < 1):
        raise ValueError(f"samples must be a 1-D array of counts >= 1 and success_prob of the same shape, "
                         f"got {samples!r} and {success_prob!r}")
    if np.any(~((p >= 0) & (p <= 1))):
        raise ValueError(f"success_prob must lie in [0, 1], got {success_prob!r}")
    if num_rounds < 0 or num_seeds < 1:
        raise ValueError(f"num_rounds must be >= 0 and num_seeds >= 1, got {num_rounds} and {num_seeds}")
    step = 1.0 / problem.smoothness(snr)
    start = np.zeros(problem.dim) if initial_weights is None else np.asarray(initial_weights, dtype=float)
    gaps = np.empty((num_seeds, num_rounds + 1))
    max_norm = float(np.linalg.norm(start))
    skipped = 0
    for run, child in enumerate(np.random.SeedSequence(seed).spawn(num_seeds)):
        rng = np.random.default_rng(child)
        w = start.copy()
        gaps[run, 0] = problem.gap(w, snr)
        for t in range(num_rounds):
            uploaded = np.flatnonzero(rng.random(d.size) < p)
            if uploaded.size == 0:
                skipped += 1
                logger.debug("seed %d round %d: no upload arrived, model kept", run, t)
            else:
                total = np.zeros(problem.dim)
                for n in uploaded:
                    inputs, labels = problem.sample(int(d[n]), snr, rng)
                    total += d[n] * problem.batch_gradient(w, inputs, labels)
                w = w - step * total / d[uploaded].sum()
            gaps[run, t + 1] = problem.gap(w, snr)
            max_norm = max(max_norm, float(np.linalg.norm(w)))
    return FederatedRidgeResult(gaps=gaps, max_weight_norm=max_norm,
                                skipped_fraction=skipped / max(num_rounds * num_seeds, 1))
