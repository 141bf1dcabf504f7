"""Classification metrics: top-k accuracy and beam distance."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["topk_accuracy", "topk_accuracies", "beam_distance"]


def _check_scores_labels(scores: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels)
    if s.ndim != 2 or s.shape[0] == 0:
        raise ValueError(f"scores must have shape (n_samples, n_classes) with n_samples >= 1, got {s.shape}")
    if y.shape != (s.shape[0],):
        raise ValueError(f"labels must have shape ({s.shape[0]},), one per row of scores, got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    if y.min() < 0 or y.max() >= s.shape[1]:
        raise ValueError(
            f"labels must lie in [0, {s.shape[1] - 1}] (one column of scores per class), "
            f"got values from {y.min()} to {y.max()}"
        )
    if np.isnan(s).any():
        raise ValueError("scores must not contain NaN")
    return s, y.astype(np.int64)


def _label_ranks(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """0-based rank of each true label among the classes, ties going to the lower class index."""
    true_score = scores[np.arange(len(labels)), labels][:, None]
    higher = (scores > true_score).sum(axis=1)
    classes = np.arange(scores.shape[1])
    tied_before = ((scores == true_score) & (classes < labels[:, None])).sum(axis=1)
    return higher + tied_before


def topk_accuracy(scores: ArrayLike, labels: ArrayLike, k: int) -> float:
    """Fraction of samples whose true class is among the ``k`` highest-scoring classes.

    Parameters
    ----------
    scores : array_like, shape (n_samples, n_classes)
        A score per class (logits or probabilities; only their order matters). A detached CPU
        torch tensor is accepted.
    labels : array_like of int, shape (n_samples,)
        True class of each sample, 0-based.
    k : int
        Number of top classes counted, from 1 to ``n_classes``.

    Returns
    -------
    float
        Top-k accuracy in [0, 1].

    Raises
    ------
    ValueError
        If ``k`` is not an integer from 1 to ``n_classes``, or the shapes, the label range or
        the scores are invalid.

    Notes
    -----
    Ties are broken towards the lower class index, as a stable sort by decreasing score does,
    so the result is deterministic and never counts more than ``k`` classes per sample.

    Examples
    --------
    >>> scores = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]
    >>> topk_accuracy(scores, [2, 0, 1], k=1), topk_accuracy(scores, [2, 0, 1], k=3)
    (0.3333333333333333, 1.0)

    In the last row classes 0 and 1 tie for second place, and class 0 takes it:

    >>> topk_accuracy(scores, [2, 0, 1], k=2)
    0.6666666666666666
    """
    s, y = _check_scores_labels(scores, labels)
    n_classes = s.shape[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_classes:
        raise ValueError(f"k must be an integer in [1, {n_classes}] (the number of classes), got {k!r}")
    return float(np.mean(_label_ranks(s, y) < k))


def topk_accuracies(scores: ArrayLike, labels: ArrayLike, ks: Iterable[int] = (1, 2, 3, 5)) -> dict[int, float]:
    """Top-k accuracy for every ``k`` in ``ks``, as a dict ``{k: accuracy}``.

    Examples
    --------
    >>> topk_accuracies([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], [2, 2], ks=(1, 2, 3))
    {1: 0.0, 2: 0.5, 3: 1.0}
    """
    return {int(k): topk_accuracy(scores, labels, k) for k in ks}


def beam_distance(scores: ArrayLike, labels: ArrayLike) -> float:
    """Mean absolute index distance between the top-1 class and the true class.

    For a codebook whose beams are ordered by steering angle this is the average pointing error
    in beams, the second metric of the DeepSense 6G radar baseline. The top-1 class follows the
    tie rule of :func:`topk_accuracy`.

    Examples
    --------
    >>> beam_distance([[0.1, 0.7, 0.2], [0.1, 0.2, 0.7]], [0, 2])
    0.5
    """
    s, y = _check_scores_labels(scores, labels)
    top1 = np.argmax(s, axis=1)  # argmax returns the first maximum, the lower index on ties
    return float(np.mean(np.abs(top1 - y)))
