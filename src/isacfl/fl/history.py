"""Per-round record of one federated run, in Flower's ``(server_round, value)`` form."""

from __future__ import annotations

import dataclasses
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
        """Rebuild a history from :meth:`to_dict` output.

        Raises
        ------
        ValueError
            If a series is missing or is not a list of ``[round, value]`` pairs.
        """
        series: dict[str, Any] = {}
        for name in cls._SERIES:
            if name not in data:
                raise ValueError(f"history lacks the series {name!r}")
            try:
                series[name] = [(int(r), v) for r, v in data[name]]
            except (TypeError, ValueError):
                raise ValueError(f"history series {name!r} must be a list of [round, value] pairs") from None
        return cls(**series, skipped_rounds=[int(r) for r in data.get("skipped_rounds", [])],
                   info=dict(data.get("info", {})))

    def final(self, name: str) -> float:
        """Return the last recorded value of the series ``name``."""
        values = getattr(self, name)
        if not values:
            raise ValueError(f"history series {name!r} is empty")
        return values[-1][1]
