"""The convergence analysis: bounds, their sympy checks, and the simulations that test them.

- :mod:`~isacfl.theory.bounds`: Proposition 1, Lemma 1 and Theorem 1 in closed form, and the exact
  moments of FedAvg over unreliable uploads.
- :mod:`~isacfl.theory.symbolic`: identity and inequality checks for the sympy derivations.
- :mod:`~isacfl.theory.ridge`: federated ridge regression with sensed inputs, where every
  assumption of Theorem 1 holds with known constants.
- :mod:`~isacfl.theory.mlp`: gradient-error measurement and centralised training of the MNIST MLP.
"""

from .bounds import (AggregationMoments, aggregation_moments, descent_bound, lemma1_bound, lemma1_variance,
                     proposition1_constant, proposition1_variance_bound, theorem1_bound)
from .mlp import (GradientError, InverseSnrFit, TrainingHistory, accuracy, fit_inverse_snr_law, measure_gradient_error,
                  train_centralised)
from .ridge import (FederatedRidgeResult, RidgeProblem, ridge_gradient_constant, simulate_federated_ridge,
                    sup_quadratic_on_ball)
from .symbolic import InequalityCheck, check_identity, check_inequality

__all__ = [
    "AggregationMoments", "aggregation_moments", "descent_bound", "lemma1_bound", "lemma1_variance",
    "proposition1_constant", "proposition1_variance_bound", "theorem1_bound",
    "GradientError", "InverseSnrFit", "TrainingHistory", "accuracy", "fit_inverse_snr_law", "measure_gradient_error",
    "train_centralised",
    "FederatedRidgeResult", "RidgeProblem", "ridge_gradient_constant", "simulate_federated_ridge",
    "sup_quadratic_on_ball",
    "InequalityCheck", "check_identity", "check_inequality",
]
