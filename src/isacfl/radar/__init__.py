"""Radar beam prediction on DeepSense 6G Scenario 9 or on its synthetic stand-in.

- :mod:`~isacfl.radar.loader`: reads the Scenario 9 layout (real or synthetic), labels 0-based.
- :mod:`~isacfl.radar.transforms`: sensing noise on raw frames and the three CNN input maps.
- :mod:`~isacfl.radar.synthetic`: writes a synthetic data set in the same layout, cached on disk.
- :mod:`~isacfl.radar.model`: the LeNet-style CNN.
"""

from .loader import ENV_VAR, NUM_BEAMS, RadarDataset, RadarSplit, load_scenario9
from .model import RadarLeNet, count_parameters
from .synthetic import (
    FULL_RADAR,
    REDUCED_RADAR,
    BeamCodebook,
    FmcwRadar,
    SyntheticConfig,
    load_synthetic_scenario9,
    write_synthetic_dataset,
)
from .transforms import (
    TRANSFORMS,
    add_complex_sensing_noise,
    normalise_maps,
    radar_cube,
    range_angle_map,
    range_velocity_map,
)

__all__ = [
    "ENV_VAR",
    "NUM_BEAMS",
    "RadarDataset",
    "RadarSplit",
    "load_scenario9",
    "RadarLeNet",
    "count_parameters",
    "FULL_RADAR",
    "REDUCED_RADAR",
    "BeamCodebook",
    "FmcwRadar",
    "SyntheticConfig",
    "load_synthetic_scenario9",
    "write_synthetic_dataset",
    "TRANSFORMS",
    "add_complex_sensing_noise",
    "normalise_maps",
    "radar_cube",
    "range_angle_map",
    "range_velocity_map",
]
