"""Federated radar beam prediction under the ISAC energy trade-off.

One run, for one allocation strategy and one seed (the seed is split into the streams of
:func:`isacfl.fl.seed_streams`, so every strategy of a seed uses the same devices, pools,
initial model and mini-batch order):

1. draw the device positions and allocate energy with the strategy (``positions`` stream), which
   gives each device its frame count ``D_n``, sensing SNR ``gamma_n`` and upload success
   probability ``p_n``;
2. deal the clean training frames into the devices' pools, IID (``partition`` stream);
3. each device acquires ``D_n`` frames: pool frames in a fresh random order, repeated when ``D_n``
   exceeds the pool, each with fresh complex AWGN at ``gamma_n`` added to the raw frame, then
   preprocessed into the CNN's input map (``acquisition`` stream);
4. FedAvg trains :class:`~isacfl.radar.model.RadarLeNet` over the devices' maps
   (:func:`isacfl.fl.federated_averaging`), and the final model is scored by top-k accuracy on
   the clean test frames.

A centralised run trains the same network on all clean training frames with the reference
recipe of the DeepSense 6G baseline (Adam, learning rate 1e-3 divided by 10 every 10 epochs,
weight decay 1e-4, batch 32). It is the ceiling that noise-free data and no upload loss allow.

Modelling choices of the radar devices (see :func:`radar_scenario`): one snapshot is one frame of
the real radar, 128 chirps of 65 us (8.32 ms), whatever size the stored frames have; the model
size is 32 bits per CNN parameter; every other parameter is the book's default scenario.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from ..allocation import allocate
from ..channel import snr_db
from ..fl import federated_averaging, observation_indices, partition_iid, seed_streams
from ..fl.runner import torch_threads
from ..metrics import beam_distance, topk_accuracies
from ..scenario import Scenario
from ..sweeps.runner import Job, run_jobs
from .loader import ENV_VAR, NUM_BEAMS, RadarDataset, load_scenario9
from .model import RadarLeNet, count_parameters
from .synthetic import FULL_RADAR, SyntheticConfig, load_synthetic_scenario9
from .transforms import ANGLE_FFT_SIZE, TRANSFORMS, add_complex_sensing_noise, normalise_maps, range_angle_map

__all__ = [
    "RADAR_STRATEGIES",
    "SNAPSHOT_S",
    "TOPK",
    "TORCH_THREADS_PER_RUN",
    "FL_ENGINE",
    "RadarExperimentConfig",
    "RadarRun",
    "RadarRunSpec",
    "RADAR_CACHE_FORMAT",
    "SYNTHETIC_SEED",
    "dataset_identity",
    "profile_dataset",
    "radar_scenario",
    "preprocess",
    "acquire_radar",
    "run_radar_fl",
    "run_centralised",
    "run_radar_experiment",
    "summarise_runs",
    "claim_verdict",
]

logger = logging.getLogger(__name__)

#: The four allocation strategies compared in the radar experiment.
RADAR_STRATEGIES = ("proposed", "maxsensing", "maxcomm", "uniform")
#: Duration of one sensing snapshot of a radar device: one real frame, 128 chirps of 65 us.
SNAPSHOT_S = FULL_RADAR.frame_duration_s
#: The ``k`` of the reported top-k accuracies.
TOPK = (1, 2, 3, 5)
#: Torch threads of one run. Small convolutions gain nothing from more, and on a shared machine
#: extra threads fight over cores (on a shared 2-core machine a run took 3 to 17 times longer with
#: two threads than with one).
TORCH_THREADS_PER_RUN = 1

#: FedAvg engine of the radar runs. At one torch thread the per-device loop took 35 s where the
#: vmap engine took 60 s for the same run of this convolutional network.
FL_ENGINE = "reference"

#: Version of the radar runs' algorithm and record layout. It is part of every run hash, so bumping
#: it when a run's numbers change makes every cached radar run stale.
RADAR_CACHE_FORMAT = 1
#: File-name prefix of cached radar runs in the result folder.
RADAR_KIND = "radar"
#: Seed of the synthetic data set the chapter and the scorecard use.
SYNTHETIC_SEED = 0

_Result = TypeVar("_Result")


def _single_threaded(function: Callable[..., _Result]) -> Callable[..., _Result]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> _Result:
        with torch_threads(TORCH_THREADS_PER_RUN):
            return function(*args, **kwargs)

    return wrapper


@dataclasses.dataclass(frozen=True)
class RadarExperimentConfig:
    """Settings of the radar experiment other than the data and the seed."""

    #: Input map of the CNN: ``"range_angle"``, ``"range_velocity"`` or ``"radar_cube"`` (the map
    #: that the ISAC-FL paper uses for its radar experiment).
    transform: str = "range_angle"
    #: Points of the angle FFT of range-angle maps. The reference uses 64. Four antennas resolve
    #: only four angles, but the shape of the peak over a finer grid still locates a strong echo
    #: within its resolution cell. On the clean synthetic set of 1,000 frames, the centralised
    #: network named the best beam in 25 % of test frames with 16 points and in 35 % with 32.
    #: 32 points cost half as much as 64.
    angle_fft_size: int = 32
    #: Number of devices ``N``.
    n_devices: int = 10
    #: Communication rounds ``T``.
    num_rounds: int = 40
    #: Local SGD steps ``K`` per round.
    local_steps: int = 5
    #: Mini-batch size of the local steps. 16 rather than 32 halves the cost of a round.
    batch_size: int = 16
    #: Optimiser of the local steps, ``"adam"`` or ``"sgd"`` (see :func:`isacfl.fl.federated_averaging`).
    #: With SGD at step size 0.1, one of three seeds stayed at chance accuracy for all 40 rounds
    #: under every strategy, while Adam (the reference's optimiser) learned under each seed.
    local_optimizer: str = "adam"
    #: Step size of the local updates: the reference's Adam learning rate. For SGD, 0.1 learned on
    #: clean centralised runs and 0.3 diverged to chance accuracy.
    learning_rate: float = 1e-3
    #: Evaluate the global model on the test set every this many rounds.
    eval_every: int = 5
    #: Epochs of the centralised reference run. The reference trains 40, but its learning rate is
    #: 1e-5 after 20 epochs, and on the synthetic set the last 20 epochs changed top-1 accuracy by
    #: about one point.
    centralised_epochs: int = 20
    #: Learning rate of the centralised Adam optimiser.
    centralised_learning_rate: float = 1e-3
    #: Mini-batch size of centralised training (the reference's).
    centralised_batch_size: int = 32
    #: Scenario parameters set on top of :func:`radar_scenario` (for example ``energy_budget_j``).
    scenario_overrides: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {sorted(TRANSFORMS)}, got {self.transform!r}")
        if self.local_optimizer not in ("sgd", "adam"):
            raise ValueError(f"local_optimizer must be 'sgd' or 'adam', got {self.local_optimizer!r}")
        for name in ("n_devices", "num_rounds", "local_steps", "batch_size", "eval_every", "centralised_epochs",
                     "angle_fft_size", "centralised_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name in ("learning_rate", "centralised_learning_rate"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0, got {value!r}; allowed range is (0, inf)")

    def replace(self, **changes: Any) -> "RadarExperimentConfig":
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_profile(cls, profile: Any = None, **changes: Any) -> "RadarExperimentConfig":
        """Build the config of the radar chapter at a profile's sizes (default: ``ISACFL_PROFILE``).

        The profile sets the rounds (``radar_rounds``), and the global model is evaluated eight
        times per run.

        Examples
        --------
        >>> RadarExperimentConfig.from_profile("book").eval_every
        5
        """
        from ..profiles import Profile, get_profile

        if not isinstance(profile, Profile):
            profile = get_profile(profile)
        sizes = dict(num_rounds=profile.radar_rounds, eval_every=max(1, profile.radar_rounds // 8))
        sizes.update(changes)
        return cls(**sizes)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values (overrides as ``[name, value]`` lists)."""
        out = dataclasses.asdict(self)
        out["scenario_overrides"] = [[str(name), np.asarray(value, dtype=float).tolist()]
                                     for name, value in self.scenario_overrides]
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class RadarRun:
    """Outcome of one run: top-k accuracies on the clean test frames and the devices' resources."""

    #: Allocation strategy, or ``"centralised"`` for the noise-free reference.
    strategy: str
    seed: int
    #: Top-k accuracy in [0, 1] for every ``k`` of :data:`TOPK`.
    topk: dict[int, float]
    #: Mean distance in beams between the top-1 beam and the best beam.
    beam_distance: float
    #: Frames ``D_n`` acquired by each device (the whole training set for the centralised run).
    samples: tuple[int, ...]
    #: Sensing SNR of each device in dB (``inf`` for the centralised run).
    sensing_snr_db: tuple[float, ...]
    #: Upload success probability of each device (1 for the centralised run).
    success_prob: tuple[float, ...]
    #: Source of the frames, starting with ``"synthetic"`` for the synthetic stand-in.
    data_source: str
    #: ``(server_round, top-1 test accuracy)`` pairs of the FL run (epochs for the centralised run).
    accuracy_curve: tuple[tuple[int, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON-ready values (the top-k keys become strings)."""
        out = dataclasses.asdict(self)
        out["topk"] = {str(k): float(v) for k, v in self.topk.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RadarRun":
        """Rebuild a run from :meth:`to_dict` output.

        Examples
        --------
        >>> run = RadarRun("uniform", 0, {1: 0.2, 5: 0.6}, 3.0, (10, 20), (0.0, 2.0), (1.0, 0.5), "synthetic",
        ...                ((1, 0.1), (2, 0.2)))
        >>> RadarRun.from_dict(run.to_dict()).to_dict() == run.to_dict()
        True
        """
        return cls(
            strategy=str(data["strategy"]),
            seed=int(data["seed"]),
            topk={int(k): float(v) for k, v in data["topk"].items()},
            beam_distance=float(data["beam_distance"]),
            samples=tuple(int(d) for d in data["samples"]),
            sensing_snr_db=tuple(float(v) for v in data["sensing_snr_db"]),
            success_prob=tuple(float(p) for p in data["success_prob"]),
            data_source=str(data["data_source"]),
            accuracy_curve=tuple((int(r), float(a)) for r, a in data["accuracy_curve"]),
        )


@dataclasses.dataclass(frozen=True)
class RadarRunSpec:
    """Key of one cached radar run: the experiment settings, the strategy and the data it ran on."""

    config: RadarExperimentConfig
    #: A strategy of :data:`RADAR_STRATEGIES` (or ``golden``), or ``"centralised"``.
    strategy: str
    #: Canonical JSON of :func:`dataset_identity`.
    data: str

    def to_dict(self) -> dict[str, Any]:
        """Return the key as JSON-ready values."""
        return {"config": self.config.to_dict(), "strategy": self.strategy, "data": json.loads(self.data)}

    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON of the key and :data:`RADAR_CACHE_FORMAT`."""
        text = json.dumps({"cache_format": RADAR_CACHE_FORMAT, **self.to_dict()}, sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def dataset_identity(dataset: RadarDataset) -> dict[str, Any]:
    """Describe a data set for the result cache: its source, generator parameters and split sizes.

    Limitations
    -----------
    Real Scenario 9 folders are distinguished only by their split sizes and frame shape, not by
    their content: a changed copy of the same size reads runs cached for the old one.
    """
    return {"source": dataset.source, "synthetic": dataset.synthetic_parameters,
            "frames": [len(dataset.train), len(dataset.val), len(dataset.test)],
            "frame_shape": list(dataset.frame_shape)}


def profile_dataset(profile: Any = None) -> RadarDataset:
    """Load the radar data of the chapter at a profile's size (default: ``ISACFL_PROFILE``).

    The data are the real Scenario 9 folder that ``ISACFL_DEEPSENSE_DIR`` names. Without it, they are
    the synthetic stand-in with the profile's ``radar_frames`` frames, generated with seed
    :data:`SYNTHETIC_SEED` (or read from the data cache).
    """
    from ..profiles import Profile, get_profile

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    if os.environ.get(ENV_VAR):
        return load_scenario9()
    return load_synthetic_scenario9(SyntheticConfig(n_frames=profile.radar_frames), seed=SYNTHETIC_SEED)


def radar_scenario(n_devices: int, seed: int | np.random.SeedSequence, n_parameters: int, **overrides: Any) -> Scenario:
    """Draw the scenario of the radar devices.

    The devices are the book's default random scenario (targets 80-100 m away, base station
    100-250 m away) with two changes: a snapshot lasts one real radar frame (:data:`SNAPSHOT_S`),
    so a device acquires at most ``floor(T_s / SNAPSHOT_S) = 120`` frames per second of sensing,
    and the model size is ``32 * n_parameters`` bits.

    Examples
    --------
    >>> s = radar_scenario(3, seed=0, n_parameters=1000)
    >>> s.model_bits, round(float(s.snapshot_s[0]), 5)
    (32000.0, 0.00832)
    """
    params = {"snapshot_s": SNAPSHOT_S, "model_bits": 32.0 * int(n_parameters)}
    params.update(overrides)
    return Scenario.random(n_devices, seed, **params)


def preprocess(frames: np.ndarray, transform: str, angle_fft_size: int = ANGLE_FFT_SIZE) -> np.ndarray:
    """Turn raw frames into normalised CNN inputs with a channel axis, float32 ``(n, C, H, W)``.

    ``angle_fft_size`` applies to range-angle maps only.

    Raises
    ------
    ValueError
        If ``transform`` is not one of ``radar_cube``, ``range_velocity``, ``range_angle``.
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {sorted(TRANSFORMS)}, got {transform!r}")
    if transform == "range_angle":
        maps = range_angle_map(frames, angle_fft_size)
    else:
        maps = TRANSFORMS[transform](frames)
    if transform != "radar_cube":
        maps = maps[..., None, :, :]
    return normalise_maps(maps, sample_ndim=3)


def acquire_radar(
    pool_frames: np.ndarray,
    pool_labels: np.ndarray,
    num_frames: int,
    snr: float,
    transform: str,
    rng: np.random.Generator,
    angle_fft_size: int = ANGLE_FFT_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Acquire ``num_frames`` noisy observations of a device's pool and preprocess them.

    Pool frames are observed in a fresh random order, each pool frame ``floor(D / P)`` or
    ``ceil(D / P)`` times (:func:`isacfl.fl.observation_indices`). Each observation adds fresh
    complex AWGN at the linear SNR ``snr`` to the raw frame before the transform.

    Returns
    -------
    maps : numpy.ndarray of float32, shape (num_frames, C, H, W)
    labels : numpy.ndarray of int64, shape (num_frames,)

    Examples
    --------
    >>> frames = np.ones((3, 4, 16, 8), np.complex64)
    >>> x, y = acquire_radar(frames, np.arange(3), 5, 10.0, "range_angle", np.random.default_rng(0), 16)
    >>> x.shape, sorted(np.bincount(y).tolist())
    ((5, 1, 16, 16), [1, 2, 2])
    """
    idx = observation_indices(len(pool_frames), int(num_frames), rng)
    if len(idx) == 0:
        sample_shape = preprocess(pool_frames[:1], transform, angle_fft_size).shape[1:]
        return np.zeros((0, *sample_shape), np.float32), np.zeros(0, np.int64)
    noisy = add_complex_sensing_noise(pool_frames[idx], snr, rng)
    return preprocess(noisy, transform, angle_fft_size), np.asarray(pool_labels)[idx].astype(np.int64)


@torch.no_grad()
def _scores(model: torch.nn.Module, maps: np.ndarray, chunk: int = 1024) -> np.ndarray:
    model.eval()
    tensor = torch.from_numpy(maps)
    return torch.cat([model(tensor[i : i + chunk]) for i in range(0, len(tensor), chunk)]).numpy()


def _torch_seed(stream: np.random.SeedSequence) -> int:
    # The FL engine seeds its initial model the same way, so both kinds of run start alike.
    return int(stream.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _model_factory(config: "RadarExperimentConfig", frame_shape: tuple[int, int, int]):
    def factory() -> RadarLeNet:
        return RadarLeNet.for_transform(config.transform, frame_shape, NUM_BEAMS, config.angle_fft_size)

    return factory


@_single_threaded
def run_radar_fl(dataset: RadarDataset, strategy: str, config: RadarExperimentConfig, seed: int) -> RadarRun:
    """Run federated beam prediction under one allocation strategy and score it on the clean test set.

    Parameters
    ----------
    dataset : RadarDataset
        Real or synthetic Scenario 9 data; the training split feeds the devices, the test split
        scores the final model.
    strategy : str
        An allocation strategy of :func:`isacfl.allocation.allocate` without a parameter
        (``proposed``, ``golden``, ``maxsensing``, ``maxcomm``, ``uniform``).
    config : RadarExperimentConfig
        Transform, devices and training settings.
    seed : int
        Run seed, split into the independent streams of :func:`isacfl.fl.seed_streams`.

    Returns
    -------
    RadarRun

    Raises
    ------
    ValueError
        If the training split has fewer frames than there are devices, or the strategy is unknown.
    """
    streams = seed_streams(seed)
    factory = _model_factory(config, dataset.frame_shape)
    scenario = radar_scenario(config.n_devices, streams["positions"], count_parameters(factory()),
                              **dict(config.scenario_overrides))
    allocation = allocate(scenario, strategy)

    partition_rng = np.random.default_rng(streams["partition"])
    pools = partition_iid(dataset.train.labels, config.n_devices, partition_rng)
    acquisition_rng = np.random.default_rng(streams["acquisition"])
    device_data = [
        acquire_radar(dataset.train.frames[pool], dataset.train.labels[pool], int(d), float(snr),
                      config.transform, acquisition_rng, config.angle_fft_size)
        for pool, d, snr in zip(pools, allocation.samples, allocation.sensing_snr)
    ]
    test_maps = preprocess(dataset.test.frames, config.transform, config.angle_fft_size)
    logger.info("radar FL run: strategy %s, %d devices, %d frames acquired, seed %d, data %s",
                strategy, config.n_devices, int(np.sum(allocation.samples)), seed, dataset.source)

    history, state = federated_averaging(
        factory, device_data, allocation.success_prob, (test_maps, dataset.test.labels),
        num_rounds=config.num_rounds, local_steps=config.local_steps, batch_size=config.batch_size,
        learning_rate=config.learning_rate, eval_every=config.eval_every, seed=seed, return_state=True,
        engine=FL_ENGINE, local_optimizer=config.local_optimizer,
    )
    model = factory()
    model.load_state_dict(state)
    scores = _scores(model, test_maps)
    return RadarRun(
        strategy=strategy,
        seed=int(seed),
        topk=topk_accuracies(scores, dataset.test.labels, TOPK),
        beam_distance=beam_distance(scores, dataset.test.labels),
        samples=tuple(int(d) for d in allocation.samples),
        sensing_snr_db=tuple(float(v) for v in snr_db(allocation.sensing_snr)),
        success_prob=tuple(float(p) for p in allocation.success_prob),
        data_source=dataset.source,
        accuracy_curve=tuple((int(r), float(a)) for r, a in history.accuracy_test),
    )


@_single_threaded
def run_centralised(dataset: RadarDataset, config: RadarExperimentConfig, seed: int) -> RadarRun:
    """Train the CNN on all clean training frames in one place and score it on the clean test set.

    The recipe is the reference baseline's: Adam with weight decay 1e-4, the learning rate
    divided by 10 every 10 epochs, shuffled mini-batches of ``config.centralised_batch_size``,
    ``config.centralised_epochs`` epochs.
    The initial model and the batch order are drawn from ``seed`` through a local torch generator.

    Returns
    -------
    RadarRun
        With ``strategy="centralised"``, the accuracy curve per epoch, infinite SNR and
        success probability 1.
    """
    streams = seed_streams(seed)
    factory = _model_factory(config, dataset.frame_shape)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_torch_seed(streams["init"]))
        model = factory()
    generator = torch.Generator().manual_seed(_torch_seed(streams["batches"]))
    train_maps = torch.from_numpy(preprocess(dataset.train.frames, config.transform, config.angle_fft_size))
    train_labels = torch.from_numpy(np.array(dataset.train.labels))
    test_maps = preprocess(dataset.test.frames, config.transform, config.angle_fft_size)

    optimizer = torch.optim.Adam(model.parameters(), lr=config.centralised_learning_rate, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
    curve = []
    for epoch in range(1, config.centralised_epochs + 1):
        model.train()
        order = torch.randperm(len(train_labels), generator=generator)
        for start in range(0, len(order), config.centralised_batch_size):
            rows = order[start : start + config.centralised_batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(train_maps[rows]), train_labels[rows])
            loss.backward()
            optimizer.step()
        scheduler.step()
        if epoch % config.eval_every == 0 or epoch == config.centralised_epochs:
            curve.append((epoch, topk_accuracies(_scores(model, test_maps), dataset.test.labels, (1,))[1]))
    scores = _scores(model, test_maps)
    logger.info("radar centralised run: %d epochs on %d clean frames, seed %d, data %s",
                config.centralised_epochs, len(train_labels), seed, dataset.source)
    return RadarRun(
        strategy="centralised",
        seed=int(seed),
        topk=topk_accuracies(scores, dataset.test.labels, TOPK),
        beam_distance=beam_distance(scores, dataset.test.labels),
        samples=(len(train_labels),),
        sensing_snr_db=(float("inf"),),
        success_prob=(1.0,),
        data_source=dataset.source,
        accuracy_curve=tuple(curve),
    )


def _compute_run(strategy: str, seed: int, *, dataset: RadarDataset, config: RadarExperimentConfig,
                 save_to: tuple[str, str | Path | None] | None = None) -> RadarRun:
    """Compute one run of :func:`run_radar_experiment`: FL with ``strategy``, or the centralised reference.

    With ``save_to = (data description, result folder)`` the run is written to the result cache
    as soon as it finishes, so an interrupted experiment keeps the runs it completed.
    """
    from ..fl.results import save_record

    if strategy == "centralised":
        run = run_centralised(dataset, config, seed)
    else:
        run = run_radar_fl(dataset, strategy, config, seed)
    if save_to is not None:
        data, results_dir = save_to
        save_record(RADAR_KIND, RadarRunSpec(config, strategy, data), seed, "run", run.to_dict(),
                    cache_format=RADAR_CACHE_FORMAT, root=results_dir)
    return run


def run_radar_experiment(
    dataset: RadarDataset,
    config: RadarExperimentConfig,
    seeds: Sequence[int],
    strategies: Iterable[str] = RADAR_STRATEGIES,
    *,
    centralised: bool = True,
    progress: bool = True,
    use_cache: bool = False,
    results_dir: str | Path | None = None,
) -> list[RadarRun]:
    """Run every strategy (and the centralised reference) for every seed.

    Parameters
    ----------
    dataset, config
        As in :func:`run_radar_fl`.
    seeds : sequence of int
        Run seeds.
    strategies : iterable of str
        Allocation strategies of the FL runs.
    centralised : bool
        Add the centralised run of each seed.
    progress : bool
        Show a tqdm bar over the runs that are computed (none when every run comes from the cache).
    use_cache : bool
        Read each run from the result cache when a valid file exists, and write every computed
        run there (files ``radar-<hash>-seed<seed>.json``, keyed by :class:`RadarRunSpec`).
    results_dir : str or Path, optional
        Result folder; default ``ISACFL_RESULTS_DIR`` or ``results/cache`` in the repository.

    Returns
    -------
    list of RadarRun
        Ordered by seed, then strategy, the centralised run last within each seed.

    Notes
    -----
    The runs to compute go through :func:`isacfl.sweeps.run_jobs`, so ``ISACFL_JOBS`` (default
    1) sets how many local processes compute them; each run's result does not depend on it.
    """
    from ..fl.results import ensure_writable, load_record, results_dir as results_folder

    jobs = [(seed, strategy) for seed in seeds for strategy in list(strategies) + (["centralised"] if centralised else [])]
    data = json.dumps(dataset_identity(dataset), sort_keys=True)
    specs = [RadarRunSpec(config, strategy, data) for _, strategy in jobs]
    runs: list[RadarRun | None] = [None] * len(jobs)
    if use_cache:
        runs = [load_record(RADAR_KIND, spec, seed, "run", RadarRun.from_dict, cache_format=RADAR_CACHE_FORMAT,
                            root=results_dir) for spec, (seed, _) in zip(specs, jobs)]
    missing = [i for i, run in enumerate(runs) if run is None]
    if use_cache and missing:
        # Fail before the runs rather than lose them at the end.
        ensure_writable(results_folder(results_dir))
    compute = functools.partial(_compute_run, dataset=dataset, config=config,
                                save_to=(data, results_dir) if use_cache else None)
    computed_runs = run_jobs(compute, [Job(jobs[i][1], jobs[i][0]) for i in missing],
                             progress=progress and bool(missing), description="radar runs")
    for i, run in zip(missing, computed_runs):
        runs[i] = run
    computed = len(missing)
    logger.info("radar runs: %d computed, %d read from the result cache", computed, len(jobs) - computed)
    return runs


def summarise_runs(runs: Iterable[RadarRun]) -> dict[str, dict[str, Any]]:
    """Average the runs of each strategy over seeds.

    Returns
    -------
    dict
        For each strategy in first-seen order: ``topk_mean`` and ``topk_std`` (dicts over ``k``,
        standard deviation over seeds, 0 for one seed), ``beam_distance_mean``, ``seeds`` and the
        mean over seeds of the devices' total frames, mean SNR in dB and mean success probability.

    Examples
    --------
    >>> runs = [RadarRun("uniform", s, {1: a, 5: 2 * a}, 3.0, (10, 20), (0.0, 2.0), (1.0, 0.5), "synthetic")
    ...         for s, a in ((0, 0.2), (1, 0.4))]
    >>> summary = summarise_runs(runs)["uniform"]
    >>> round(summary["topk_mean"][1], 3), round(summary["topk_mean"][5], 3), summary["total_frames"]
    (0.3, 0.6, 30.0)
    """
    grouped: dict[str, list[RadarRun]] = {}
    for run in runs:
        grouped.setdefault(run.strategy, []).append(run)
    summary = {}
    for strategy, group in grouped.items():
        ks = sorted(group[0].topk)
        values = {k: np.array([r.topk[k] for r in group]) for k in ks}
        summary[strategy] = {
            "topk_mean": {k: float(v.mean()) for k, v in values.items()},
            "topk_std": {k: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for k, v in values.items()},
            "beam_distance_mean": float(np.mean([r.beam_distance for r in group])),
            "seeds": [r.seed for r in group],
            "total_frames": float(np.mean([sum(r.samples) for r in group])),
            "mean_snr_db": float(np.mean([np.mean(r.sensing_snr_db) for r in group])),
            "mean_success_prob": float(np.mean([np.mean(r.success_prob) for r in group])),
        }
    return summary


def claim_verdict(
    summary: dict[str, dict[str, Any]],
    claimed: str = "proposed",
    baselines: Sequence[str] = ("maxsensing", "maxcomm", "uniform"),
) -> dict[str, Any]:
    """Judge the claim that ``claimed`` has the highest top-k accuracy at every ``k``.

    The rule is the scorecard's (:mod:`isacfl.scorecard.rules`): for each ``k`` the claimed
    strategy is compared with the best baseline at that ``k`` by Welch's 95 % interval of the
    difference of means over seeds (:func:`isacfl.scorecard.rules.greater_from_summary`). The
    claim holds when every interval lies above 0, does not hold when some interval lies at or
    below 0, and is inconclusive otherwise, which includes every summary of a single seed.
    A summary has no per-seed values, so this test is unpaired. The scorecard's Fig. 12 row
    (:func:`isacfl.scorecard.radar_claim`) pairs the runs by seed and compares every baseline.

    Returns
    -------
    dict
        ``verdict`` (``"holds"``, ``"does not hold"`` or ``"inconclusive"``) and, under ``per_k``,
        for each ``k``: ``claimed`` (mean), ``best_baseline`` (name), ``baseline`` (its mean),
        ``margin`` (the difference of means), ``noise`` (the half-width of its 95 % interval;
        ``nan`` for a single seed) and ``verdict``.

    Examples
    --------
    >>> summary = {
    ...     "proposed": {"topk_mean": {1: 0.5}, "topk_std": {1: 0.01}, "seeds": [0, 1]},
    ...     "uniform": {"topk_mean": {1: 0.3}, "topk_std": {1: 0.01}, "seeds": [0, 1]},
    ... }
    >>> claim_verdict(summary, baselines=("uniform",))["verdict"]
    'holds'
    """
    from ..scorecard.rules import Verdict, all_of, greater_from_summary

    missing = [name for name in (claimed, *baselines) if name not in summary]
    if missing:
        raise ValueError(f"summary lacks the strategies {missing}; it has {sorted(summary)}")
    single_seed = min(len(summary[name]["seeds"]) for name in (claimed, *baselines)) < 2
    per_k = {}
    for k in sorted(summary[claimed]["topk_mean"]):
        best = max(baselines, key=lambda name: summary[name]["topk_mean"][k])
        margin = summary[claimed]["topk_mean"][k] - summary[best]["topk_mean"][k]
        row = {"claimed": summary[claimed]["topk_mean"][k], "best_baseline": best,
               "baseline": summary[best]["topk_mean"][k], "margin": margin}
        if single_seed:
            row.update(noise=float("nan"), verdict=Verdict.INCONCLUSIVE.value)
        else:
            def _stats(name: str) -> tuple[float, float, int]:
                n = len(summary[name]["seeds"])
                return summary[name]["topk_mean"][k], summary[name]["topk_std"][k] / np.sqrt(n), n

            comparison = greater_from_summary(_stats(claimed), _stats(best), f"top-{k} {claimed} - {best}")
            row.update(noise=float(comparison.interval.high - comparison.interval.mean),
                       verdict=comparison.verdict.value)
        per_k[k] = row
    verdict = all_of([Verdict(row["verdict"]) for row in per_k.values()])
    return {"verdict": verdict.value, "per_k": per_k}
