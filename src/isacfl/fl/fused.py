"""Hand-written local SGD for stacks of dense layers: the ``fused`` FedAvg engine.

Take a model that is a chain of ``nn.Linear`` layers with LeakyReLU or ReLU between them, trained
on the cross-entropy of its logits (the book's 784-256-256-10 MLP is one). Its forward pass,
backward pass and SGD update need only matmuls and a few elementwise kernels, so the engine calls
those directly, without autograd or ``torch.func.vmap``. :class:`FusedTrainer` trains the devices
of a round one after another in preallocated buffers:

* forward: ``z_l = h_{l-1} W_l^T + b_l`` (``torch.addmm`` into a buffer), ``h_l = LeakyReLU(z_l)``;
* output gradient: ``g_L = (softmax(z_L) - onehot(y)) / B``, the gradient of the mean
  cross-entropy over the batch of ``B`` samples;
* backward, from the last layer down: ``g_{l-1} = (g_l W_l) * LeakyReLU'(z_{l-1})``, computed
  before ``W_l`` changes; the input gradient of the first layer is never formed;
* update: ``W_l -= eta g_l^T h_{l-1}`` as one in-place ``addmm_``, and ``b_l -= eta sum_rows(g_l)``.

Each device keeps one model (about 1 MB for the MNIST MLP) in cache over its ``K`` steps. At one
torch thread this loop took the same time as one ``baddbmm`` over all devices per layer in a
stand-alone test, and it trains only the devices whose upload gets through. The result equals
the reference engine's (``torch.optim.SGD`` over autograd) up to float rounding, because the same
products are summed in a different order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..models import MLP
from .aggregate import aggregation_weights

__all__ = ["FusedTrainer", "DenseLayer", "dense_layers"]

# ATen's out= variants of LeakyReLU and its backward, the kernels that autograd calls, so that
# activations and gradients are written into the preallocated buffers.
_aten = torch.ops.aten


@dataclass(frozen=True)
class DenseLayer:
    """One ``nn.Linear`` of a dense stack and the activation that follows it."""

    #: State-dict name of the weight, shape (out_features, in_features).
    weight: str
    #: State-dict name of the bias, or None for a layer without bias.
    bias: str | None
    #: Slope of the LeakyReLU after the layer for negative inputs: 0 for ReLU, 1 for no activation.
    negative_slope: float


def _unsupported(model: nn.Module, detail: str) -> ValueError:
    return ValueError(
        f"the fused engine needs a stack of nn.Linear layers with LeakyReLU or ReLU between them "
        f"(isacfl.models.MLP, nn.Sequential or nn.Linear), but model {type(model).__name__} {detail}; "
        f"use engine='reference' or engine='vectorised'"
    )


def _count(number: int, noun: str) -> str:
    """Return ``number`` and ``noun``, with the plural ``s`` unless the number is 1."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def dense_layers(model: nn.Module, sample_shape: tuple[int, ...]) -> list[DenseLayer]:
    """Describe ``model`` as a chain of dense layers, or raise if it is not one.

    Accepted models are :class:`isacfl.models.MLP`, an ``nn.Linear``, and an ``nn.Sequential`` of
    an optional leading ``nn.Flatten``, ``nn.Linear`` layers, and at most one ``nn.LeakyReLU`` or
    ``nn.ReLU`` after each Linear except the last. Two Linear layers in a row are allowed; the
    first then has slope 1 (no activation).

    Parameters
    ----------
    model : torch.nn.Module
        The classifier the engine would train.
    sample_shape : tuple of int
        Shape of one input sample. MLP and a Sequential starting with Flatten flatten it; any other
        accepted model needs one-dimensional samples.

    Returns
    -------
    list of DenseLayer
        The layers from input to output.

    Raises
    ------
    ValueError
        If the model has another structure, buffers, non-float32 or frozen parameters, forward
        hooks, or Linear layers that share a weight or bias tensor. Also if the widths of
        consecutive layers do not chain, or the sample size differs from the first layer's
        ``in_features``. The message names the model's class.

    Examples
    --------
    >>> [layer.negative_slope for layer in dense_layers(MLP((784, 32, 10)), (28, 28))]
    [0.01, 1.0]
    >>> dense_layers(nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 8, 8))
    Traceback (most recent call last):
    ...
    ValueError: the fused engine needs a stack of nn.Linear layers ... but model Sequential contains Conv2d; ...
    """
    if type(model) is MLP:
        modules, flattens = list(model.layers), True
    elif type(model) is nn.Sequential:
        modules = list(model)
        flattens = bool(modules) and type(modules[0]) is nn.Flatten
        if flattens and (modules[0].start_dim, modules[0].end_dim) != (1, -1):
            raise _unsupported(model, "flattens only some dimensions")
        modules = modules[1:] if flattens else modules
    elif type(model) is nn.Linear:
        modules, flattens = [model], False
    else:
        raise _unsupported(model, "is neither of these")
    buffers = [name for name, _ in model.named_buffers()]
    if buffers:
        raise _unsupported(model, f"has buffers {buffers}")
    bad_dtype = [name for name, p in model.named_parameters() if p.dtype != torch.float32]
    if bad_dtype:
        raise _unsupported(model, f"has parameters that are not float32: {bad_dtype}")
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    if frozen:
        raise _unsupported(model, f"has parameters with requires_grad=False, which the fused engine would "
                                  f"train: {frozen}")
    hooked = [name or "(the model itself)" for name, module in model.named_modules()
              if module._forward_hooks or module._forward_pre_hooks]
    if hooked:
        raise _unsupported(model, f"has forward hooks or forward pre-hooks, which the fused engine would "
                                  f"skip, on modules {hooked}")
    if nn.modules.module._global_forward_hooks or nn.modules.module._global_forward_pre_hooks:
        raise _unsupported(model, "runs under global forward hooks or forward pre-hooks, which the fused "
                                  "engine would skip")

    names = {id(p): name for name, p in model.named_parameters()}
    linears: list[nn.Linear] = []
    slopes: list[float] = []
    for module in modules:
        if type(module) is nn.Linear:
            linears.append(module)
            slopes.append(1.0)
        elif type(module) in (nn.LeakyReLU, nn.ReLU):
            if not linears or slopes[-1] != 1.0:
                raise _unsupported(model, f"has a {type(module).__name__} that does not follow a Linear layer")
            slopes[-1] = float(module.negative_slope) if type(module) is nn.LeakyReLU else 0.0
        else:
            raise _unsupported(model, f"contains {type(module).__name__}")
    if not linears:
        raise _unsupported(model, "has no Linear layer")
    if len({id(linear) for linear in linears}) < len(linears):
        raise _unsupported(model, "uses one Linear layer at two places, which shares its weights")
    tensors = [p for linear in linears for p in (linear.weight, linear.bias) if p is not None]
    if len({id(p) for p in tensors}) < len(tensors):
        raise _unsupported(model, "has Linear layers that share a weight or bias tensor")
    if type(modules[-1]) is not nn.Linear:
        raise _unsupported(model, "ends with an activation instead of a Linear layer")
    for first, second in zip(linears[:-1], linears[1:]):
        if first.out_features != second.in_features:
            raise _unsupported(model, f"chains a Linear with {_count(first.out_features, 'output')} into one "
                                      f"with {_count(second.in_features, 'input')}")

    if flattens:
        features = int(np.prod(sample_shape))
    else:
        features = sample_shape[0] if len(sample_shape) == 1 else None
    if features != linears[0].in_features:
        raise ValueError(
            f"samples of shape {tuple(sample_shape)} do not fit the first Linear layer of model "
            f"{type(model).__name__}, which has {_count(linears[0].in_features, 'input')}"
            + ("" if flattens else " and does not flatten its input")
        )
    return [DenseLayer(names[id(linear.weight)], None if linear.bias is None else names[id(linear.bias)], slope)
            for linear, slope in zip(linears, slopes)]


class FusedTrainer:
    """Local SGD of the devices of a round by hand-written forward and backward passes.

    Parameters
    ----------
    model : torch.nn.Module
        A dense stack accepted by :func:`dense_layers`. Only its structure is read, once, here:
        the trainer never calls the model, so hooks or ``requires_grad`` changes made to it later
        have no effect on training.
    learning_rate : float
        SGD step size ``eta``.
    sample_shape : tuple of int
        Shape of one training sample.

    Raises
    ------
    ValueError
        If :func:`dense_layers` rejects the model.

    Notes
    -----
    The local update is plain SGD on the mean cross-entropy of each mini-batch, as in the
    reference engine; the aggregation is FedAvg over the uploads that got through (E8).
    Buffers are allocated at the first round and reused, so a round allocates only the new
    global state.

    Examples
    --------
    >>> trainer = FusedTrainer(MLP((4, 8, 3)), 0.1, (4,))
    >>> [layer.weight for layer in trainer.layers]
    ['layers.0.weight', 'layers.2.weight']
    """

    def __init__(self, model: nn.Module, learning_rate: float, sample_shape: tuple[int, ...]):
        self.layers = dense_layers(model, tuple(sample_shape))
        self.learning_rate = float(learning_rate)
        params = dict(model.named_parameters())
        self.widths = [params[self.layers[0].weight].shape[1]] + [params[layer.weight].shape[0]
                                                                   for layer in self.layers]
        self._shape: tuple[int, int] | None = None

    def check_labels(self, labels: torch.Tensor) -> None:
        """Raise ValueError unless every label is a class index of the model's output.

        Examples
        --------
        >>> FusedTrainer(MLP((4, 8, 3)), 0.1, (4,)).check_labels(torch.tensor([0, 3]))
        Traceback (most recent call last):
        ...
        ValueError: labels must lie in [0, 2] for a model with 3 outputs, got labels in [0, 3]
        """
        n_classes = self.widths[-1]
        if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
            raise ValueError(f"labels must lie in [0, {n_classes - 1}] for a model with "
                             f"{_count(n_classes, 'output')}, "
                             f"got labels in [{int(labels.min())}, {int(labels.max())}]")

    def _allocate(self, local_steps: int, batch_size: int, global_state: Mapping[str, torch.Tensor]) -> None:
        """Allocate the working model and the activation and gradient buffers of one device."""
        self.weights = [torch.empty_like(global_state[layer.weight]) for layer in self.layers]
        self.biases = [None if layer.bias is None else torch.empty_like(global_state[layer.bias])
                       for layer in self.layers]
        empty = lambda *shape: torch.empty(*shape, dtype=torch.float32)  # noqa: E731
        self.inputs = empty(local_steps * batch_size, self.widths[0])
        self.targets = empty(local_steps, batch_size, self.widths[-1])
        # pre[l] is z of layer l, post[l] its activation, grad[l] the loss gradient with respect to z.
        self.pre = [empty(batch_size, w) for w in self.widths[1:]]
        self.post = [empty(batch_size, w) for w in self.widths[1:-1]]
        self.grad = [empty(batch_size, w) for w in self.widths[1:]]
        self.grad_post = [empty(batch_size, w) for w in self.widths[1:-1]]
        self.bias_grad = [empty(w) for w in self.widths[1:]]
        self._shape = (local_steps, batch_size)

        # The buffers each pass touches, per layer and in the pass's order, gathered once so that a
        # step only calls kernels (this saved 2 to 4 % of a round's time at the MNIST sizes).
        last = len(self.layers) - 1
        self._forward_plan = [
            (self.weights[l].t(), self.biases[l], self.pre[l], None if l == last else self.post[l],
             layer.negative_slope)
            for l, layer in enumerate(self.layers)
        ]
        # For layer l > 0: its input is post[l-1], and the gradient flows back through the
        # activation of layer l-1 into grad[l-1]. Layer 0's input is the batch itself (None here).
        self._backward_plan = [
            (self.grad[l], self.grad[l].t(), self.weights[l], self.biases[l], self.bias_grad[l],
             None if l == 0 else self.post[l - 1], None if l == 0 else self.grad_post[l - 1],
             None if l == 0 else self.pre[l - 1], None if l == 0 else self.layers[l - 1].negative_slope,
             None if l == 0 else self.grad[l - 1])
            for l in range(last, -1, -1)
        ]

    def _sgd_step(self, x: torch.Tensor, target: torch.Tensor) -> None:
        """Apply one SGD step on the batch ``x`` with ``target = onehot(y) / B`` to the working model."""
        step = -self.learning_rate
        h = x
        for weight_t, bias, pre, post, negative_slope in self._forward_plan:
            if bias is None:
                torch.mm(h, weight_t, out=pre)
            else:
                torch.addmm(bias, h, weight_t, out=pre)
            if post is not None:
                _aten.leaky_relu.out(pre, negative_slope, out=post)
                h = post

        # Gradient of the mean cross-entropy with respect to the logits.
        out = self.grad[-1]
        torch.softmax(self.pre[-1], 1, out=out)
        out.mul_(1.0 / x.shape[0]).sub_(target)

        for grad, grad_t, weight, bias, bias_grad, layer_input, grad_post, pre_below, slope_below, grad_below \
                in self._backward_plan:
            if layer_input is None:
                weight.addmm_(grad_t, x, alpha=step)
            else:
                # The input gradient needs the weight before this step's update.
                torch.mm(grad, weight, out=grad_post)
                weight.addmm_(grad_t, layer_input, alpha=step)
            if bias is not None:
                torch.sum(grad, 0, out=bias_grad)
                bias.add_(bias_grad, alpha=step)
            if layer_input is not None:
                _aten.leaky_relu_backward.grad_input(grad_post, pre_below, slope_below, False,
                                                     grad_input=grad_below)

    def train_round(
        self,
        global_state: Mapping[str, torch.Tensor],
        images: torch.Tensor,
        labels: torch.Tensor,
        counts: np.ndarray,
        offsets: np.ndarray,
        batch_idx: np.ndarray,
        uploaded: np.ndarray,
    ) -> dict[str, torch.Tensor]:
        """Train the devices whose upload gets through and return their FedAvg average (E8).

        Parameters
        ----------
        global_state : mapping of str to torch.Tensor
            The broadcast model; not modified.
        images, labels : torch.Tensor
            The devices' samples, concatenated; device ``n`` holds rows
            ``offsets[n] : offsets[n] + counts[n]``.
        counts, offsets : numpy.ndarray of int
            Samples ``D_n`` of each device and the first row of each.
        batch_idx : numpy.ndarray of int, shape (n_devices, K, B)
            Mini-batch indices within each device's samples.
        uploaded : numpy.ndarray of bool, shape (n_devices,)
            Upload outcomes of the round.

        Returns
        -------
        dict of str to torch.Tensor
            The new global state; a copy of ``global_state`` when no upload with data got through.

        Raises
        ------
        RuntimeError
            If a label of a trained batch lies outside ``[0, n_classes)``; :meth:`check_labels`
            raises a clearer ValueError before training.
        """
        local_steps, batch_size = batch_idx.shape[1:]
        if self._shape != (local_steps, batch_size):
            self._allocate(local_steps, batch_size, global_state)
        weights = aggregation_weights(counts, uploaded & (counts > 0))
        if weights is None:
            return {name: t.detach().clone() for name, t in global_state.items()}
        flat_images = images.reshape(len(images), -1)
        n_classes = self.widths[-1]
        new_state = {name: torch.zeros_like(t) for name, t in global_state.items()}

        for n in np.flatnonzero(weights > 0):
            rows = torch.from_numpy(offsets[n] + batch_idx[n].reshape(-1))
            torch.index_select(flat_images, 0, rows, out=self.inputs)
            y = labels[rows]
            self.targets.zero_().view(-1, n_classes).scatter_(1, y[:, None], 1.0 / batch_size)

            for l, layer in enumerate(self.layers):
                self.weights[l].copy_(global_state[layer.weight])
                if layer.bias is not None:
                    self.biases[l].copy_(global_state[layer.bias])
            for step in range(local_steps):
                self._sgd_step(self.inputs[step * batch_size : (step + 1) * batch_size], self.targets[step])

            share = float(weights[n])
            for l, layer in enumerate(self.layers):
                new_state[layer.weight].add_(self.weights[l], alpha=share)
                if layer.bias is not None:
                    new_state[layer.bias].add_(self.biases[l], alpha=share)
        return new_state
