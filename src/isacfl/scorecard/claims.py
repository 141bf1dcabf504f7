"""Claims of the ISAC-FL paper, each turned into comparisons over seeds and a computed verdict.

The paper is "ISAC for AI: A Trade-off Framework Across Data Acquisition and Transfer in Federated
Learning" (arXiv 2605.11915); its figure numbers are used as row labels.

The functions here take measurements (sweeps, FL runs, allocations) and return
:class:`~isacfl.scorecard.rules.ClaimResult` rows. They never run anything themselves except
:func:`strategy_runs`, :func:`allocation_samples`, :func:`golden_gaps`, :func:`centralised_runs`
and :func:`radar_runs`, which compute (or read from the result cache) the exact runs and
allocations the other chapters use.

Accuracy is the final test accuracy of a run (a fraction). A difference of accuracies is called
"close" when its interval lies within :data:`CLOSE_MARGIN` (one percentage point).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from ..profiles import Profile, get_profile
from ..sweeps.figures import COMPARED_STRATEGIES, collect_metrics
from ..sweeps.runner import Job
from ..sweeps.stats import SweepResult
from .rules import ClaimResult, Comparison, Verdict, all_of, close, greater, greater_from_summary, interior_maximum

__all__ = [
    "CLOSE_MARGIN",
    "GOLDEN_TOLERANCE",
    "ratio_claims",
    "device_claims",
    "straggler_claims",
    "strategy_runs",
    "learning_claims",
    "AllocationSamples",
    "allocation_samples",
    "allocation_claims",
    "golden_gaps",
    "golden_claim",
    "claims_table",
    "not_evaluated",
    "fading_claim",
    "gradient_error_claim",
    "centralised_runs",
    "snr_accuracy_claim",
    "loss_claim",
    "radar_runs",
    "radar_claim",
]

logger = logging.getLogger(__name__)

#: Largest accuracy difference (a fraction: 0.01 is one percentage point) called "close".
CLOSE_MARGIN = 0.01

#: Relative shortfall of the golden-section objective below the certified optimum still counted as
#: "finds the optimum".
GOLDEN_TOLERANCE = 1e-3

_NAMES = {"proposed": "Proposed", "maxsensing": "MaxSensing", "maxcomm": "MaxComm", "uniform": "Uniform",
          "golden": "Golden section"}


def _claim(figure: str, claim: str, parts: list[Comparison], scenario: str = "default") -> ClaimResult:
    agree = all(part.mean_agrees for part in parts)
    return ClaimResult(figure, claim, all_of(parts), tuple(parts), scenario=scenario, means_agree=agree)


# -- sweeps (Figs. 9-11) ----------------------------------------------------------------------------


def ratio_claims(result: SweepResult) -> list[ClaimResult]:
    """Check the energy-ratio claims: accuracy peaks at an inner ``rho``, and ``p`` rises with ``rho``.

    Parameters
    ----------
    result : SweepResult
        The ``ratio`` sweep (variants ``iid`` and ``noniid``, at least 3 points).
    """
    labels = [f"rho={rho:g}" for rho in result.points]
    rows = []
    for split, name in (("iid", "IID"), ("noniid", "Non-IID")):
        curve = result.values("accuracy", split)
        verdict, parts = interior_maximum(curve, labels)
        peak = int(np.argmax(curve.mean(axis=0)))
        rows.append(ClaimResult(result.figure, f"{name} accuracy rises, then falls, as rho grows (inner optimum)",
                                verdict, tuple(parts), means_agree=0 < peak < curve.shape[1] - 1))
    success = result.values("success_prob_mean", "iid")
    rows.append(_claim(result.figure, "Upload success probability rises with rho",
                       [greater(success[:, -1], success[:, 0], f"p({labels[-1]}) - p({labels[0]})")]))
    return rows


def device_claims(result: SweepResult) -> list[ClaimResult]:
    """Check the device-count claims: all improve with ``N``, proposed best at every ``N``, MaxSensing fastest.

    Parameters
    ----------
    result : SweepResult
        The ``devices`` sweep (variants are the four compared strategies).
    """
    first, last = result.points[0], result.points[-1]
    accuracy = {s: result.values("accuracy", s) for s in result.variants}
    gains = {s: accuracy[s][:, -1] - accuracy[s][:, 0] for s in result.variants}
    improve = [greater(accuracy[s][:, -1], accuracy[s][:, 0], f"{_NAMES[s]} acc(N={last}) - acc(N={first})")
               for s in result.variants]
    best = [greater(accuracy["proposed"][:, k], accuracy[s][:, k], f"N={n}: Proposed - {_NAMES[s]}")
            for k, n in enumerate(result.points) for s in result.variants if s != "proposed"]
    fastest = [greater(gains["maxsensing"], gains[s], f"gain MaxSensing - gain {_NAMES[s]}")
               for s in result.variants if s != "maxsensing"]
    return [
        _claim(result.figure, f"Every strategy improves from N={first} to N={last}", improve),
        _claim(result.figure, "Proposed is best at every N", best),
        _claim(result.figure, f"MaxSensing improves fastest (largest gain from N={first} to N={last})", fastest),
    ]


def straggler_claims(result: SweepResult, scenario: str = "default") -> list[ClaimResult]:
    """Check the straggler claims: all degrade, proposed best, MaxComm degrades most.

    Parameters
    ----------
    result : SweepResult
        The ``straggler`` sweep; its first point is the fraction 1 (no straggler) and its last the
        smallest budget.
    scenario : str
        Names the scenario change behind ``result``, if any.
    """
    smallest = result.points[-1]
    accuracy = {s: result.values("accuracy", s) for s in result.variants}
    losses = {s: accuracy[s][:, 0] - accuracy[s][:, -1] for s in result.variants}
    degrade = [greater(accuracy[s][:, 0], accuracy[s][:, -1], f"{_NAMES[s]} acc(no straggler) - acc({smallest:g})")
               for s in result.variants]
    best = [greater(accuracy["proposed"][:, -1], accuracy[s][:, -1], f"Proposed - {_NAMES[s]}")
            for s in result.variants if s != "proposed"]
    most = [greater(losses["maxcomm"], losses[s], f"loss MaxComm - loss {_NAMES[s]}")
            for s in result.variants if s != "maxcomm"]
    return [
        _claim(result.figure, f"Every strategy loses accuracy with a straggler at {smallest:g} of the budget", degrade,
               scenario),
        _claim(result.figure, "Proposed is best with the straggler", best, scenario),
        _claim(result.figure, "MaxComm loses the most accuracy to the straggler", most, scenario),
    ]


# -- strategy comparison (Figs. 7, 8) ---------------------------------------------------------------


def strategy_runs(partition: str, profile: Profile | str | None = None, *, n_jobs: int = 1,
                  progress: bool = True, **config_changes: Any) -> SweepResult:
    """Run (or read from the cache) the four strategies with the profile's default config and seeds.

    The configs are ``RunConfig.from_profile(profile, strategy=s, partition=partition)`` with
    seeds ``0 .. num_seeds - 1``: the runs of the learning-trade-off chapter, of the ``N = 10``
    point of the devices sweep and (Non-IID) of the no-straggler point of the straggler sweep.
    ``config_changes`` (for example ``target_distance_range_m=(20.0, 60.0)``) changes every
    config, to try another scenario family.

    Returns
    -------
    SweepResult
        One point (the value 0), one variant per compared strategy.
    """
    from ..fl.config import RunConfig

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    seeds = tuple(range(profile.num_seeds))
    jobs = [Job(RunConfig.from_profile(profile, strategy=s, partition=partition, **config_changes), seed)
            for s in COMPARED_STRATEGIES for seed in seeds]
    metrics, computed_runs = collect_metrics(jobs, n_jobs=n_jobs, progress=progress,
                                             description=f"{partition} strategy runs")
    shape = (len(COMPARED_STRATEGIES), 1, len(seeds))
    arrays = {key: np.array([m[key] for m in metrics]).reshape(shape) for key in metrics[0]}
    figure = "Fig. 7" if partition == "iid" else "Fig. 8"
    return SweepResult(figure, "", (0.0,), COMPARED_STRATEGIES, seeds, arrays,
                       {"profile": profile.name, "partition": partition, "computed_runs": computed_runs,
                        "config_changes": config_changes})


def learning_claims(iid: SweepResult, noniid: SweepResult, scenario: str = "default") -> list[ClaimResult]:
    """Check the claims of the four-strategy comparison, IID (Fig. 7) and Non-IID (Fig. 8).

    "Noisier" compares ``accuracy_jitter``, the mean absolute change of test accuracy between
    consecutive evaluations over the second half of a run. ``scenario`` names the scenario
    change behind the runs, if any.
    """
    acc = {s: iid.values("accuracy", s)[:, 0] for s in iid.variants}
    jitter = {s: iid.values("accuracy_jitter", s)[:, 0] for s in iid.variants}
    non = {s: noniid.values("accuracy", s)[:, 0] for s in noniid.variants}
    others = [s for s in iid.variants if s != "proposed"]
    rows = [
        _claim("Fig. 7", "IID: Proposed is best", [greater(acc["proposed"], acc[s], f"Proposed - {_NAMES[s]}")
                                                  for s in others]),
        _claim("Fig. 7", "IID: MaxComm is worst", [greater(acc[s], acc["maxcomm"], f"{_NAMES[s]} - MaxComm")
                                                  for s in iid.variants if s != "maxcomm"]),
        _claim("Fig. 7", "IID: MaxSensing is about as accurate as Uniform",
               [close(acc["maxsensing"], acc["uniform"], CLOSE_MARGIN, "MaxSensing - Uniform")]),
        _claim("Fig. 7", "IID: MaxSensing's accuracy curve is noisier than Uniform's",
               [greater(jitter["maxsensing"], jitter["uniform"], "jitter MaxSensing - jitter Uniform")]),
        _claim("Fig. 8", "Non-IID is less accurate than IID for every strategy",
               [greater(acc[s], non[s], f"{_NAMES[s]} IID - Non-IID") for s in iid.variants]),
        _claim("Fig. 8", "Non-IID: Proposed is best", [greater(non["proposed"], non[s], f"Proposed - {_NAMES[s]}")
                                                      for s in others]),
        _claim("Fig. 8", "Non-IID: MaxSensing is worst",
               [greater(non[s], non["maxsensing"], f"{_NAMES[s]} - MaxSensing")
                for s in iid.variants if s != "maxsensing"]),
        _claim("Fig. 8", "Non-IID: Uniform is close to Proposed",
               [close(non["uniform"], non["proposed"], CLOSE_MARGIN, "Uniform - Proposed")]),
    ]
    return [dataclasses.replace(row, scenario=scenario) for row in rows]


# -- allocations (Fig. 5, golden section) -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AllocationSamples:
    """Per-scenario summaries of each strategy's allocation; every array has shape ``(n_scenarios,)``."""

    #: Mean samples ``D_n`` over devices.
    samples_mean: dict[str, np.ndarray]
    #: Mean sensing SNR over devices, in dB.
    snr_db_mean: dict[str, np.ndarray]
    #: Smallest sensing SNR over devices, in dB.
    snr_db_min: dict[str, np.ndarray]
    #: Spread (largest minus smallest) of the sensing SNR over devices, in dB.
    snr_db_spread: dict[str, np.ndarray]
    #: Mean upload success probability over devices.
    success_prob_mean: dict[str, np.ndarray]
    #: Objective ``J = gamma_min * sum_n D_n p_n``.
    objective: dict[str, np.ndarray]
    #: Upper bound on the global maximum of ``J`` that the certified search proves, per scenario.
    certified_upper_bound: np.ndarray
    #: Number of scenarios and the config changes they were drawn with, for the record.
    info: dict[str, Any]


def allocation_samples(profile: Profile | str | None = None, *,
                       strategies: tuple[str, ...] = COMPARED_STRATEGIES + ("golden",),
                       **config_changes: Any) -> AllocationSamples:
    """Allocate every strategy on the scenarios of seeds ``0 .. allocator_scenarios - 1``.

    Each scenario is the one an FL run with that seed draws (``RunConfig.scenario`` on the
    ``positions`` stream), so the first ``num_seeds`` scenarios are those of the learning runs.

    Parameters
    ----------
    profile : Profile or str, optional
        Sets the number of scenarios (``allocator_scenarios``).
    strategies : tuple of str
        Strategies to allocate.
    **config_changes
        Changes to the default :class:`isacfl.fl.RunConfig` (for example
        ``server_distance_range_m=(50.0, 150.0)``), to try a different scenario family.
    """
    from ..allocation import allocate
    from ..channel import snr_db
    from ..fl.config import RunConfig
    from ..fl.engine import seed_streams

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    config = RunConfig.from_profile(profile, **config_changes)
    fields: dict[str, dict[str, list[float]]] = {name: {s: [] for s in strategies} for name in
                                                 ("samples_mean", "snr_db_mean", "snr_db_min", "snr_db_spread",
                                                  "success_prob_mean", "objective")}
    upper_bounds = []
    for seed in range(profile.allocator_scenarios):
        scenario = config.scenario(seed_streams(seed)["positions"])
        for strategy in strategies:
            allocation = allocate(scenario, strategy)
            if strategy == "proposed":
                upper_bounds.append(float(allocation.certificate.upper_bound))
            snr = snr_db(allocation.sensing_snr)
            fields["samples_mean"][strategy].append(float(np.mean(allocation.samples)))
            fields["snr_db_mean"][strategy].append(float(np.mean(snr)))
            fields["snr_db_min"][strategy].append(float(np.min(snr)))
            fields["snr_db_spread"][strategy].append(float(np.ptp(snr)))
            fields["success_prob_mean"][strategy].append(float(np.mean(allocation.success_prob)))
            fields["objective"][strategy].append(float(allocation.objective))
    arrays = {name: {s: np.array(v) for s, v in per.items()} for name, per in fields.items()}
    return AllocationSamples(**arrays, certified_upper_bound=np.array(upper_bounds), info={"n_scenarios": profile.allocator_scenarios,
                                             "config_changes": config_changes})


def allocation_claims(samples: AllocationSamples, scenario: str = "default") -> list[ClaimResult]:
    """Check the per-device allocation claims (Fig. 5) on many scenarios.

    "p near 1" is read as a mean success probability within 0.05 of 1; "equal SNR" as an SNR
    spread over devices within 0.1 dB; "moderate p" as a mean success probability between
    MaxSensing's and MaxComm's. ``scenario`` names the scenario change behind ``samples``, if any.
    """
    d, snr_min, spread, p = samples.samples_mean, samples.snr_db_min, samples.snr_db_spread, samples.success_prob_mean
    baselines = ("maxsensing", "maxcomm", "uniform")
    ones = np.ones_like(p["maxcomm"])
    return [
        _claim("Fig. 5", "MaxSensing acquires the most samples",
               [greater(d["maxsensing"], d[s], f"mean D MaxSensing - {_NAMES[s]}") for s in ("proposed", "maxcomm", "uniform")],
               scenario),
        _claim("Fig. 5", "MaxSensing has a low success probability (lowest of the four)",
               [greater(p[s], p["maxsensing"], f"mean p {_NAMES[s]} - MaxSensing") for s in ("proposed", "maxcomm", "uniform")],
               scenario),
        _claim("Fig. 5", "MaxComm's success probability is near 1",
               [close(p["maxcomm"], ones, 0.05, "mean p MaxComm - 1")], scenario),
        _claim("Fig. 5", "MaxComm has the lowest sensing SNR",
               [greater(samples.snr_db_mean[s], samples.snr_db_mean["maxcomm"], f"mean SNR {_NAMES[s]} - MaxComm (dB)")
                for s in ("proposed", "maxsensing", "uniform")], scenario),
        _claim("Fig. 5", "Proposed gives every device the same SNR",
               [close(spread["proposed"], np.zeros_like(ones), 0.1, "SNR spread over devices, Proposed (dB)")], scenario),
        _claim("Fig. 5", "Proposed has the highest smallest SNR",
               [greater(snr_min["proposed"], snr_min[s], f"min SNR Proposed - {_NAMES[s]} (dB)") for s in baselines],
               scenario),
        _claim("Fig. 5", "Proposed has a moderate success probability (between MaxSensing and MaxComm)",
               [greater(p["proposed"], p["maxsensing"], "mean p Proposed - MaxSensing"),
                greater(p["maxcomm"], p["proposed"], "mean p MaxComm - Proposed")], scenario),
    ]


def golden_gaps(samples: AllocationSamples) -> np.ndarray:
    """Return the relative shortfall ``1 - J_golden / J_certified`` of every scenario.

    The certified result is optimal only within its certificate's relative gap, so a shortfall
    may be slightly negative (of the order of that gap).
    """
    return 1.0 - samples.objective["golden"] / samples.objective["proposed"]


def golden_claim(samples: AllocationSamples, scenario: str = "default") -> ClaimResult:
    """Check that golden-section search reaches the certified optimum within :data:`GOLDEN_TOLERANCE`."""
    gaps = golden_gaps(samples)
    part = close(gaps, np.zeros_like(gaps), GOLDEN_TOLERANCE, "relative shortfall 1 - J_golden / J_certified")
    return _claim("Alg.", "Golden-section search over gamma_min finds the global optimum", [part], scenario)


def fading_claim(snr_db_levels: tuple[float, ...] = (10.0, 0.0, -10.0, -20.0), *, num_images: int = 200,
                 num_seeds: int = 5) -> ClaimResult:
    """Check that digits fade as the sensing SNR falls (Fig. 6), by a number instead of by eye.

    The fading is measured as the Pearson correlation between a clean MNIST test digit and its
    noisy observation, averaged over ``num_images`` digits. Each seed draws other digits and other
    noise. The claim holds when the correlation falls at every step down the SNR levels.
    """
    from ..data import add_sensing_noise, load_mnist

    images = load_mnist().test_images.reshape(-1, 28 * 28).astype(np.float64)
    correlation = np.empty((num_seeds, len(snr_db_levels)))
    for seed in range(num_seeds):
        rng = np.random.default_rng(seed)
        clean = images[rng.choice(len(images), size=num_images, replace=False)]
        centred = clean - clean.mean(axis=1, keepdims=True)
        for k, level in enumerate(snr_db_levels):
            noisy = add_sensing_noise(clean, 10.0 ** (level / 10.0), rng)
            noisy = noisy - noisy.mean(axis=1, keepdims=True)
            per_image = (centred * noisy).sum(axis=1) / np.sqrt((centred**2).sum(axis=1) * (noisy**2).sum(axis=1))
            correlation[seed, k] = per_image.mean()
    parts = [greater(correlation[:, k], correlation[:, k + 1],
                     f"corr({snr_db_levels[k]:g} dB) - corr({snr_db_levels[k + 1]:g} dB)")
             for k in range(len(snr_db_levels) - 1)]
    return _claim("Fig. 6", "Digit features fade as the sensing SNR falls (clean-noisy correlation drops)", parts)


def gradient_error_claim(profile: Profile | str | None = None, *, num_samples: int = 400) -> ClaimResult:
    """Check that the squared gradient error falls at every step up the SNR grid (Fig. 3, left).

    The measurement follows the gradient-noise chapter with the same library functions. It takes a
    pool of clean MNIST training images (seed 2026, ``train_images`` of the profile) and trains the
    MLP on it for ``centralised_steps`` SGD steps (seed 0). Then
    :func:`isacfl.theory.measure_gradient_error` draws ``num_samples`` images ``5 * num_seeds``
    times at each SNR of a grid from -20 to 20 dB with ``2 * sweep_points - 1`` points.
    Consecutive SNRs are compared with Welch's interval on the repeats.
    """
    from ..data import load_mnist
    from ..theory import measure_gradient_error, train_centralised

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    data = load_mnist()
    available = len(data.train_labels)
    pool_size = available if profile.train_images is None else min(profile.train_images, available)
    pool = np.random.default_rng(2026).permutation(available)[:pool_size]
    images, labels = data.train_images[pool], data.train_labels[pool]
    steps = profile.centralised_steps
    reference = train_centralised(images, labels, steps=steps, seed=0, record_every=steps)
    grid_db = np.linspace(-20.0, 20.0, 2 * profile.sweep_points - 1)
    repeats = 5 * profile.num_seeds
    rng = np.random.default_rng(3)
    errors = [measure_gradient_error(reference.model, images, labels, 10.0 ** (level / 10.0), num_samples,
                                     repeats, rng) for level in grid_db]
    parts = [greater_from_summary((low.total, low.total_stderr, repeats), (high.total, high.total_stderr, repeats),
                                  f"error({grid_db[k]:g} dB) - error({grid_db[k + 1]:g} dB)")
             for k, (low, high) in enumerate(zip(errors[:-1], errors[1:]))]
    return _claim("Fig. 3", f"The squared gradient error falls at every step up in SNR (D = {num_samples})", parts)


# -- centralised training (Figs. 3 and 4) and radar beam prediction (Fig. 12) ------------------------


def centralised_runs(profile: Profile | str | None = None, *, progress: bool = True):
    """Read (or compute) the centralised MNIST runs of the gradient-noise chapter at a profile's sizes.

    This is :func:`isacfl.theory.mlp.snr_training_runs`, the function that chapter calls, so a book
    build reads every run from the result cache.
    """
    from ..theory.mlp import snr_training_runs

    return snr_training_runs(profile, progress=progress)


def _increasing_axis(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D float array, or raise unless they are finite and strictly increasing.

    Examples
    --------
    >>> _increasing_axis([0.0, 0.0], "snr_db")
    Traceback (most recent call last):
    ...
    ValueError: snr_db must be finite, distinct and strictly increasing, got [0.0, 0.0]
    """
    try:
        axis = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be finite, distinct and strictly increasing numbers, got {values!r}") from None
    if axis.ndim != 1 or not np.all(np.isfinite(axis)) or np.any(np.diff(axis) <= 0):
        raise ValueError(f"{name} must be finite, distinct and strictly increasing, got {axis.tolist()}")
    return axis


def snr_accuracy_claim(snr_db: np.ndarray, accuracies: np.ndarray) -> ClaimResult:
    """Check that clean test accuracy rises with the sensing SNR of the training data (Fig. 3, right).

    The comparison is the accuracy at the highest SNR minus that at the lowest, per seed (rule
    ``greater``, paired by seed).

    Parameters
    ----------
    snr_db : array_like of float, shape (n_snr,)
        SNRs in dB of the training data.
    accuracies : array_like of float, shape (n_seeds, n_snr)
        Clean test accuracy of each seed's model at each SNR.

    Raises
    ------
    ValueError
        If the shapes do not match, there are fewer than 2 SNRs, or the SNRs are not finite and
        strictly increasing.

    Examples
    --------
    >>> str(snr_accuracy_claim([-20.0, 20.0], [[0.70, 0.88], [0.69, 0.89], [0.71, 0.88]]).verdict)
    'holds'
    """
    levels = _increasing_axis(snr_db, "snr_db")
    values = np.asarray(accuracies, dtype=float)
    if levels.size < 2 or values.ndim != 2 or values.shape[1] != levels.size:
        raise ValueError(f"accuracies must have shape (n_seeds, {levels.size}) for {levels.size} >= 2 SNRs, "
                         f"got snr_db of shape {levels.shape} and accuracies of shape {values.shape}")
    high, low = levels.size - 1, 0
    part = greater(values[:, high], values[:, low], f"accuracy({levels[high]:g} dB) - accuracy({levels[low]:g} dB)")
    return _claim("Fig. 3", "Test accuracy rises with the sensing SNR", [part])


def loss_claim(snr_db: np.ndarray, sizes: np.ndarray, losses: np.ndarray, measure: str) -> ClaimResult:
    """Check that higher SNR and larger ``D`` each give a lower loss at the end of training (Fig. 4).

    Each part compares neighbours on one axis with the other fixed, per seed (rule ``greater`` on
    the loss of the worse setting minus that of the better one): adjacent SNRs at every dataset
    size, and adjacent sizes at every SNR.

    Parameters
    ----------
    snr_db : array_like of float, shape (n_snr,)
        Increasing SNRs in dB.
    sizes : array_like of int, shape (n_sizes,)
        Increasing dataset sizes ``D``.
    losses : array_like of float, shape (n_seeds, n_snr, n_sizes)
        Loss of each seed's run at the end of training.
    measure : str
        Which loss it is, for the claim text and the comparison descriptions.

    Raises
    ------
    ValueError
        If the shapes do not match, an axis is not finite and strictly increasing, or a size is
        not a whole number >= 1.

    Examples
    --------
    >>> loss = [[[1.0, 0.8], [0.6, 0.4]], [[1.1, 0.9], [0.7, 0.5]], [[0.9, 0.7], [0.5, 0.31]]]
    >>> str(loss_claim([0.0, 10.0], [100, 1000], loss, "test loss").verdict)
    'holds'
    """
    levels = _increasing_axis(snr_db, "snr_db")
    counts = _increasing_axis(sizes, "sizes")
    if np.any(counts < 1) or np.any(counts != np.round(counts)):
        raise ValueError(f"sizes must be whole numbers of samples >= 1, got {counts.tolist()}")
    counts = counts.astype(np.int64)
    values = np.asarray(losses, dtype=float)
    if values.ndim != 3 or values.shape[1:] != (levels.size, counts.size):
        raise ValueError(f"losses must have shape (n_seeds, {levels.size}, {counts.size}), got {values.shape}")
    parts = []
    for k, size in enumerate(counts):
        for j in range(levels.size - 1):
            parts.append(greater(values[:, j, k], values[:, j + 1, k],
                                 f"D = {size}: loss({levels[j]:g} dB) - loss({levels[j + 1]:g} dB)"))
    for j, level in enumerate(levels):
        for k in range(counts.size - 1):
            parts.append(greater(values[:, j, k], values[:, j, k + 1],
                                 f"{level:g} dB: loss(D = {counts[k]}) - loss(D = {counts[k + 1]})"))
    return _claim("Fig. 4", f"Higher SNR and larger D give a lower {measure} at the end of training", parts)


def radar_runs(profile: Profile | str | None = None, *, progress: bool = True):
    """Read (or compute) the runs of the radar chapter at a profile's sizes.

    The data, config and seeds are those of the radar chapter
    (:func:`isacfl.radar.experiment.profile_dataset`,
    :meth:`~isacfl.radar.experiment.RadarExperimentConfig.from_profile`, seeds ``0 ..
    radar_seeds - 1``), so a book build reads every run from the result cache.
    """
    from ..radar.experiment import RADAR_STRATEGIES, RadarExperimentConfig, profile_dataset, run_radar_experiment

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    dataset = profile_dataset(profile)
    config = RadarExperimentConfig.from_profile(profile)
    return run_radar_experiment(dataset, config, seeds=range(profile.radar_seeds), strategies=RADAR_STRATEGIES,
                                progress=progress, use_cache=True)


def radar_claim(runs, claimed: str = "proposed",
                baselines: tuple[str, ...] = ("maxsensing", "maxcomm", "uniform")) -> ClaimResult:
    """Check that ``claimed`` has the highest top-k accuracy at every ``k`` (Fig. 12).

    Each part is the claimed strategy's top-k accuracy minus one baseline's, per seed (rule
    ``greater``, paired by seed: a seed gives every strategy the same devices, pools and initial
    model), for every ``k`` and every baseline. The claim text names the data source, so a row
    computed on the synthetic stand-in is marked as such.

    Parameters
    ----------
    runs : iterable of isacfl.radar.experiment.RadarRun
        Runs of the claimed strategy and of every baseline for the same seeds (others are ignored).
    claimed, baselines : str
        Strategy names.

    Raises
    ------
    ValueError
        If a strategy name is unknown or has no runs, or the strategies ran on different seeds,
        data or sets of ``k``.

    Examples
    --------
    >>> from isacfl.radar.experiment import RadarRun
    >>> runs = [RadarRun(name, seed, {1: acc + 0.01 * seed}, 1.0, (1,), (0.0,), (1.0,), "synthetic stand-in")
    ...         for seed in range(3) for name, acc in (("proposed", 0.5), ("uniform", 0.3))]
    >>> row = radar_claim(runs, baselines=("uniform",))
    >>> str(row.verdict), row.claim
    ('holds', 'Proposed is best at every top-k on radar beam prediction (synthetic stand-in data)')
    """
    unknown = [name for name in (claimed, *baselines) if name not in _NAMES]
    if unknown:
        raise ValueError(f"unknown strategy names {unknown}; the known strategies are {sorted(_NAMES)}")
    grouped: dict[str, dict[int, Any]] = {}
    for run in runs:
        grouped.setdefault(run.strategy, {})[run.seed] = run
    missing = [name for name in (claimed, *baselines) if name not in grouped]
    if missing:
        raise ValueError(f"runs lack the strategies {missing}; they have {sorted(grouped)}")
    seeds = sorted(grouped[claimed])
    for name in baselines:
        if sorted(grouped[name]) != seeds:
            raise ValueError(f"{name} ran on seeds {sorted(grouped[name])}, {claimed} on {seeds}; "
                             f"a paired comparison needs the same seeds")
    sources = {run.data_source for name in (claimed, *baselines) for run in grouped[name].values()}
    if len(sources) != 1:
        raise ValueError(f"the runs used different data sources {sorted(sources)}; compare runs on one data set")
    source = sources.pop()

    def values(name: str, k: int) -> np.ndarray:
        return np.array([grouped[name][seed].topk[k] for seed in seeds])

    ks = sorted(grouped[claimed][seeds[0]].topk)
    for name in (claimed, *baselines):
        for seed in seeds:
            if sorted(grouped[name][seed].topk) != ks:
                raise ValueError(f"the run of {name} for seed {seed} has top-k accuracies for k = "
                                 f"{sorted(grouped[name][seed].topk)}, but {claimed} for seed {seeds[0]} has "
                                 f"k = {ks}; every run needs the same k")
    parts = [greater(values(claimed, k), values(name, k), f"top-{k} {_NAMES[claimed]} - {_NAMES[name]}")
             for k in ks for name in baselines]
    data = "synthetic stand-in data" if source.startswith("synthetic") else source
    row = _claim("Fig. 12", f"{_NAMES[claimed]} is best at every top-k on radar beam prediction ({data})", parts)
    return dataclasses.replace(row, note=f"data: {source}; {len(seeds)} seed(s)")



def claims_table(claims: list[ClaimResult]):
    """Return the claims as a pandas DataFrame: figure, claim, scenario, verdict, means agree, evidence, note."""
    import pandas as pd

    return pd.DataFrame([c.as_row() for c in claims])


def not_evaluated(figure: str, claim: str, reason: str) -> ClaimResult:
    """Return a row for a claim the scorecard does not evaluate, with the reason."""
    return ClaimResult(figure, claim, Verdict.NOT_EVALUATED, (), reason)
