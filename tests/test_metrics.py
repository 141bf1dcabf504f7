"""Tests of isacfl.metrics: top-k accuracy against a brute-force sort, and beam distance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isacfl import metrics


def brute_force_topk(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Stable sort by decreasing score, ties kept in class order, then look for the label."""
    hits = 0
    for row, label in zip(scores, labels):
        order = sorted(range(len(row)), key=lambda c: -row[c])
        hits += label in order[:k]
    return hits / len(labels)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 64])
def test_topk_matches_brute_force(k):
    rng = np.random.default_rng(k)
    scores = rng.normal(size=(300, 64))
    labels = rng.integers(0, 64, size=300)
    assert metrics.topk_accuracy(scores, labels, k) == pytest.approx(brute_force_topk(scores, labels, k))


def test_topk_ties_match_brute_force():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 3, size=(500, 10)).astype(float)  # many ties
    labels = rng.integers(0, 10, size=500)
    for k in (1, 2, 3, 5):
        assert metrics.topk_accuracy(scores, labels, k) == pytest.approx(brute_force_topk(scores, labels, k))


def test_topk_hand_example():
    scores = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]
    assert metrics.topk_accuracy(scores, [1, 1, 2], 1) == pytest.approx(2 / 3)
    assert metrics.topk_accuracy(scores, [1, 1, 2], 2) == pytest.approx(1.0)
    assert metrics.topk_accuracy(scores, [0, 2, 1], 2) == pytest.approx(0.0)


def test_topk_is_monotone_and_full_at_all_classes():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(100, 8))
    labels = rng.integers(0, 8, size=100)
    values = [metrics.topk_accuracy(scores, labels, k) for k in range(1, 9)]
    assert all(a <= b for a, b in zip(values, values[1:]))
    assert values[-1] == 1.0


def test_topk_accepts_torch_tensors():
    scores = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([1, 1])
    assert metrics.topk_accuracy(scores, labels, 1) == 0.5


def test_topk_accuracies_dict():
    result = metrics.topk_accuracies([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], [2, 2], ks=(1, 2, 3))
    assert result == {1: 0.0, 2: 0.5, 3: 1.0}


@pytest.mark.parametrize("k", [0, 4, 2.0, True])
def test_topk_rejects_bad_k(k):
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 3\] \(the number of classes\)"):
        metrics.topk_accuracy(np.zeros((2, 3)), [0, 1], k)


def test_topk_rejects_label_out_of_range():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\].*got values from 0 to 3"):
        metrics.topk_accuracy(np.zeros((2, 3)), [0, 3], 1)


def test_topk_rejects_shape_mismatch():
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\), one per row of scores, got \(3,\)"):
        metrics.topk_accuracy(np.zeros((2, 3)), [0, 1, 2], 1)


def test_topk_rejects_one_dimensional_scores():
    with pytest.raises(ValueError, match=r"scores must have shape \(n_samples, n_classes\)"):
        metrics.topk_accuracy(np.zeros(3), [0, 1, 2], 1)


def test_topk_rejects_float_labels_and_nan():
    with pytest.raises(ValueError, match="labels must be integers, got dtype float64"):
        metrics.topk_accuracy(np.zeros((2, 3)), [0.0, 1.0], 1)
    with pytest.raises(ValueError, match="scores must not contain NaN"):
        metrics.topk_accuracy(np.array([[np.nan, 0.0]]), [0], 1)


def test_beam_distance_by_hand():
    scores = [[0.9, 0.1, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.5, 0.5, 0.0, 0.0]]
    # Top-1 beams 0, 3 and 0 (the tie goes to the lower index) against beams 2, 3, 1.
    assert metrics.beam_distance(scores, [2, 3, 1]) == pytest.approx((2 + 0 + 1) / 3)
