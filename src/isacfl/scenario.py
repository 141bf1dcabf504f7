"""The ISAC-FL scenario: every physical parameter of one deployment, with units.

A :class:`Scenario` is immutable. Parameters that can differ between devices are stored as
read-only ``float`` arrays of shape ``(n_devices,)``; a scalar given for them is broadcast.
Parameters shared by all devices (the sensing duration, the receiver noise power, the round
deadline, the model size, the path-loss exponents and the mean fading gains) are scalars.

The defaults are the reference values of the book's model (see the notation page): a 28 GHz
mono-static sensing link to a target 80-100 m away and a 3.5 GHz uplink to a base station
100-250 m away.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

__all__ = ["Scenario", "PER_DEVICE_FIELDS", "SCALAR_FIELDS", "FIELD_UNITS", "FIELD_DESCRIPTIONS"]

#: Parameters stored per device, as arrays of shape ``(n_devices,)``.
PER_DEVICE_FIELDS = (
    "snapshot_s",
    "sensing_power_min_w",
    "sensing_power_max_w",
    "sensing_gain",
    "target_distance_m",
    "train_s_per_sample",
    "bandwidth_hz",
    "comm_power_max_w",
    "server_distance_m",
    "comm_gain",
    "energy_per_sample_j",
    "energy_budget_j",
)

#: Parameters shared by all devices.
SCALAR_FIELDS = (
    "sensing_duration_s",
    "max_snapshots",
    "sensing_fading_mean",
    "sensing_pathloss_exponent",
    "noise_power_w",
    "round_deadline_s",
    "model_bits",
    "comm_pathloss_exponent",
    "comm_fading_mean",
)

#: Unit of every parameter ("1" for dimensionless ones), for tables and axis labels.
FIELD_UNITS = {
    "n_devices": "1",
    "sensing_duration_s": "s",
    "snapshot_s": "s",
    "max_snapshots": "1",
    "sensing_power_min_w": "W",
    "sensing_power_max_w": "W",
    "sensing_gain": "1",
    "sensing_fading_mean": "1",
    "target_distance_m": "m",
    "sensing_pathloss_exponent": "1",
    "noise_power_w": "W",
    "round_deadline_s": "s",
    "train_s_per_sample": "s",
    "model_bits": "bit",
    "bandwidth_hz": "Hz",
    "comm_power_max_w": "W",
    "server_distance_m": "m",
    "comm_pathloss_exponent": "1",
    "comm_gain": "1",
    "comm_fading_mean": "1",
    "energy_per_sample_j": "J",
    "energy_budget_j": "J",
}

#: Symbol and meaning of every parameter, for the notation page and the defaults table.
FIELD_DESCRIPTIONS = {
    "n_devices": ("N", "number of devices"),
    "sensing_duration_s": ("T_s", "sensing duration per round"),
    "snapshot_s": ("t_n", "length of one sensing snapshot"),
    "max_snapshots": ("L_max", "largest number of snapshots integrated per sample"),
    "sensing_power_min_w": ("p_th", "smallest sensing transmit power"),
    "sensing_power_max_w": ("P_s^max", "largest sensing transmit power"),
    "sensing_gain": ("G_n^s", "sensing antenna gain, transmit times receive (linear)"),
    "sensing_fading_mean": ("xi_bar", "mean round-trip fading gain, lumping wavelength, RCS and (4 pi)^3"),
    "target_distance_m": ("d_n", "device-to-target distance"),
    "sensing_pathloss_exponent": ("alpha_s", "round-trip path-loss exponent"),
    "noise_power_w": ("sigma^2", "receiver noise power"),
    "round_deadline_s": ("T_max", "per-round delay budget for training and upload"),
    "train_s_per_sample": ("tau_n", "training time per sample"),
    "model_bits": ("Z", "model size"),
    "bandwidth_hz": ("B_n", "uplink bandwidth"),
    "comm_power_max_w": ("P_c^max", "largest communication transmit power"),
    "server_distance_m": ("r_n", "device-to-base-station distance"),
    "comm_pathloss_exponent": ("alpha_c", "uplink path-loss exponent"),
    "comm_gain": ("G_n^c", "uplink antenna gain (linear)"),
    "comm_fading_mean": ("h_bar", "mean uplink fading power gain (Rayleigh)"),
    "energy_per_sample_j": ("c_n", "computing energy per training sample"),
    "energy_budget_j": ("E_n", "energy budget per round"),
}

# Parameters that must be strictly positive; all other real parameters must be non-negative.
_STRICTLY_POSITIVE = {
    "sensing_duration_s",
    "snapshot_s",
    "sensing_gain",
    "sensing_fading_mean",
    "target_distance_m",
    "sensing_pathloss_exponent",
    "noise_power_w",
    "round_deadline_s",
    "model_bits",
    "bandwidth_hz",
    "server_distance_m",
    "comm_pathloss_exponent",
    "comm_gain",
    "comm_fading_mean",
}

# Parameters of 32-bit weights of the 784-256-256-10 MLP used on MNIST.
_MLP_PARAMETERS = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10


def _check_real(name: str, value: Any, n_devices: int | None) -> float | np.ndarray:
    """Validate one real parameter and return it as a float or a read-only array."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if n_devices is None:
        if array.ndim != 0:
            raise ValueError(f"{name} must be a scalar shared by all devices, got shape {array.shape}")
    else:
        if array.ndim == 0:
            try:
                array = np.full(n_devices, float(array))
            except (ValueError, MemoryError):
                raise ValueError(
                    f"n_devices={n_devices} is too large to store {name} for every device"
                ) from None
        elif array.shape != (n_devices,):
            raise ValueError(
                f"{name} must be a scalar or an array of length n_devices={n_devices}, "
                f"got shape {array.shape}"
            )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if name in _STRICTLY_POSITIVE:
        if np.any(array <= 0):
            raise ValueError(f"{name} must be > 0, got {value!r}; allowed range is (0, inf)")
    elif np.any(array < 0):
        raise ValueError(f"{name} must be >= 0, got {value!r}; allowed range is [0, inf)")
    if n_devices is None:
        return float(array)
    array = array.copy()
    array.setflags(write=False)
    return array


def _check_range(name: str, bounds: Any) -> tuple[float, float]:
    """Validate a distance range ``(lo, hi)`` in metres and return it as two floats."""
    try:
        lo, hi = (float(bound) for bound in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (lo, hi) of numbers in metres, got {bounds!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"{name} must satisfy 0 < lo <= hi < inf, got ({lo!r}, {hi!r})")
    return lo, hi


@dataclasses.dataclass(frozen=True, eq=False)
class Scenario:
    """One ISAC-FL deployment: devices, their sensing and uplink channels, and their budgets.

    Parameters
    ----------
    n_devices : int
        Number of devices ``N`` (at least 1).
    sensing_duration_s : float
        Sensing duration per round ``T_s`` in seconds.
    snapshot_s : float or array_like
        Length of one snapshot ``t_n`` in seconds.
    max_snapshots : int
        Largest number of snapshots ``L_max`` integrated into one sample (at least 1).
    sensing_power_min_w, sensing_power_max_w : float or array_like
        Sensing power range ``[p_th, P_s^max]`` in watts.
    sensing_gain : float or array_like
        Sensing antenna gain ``G_n^s`` (linear, transmit times receive).
    sensing_fading_mean : float
        Mean round-trip fading gain ``xi_bar`` (linear).
    target_distance_m : float or array_like
        Device-to-target distance ``d_n`` in metres.
    sensing_pathloss_exponent : float
        Round-trip path-loss exponent ``alpha_s``.
    noise_power_w : float
        Receiver noise power ``sigma^2`` in watts.
    round_deadline_s : float
        Per-round delay budget ``T_max`` for training and upload, in seconds.
    train_s_per_sample : float or array_like
        Training time per sample ``tau_n`` in seconds.
    model_bits : float
        Model size ``Z`` in bits.
    bandwidth_hz : float or array_like
        Uplink bandwidth ``B_n`` in hertz.
    comm_power_max_w : float or array_like
        Largest communication power ``P_c^max`` in watts (the smallest is 0 W).
    server_distance_m : float or array_like
        Device-to-base-station distance ``r_n`` in metres.
    comm_pathloss_exponent : float
        Uplink path-loss exponent ``alpha_c``.
    comm_gain : float or array_like
        Uplink antenna gain ``G_n^c`` (linear).
    comm_fading_mean : float
        Mean uplink fading power gain ``h_bar`` (linear).
    energy_per_sample_j : float or array_like
        Computing energy per training sample ``c_n`` in joules.
    energy_budget_j : float or array_like
        Energy budget per round ``E_n`` in joules.

    Raises
    ------
    ValueError
        If a parameter is not finite, out of its range, or an array of the wrong length, or if
        ``sensing_power_min_w > sensing_power_max_w`` for some device. The message names the
        parameter, its value and the allowed range.

    Examples
    --------
    >>> s = Scenario(n_devices=3, energy_budget_j=[3.0, 2.0, 1.0])
    >>> s.energy_budget_j
    array([3., 2., 1.])
    >>> s.snapshot_s
    array([0.0002, 0.0002, 0.0002])
    >>> Scenario.from_json(s.to_json()) == s
    True
    """

    n_devices: int = 10
    sensing_duration_s: float = 1.0
    snapshot_s: Any = 2e-4
    max_snapshots: int = 32
    sensing_power_min_w: Any = 0.05
    sensing_power_max_w: Any = 2.0
    sensing_gain: Any = 100.0
    sensing_fading_mean: float = 5.8e-8
    target_distance_m: Any = 90.0
    sensing_pathloss_exponent: float = 4.0
    noise_power_w: float = 1e-12
    round_deadline_s: float = 1.0
    train_s_per_sample: Any = 2e-5
    model_bits: float = 32.0 * _MLP_PARAMETERS
    bandwidth_hz: Any = 2e6
    comm_power_max_w: Any = 2.0
    server_distance_m: Any = 175.0
    comm_pathloss_exponent: float = 3.0
    comm_gain: Any = 10.0
    comm_fading_mean: float = 4.6e-5
    energy_per_sample_j: Any = 1e-4
    energy_budget_j: Any = 3.0

    #: Range of device-to-target distances that :meth:`random` draws from, in metres.
    TARGET_DISTANCE_RANGE_M: ClassVar[tuple[float, float]] = (80.0, 100.0)
    #: Range of device-to-base-station distances that :meth:`random` draws from, in metres.
    SERVER_DISTANCE_RANGE_M: ClassVar[tuple[float, float]] = (100.0, 250.0)

    def __post_init__(self) -> None:
        for name in ("n_devices", "max_snapshots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                if isinstance(value, float) and value.is_integer() and value >= 1:
                    object.__setattr__(self, name, int(value))
                    continue
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))
        for name in SCALAR_FIELDS:
            if name == "max_snapshots":
                continue
            object.__setattr__(self, name, _check_real(name, getattr(self, name), None))
        for name in PER_DEVICE_FIELDS:
            object.__setattr__(self, name, _check_real(name, getattr(self, name), self.n_devices))
        bad = np.flatnonzero(self.sensing_power_min_w > self.sensing_power_max_w)
        if bad.size:
            n = int(bad[0])
            raise ValueError(
                f"sensing_power_min_w must be <= sensing_power_max_w, but device {n} has "
                f"sensing_power_min_w={float(self.sensing_power_min_w[n])!r} W > "
                f"sensing_power_max_w={float(self.sensing_power_max_w[n])!r} W"
            )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def random(
        cls,
        n_devices: int = 10,
        seed: int | np.random.SeedSequence = 0,
        *,
        target_distance_range_m: tuple[float, float] | None = None,
        server_distance_range_m: tuple[float, float] | None = None,
        **overrides: Any,
    ) -> "Scenario":
        """Draw a scenario with random device positions.

        Target distances are uniform on ``target_distance_range_m`` (default 80-100 m). Devices
        are uniform in the annulus ``server_distance_range_m`` around the base station (default
        100-250 m), so their distance is ``sqrt(uniform(r_lo^2, r_hi^2))``.

        Parameters
        ----------
        n_devices : int
            Number of devices.
        seed : int or numpy.random.SeedSequence
            Seed of the position draw; the same seed gives the same scenario.
        target_distance_range_m, server_distance_range_m : (float, float), optional
            Distance ranges in metres, ``lo <= hi``.
        **overrides
            Any other :class:`Scenario` parameter.

        Examples
        --------
        >>> a = Scenario.random(5, seed=1)
        >>> bool(a == Scenario.random(5, seed=1)), bool(a == Scenario.random(5, seed=2))
        (True, False)
        >>> bool(((80 <= a.target_distance_m) & (a.target_distance_m <= 100)).all())
        True
        """
        if isinstance(n_devices, bool) or not isinstance(n_devices, (int, np.integer)) or n_devices < 1:
            raise ValueError(f"n_devices must be an integer >= 1, got {n_devices!r}")
        target_range = target_distance_range_m or cls.TARGET_DISTANCE_RANGE_M
        server_range = server_distance_range_m or cls.SERVER_DISTANCE_RANGE_M
        target_lo, target_hi = _check_range("target_distance_range_m", target_range)
        server_lo, server_hi = _check_range("server_distance_range_m", server_range)
        rng = np.random.default_rng(seed)
        target = rng.uniform(target_lo, target_hi, size=n_devices)
        server = np.sqrt(rng.uniform(server_lo**2, server_hi**2, size=n_devices))
        params = {"target_distance_m": target, "server_distance_m": server}
        params.update(overrides)
        return cls(n_devices=int(n_devices), **params)

    def replace(self, **changes: Any) -> "Scenario":
        """Return a copy with some parameters changed (validated like a new scenario)."""
        known = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown scenario parameter(s) {unknown}; allowed keys are {sorted(known)}")
        return dataclasses.replace(self, **changes)

    # -- serialisation --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as plain Python numbers and lists, keyed by field name."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            out[field.name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out

    @classmethod
    def from_dict(cls, params: Mapping[str, Any]) -> "Scenario":
        """Build a scenario from a mapping of field names; unknown keys are an error."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"unknown scenario parameter(s) {unknown}; allowed keys are {sorted(known)}")
        return cls(**dict(params))

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 2) -> str:
        """Serialise to JSON; floats are written with ``repr`` precision so the round trip is exact.

        If ``path`` is given, the text is also written there atomically (a temporary file in the
        same folder, then a rename).
        """
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            path = Path(path)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text + "\n")
            tmp.replace(path)
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> "Scenario":
        """Read a scenario from JSON text or from a path to a JSON file.

        A string is read as JSON text when it is empty or starts with ``{`` or ``[`` (after
        whitespace), and as a path otherwise.
        """
        if isinstance(text_or_path, str) and text_or_path.lstrip()[:1] in ("{", "[", ""):
            text = text_or_path
        else:
            text = Path(text_or_path).read_text()
        params = json.loads(text)
        if not isinstance(params, dict):
            raise ValueError(f"a scenario JSON document must be an object, got {type(params).__name__}")
        return cls.from_dict(params)

    # -- comparison -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self)
        )

    __hash__ = None  # type: ignore[assignment]

    def device(self, n: int) -> dict[str, float]:
        """Return every parameter of device ``n`` as a plain float (for tables and messages)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < self.n_devices:
            raise ValueError(f"device index n must be an integer in [0, {self.n_devices - 1}], got {n!r}")
        out: dict[str, float] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            out[field.name] = float(value[n]) if isinstance(value, np.ndarray) else value
        return out
