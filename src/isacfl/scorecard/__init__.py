"""Reproduction scorecard: claims of the ISAC-FL paper, checked by code with intervals over seeds.

:mod:`~isacfl.scorecard.rules` defines the verdict rules (holds, does not hold, inconclusive) and
:mod:`~isacfl.scorecard.claims` turns sweeps, FL runs and allocations into claim rows.
"""

from .claims import (
    CLOSE_MARGIN,
    GOLDEN_TOLERANCE,
    AllocationSamples,
    allocation_claims,
    allocation_samples,
    centralised_runs,
    claims_table,
    device_claims,
    fading_claim,
    golden_claim,
    golden_gaps,
    gradient_error_claim,
    learning_claims,
    loss_claim,
    not_evaluated,
    radar_claim,
    radar_runs,
    ratio_claims,
    snr_accuracy_claim,
    straggler_claims,
    strategy_runs,
)
from .rules import ClaimResult, Comparison, Verdict, all_of, close, greater, greater_from_summary, interior_maximum

__all__ = [
    "Verdict",
    "Comparison",
    "ClaimResult",
    "greater",
    "close",
    "interior_maximum",
    "all_of",
    "CLOSE_MARGIN",
    "GOLDEN_TOLERANCE",
    "ratio_claims",
    "device_claims",
    "straggler_claims",
    "strategy_runs",
    "learning_claims",
    "AllocationSamples",
    "allocation_samples",
    "allocation_claims",
    "golden_gaps",
    "golden_claim",
    "claims_table",
    "not_evaluated",
    "fading_claim",
    "gradient_error_claim",
    "greater_from_summary",
    "centralised_runs",
    "snr_accuracy_claim",
    "loss_claim",
    "radar_runs",
    "radar_claim",
]
