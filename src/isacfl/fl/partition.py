"""Split a labelled training set into the devices' clean pools: IID, label shards, Dirichlet.

Each function returns one array of indices into the labels per device. Every device must get at
least one sample; a split that cannot give every device data raises ``ValueError`` before any
training starts.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["partition_iid", "partition_shards", "partition_dirichlet", "partition", "PARTITIONS"]

#: Names accepted by :func:`partition`.
PARTITIONS = ("iid", "shards", "dirichlet")


def _check_inputs(labels: ArrayLike, n_devices: int, rng: np.random.Generator) -> np.ndarray:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(n_devices, bool) or not isinstance(n_devices, (int, np.integer)) or n_devices < 1:
        raise ValueError(f"n_devices must be an integer >= 1, got {n_devices!r}")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
    if len(labels) < n_devices:
        raise ValueError(
            f"cannot give each of n_devices={n_devices} devices a sample from {len(labels)} samples; "
            f"use at most {len(labels)} devices or more training images"
        )
    return labels


def partition_iid(labels: ArrayLike, n_devices: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle the samples and deal them into ``n_devices`` pools of near-equal size.

    Pool sizes differ by at most one sample.

    Examples
    --------
    >>> pools = partition_iid(np.arange(10) % 2, 3, np.random.default_rng(0))
    >>> [len(p) for p in pools]
    [4, 3, 3]
    """
    labels = _check_inputs(labels, n_devices, rng)
    order = rng.permutation(len(labels))
    return [np.sort(chunk) for chunk in np.array_split(order, n_devices)]


def partition_shards(
    labels: ArrayLike, n_devices: int, rng: np.random.Generator, *, shards_per_device: int = 2
) -> list[np.ndarray]:
    """Label-skewed split: sort by label, cut ``shards_per_device * N`` shards, deal them at random.

    This is the Non-IID split of the FedAvg paper (McMahan et al., 2017): with two shards per
    device, each device holds at most two labels when shards do not straddle label boundaries.
    Ties in the label sort are broken at random so that a shard is a random draw of its label.

    Raises
    ------
    ValueError
        If there are fewer samples than shards, so that some shard would be empty.

    Examples
    --------
    >>> labels = np.repeat(np.arange(4), 5)
    >>> pools = partition_shards(labels, 2, np.random.default_rng(0))
    >>> [len(p) for p in pools], [len(set(labels[p].tolist())) for p in pools]
    ([10, 10], [2, 2])
    """
    labels = _check_inputs(labels, n_devices, rng)
    if isinstance(shards_per_device, bool) or not isinstance(shards_per_device, (int, np.integer)) \
            or shards_per_device < 1:
        raise ValueError(f"shards_per_device must be an integer >= 1, got {shards_per_device!r}")
    n_shards = n_devices * shards_per_device
    if len(labels) < n_shards:
        raise ValueError(
            f"the shard split needs at least {n_shards} samples ({shards_per_device} shards for each of "
            f"{n_devices} devices), got {len(labels)}; use fewer devices or more training images"
        )
    tie_break = rng.permutation(len(labels))
    order = tie_break[np.argsort(labels[tie_break], kind="stable")]
    shards = np.array_split(order, n_shards)
    shard_owner = rng.permutation(n_shards).reshape(n_devices, shards_per_device)
    return [np.sort(np.concatenate([shards[s] for s in owned])) for owned in shard_owner]


def partition_dirichlet(
    labels: ArrayLike,
    n_devices: int,
    rng: np.random.Generator,
    *,
    alpha: float = 0.5,
    min_size: int = 10,
    max_tries: int = 100,
) -> list[np.ndarray]:
    """Label-skewed split: each label's samples go to devices in Dirichlet(``alpha``) proportions.

    A smaller ``alpha`` gives stronger skew. The draw is repeated until every device holds at
    least ``min_size`` samples (the usual rejection rule of Hsu et al., 2019).

    Raises
    ------
    ValueError
        If ``alpha <= 0``, if ``min_size * n_devices`` exceeds the number of samples, or if no draw
        in ``max_tries`` meets ``min_size``.

    Examples
    --------
    >>> labels = np.repeat(np.arange(10), 50)
    >>> pools = partition_dirichlet(labels, 5, np.random.default_rng(0), alpha=0.3, min_size=20)
    >>> sum(len(p) for p in pools), min(len(p) for p in pools) >= 20
    (500, True)
    """
    labels = _check_inputs(labels, n_devices, rng)
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}; allowed range is (0, inf)")
    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)) or min_size < 1:
        raise ValueError(f"min_size must be an integer >= 1, got {min_size!r}")
    if min_size * n_devices > len(labels):
        raise ValueError(
            f"min_size={min_size} for each of {n_devices} devices needs {min_size * n_devices} samples, "
            f"got {len(labels)}"
        )
    classes = np.unique(labels)
    for _ in range(max_tries):
        pools: list[list[np.ndarray]] = [[] for _ in range(n_devices)]
        for label in classes:
            members = rng.permutation(np.flatnonzero(labels == label))
            shares = rng.dirichlet(np.full(n_devices, float(alpha)))
            cuts = (np.cumsum(shares)[:-1] * len(members)).astype(int)
            for device, chunk in enumerate(np.split(members, cuts)):
                pools[device].append(chunk)
        result = [np.sort(np.concatenate(parts)) for parts in pools]
        if min(len(p) for p in result) >= min_size:
            return result
    raise ValueError(
        f"no Dirichlet(alpha={alpha}) split in {max_tries} draws gave every device at least "
        f"{min_size} samples; raise alpha or lower min_size"
    )


def partition(
    labels: ArrayLike,
    n_devices: int,
    rng: np.random.Generator,
    method: str = "iid",
    *,
    alpha: float = 0.5,
    min_size: int = 10,
) -> list[np.ndarray]:
    """Split by name: ``"iid"``, ``"shards"`` (two label shards per device) or ``"dirichlet"``.

    Raises
    ------
    ValueError
        If ``method`` is unknown, or from the chosen split (see its documentation).
    """
    if method == "iid":
        return partition_iid(labels, n_devices, rng)
    if method == "shards":
        return partition_shards(labels, n_devices, rng)
    if method == "dirichlet":
        return partition_dirichlet(labels, n_devices, rng, alpha=alpha, min_size=min_size)
    raise ValueError(f"method must be one of {list(PARTITIONS)}, got {method!r}")
