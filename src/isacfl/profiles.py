"""Run-size profiles: one setting scales every heavy computation of the book.

``quick`` is for CI and nbval (minutes in total), ``book`` is what the default book build runs, and
``paper`` is the paper-scale reproduction. The profile is chosen by the environment variable
``ISACFL_PROFILE`` (or the ``--profile`` option of the command line), never by editing a chapter.
"""

from __future__ import annotations

import dataclasses
import logging
import os

__all__ = ["Profile", "PROFILES", "get_profile", "ENV_VAR"]

logger = logging.getLogger(__name__)

#: Environment variable that selects the profile.
ENV_VAR = "ISACFL_PROFILE"
_DEFAULT = "book"


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes of the heavy runs. Chapters read these instead of hard-coding run lengths."""

    name: str
    #: Communication rounds ``T`` of one FL run.
    num_rounds: int
    #: Independent seeds per plotted point.
    num_seeds: int
    #: Evaluate the global model on the test set every this many rounds.
    eval_every: int
    #: Clean MNIST training images drawn into the devices' pools (None: all available).
    train_images: int | None
    #: MNIST test images used for test accuracy (None: all available).
    test_images: int | None
    #: Points per sweep axis (rho, N, straggler budget).
    sweep_points: int
    #: Random scenarios for allocator statistics.
    allocator_scenarios: int
    #: SGD steps of each centralised training run in the convergence-analysis chapters.
    centralised_steps: int = 1500
    #: Frames of the synthetic radar data set (all splits) in the radar chapter.
    radar_frames: int = 1500
    #: Communication rounds of each radar FL run.
    radar_rounds: int = 40
    #: Seeds per strategy in the radar chapter.
    radar_seeds: int = 3


PROFILES = {
    "quick": Profile("quick", num_rounds=5, num_seeds=2, eval_every=1, train_images=2000,
                     test_images=500, sweep_points=3, allocator_scenarios=20,
                     centralised_steps=200, radar_frames=48, radar_rounds=2, radar_seeds=1),
    "book": Profile("book", num_rounds=30, num_seeds=3, eval_every=2, train_images=None,
                    test_images=2000, sweep_points=5, allocator_scenarios=200,
                    centralised_steps=1500, radar_frames=1500, radar_rounds=40, radar_seeds=3),
    "paper": Profile("paper", num_rounds=100, num_seeds=10, eval_every=5, train_images=None,
                     test_images=None, sweep_points=7, allocator_scenarios=1000,
                     centralised_steps=4000, radar_frames=3000, radar_rounds=100, radar_seeds=5),
}


def get_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name``, or the one ``ISACFL_PROFILE`` selects (default ``book``).

    Raises
    ------
    ValueError
        If the name is not one of ``quick``, ``book``, ``paper``.

    Examples
    --------
    >>> get_profile("quick").num_rounds
    5
    """
    chosen = name if name is not None else os.environ.get(ENV_VAR, _DEFAULT)
    try:
        return PROFILES[chosen]
    except KeyError:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {chosen!r} "
                         f"(set by argument or by the {ENV_VAR} environment variable)") from None
