"""Fixtures shared by the FedAvg engine tests."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def devices():
    """Return random 28x28 images and labels for five devices (one empty) and a 64-sample test set."""
    rng = np.random.default_rng(0)
    sizes = [0, 7, 40, 90, 60]
    data = [(rng.random((d, 28, 28), dtype=np.float32), rng.integers(0, 10, d)) for d in sizes]
    test = (rng.random((64, 28, 28), dtype=np.float32), rng.integers(0, 10, 64))
    return data, test
