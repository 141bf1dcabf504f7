"""One cached MNIST run of FL under an allocation: ``run(config, seed) -> History``.

:func:`run` is the unit of work of every learning experiment. It is a plain top-level function of
picklable arguments, so sweeps can hand lists of ``(config, seed)`` to joblib, and a run whose
result file is already on disk costs one file read.

A run, from one seed split into independent streams (see :func:`isacfl.fl.seed_streams`):

1. draw the device positions (``positions`` stream) and allocate energy with the config's
   strategy, which gives each device its samples ``D_n``, sensing SNR ``gamma_n`` and upload
   success probability ``p_n``;
2. split the clean MNIST training images into the devices' pools (``partition`` stream);
3. acquire ``D_n`` noisy samples per device at SNR ``gamma_n`` (``acquisition`` stream);
4. train with FedAvg (``uploads``, ``init`` and ``batches`` streams) and write the result file.

Threads: a run uses one torch thread (restored afterwards), and experiments get their parallelism
by running several runs at once. The numbers of a run therefore do not depend on how many cores
the machine has or on joblib's worker count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from tqdm import tqdm

from ..channel import snr_db
from ..data import MnistData, load_mnist
from ..models import MLP
from .acquisition import acquire_devices
from .config import RunConfig
from .engine import federated_averaging, seed_streams
from .history import History
from .partition import partition
from .results import ensure_writable, load_result, save_result
from .results import results_dir as results_folder

__all__ = ["run", "run_many", "prepare_devices", "mnist_split", "TORCH_THREADS_PER_RUN", "torch_threads"]

logger = logging.getLogger(__name__)

#: Torch threads of one run; parallelism comes from running runs side by side.
TORCH_THREADS_PER_RUN = 1

# Seed of the fixed draw of the test images, shared by every run so that all runs score on the
# same test set.
_TEST_SUBSET_SEED = 20260


@lru_cache(maxsize=1)
def _mnist() -> MnistData:
    return load_mnist()


def mnist_split(config: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Return the clean training images and labels of a run, the test images and labels, and the source.

    ``config.train_images`` images are drawn from the training set with ``rng``; the test images
    are the first ``config.test_images`` of a fixed random order, the same for every run. A size
    larger than the data set (the shipped subset holds 4,000 training and 1,000 test images) is
    capped at the data set's size, and the cap is logged.
    """
    data = _mnist()
    train_count = len(data.train_labels) if config.train_images is None else config.train_images
    test_count = len(data.test_labels) if config.test_images is None else config.test_images
    if train_count > len(data.train_labels) or test_count > len(data.test_labels):
        logger.info("capping train_images=%s and test_images=%s at the %s training and %s test images of %s",
                    config.train_images, config.test_images, len(data.train_labels), len(data.test_labels),
                    data.source)
        train_count = min(train_count, len(data.train_labels))
        test_count = min(test_count, len(data.test_labels))
    train = np.sort(rng.permutation(len(data.train_labels))[:train_count])
    test = np.random.default_rng(_TEST_SUBSET_SEED).permutation(len(data.test_labels))[:test_count]
    return data.train_images[train], data.train_labels[train], data.test_images[test], data.test_labels[test], data.source


def _allocate(scenario: Any, strategy: str, rho: float | None) -> Any:
    from ..allocation import allocate

    return allocate(scenario, strategy, rho=rho)


def prepare_devices(config: RunConfig, seed: int) -> dict[str, Any]:
    """Build everything a run trains on, before any training.

    Returns
    -------
    dict
        ``scenario``, ``allocation``, ``device_data`` (list of (images, labels)), ``test_data``,
        ``pools`` (indices of each device's clean pool) and ``data_source``.

    Raises
    ------
    ValueError
        If the split cannot give every device data (for example more label shards than training
        images), or the allocation does not return one sample count per device.
    """
    streams = seed_streams(seed)
    scenario = config.scenario(streams["positions"])
    allocation = _allocate(scenario, config.strategy, config.rho)
    samples = np.asarray(allocation.samples, dtype=np.int64)
    if samples.shape != (config.n_devices,):
        raise ValueError(f"the allocation returned {samples.shape} sample counts for {config.n_devices} devices")

    partition_rng = np.random.default_rng(streams["partition"])
    train_x, train_y, test_x, test_y, source = mnist_split(config, partition_rng)
    pools = partition(train_y, config.n_devices, partition_rng, config.partition,
                      alpha=config.dirichlet_alpha, min_size=config.dirichlet_min_size)
    device_data = acquire_devices(train_x, train_y, pools, samples, allocation.sensing_snr,
                                  np.random.default_rng(streams["acquisition"]))
    return {"scenario": scenario, "allocation": allocation, "device_data": device_data,
            "test_data": (test_x, test_y), "pools": pools, "data_source": source}


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the enclosed block with ``count`` torch threads, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def run(config: RunConfig, seed: int, *, results_dir: str | Path | None = None, use_cache: bool = True,
        progress: bool = False) -> History:
    """Run FL on MNIST under ``config`` with ``seed``, or read the cached result of that pair.

    Parameters
    ----------
    config : RunConfig
        Everything but the seed.
    seed : int
        Run seed (>= 0), split into the independent streams of positions, partition, acquisition
        noise, uploads, initialisation and batch order.
    results_dir : str or Path, optional
        Result folder; default ``ISACFL_RESULTS_DIR`` or ``results/cache`` in the repository.
    use_cache : bool
        Read an existing valid result file instead of computing. The result is written either way.
    progress : bool
        Show a tqdm bar over rounds.

    Returns
    -------
    History
        Per-round metrics; ``info`` records the per-device samples, sensing SNR in dB, success
        probability and pool size, the allocation's ``gamma_min`` and objective, the data source,
        the profile and the code version.

    Raises
    ------
    ValueError
        If the config cannot be run (see :func:`prepare_devices`) or the seed is negative.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    if use_cache:
        cached = load_result(config, seed, results_dir)
        if cached is not None:
            logger.debug("using the cached result of config %s, seed %s", config.hash, seed)
            return cached

    # Fail before the run rather than lose it at the end.
    ensure_writable(results_folder(results_dir))
    with torch_threads(TORCH_THREADS_PER_RUN):
        setup = prepare_devices(config, seed)
        allocation = setup["allocation"]
        logger.info("FL run: strategy %s, %s devices, %s split, seed %s, profile %s, data %s, config %s",
                    config.strategy, config.n_devices, config.partition, seed, config.profile,
                    setup["data_source"], config.hash)
        history = federated_averaging(
            MLP, setup["device_data"], allocation.success_prob, setup["test_data"],
            num_rounds=config.num_rounds, local_steps=config.local_steps, batch_size=config.batch_size,
            learning_rate=config.learning_rate, eval_every=config.eval_every, seed=seed,
            engine=config.engine, train_loss_samples=config.train_loss_samples, progress=progress,
        )
    history.info.update(
        samples=[int(d) for d in allocation.samples],
        sensing_snr_db=[float(v) for v in snr_db(allocation.sensing_snr)],
        success_prob=[float(p) for p in allocation.success_prob],
        pool_sizes=[len(pool) for pool in setup["pools"]],
        gamma_min=float(allocation.gamma_min),
        objective=float(allocation.objective),
        data_source=setup["data_source"],
        profile=config.profile,
    )
    save_result(config, seed, history, results_dir)
    return history


def run_many(jobs: Iterable[tuple[RunConfig, int]], *, results_dir: str | Path | None = None,
             n_jobs: int | None = None, progress: bool = True) -> list[History]:
    """Run (or read) every ``(config, seed)`` pair, in parallel processes when ``n_jobs`` is not 1.

    Results come back in the order of ``jobs``. Cached pairs are read in this process and only
    the missing ones are sent to joblib. ``n_jobs`` defaults to ``ISACFL_JOBS``, else 1 (see
    :func:`isacfl.sweeps.default_jobs`); -1 uses every core.
    """
    from ..sweeps.runner import default_jobs, quiet_worker_restarts

    n_jobs = default_jobs(n_jobs)
    jobs = list(jobs)
    histories: list[History | None] = [load_result(c, s, results_dir) for c, s in jobs]
    missing = [i for i, h in enumerate(histories) if h is None]
    if missing:
        logger.info("FL runs: %s of %s to compute, %s cached", len(missing), len(jobs), len(jobs) - len(missing))
    if n_jobs != 1 and len(missing) > 1:
        import joblib

        calls = (joblib.delayed(run)(jobs[i][0], jobs[i][1], results_dir=results_dir, use_cache=False)
                 for i in missing)
        computed: Sequence[History] = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(calls)
        with quiet_worker_restarts():
            for i, history in zip(missing, tqdm(computed, total=len(missing), desc="FL runs", disable=not progress)):
                histories[i] = history
    else:
        for i in tqdm(missing, desc="FL runs", disable=not progress):
            histories[i] = run(jobs[i][0], jobs[i][1], results_dir=results_dir, use_cache=False)
    return [h for h in histories if h is not None]
