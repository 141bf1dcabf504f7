"""Measurements on the MNIST classifier behind Figs. 3 and 4: gradient error and loss curves at a sensing SNR.

Sensed images are clean images observed through :func:`isacfl.data.add_sensing_noise`. The
gradient error of a device is measured against the clean gradient over the whole image pool, the
quantity that Proposition 1 bounds; the training runs are plain centralised mini-batch SGD.
:func:`snr_training_runs` runs the training of Figs. 3 and 4 at a profile's sizes through the
result cache, so the gradient-noise chapter and the scorecard share the same runs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn
from tqdm import tqdm

from ..data import add_sensing_noise
from ..models import MLP

__all__ = ["GradientError", "flat_gradient", "measure_gradient_error", "TrainingHistory", "train_centralised",
           "accuracy", "InverseSnrFit", "fit_inverse_snr_law", "CentralisedConfig", "CentralisedRun",
           "centralised_run", "SnrTrainingRuns", "snr_training_plan", "snr_training_runs", "CURVE_SNRS_DB",
           "CURVE_SIZES", "POOL_SEED"]

logger = logging.getLogger(__name__)

# Largest batch pushed through the network at once when evaluating a loss or a full gradient.
_CHUNK = 2000


def _tensor(images: np.ndarray) -> torch.Tensor:
    array = np.asarray(images, dtype=np.float32)
    # Worker processes receive large arrays as read-only memory maps, which torch does not wrap.
    return torch.from_numpy(array if array.flags.writeable else array.copy())


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


# -- cached centralised runs on sensed MNIST (Figs. 3 and 4) ---------------------------------------

#: Version of the centralised training recipe and its record layout. It is part of every config hash,
#: so bumping it when :func:`train_centralised` changes its numbers makes every cached run stale.
CENTRALISED_CACHE_FORMAT = 1
#: File-name prefix of cached centralised runs in the result folder.
CENTRALISED_KIND = "centralised"
#: Seed of the random pool of clean MNIST training images that every centralised run draws from.
POOL_SEED = 2026
#: SNRs in dB of the loss curves (the paper's Fig. 4).
CURVE_SNRS_DB = (-10.0, 0.0, 10.0)
#: Dataset sizes of the loss curves, capped at the pool size.
CURVE_SIZES = (250, 1000)


@dataclasses.dataclass(frozen=True)
class CentralisedConfig:
    """Every setting of one centralised training run on sensed MNIST images except the training seed.

    The run takes a random pool of ``pool_size`` clean training images (a permutation drawn
    from ``pool_seed``), keeps its first ``num_samples`` images, senses them once at ``snr_db``
    with noise from ``numpy.random.default_rng(noise_key)``, and trains a fresh MLP on them.
    Its test accuracy and test losses use the first ``test_images`` clean test images.

    Examples
    --------
    >>> a = CentralisedConfig(pool_size=100, num_samples=50, snr_db=0.0, noise_key=(0, 1), steps=10,
    ...                       record_every=5, test_images=20)
    >>> a.hash == CentralisedConfig(**a.to_dict()).hash, a.hash == a.replace(snr_db=10.0).hash
    (True, False)
    """

    #: Clean training images in the pool.
    pool_size: int
    #: Images of the pool the run trains on (its first ``num_samples``), the dataset size ``D``.
    num_samples: int
    #: Sensing SNR in dB of the training images.
    snr_db: float
    #: Entropy of the noise generator, ``numpy.random.default_rng(list(noise_key))``.
    noise_key: tuple[int, ...]
    #: SGD steps.
    steps: int
    #: Record the training loss every this many steps (and after the last).
    record_every: int
    #: Clean test images (the first ones of the test split) for the accuracy and the test losses.
    test_images: int
    #: Whether to record the clean test loss at the same steps as the training loss.
    record_test_loss: bool = False
    #: Mini-batch size.
    batch_size: int = 32
    #: SGD learning rate.
    learning_rate: float = 0.05
    #: Seed of the pool permutation.
    pool_seed: int = POOL_SEED

    def __post_init__(self) -> None:
        for name in ("pool_size", "num_samples", "steps", "record_every", "test_images", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.num_samples > self.pool_size:
            raise ValueError(f"num_samples must lie in [1, pool_size={self.pool_size}], got {self.num_samples}")
        if not np.isfinite(self.snr_db):
            raise ValueError(f"snr_db must be a finite number of dB, got {self.snr_db!r}")
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}; allowed range is (0, inf)")
        object.__setattr__(self, "snr_db", float(self.snr_db))
        object.__setattr__(self, "learning_rate", float(self.learning_rate))
        object.__setattr__(self, "noise_key", tuple(int(k) for k in self.noise_key))
        object.__setattr__(self, "record_test_loss", bool(self.record_test_loss))
        object.__setattr__(self, "pool_seed", int(self.pool_seed))

    def replace(self, **changes) -> "CentralisedConfig":
        """Return a copy with some fields changed (validated like a new config)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Return the fields as JSON-ready values."""
        out = dataclasses.asdict(self)
        out["noise_key"] = list(self.noise_key)
        return out

    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON of the fields and the cache format."""
        text = json.dumps({"cache_format": CENTRALISED_CACHE_FORMAT, **self.to_dict()}, sort_keys=True,
                          allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True, eq=False)
class CentralisedRun:
    """Result of one cached centralised run: loss curves and the final clean test accuracy (no model)."""

    #: SGD steps at which the losses were recorded (0 is the initial model).
    steps: np.ndarray
    #: Mean cross-entropy over the run's own sensed training images at those steps.
    losses: np.ndarray
    #: Clean test accuracy of the final model, a fraction.
    test_accuracy: float
    #: Mean cross-entropy over the clean test images at the same steps (None unless recorded).
    test_losses: np.ndarray | None = None

    def to_dict(self) -> dict:
        """Return the result as JSON-ready values."""
        return {"steps": self.steps.tolist(), "losses": self.losses.tolist(), "test_accuracy": self.test_accuracy,
                "test_losses": None if self.test_losses is None else self.test_losses.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "CentralisedRun":
        """Rebuild a result from :meth:`to_dict` output."""
        test_losses = data["test_losses"]
        return cls(steps=np.asarray(data["steps"], dtype=int), losses=np.asarray(data["losses"], dtype=float),
                   test_accuracy=float(data["test_accuracy"]),
                   test_losses=None if test_losses is None else np.asarray(test_losses, dtype=float))


def _pool_indices(n_available: int, pool_size: int, pool_seed: int) -> np.ndarray:
    if pool_size > n_available:
        raise ValueError(f"pool_size must be at most the {n_available} MNIST training images, got {pool_size}")
    return np.random.default_rng(pool_seed).permutation(n_available)[:pool_size]


def centralised_run(config: CentralisedConfig, seed: int, *, data=None, results_dir=None,
                    use_cache: bool = True) -> CentralisedRun:
    """Run (or read from the result cache) one centralised training run on sensed MNIST images.

    Parameters
    ----------
    config : CentralisedConfig
        Pool, dataset size, SNR, noise key and training settings.
    seed : int
        Seeds the weight initialisation and the batch order (see :func:`train_centralised`).
    data : isacfl.data.MnistData, optional
        The data set; :func:`isacfl.data.load_mnist` by default.
    results_dir : str or Path, optional
        Result folder; default ``ISACFL_RESULTS_DIR`` or ``results/cache`` in the repository.
    use_cache : bool
        Read an existing valid result file instead of computing. The result is written either way.

    Returns
    -------
    CentralisedRun

    Raises
    ------
    ValueError
        If the pool or the test set is larger than the data set, or the seed is negative.

    Notes
    -----
    The file ``centralised-<config hash>-seed<seed>.json`` carries the config, the seed, the code
    version, the fingerprint of the MNIST data (:meth:`isacfl.data.MnistData.fingerprint`) and a
    checksum (:func:`isacfl.fl.results.save_record`). A file written for other data is recomputed.
    """
    from ..data import load_mnist
    from ..fl.results import ensure_writable, load_record, results_dir as results_folder, save_record

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    data = load_mnist() if data is None else data
    identity = data.fingerprint()
    if use_cache:
        cached = load_record(CENTRALISED_KIND, config, seed, "run", CentralisedRun.from_dict,
                             cache_format=CENTRALISED_CACHE_FORMAT, root=results_dir, data_identity=identity)
        if cached is not None:
            return cached

    ensure_writable(results_folder(results_dir))
    if config.test_images > len(data.test_labels):
        raise ValueError(f"test_images must be at most the {len(data.test_labels)} MNIST test images, "
                         f"got {config.test_images}")
    pool = _pool_indices(len(data.train_labels), config.pool_size, config.pool_seed)[:config.num_samples]
    test_images, test_labels = data.test_images[:config.test_images], data.test_labels[:config.test_images]
    noise_rng = np.random.default_rng(list(config.noise_key))
    noisy = add_sensing_noise(data.train_images[pool], 10 ** (config.snr_db / 10), noise_rng)
    history = train_centralised(noisy, data.train_labels[pool], steps=config.steps, seed=seed,
                                batch_size=config.batch_size, learning_rate=config.learning_rate,
                                record_every=config.record_every,
                                test_images=test_images if config.record_test_loss else None,
                                test_labels=test_labels if config.record_test_loss else None)
    result = CentralisedRun(steps=history.steps, losses=history.losses, test_losses=history.test_losses,
                            test_accuracy=accuracy(history.model, test_images, test_labels))
    save_record(CENTRALISED_KIND, config, seed, "run", result.to_dict(), cache_format=CENTRALISED_CACHE_FORMAT,
                root=results_dir, data_identity=identity)
    return result


@dataclasses.dataclass(frozen=True, eq=False)
class SnrTrainingRuns:
    """Centralised runs of Figs. 3 and 4: accuracy against SNR, and loss curves over SNRs and sizes."""

    #: SNRs in dB of the accuracy sweep.
    snr_grid_db: np.ndarray
    #: Training seeds.
    seeds: tuple[int, ...]
    #: Clean test accuracy, shape ``(n_seeds, n_snr)``.
    accuracies: np.ndarray
    #: SNRs in dB of the loss curves.
    curve_snrs_db: tuple[float, ...]
    #: Dataset sizes of the loss curves, increasing; the last is the whole pool.
    curve_sizes: tuple[int, ...]
    #: Loss-curve runs keyed by ``(seed, snr_db, size)`` with ``snr_db`` from :attr:`curve_snrs_db`.
    curves: dict
    #: Clean training images in the pool and clean test images used.
    pool_size: int
    test_size: int
    #: Runs computed by this call; the others were read from the result cache.
    computed_runs: int

    def final_losses(self, kind: str = "train") -> np.ndarray:
        """Return the last recorded loss of every curve run, shape ``(n_seeds, n_curve_snrs, n_sizes)``.

        ``kind`` is ``"train"`` (the loss on the run's own sensed images) or ``"test"`` (the loss
        on the clean test images).

        Raises
        ------
        ValueError
            If ``kind`` is neither.
        """
        if kind not in ("train", "test"):
            raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
        out = np.empty((len(self.seeds), len(self.curve_snrs_db), len(self.curve_sizes)))
        for i, seed in enumerate(self.seeds):
            for j, level in enumerate(self.curve_snrs_db):
                for k, size in enumerate(self.curve_sizes):
                    run = self.curves[(seed, level, size)]
                    out[i, j, k] = (run.losses if kind == "train" else run.test_losses)[-1]
        return out


def snr_training_plan(profile, n_train: int, n_test: int) -> dict:
    """Return the ``(config, seed)`` jobs of :func:`snr_training_runs` for a profile and a data-set size.

    Returns
    -------
    dict
        ``grid_db``, ``seeds``, ``pool_size``, ``test_size``, ``curve_sizes``, ``grid_jobs`` (a
        dict from ``(seed, grid index)`` to a config) and ``curve_jobs`` (from ``(seed, snr_db,
        size)`` to a config).

    Notes
    -----
    The accuracy run at grid index ``j`` of seed ``s`` draws its noise from key ``(s, j)``. At the
    loss-curve SNRs it also records the training and test losses and serves as the loss-curve run
    of the whole pool. A loss-curve run on a smaller dataset draws its noise from key
    ``(100 + s, i, D)``, with ``i`` the index of its SNR in :data:`CURVE_SNRS_DB`.

    Examples
    --------
    >>> from isacfl.profiles import get_profile
    >>> plan = snr_training_plan(get_profile("quick"), 4000, 1000)
    >>> plan["grid_db"].tolist(), plan["curve_sizes"], len(plan["grid_jobs"]), len(plan["curve_jobs"])
    ([-20.0, -10.0, 0.0, 10.0, 20.0], (250, 1000, 2000), 10, 18)
    """
    pool_size = n_train if profile.train_images is None else min(profile.train_images, n_train)
    test_size = n_test if profile.test_images is None else min(profile.test_images, n_test)
    steps = profile.centralised_steps
    record_every = max(steps // 10, 1)
    grid_db = np.linspace(-20.0, 20.0, 2 * profile.sweep_points - 1)
    seeds = tuple(range(profile.num_seeds))
    curve_sizes = tuple(sorted({min(size, pool_size) for size in CURVE_SIZES} | {pool_size}))

    def config(size: int, level: float, key: tuple[int, ...], curve: bool) -> CentralisedConfig:
        return CentralisedConfig(pool_size=pool_size, num_samples=size, snr_db=float(level), noise_key=key,
                                 steps=steps, record_every=record_every if curve else steps,
                                 test_images=test_size, record_test_loss=curve)

    grid_jobs, curve_jobs = {}, {}
    for seed in seeds:
        for j, level in enumerate(grid_db):
            on_curve = any(abs(level - c) < 1e-9 for c in CURVE_SNRS_DB)
            grid_jobs[(seed, j)] = config(pool_size, level, (seed, j), on_curve)
        for i, level in enumerate(CURVE_SNRS_DB):
            for size in curve_sizes:
                matches = [j for j, g in enumerate(grid_db) if abs(g - level) < 1e-9]
                if size == pool_size and matches:
                    curve_jobs[(seed, level, size)] = grid_jobs[(seed, matches[0])]
                else:
                    curve_jobs[(seed, level, size)] = config(size, level, (100 + seed, i, size), True)
    return {"grid_db": grid_db, "seeds": seeds, "pool_size": pool_size, "test_size": test_size,
            "curve_sizes": curve_sizes, "grid_jobs": grid_jobs, "curve_jobs": curve_jobs}


def snr_training_runs(profile=None, *, data=None, results_dir=None, progress: bool = True) -> SnrTrainingRuns:
    """Run (or read from the result cache) the centralised runs of Figs. 3 and 4 at a profile's sizes.

    For every seed of the profile, a fresh MLP is trained on the whole pool sensed at each SNR of
    a grid from -20 to 20 dB (``2 * sweep_points - 1`` points) and scored on clean test images. At
    -10, 0 and 10 dB further runs train on the first 250 and 1,000 pool images and record loss
    curves. :func:`snr_training_plan` lists the configs.

    Parameters
    ----------
    profile : Profile or str, optional
        Sizes (``train_images``, ``test_images``, ``centralised_steps``, ``sweep_points``,
        ``num_seeds``); default ``ISACFL_PROFILE``.
    data : isacfl.data.MnistData, optional
        The data set; :func:`isacfl.data.load_mnist` by default.
    results_dir : str or Path, optional
        Result folder of the cache.
    progress : bool
        Show a tqdm bar over the runs that are computed (none when every run comes from the cache).

    Returns
    -------
    SnrTrainingRuns

    Notes
    -----
    The missing runs go through :func:`isacfl.sweeps.run_jobs`, so ``ISACFL_JOBS`` (default 1)
    sets how many local processes compute them; each run's result does not depend on it.
    """
    from ..data import load_mnist
    from ..fl.results import load_record
    from ..profiles import Profile, get_profile
    from ..sweeps.runner import Job, run_jobs

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    data = load_mnist() if data is None else data
    plan = snr_training_plan(profile, len(data.train_labels), len(data.test_labels))
    jobs = {(config, seed) for (seed, _), config in plan["grid_jobs"].items()}
    jobs |= {(config, seed) for (seed, _, _), config in plan["curve_jobs"].items()}
    jobs = sorted(jobs, key=lambda job: (job[1], job[0].snr_db, job[0].num_samples, job[0].hash))
    identity = data.fingerprint()
    results = {(config.hash, seed): load_record(CENTRALISED_KIND, config, seed, "run", CentralisedRun.from_dict,
                                                cache_format=CENTRALISED_CACHE_FORMAT, root=results_dir,
                                                data_identity=identity)
               for config, seed in jobs}
    missing = [(config, seed) for config, seed in jobs if results[(config.hash, seed)] is None]
    logger.info("centralised runs: %d jobs, %d to compute", len(jobs), len(missing))
    compute = functools.partial(centralised_run, data=data, results_dir=results_dir, use_cache=False)
    computed_runs = run_jobs(compute, [Job(config, seed) for config, seed in missing],
                             progress=progress and bool(missing), description="centralised runs")
    for (config, seed), run in zip(missing, computed_runs):
        results[(config.hash, seed)] = run
    computed = len(missing)

    accuracies = np.array([[results[(plan["grid_jobs"][(seed, j)].hash, seed)].test_accuracy
                            for j in range(len(plan["grid_db"]))] for seed in plan["seeds"]])
    curves = {key: results[(config.hash, key[0])] for key, config in plan["curve_jobs"].items()}
    return SnrTrainingRuns(snr_grid_db=plan["grid_db"], seeds=plan["seeds"], accuracies=accuracies,
                           curve_snrs_db=CURVE_SNRS_DB, curve_sizes=plan["curve_sizes"], curves=curves,
                           pool_size=plan["pool_size"], test_size=plan["test_size"], computed_runs=computed)
