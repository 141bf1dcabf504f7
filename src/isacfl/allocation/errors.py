"""Exception and warning classes of the allocator."""

from __future__ import annotations

__all__ = ["InfeasibleScenarioError", "ConvergenceWarning"]


class InfeasibleScenarioError(ValueError):
    """A device cannot meet its energy, power or time limits at any snapshot count.

    The message names the first such device and, where the budget is the cause, the shortfall in
    joules. ``device`` is that device's index and ``shortfall_j`` the shortfall (``inf`` when
    no snapshot count fits in the round deadline at all).
    """

    def __init__(self, message: str, device: int, shortfall_j: float) -> None:
        super().__init__(message)
        self.device = device
        self.shortfall_j = shortfall_j


class ConvergenceWarning(RuntimeWarning):
    """A search stopped at its iteration or evaluation limit before reaching its tolerance."""
