"""isacfl: federated learning in integrated sensing and communication (ISAC) systems.

The package behind the book: the system model (:mod:`isacfl.scenario`, :mod:`isacfl.channel`),
MNIST access (:mod:`isacfl.data`), the resource allocator, the FL engine, the convergence theory,
sweeps and the radar experiment.
"""

from .scenario import Scenario

__version__ = "0.1.0"

__all__ = ["Scenario", "__version__"]
