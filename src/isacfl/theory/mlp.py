"""Measurements on the MNIST classifier behind Figs. 3 and 4: gradient error and loss curves at a sensing SNR.

Sensed images are clean images observed through :func:`isacfl.data.add_sensing_noise`. The
gradient error of a device is measured against the clean gradient over the whole image pool, the
quantity that Proposition 1 bounds; the training runs are plain centralised mini-batch SGD.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn
from tqdm import tqdm

from ..data import add_sensing_noise
from ..models import MLP

__all__ = ["GradientError", "flat_gradient", "measure_gradient_error", "TrainingHistory", "train_centralised",
           "accuracy", "InverseSnrFit", "fit_inverse_snr_law"]

logger = logging.getLogger(__name__)

# Largest batch pushed through the network at once when evaluating a loss or a full gradient.
_CHUNK = 2000


def _tensor(images: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(images, dtype=np.float32))


def flat_gradient(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> torch.Tensor:
    """Return the gradient of the mean cross-entropy over all given samples, flattened to one vector.

    Large sets are processed in chunks; the result equals the single-batch gradient up to rounding.
    """
    model.zero_grad(set_to_none=True)
    n = len(labels)
    for start in range(0, n, _CHUNK):
        x = _tensor(images[start:start + _CHUNK])
        y = torch.as_tensor(labels[start:start + _CHUNK])
        loss = nn.functional.cross_entropy(model(x), y, reduction="sum") / n
        loss.backward()
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()]).detach().clone()


@dataclasses.dataclass(frozen=True)
class GradientError:
    """Squared gradient errors at one SNR and one dataset size, averaged over repeated draws."""

    snr: float
    num_samples: int
    #: Mean of ``||g - grad F||^2`` with ``g`` the gradient over ``num_samples`` noisy samples.
    total: float
    #: The same for the clean versions of the same samples (the sampling term alone).
    sampling: float
    #: Standard error of ``total`` over the repeats.
    total_stderr: float

    @property
    def noise_induced(self) -> float:
        """``total - sampling``: the part of the squared error that the sensing noise adds."""
        return self.total - self.sampling


def measure_gradient_error(model: nn.Module, images: np.ndarray, labels: np.ndarray, snr: float,
                           num_samples: int, repeats: int, rng: np.random.Generator) -> GradientError:
    """Measure ``E||g_n - grad F_n||^2`` for a device holding ``num_samples`` images sensed at ``snr``.

    ``grad F_n`` is the clean mean gradient over the whole pool ``images``. Each repeat draws
    ``num_samples`` pool images without replacement, senses them with fresh noise and takes the
    full-batch gradient ``g_n``; the clean gradient of the same images gives the sampling term.

    Parameters
    ----------
    model : torch.nn.Module
        The network, evaluated at its current weights (not changed).
    images : numpy.ndarray, shape (M, 28, 28)
        Clean pool, pixels in [0, 1].
    labels : numpy.ndarray of int, shape (M,)
    snr : float
        Linear sensing SNR ``gamma > 0``.
    num_samples : int
        ``D``, at most ``M``.
    repeats : int
        Independent draws averaged (at least 2, for the standard error).
    rng : numpy.random.Generator
        Source of the sample choice and the noise.

    Returns
    -------
    GradientError

    Raises
    ------
    ValueError
        If ``num_samples`` is not in ``[1, M]`` or ``repeats < 2``.

    Notes
    -----
    Proposition 1 bounds this quantity by ``(L_x^2 X^2 / gamma + sigma_g^2) / D``. The ``1 / D`` of the
    noise-induced part holds only when the noise-induced gradient change has zero mean; the
    measurement includes any bias, which does not shrink with ``D``.
    """
    if not 1 <= num_samples <= len(labels):
        raise ValueError(f"num_samples must lie in [1, {len(labels)}] (the pool size), got {num_samples}")
    if repeats < 2:
        raise ValueError(f"repeats must be >= 2, got {repeats}")
    reference = flat_gradient(model, images, labels)
    totals = np.empty(repeats)
    sampling = np.empty(repeats)
    for k in range(repeats):
        chosen = rng.choice(len(labels), size=num_samples, replace=False)
        clean = images[chosen]
        noisy = add_sensing_noise(clean, snr, rng)
        totals[k] = float(torch.sum((flat_gradient(model, noisy, labels[chosen]) - reference) ** 2))
        sampling[k] = float(torch.sum((flat_gradient(model, clean, labels[chosen]) - reference) ** 2))
    return GradientError(snr=float(snr), num_samples=int(num_samples), total=float(totals.mean()),
                         sampling=float(sampling.mean()), total_stderr=float(totals.std(ddof=1) / np.sqrt(repeats)))


@torch.no_grad()
def _mean_loss(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    total = 0.0
    for start in range(0, len(labels), _CHUNK):
        logits = model(images[start:start + _CHUNK])
        total += float(nn.functional.cross_entropy(logits, labels[start:start + _CHUNK], reduction="sum"))
    return total / len(labels)


@torch.no_grad()
def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of ``images`` whose arg-max logit equals the label."""
    x, y = _tensor(images), torch.as_tensor(labels)
    correct = sum(int((model(x[s:s + _CHUNK]).argmax(dim=1) == y[s:s + _CHUNK]).sum())
                  for s in range(0, len(y), _CHUNK))
    return correct / len(y)


@dataclasses.dataclass(frozen=True)
class TrainingHistory:
    """Training-loss curve of one centralised run and the trained model."""

    #: SGD steps at which the loss was recorded (0 is the initial model).
    steps: np.ndarray
    #: Mean cross-entropy over the whole (noisy) training set at those steps.
    losses: np.ndarray
    model: nn.Module
    #: Mean cross-entropy over the held-out set at the same steps (None without one).
    test_losses: np.ndarray | None = None


def train_centralised(images: np.ndarray, labels: np.ndarray, *, steps: int, seed: int, batch_size: int = 32,
                      learning_rate: float = 0.05, record_every: int = 10, model: nn.Module | None = None,
                      test_images: np.ndarray | None = None, test_labels: np.ndarray | None = None,
                      progress: bool = False) -> TrainingHistory:
    """Train the MLP with mini-batch SGD on a fixed data set and record its training loss.

    Parameters
    ----------
    images : numpy.ndarray, shape (D, 28, 28)
        Training images as the learner sees them (already sensed, if noisy).
    labels : numpy.ndarray of int, shape (D,)
    steps : int
        SGD steps (at least 1).
    seed : int
        Seeds the weight initialisation and the batch order (a ``torch.Generator``).
    batch_size : int
        Samples per step, drawn without replacement within each pass over the data.
    learning_rate : float
        SGD step size.
    record_every : int
        Record the full-training-set loss every this many steps (and after the last).
    model : torch.nn.Module, optional
        Model to continue training; a fresh :class:`isacfl.models.MLP` by default.
    test_images, test_labels : numpy.ndarray, optional
        Held-out (clean) set whose loss is recorded at the same steps.
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    TrainingHistory

    Raises
    ------
    ValueError
        If ``steps``, ``batch_size`` or ``record_every`` is not positive, or the lengths differ.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((64, 28, 28)).astype(np.float32)
    >>> y = rng.integers(0, 10, 64)
    >>> history = train_centralised(x, y, steps=20, seed=0, record_every=10)
    >>> history.steps.tolist()
    [0, 10, 20]
    >>> bool(history.losses[-1] < history.losses[0])
    True
    """
    if steps < 1 or batch_size < 1 or record_every < 1:
        raise ValueError(f"steps, batch_size and record_every must be >= 1, got {steps}, {batch_size}, {record_every}")
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"images and labels must be non-empty and of equal length, got {len(images)} and {len(labels)}")
    generator = torch.Generator().manual_seed(seed)
    if model is None:
        # The layer initialisers draw from torch's global generator: fork it so the caller's state is kept.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = MLP()
    x, y = _tensor(images), torch.as_tensor(labels)
    optimiser = torch.optim.SGD(model.parameters(), lr=learning_rate)
    held_out = None if test_images is None else (_tensor(test_images), torch.as_tensor(test_labels))
    recorded_steps, losses = [0], [_mean_loss(model, x, y)]
    test_losses = [] if held_out is None else [_mean_loss(model, *held_out)]
    order = torch.randperm(len(y), generator=generator)
    position = 0
    for step in tqdm(range(1, steps + 1), disable=not progress, desc="SGD steps", leave=False):
        if position + batch_size > len(y):
            order = torch.randperm(len(y), generator=generator)
            position = 0
        batch = order[position:position + batch_size]
        position += batch_size
        optimiser.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
        optimiser.step()
        if step % record_every == 0 or step == steps:
            recorded_steps.append(step)
            losses.append(_mean_loss(model, x, y))
            if held_out is not None:
                test_losses.append(_mean_loss(model, *held_out))
    logger.info("centralised training: %d steps on %d samples, final loss %.4f", steps, len(y), losses[-1])
    return TrainingHistory(steps=np.array(recorded_steps), losses=np.array(losses), model=model,
                           test_losses=None if held_out is None else np.array(test_losses))


@dataclasses.dataclass(frozen=True)
class InverseSnrFit:
    """Least-squares fit ``error = a / (gamma D) + b / D + c / gamma^2`` to measured gradient errors."""

    #: ``a``: the measured ``L_x^2 X^2`` of Proposition 1's first bound.
    scale: float
    #: ``b``: the SNR-independent sampling term ``sigma_g^2``.
    offset: float
    #: ``c``: the squared noise bias per ``1 / gamma^2``, which does not shrink with ``D`` (0 when not fitted).
    bias: float
    #: Root-mean-square relative residual ``(fit - measured) / measured``.
    relative_rms: float

    def predict(self, snr: ArrayLike, num_samples: ArrayLike) -> np.ndarray:
        """Evaluate the fitted law at the given SNRs (linear) and dataset sizes."""
        snr = np.asarray(snr, dtype=float)
        return (self.scale / snr + self.offset) / np.asarray(num_samples, dtype=float) + self.bias / snr**2


def fit_inverse_snr_law(snr: ArrayLike, num_samples: ArrayLike, errors: ArrayLike,
                        with_bias: bool = False) -> InverseSnrFit:
    """Fit Proposition 1's law ``error = a / (gamma D) + b / D`` by relative least squares.

    With ``with_bias`` the law gains a term ``c / gamma^2`` that does not shrink with ``D``: the
    squared mean of the noise-induced gradient change, which is of order ``s^2 ~ 1 / gamma`` for a
    smooth network, so its square is of order ``1 / gamma^2``.

    Parameters
    ----------
    snr, num_samples, errors : array_like, shape (m,)
        Linear SNRs, dataset sizes and measured squared gradient errors (all positive).
    with_bias : bool
        Also fit the bias term ``c / gamma^2``.

    Returns
    -------
    InverseSnrFit
        Coefficients clipped at 0 (a negative coefficient has no meaning in the law).

    Raises
    ------
    ValueError
        If the arrays differ in shape, hold fewer than 3 points, or a value is not positive.

    Examples
    --------
    >>> snr = np.array([0.1, 1.0, 10.0, 0.1, 1.0, 10.0])
    >>> d = np.array([100, 100, 100, 400, 400, 400])
    >>> fit = fit_inverse_snr_law(snr, d, (5.0 / snr + 2.0) / d + 0.01 / snr**2, with_bias=True)
    >>> round(fit.scale, 6), round(fit.offset, 6), round(fit.bias, 6)
    (5.0, 2.0, 0.01)
    """
    gamma = np.asarray(snr, dtype=float)
    samples = np.asarray(num_samples, dtype=float)
    values = np.asarray(errors, dtype=float)
    if not gamma.shape == samples.shape == values.shape or gamma.ndim != 1 or gamma.size < 3:
        raise ValueError(f"snr, num_samples and errors must be 1-D arrays of equal length >= 3, "
                         f"got shapes {gamma.shape}, {samples.shape}, {values.shape}")
    if np.any(~(gamma > 0)) or np.any(~(samples > 0)) or np.any(~(values > 0)):
        raise ValueError("snr, num_samples and errors must all be > 0")
    columns = [1.0 / (gamma * samples), 1.0 / samples]
    if with_bias:
        columns.append(1.0 / gamma**2)
    # Relative least squares: divide each row by the measured value so that every SNR counts alike.
    design = np.column_stack(columns) / values[:, None]
    coefficients, *_ = np.linalg.lstsq(design, np.ones_like(values), rcond=None)
    coefficients = np.maximum(coefficients, 0.0)
    residual = design @ coefficients - 1.0
    bias = float(coefficients[2]) if with_bias else 0.0
    return InverseSnrFit(scale=float(coefficients[0]), offset=float(coefficients[1]), bias=bias,
                         relative_rms=float(np.sqrt(np.mean(residual**2))))
