"""FedAvg aggregation over the devices whose upload got through (E8).

``w_{t+1} = sum_{n in S_t} D_n w_n / sum_{m in S_t} D_m``, where ``S_t`` is the set of devices whose
upload succeeded in round ``t``. When no upload with data gets through, the global model is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

__all__ = ["aggregate", "aggregate_stacked", "aggregation_weights"]

logger = logging.getLogger(__name__)

StateDict = Mapping[str, torch.Tensor]


def aggregation_weights(num_examples: ArrayLike, uploaded: ArrayLike) -> np.ndarray | None:
    """Weights ``D_n 1_n / sum_m D_m 1_m`` of FedAvg over the devices that uploaded.

    Parameters
    ----------
    num_examples : array_like of int, shape (n,)
        Samples ``D_n`` each device trained on (>= 0).
    uploaded : array_like of bool, shape (n,)
        Whether each device's upload got through.

    Returns
    -------
    numpy.ndarray or None
        Weights that sum to 1, zero for devices that did not upload; ``None`` when the uploaders
        hold no samples at all (no upload got through, or only devices with ``D_n = 0``).

    Raises
    ------
    ValueError
        If the shapes differ or a sample count is negative.

    Examples
    --------
    >>> aggregation_weights([100, 100, 300], [True, True, False])
    array([0.5, 0.5, 0. ])
    >>> aggregation_weights([100, 100], [False, False]) is None
    True
    """
    counts = np.asarray(num_examples, dtype=float)
    flags = np.asarray(uploaded, dtype=bool)
    if counts.ndim != 1 or counts.shape != flags.shape:
        raise ValueError(
            f"num_examples and uploaded must be one-dimensional and of equal length, "
            f"got shapes {counts.shape} and {flags.shape}"
        )
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError(f"num_examples must be finite and >= 0, got {num_examples!r}")
    mass = np.where(flags, counts, 0.0)
    total = mass.sum()
    if total <= 0:
        return None
    return mass / total


def aggregate(
    global_state: StateDict,
    client_states: Sequence[StateDict],
    num_examples: ArrayLike,
    uploaded: ArrayLike,
) -> dict[str, torch.Tensor]:
    """Average the uploaded client models, weighted by their sample counts (FedAvg, E8).

    Parameters
    ----------
    global_state : mapping of str to torch.Tensor
        State dict of the model broadcast at the start of the round.
    client_states : sequence of mappings
        One state dict per device, with the same keys and shapes as ``global_state``. Entries of
        devices that did not upload are never read, so they may be stale.
    num_examples : array_like of int, shape (n,)
        Samples ``D_n`` of each device: the FedAvg weight.
    uploaded : array_like of bool, shape (n,)
        Whether each device's upload got through.

    Returns
    -------
    dict of str to torch.Tensor
        The new global state. If the uploaders hold no samples, a copy of ``global_state``.
        Tensors that are not floating point (counters such as BatchNorm's ``num_batches_tracked``)
        are copied from ``global_state``.

    Raises
    ------
    ValueError
        If the number of client states differs from the length of ``num_examples``, or the state
        of an uploading client lacks a key of ``global_state`` or contains a tensor of another shape.

    Notes
    -----
    Weights come from :func:`aggregation_weights`: a device that did not upload has weight 0, so
    two uploaders with equal data get 0.5 each however many devices exist.

    Examples
    --------
    >>> g = {"w": torch.zeros(2)}
    >>> clients = [{"w": torch.ones(2)}, {"w": 3 * torch.ones(2)}, {"w": 100 * torch.ones(2)}]
    >>> aggregate(g, clients, [10, 10, 10], [True, True, False])["w"]
    tensor([2., 2.])
    >>> aggregate(g, clients, [10, 10, 10], [False, False, False])["w"]
    tensor([0., 0.])
    """
    weights = aggregation_weights(num_examples, uploaded)
    if len(client_states) != len(np.asarray(num_examples)):
        raise ValueError(
            f"got {len(client_states)} client states but {len(np.asarray(num_examples))} sample counts"
        )
    if weights is None:
        return {name: tensor.detach().clone() for name, tensor in global_state.items()}
    senders = np.flatnonzero(weights > 0)
    new_state: dict[str, torch.Tensor] = {}
    for name, tensor in global_state.items():
        if not torch.is_floating_point(tensor):
            new_state[name] = tensor.detach().clone()
            continue
        total = torch.zeros_like(tensor)
        for n in senders:
            if name not in client_states[n]:
                raise ValueError(f"client state {n} lacks the parameter {name!r} of the global model")
            client = client_states[n][name]
            # torch would broadcast a smaller tensor into the sum without an error.
            if client.shape != tensor.shape:
                raise ValueError(
                    f"client state {n} has parameter {name!r} of shape {tuple(client.shape)}, "
                    f"but the global model's is {tuple(tensor.shape)}"
                )
            total += float(weights[n]) * client.detach().to(tensor.dtype)
        new_state[name] = total
    return new_state


def aggregate_stacked(
    global_state: StateDict,
    stacked_states: StateDict,
    num_examples: ArrayLike,
    uploaded: ArrayLike,
) -> dict[str, torch.Tensor]:
    """Same as :func:`aggregate`, for client states stacked along a leading device axis.

    ``stacked_states[name]`` has shape ``(n, *global_state[name].shape)``, the layout in which the
    vectorised engine keeps the client models. The result equals :func:`aggregate` on the
    unstacked states up to float rounding.

    Examples
    --------
    >>> g = {"w": torch.zeros(2)}
    >>> stacked = {"w": torch.tensor([[1.0, 1.0], [3.0, 3.0]])}
    >>> aggregate_stacked(g, stacked, [10, 30], [True, True])["w"]
    tensor([2.5000, 2.5000])
    """
    weights = aggregation_weights(num_examples, uploaded)
    if weights is None:
        return {name: tensor.detach().clone() for name, tensor in global_state.items()}
    new_state: dict[str, torch.Tensor] = {}
    for name, tensor in global_state.items():
        if not torch.is_floating_point(tensor):
            new_state[name] = tensor.detach().clone()
            continue
        if name not in stacked_states:
            raise ValueError(f"the stacked client states lack the parameter {name!r} of the global model")
        stacked = stacked_states[name].detach()
        if stacked.shape[1:] != tensor.shape or stacked.shape[0] != len(weights):
            raise ValueError(
                f"stacked state {name!r} must have shape ({len(weights)}, *{tuple(tensor.shape)}), "
                f"got {tuple(stacked.shape)}"
            )
        w = torch.as_tensor(weights, dtype=stacked.dtype)
        new_state[name] = torch.tensordot(w, stacked, dims=1)
    return new_state
