"""The LeNet-style CNN that predicts the best beam from a radar map."""

from __future__ import annotations

import torch
from torch import nn

from .loader import NUM_BEAMS
from .transforms import ANGLE_FFT_SIZE

__all__ = ["RadarLeNet", "count_parameters"]


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable scalars of ``model``.

    Examples
    --------
    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class RadarLeNet(nn.Module):
    """Small LeNet-style CNN mapping one radar map to a score per beam.

    Five 3x3 convolutions with 8, 16, 8, 4 and 2 channels ("same" padding, ReLU), three 2x2 average
    pools after the last three, then fully connected layers of 256 and 128 units and one score per
    beam. With ``halve_range`` an extra 2x1 average pool after the second convolution halves the
    range axis. The reference DeepSense 6G baseline uses it for range-velocity maps and radar
    cubes (256 x 128), not for range-angle maps (256 x 64). This is the layer plan of that
    baseline. The flatten size is derived from ``input_shape``, so the same class serves
    full-size frames (flatten size 512) and the reduced synthetic ones.

    Parameters
    ----------
    input_shape : (int, int, int)
        Shape of one input map, ``(channels, height, width)``: ``(n_antennas, n_samples,
        n_chirps)`` for a radar cube, ``(1, n_samples, n_chirps)`` for a range-velocity map and
        ``(1, n_samples, angle_fft_size)`` for a range-angle map.
    num_beams : int
        Number of classes (beams).
    halve_range : bool
        Add the 2x1 pool on the range (height) axis.

    Raises
    ------
    ValueError
        If a dimension is not a positive integer or the map is too small for the pools (each
        pooled axis must keep at least one cell).

    Examples
    --------
    >>> net = RadarLeNet((1, 256, 64))  # a full-size range-angle map
    >>> net.flatten_size, net(torch.zeros(5, 1, 256, 64)).shape
    (512, torch.Size([5, 64]))
    >>> RadarLeNet((4, 256, 128), halve_range=True).flatten_size  # a full-size radar cube
    512
    >>> RadarLeNet.for_transform("range_angle", (4, 64, 16)).input_shape  # reduced synthetic
    (1, 64, 64)
    """

    def __init__(self, input_shape: tuple[int, int, int], num_beams: int = NUM_BEAMS, halve_range: bool = False):
        super().__init__()
        shape = tuple(input_shape)
        if len(shape) != 3 or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape):
            raise ValueError(f"input_shape must be three positive integers (channels, height, width), got {input_shape!r}")
        if isinstance(num_beams, bool) or not isinstance(num_beams, int) or num_beams < 2:
            raise ValueError(f"num_beams must be an integer >= 2, got {num_beams!r}")
        channels, height, width = shape
        self.input_shape = shape
        self.num_beams = num_beams
        self.halves_range = bool(halve_range)

        pooled_height = (height // 2 if self.halves_range else height) // 8
        pooled_width = width // 8
        if pooled_height < 1 or pooled_width < 1:
            smallest = (16 if self.halves_range else 8, 8)
            raise ValueError(
                f"input_shape {shape} is too small for the three 2x2 pools; height and width must be "
                f"at least {smallest[0]} and {smallest[1]}"
            )
        self.flatten_size = 2 * pooled_height * pooled_width

        def conv(c_in: int, c_out: int) -> nn.Conv2d:
            return nn.Conv2d(c_in, c_out, kernel_size=3, padding="same")

        self.conv1 = conv(channels, 8)
        self.conv2 = conv(8, 16)
        self.conv3 = conv(16, 8)
        self.conv4 = conv(8, 4)
        self.conv5 = conv(4, 2)
        self.range_pool = nn.AvgPool2d((2, 1)) if self.halves_range else nn.Identity()
        self.pool = nn.AvgPool2d(2)
        self.classifier = nn.Sequential(
            nn.Linear(self.flatten_size, 256),
            nn.ReLU(),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Linear(128, num_beams),
        )
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    @classmethod
    def for_transform(
        cls,
        transform: str,
        frame_shape: tuple[int, int, int],
        num_beams: int = NUM_BEAMS,
        angle_fft_size: int = ANGLE_FFT_SIZE,
    ) -> "RadarLeNet":
        """Build the network for the maps that ``transform`` makes from frames of ``frame_shape``.

        Parameters
        ----------
        transform : str
            ``"radar_cube"``, ``"range_velocity"`` or ``"range_angle"``.
        frame_shape : (int, int, int)
            Raw frame shape ``(n_antennas, n_samples, n_chirps)``.
        num_beams : int
            Number of classes.
        angle_fft_size : int
            Points of the angle FFT of the range-angle map.
        """
        n_antennas, n_samples, n_chirps = (int(d) for d in frame_shape)
        shapes = {
            "radar_cube": ((n_antennas, n_samples, n_chirps), True),
            "range_velocity": ((1, n_samples, n_chirps), True),
            "range_angle": ((1, n_samples, int(angle_fft_size)), False),
        }
        if transform not in shapes:
            raise ValueError(f"transform must be one of {sorted(shapes)}, got {transform!r}")
        input_shape, halve_range = shapes[transform]
        return cls(input_shape, num_beams=num_beams, halve_range=halve_range)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return beam scores (logits), shape ``(batch, num_beams)``, for maps ``(batch, *input_shape)``.

        A batch of 2-D maps without a channel axis, ``(batch, height, width)``, is accepted when
        ``input_shape`` has one channel.
        """
        if x.dim() == 3 and self.input_shape[0] == 1:
            x = x.unsqueeze(1)
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.range_pool(self.conv2(x)))
        x = torch.relu(self.pool(self.conv3(x)))
        x = torch.relu(self.pool(self.conv4(x)))
        x = torch.relu(self.pool(self.conv5(x)))
        return self.classifier(torch.flatten(x, start_dim=1))
