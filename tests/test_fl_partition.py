"""Splits of the training labels into the devices' clean pools."""

import numpy as np
import pytest

from isacfl.fl import partition, partition_dirichlet, partition_iid, partition_shards

LABELS = np.repeat(np.arange(10), 400)  # the layout of the 4,000-image MNIST subset


def _assert_disjoint_cover(pools, n_samples):
    joined = np.concatenate(pools)
    assert len(joined) == n_samples
    assert len(np.unique(joined)) == n_samples


def test_iid_sizes_and_cover():
    pools = partition_iid(LABELS[:1003], 10, np.random.default_rng(0))

    sizes = [len(p) for p in pools]
    assert max(sizes) - min(sizes) <= 1
    _assert_disjoint_cover(pools, 1003)


def test_iid_pools_hold_every_label():
    pools = partition_iid(LABELS, 10, np.random.default_rng(1))

    for pool in pools:
        assert set(LABELS[pool].tolist()) == set(range(10))


def test_shards_two_labels_per_device():
    pools = partition_shards(LABELS, 10, np.random.default_rng(2))

    _assert_disjoint_cover(pools, len(LABELS))
    for pool in pools:
        assert len(pool) == 400
        assert 1 <= len(set(LABELS[pool].tolist())) <= 2


def test_shards_each_shard_is_one_label():
    # 20 shards of 200 images, each inside one label's 400 images: a device holds 200 of each
    # of its labels, or all 400 of one.
    pools = partition_shards(LABELS, 10, np.random.default_rng(3))

    for pool in pools:
        counts = np.bincount(LABELS[pool], minlength=10)
        assert sorted(counts[counts > 0].tolist()) in ([200, 200], [400])


def test_shards_more_devices_than_samples_raises():
    with pytest.raises(ValueError, match="shard split needs at least 40 samples"):
        partition_shards(LABELS[:30], 20, np.random.default_rng(0))


def test_more_devices_than_samples_raises():
    with pytest.raises(ValueError, match="cannot give each of n_devices=5 devices a sample from 3"):
        partition_iid(LABELS[:3], 5, np.random.default_rng(0))


def test_dirichlet_min_size_and_cover():
    pools = partition_dirichlet(LABELS, 10, np.random.default_rng(4), alpha=0.3, min_size=50)

    _assert_disjoint_cover(pools, len(LABELS))
    assert min(len(p) for p in pools) >= 50


def test_dirichlet_small_alpha_skews_labels():
    skewed = partition_dirichlet(LABELS, 10, np.random.default_rng(5), alpha=0.05, min_size=10)
    mixed = partition_dirichlet(LABELS, 10, np.random.default_rng(5), alpha=100.0, min_size=10)

    def dominant_share(pools):
        return np.mean([np.bincount(LABELS[p], minlength=10).max() / len(p) for p in pools])

    assert dominant_share(skewed) > 0.5
    assert dominant_share(mixed) < 0.2


def test_dirichlet_impossible_min_size_raises():
    with pytest.raises(ValueError, match="needs 5000 samples, got 4000"):
        partition_dirichlet(LABELS, 10, np.random.default_rng(0), min_size=500)


def test_dirichlet_nonpositive_alpha_raises():
    with pytest.raises(ValueError, match=r"alpha must be > 0, got 0.0"):
        partition_dirichlet(LABELS, 10, np.random.default_rng(0), alpha=0.0)


def test_partition_by_name_and_unknown_name():
    by_name = partition(LABELS, 4, np.random.default_rng(6), "shards")
    direct = partition_shards(LABELS, 4, np.random.default_rng(6))
    for a, b in zip(by_name, direct):
        np.testing.assert_array_equal(a, b)

    with pytest.raises(ValueError, match="method must be one of"):
        partition(LABELS, 4, np.random.default_rng(0), "pathological")


def test_same_seed_same_split():
    a = partition_shards(LABELS, 10, np.random.default_rng(9))
    b = partition_shards(LABELS, 10, np.random.default_rng(9))

    for pool_a, pool_b in zip(a, b):
        np.testing.assert_array_equal(pool_a, pool_b)
