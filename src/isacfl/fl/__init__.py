"""Federated learning over sensed data: partition, acquisition, FedAvg engines, cached runs.

The engine (:func:`federated_averaging`) is generic over the torch model and the per-device data.
MNIST-specific glue (partition of the training set, sensing noise at each device's SNR, the
allocation of a scenario) sits in :mod:`isacfl.fl.runner`, whose :func:`run` reads a
:class:`RunConfig` and a seed and caches its :class:`History` on disk.
"""

from .acquisition import acquire, acquire_devices, observation_indices
from .aggregate import aggregate, aggregate_stacked, aggregation_weights
from .engine import ENGINES, STREAM_NAMES, draw_batch_indices, draw_uploads, federated_averaging, seed_streams
from .config import CACHE_FORMAT, STRATEGIES, RunConfig
from .history import History
from .partition import PARTITIONS, partition, partition_dirichlet, partition_iid, partition_shards
from .results import load_result, result_path, results_dir, save_result
from .runner import mnist_split, prepare_devices, run, run_many

__all__ = [
    "acquire",
    "acquire_devices",
    "observation_indices",
    "aggregate",
    "aggregate_stacked",
    "aggregation_weights",
    "federated_averaging",
    "seed_streams",
    "draw_uploads",
    "draw_batch_indices",
    "ENGINES",
    "STREAM_NAMES",
    "History",
    "partition",
    "partition_iid",
    "partition_shards",
    "partition_dirichlet",
    "PARTITIONS",
    "RunConfig",
    "STRATEGIES",
    "CACHE_FORMAT",
    "run",
    "run_many",
    "prepare_devices",
    "mnist_split",
    "load_result",
    "save_result",
    "result_path",
    "results_dir",
]
