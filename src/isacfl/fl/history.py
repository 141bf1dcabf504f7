"""Per-round record of one federated run, in Flower's ``(server_round, value)`` form."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["History"]


@dataclasses.dataclass
class History:
    """Metrics of one federated run, each a list of ``(server_round, value)`` pairs.

    Round 0 is the initial model, before any training. Loss and accuracy are recorded at the
    rounds the engine evaluated (round 0, every ``eval_every`` rounds and the last round); upload
    counts are recorded for every round.

    Examples
    --------
    >>> h = History(loss_train=[(0, 2.3), (1, 1.9)])
    >>> History.from_dict(h.to_dict()) == h
    True
    >>> h.final("loss_train")
    1.9
    """

    #: Loss of the global model on the union of the devices' noisy data, weighted by ``D_n``.
    loss_train: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    #: Loss of the global model on the clean test set.
    loss_test: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    #: Accuracy of the global model on the clean test set, in [0, 1].
    accuracy_test: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    #: Number of devices whose upload got through in each round (rounds 1..T).
    num_uploads: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    #: Rounds in which no upload with data got through, so the global model was kept.
    skipped_rounds: list[int] = dataclasses.field(default_factory=list)
    #: Facts about the run: per-device samples, SNR and success probability, data source, timing.
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    _SERIES = ("loss_train", "loss_test", "accuracy_test", "num_uploads")

    def to_dict(self) -> dict[str, Any]:
        """Return plain lists and numbers, ready for JSON."""
        out: dict[str, Any] = {name: [[int(r), v] for r, v in getattr(self, name)] for name in self._SERIES}
        out["skipped_rounds"] = [int(r) for r in self.skipped_rounds]
        out["info"] = self.info
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "History":
        """Rebuild a history from :meth:`to_dict` output, checking every value.

        Rounds are integers >= 0, strictly increasing within a series. Losses are numbers >= 0,
        or NaN and infinity (an empty data set or a diverged model). Accuracies lie in [0, 1];
        one is NaN only at a round whose test loss is NaN too, as the engine writes for an empty
        test set. Upload counts are integers >= 0.

        Raises
        ------
        ValueError
            If a series is missing, is not a list of ``[round, value]`` pairs, or contains a value
            outside the rules above; the message names the series, the round and the value.

        Examples
        --------
        >>> History.from_dict({"loss_train": [], "loss_test": [], "num_uploads": [],
        ...                    "accuracy_test": [[0, "x"]]})
        Traceback (most recent call last):
        ...
        ValueError: invalid value 'x' in history series 'accuracy_test' at round 0: expected a number in [0, 1]
        """
        series: dict[str, Any] = {}
        for name in cls._SERIES:
            if name not in data:
                raise ValueError(f"history series {name!r} is missing")
            try:
                pairs = [(r, v) for r, v in data[name]]
            except (TypeError, ValueError):
                raise ValueError(f"history series {name!r} must be a list of [round, value] pairs") from None
            rounds = [r for r, _ in pairs]
            _check_rounds(rounds, f"history series {name!r}")
            for r, v in pairs:
                if name == "num_uploads":
                    ok = _is_int(v) and v >= 0
                    requirement = "an integer >= 0"
                elif name == "accuracy_test":
                    ok = _is_number(v) and (0 <= v <= 1 or (math.isnan(v) and r in _nan_rounds(data)))
                    requirement = "a number in [0, 1]"
                else:
                    ok = _is_number(v) and (v >= 0 or math.isnan(v))
                    requirement = "a number >= 0, NaN or infinity"
                if not ok:
                    nan_rule = name == "accuracy_test" and _is_number(v) and math.isnan(v)
                    raise ValueError(f"invalid value {v!r} in history series {name!r} at round {r}: expected "
                                     f"{requirement}" + (" (NaN only where the test loss is NaN)" if nan_rule else ""))
            series[name] = pairs
        skipped = data.get("skipped_rounds", [])
        if not isinstance(skipped, list):
            raise ValueError(f"history field 'skipped_rounds' must be a list of rounds, got {skipped!r}")
        _check_rounds(skipped, "history field 'skipped_rounds'")
        info = data.get("info", {})
        if not isinstance(info, dict):
            raise ValueError(f"history field 'info' must be a mapping, got {info!r}")
        return cls(**series, skipped_rounds=list(skipped), info=dict(info))

    def final(self, name: str) -> float:
        """Return the last recorded value of the series ``name``."""
        values = getattr(self, name)
        if not values:
            raise ValueError(f"history series {name!r} is empty")
        return values[-1][1]


def _is_int(value: Any) -> bool:
    """Return True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """Return True for an int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_rounds(rounds: list[Any], what: str) -> None:
    """Raise ValueError unless ``rounds`` are integers >= 0 in strictly increasing order."""
    for r in rounds:
        if not (_is_int(r) and r >= 0):
            raise ValueError(f"{what} has round {r!r}; rounds must be integers >= 0")
    if any(b <= a for a, b in zip(rounds[:-1], rounds[1:])):
        raise ValueError(f"{what} has rounds {rounds}; they must increase strictly")


def _nan_rounds(data: dict[str, Any]) -> set[int]:
    """Rounds at which the test loss of a history dict is NaN (an empty test set)."""
    return {r for r, v in data["loss_test"] if _is_number(v) and math.isnan(v)}
