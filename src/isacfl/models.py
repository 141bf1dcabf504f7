"""Neural networks used in the book's experiments."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MLP", "MNIST_LAYER_SIZES"]

#: Layer widths of the MNIST classifier: 784 inputs, two hidden layers of 256, 10 classes.
MNIST_LAYER_SIZES = (784, 256, 256, 10)


class MLP(nn.Module):
    """Fully connected classifier with LeakyReLU activations (the 784-256-256-10 MNIST model).

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from input to output, at least two entries.
    negative_slope : float
        Slope of LeakyReLU for negative inputs.

    Examples
    --------
    >>> model = MLP()
    >>> sum(p.numel() for p in model.parameters())
    269322
    >>> model(torch.zeros(3, 1, 28, 28)).shape
    torch.Size([3, 10])
    """

    def __init__(self, layer_sizes: tuple[int, ...] = MNIST_LAYER_SIZES, negative_slope: float = 0.01):
        super().__init__()
        if len(layer_sizes) < 2 or any(int(w) < 1 for w in layer_sizes):
            raise ValueError(f"layer_sizes must hold at least two positive widths, got {layer_sizes!r}")
        layers: list[nn.Module] = []
        for i, (width_in, width_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
            layers.append(nn.Linear(width_in, width_out))
            if i < len(layer_sizes) - 2:
                layers.append(nn.LeakyReLU(negative_slope))
        self.layers = nn.Sequential(*layers)
        self.layer_sizes = tuple(int(w) for w in layer_sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return class logits for inputs of any shape whose trailing size is ``layer_sizes[0]``."""
        return self.layers(x.reshape(x.shape[0], -1))
