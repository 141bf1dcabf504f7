"""Complete description of one learning run, with a stable hash for the result cache."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any

import numpy as np

from ..profiles import Profile, get_profile
from ..scenario import Scenario
from .engine import ENGINES
from .partition import PARTITIONS

__all__ = ["RunConfig", "STRATEGIES", "CACHE_FORMAT"]

#: Allocation strategies a run can use (those of :func:`isacfl.allocation.allocate`).
STRATEGIES = ("proposed", "golden", "maxsensing", "maxcomm", "uniform", "ratio")

#: Version of the algorithm and the result layout; part of every hash, so bumping it when the
#: engine's numbers change makes every cached result stale.
CACHE_FORMAT = 1


def _freeze(value: Any) -> Any:
    """Turn lists and arrays into tuples of floats so that a config stays hashable."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(float(v) for v in np.asarray(value, dtype=float).ravel())
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"scenario override values must be numbers or sequences of numbers, got {value!r}")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Every setting of one FL run except the seed: scenario, allocation, data split and training.

    The device positions are drawn from the run seed (``Scenario.random`` with the distance
    ranges below); ``scenario_overrides`` then sets any other scenario parameter, including
    fixed positions. Two configs with equal fields have equal :attr:`hash`, on every machine.

    Examples
    --------
    >>> a = RunConfig(strategy="maxcomm", num_rounds=5)
    >>> a.hash == RunConfig.from_dict(a.to_dict()).hash, a.hash == a.replace(num_rounds=6).hash
    (True, False)
    >>> RunConfig(scenario_overrides={"energy_budget_j": [3.0, 1.0]}, n_devices=2).scenario_overrides
    (('energy_budget_j', (3.0, 1.0)),)
    """

    #: Allocation strategy, one of :data:`STRATEGIES`.
    strategy: str = "proposed"
    #: Communication share of the energy left after computing, for ``strategy="ratio"`` only.
    rho: float | None = None
    #: Number of devices ``N``.
    n_devices: int = 10
    #: Range of device-to-target distances in metres.
    target_distance_range_m: tuple[float, float] = Scenario.TARGET_DISTANCE_RANGE_M
    #: Range of device-to-base-station distances in metres.
    server_distance_range_m: tuple[float, float] = Scenario.SERVER_DISTANCE_RANGE_M
    #: Other scenario parameters as sorted ``(name, value)`` pairs; a dict is accepted.
    scenario_overrides: tuple[tuple[str, Any], ...] = ()
    #: Split of the training set into the devices' clean pools, one of ``iid``, ``shards``, ``dirichlet``.
    partition: str = "iid"
    #: Concentration of the Dirichlet split.
    dirichlet_alpha: float = 0.5
    #: Smallest pool of the Dirichlet split.
    dirichlet_min_size: int = 10
    #: Communication rounds ``T``.
    num_rounds: int = 100
    #: Local SGD steps ``K`` per round.
    local_steps: int = 5
    #: Mini-batch size.
    batch_size: int = 32
    #: SGD learning rate.
    learning_rate: float = 0.05
    #: Evaluate the global model every this many rounds (round 0 and the last round always).
    eval_every: int = 5
    #: Clean training images drawn into the pools (None: all available).
    train_images: int | None = None
    #: Clean test images for accuracy (None: all available).
    test_images: int | None = None
    #: Samples of the devices' union that estimate the training loss (None: all of them).
    train_loss_samples: int | None = 10000
    #: Name of the profile the sizes came from, for the record.
    profile: str = "custom"
    #: FL engine, one of :data:`isacfl.fl.ENGINES`. ``fused`` was the fastest at one torch thread in
    #: ``benchmarks/bench_fl.py``.
    engine: str = "fused"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {self.strategy!r}")
        if (self.rho is None) != (self.strategy != "ratio"):
            raise ValueError(f"rho must be given exactly when strategy='ratio', got strategy={self.strategy!r}, "
                             f"rho={self.rho!r}")

        if self.rho is not None:
            if not 0.0 <= self.rho <= 1.0:
                raise ValueError(f"rho must be in [0, 1], got {self.rho!r}")
            object.__setattr__(self, "rho", float(self.rho))

        if self.partition not in PARTITIONS:
            raise ValueError(f"partition must be one of {list(PARTITIONS)}, got {self.partition!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {list(ENGINES)}, got {self.engine!r}")

        for name in ("n_devices", "num_rounds", "local_steps", "batch_size", "eval_every", "dirichlet_min_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))

        for name in ("train_images", "test_images", "train_loss_samples"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                    raise ValueError(f"{name} must be None or an integer >= 1, got {value!r}")
                object.__setattr__(self, name, int(value))

        for name in ("learning_rate", "dirichlet_alpha"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0, got {value!r}; allowed range is (0, inf)")
            object.__setattr__(self, name, float(value))

        for name in ("target_distance_range_m", "server_distance_range_m"):
            low, high = (float(v) for v in getattr(self, name))
            if not 0 < low <= high < math.inf:
                raise ValueError(f"{name} must satisfy 0 < low <= high < inf, got {getattr(self, name)!r}")
            object.__setattr__(self, name, (low, high))

        overrides = self.scenario_overrides
        items = overrides.items() if isinstance(overrides, dict) else overrides
        frozen = tuple(sorted((str(name), _freeze(value)) for name, value in items))
        known = {field.name for field in dataclasses.fields(Scenario)} - {"n_devices"}
        unknown = sorted({name for name, _ in frozen} - known)
        if unknown:
            raise ValueError(f"unknown scenario parameter(s) {unknown} in scenario_overrides; "
                             f"allowed names are {sorted(known)}")
        object.__setattr__(self, "scenario_overrides", frozen)

    @classmethod
    def from_profile(cls, profile: Profile | str | None = None, **changes: Any) -> "RunConfig":
        """Build a config whose run sizes come from a profile (default: ``ISACFL_PROFILE``).

        Examples
        --------
        >>> RunConfig.from_profile("quick", strategy="uniform").num_rounds
        5
        """
        if not isinstance(profile, Profile):
            profile = get_profile(profile)
        sizes = dict(num_rounds=profile.num_rounds, eval_every=profile.eval_every,
                     train_images=profile.train_images, test_images=profile.test_images, profile=profile.name)
        sizes.update(changes)
        return cls(**sizes)

    def replace(self, **changes: Any) -> "RunConfig":
        """Return a copy with some fields changed (validated like a new config)."""
        return dataclasses.replace(self, **changes)

    def scenario(self, seed: int | np.random.SeedSequence) -> Scenario:
        """Draw the scenario of this run: random positions from ``seed``, then the overrides."""
        overrides = {name: (np.asarray(value) if isinstance(value, tuple) else value)
                     for name, value in self.scenario_overrides}
        return Scenario.random(self.n_devices, seed, target_distance_range_m=self.target_distance_range_m,
                               server_distance_range_m=self.server_distance_range_m, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as JSON-ready values (tuples become lists)."""
        out = dataclasses.asdict(self)
        out["scenario_overrides"] = [[name, list(v) if isinstance(v, tuple) else v]
                                     for name, v in self.scenario_overrides]
        out["target_distance_range_m"] = list(self.target_distance_range_m)
        out["server_distance_range_m"] = list(self.server_distance_range_m)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        """Rebuild a config from :meth:`to_dict` output; unknown keys are an error."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown run config field(s) {unknown}; allowed keys are {sorted(known)}")
        return cls(**data)

    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON of the fields and :data:`CACHE_FORMAT`."""
        text = json.dumps({"cache_format": CACHE_FORMAT, **self.to_dict()}, sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
