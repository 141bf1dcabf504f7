"""A synthetic stand-in for DeepSense 6G Scenario 9, written in the real data set's layout.

Scene (every number is a modelling choice of this generator, not a property of the real data):
a mono-static FMCW radar at the base station looks across a two-lane street. The receive array
lies along the x axis and looks along +y. Lane 0 runs at ``y = 10 m`` in the +x direction, lane 1
at ``y = 14 m`` in the -x direction. Each frame shows one vehicle at a uniformly drawn angle
within the codebook's field of view and at a uniformly drawn speed. The vehicle is a few point
scatterers: a steady one at its centre and others with Rayleigh-distributed amplitudes spread
over its body. The static scene (poles, walls, parked cars) is a fixed set of clutter
scatterers, the same in every frame of a data set, whose total power is
``clutter_to_vehicle_db`` (default -10 dB) above the mean vehicle echo at 10 m. The vehicle is
thus the dominant reflector of the street, as in a frame recorded because a vehicle passed. Receiver noise is
complex AWGN with the vehicle echo at 10 m ``reference_snr_db`` above it. The label is the best
beam of a uniform 64-beam codebook (:class:`BeamCodebook`) for the angle of the vehicle's centre.

The radar parameters are those of the real frames (77 GHz start frequency, 15.015 MHz/us slope,
5 Msps, 4 receive antennas at half-wavelength spacing). The chirp period of 65 us is a choice.
:data:`REDUCED_RADAR` keeps 16 samples per chirp and 16 chirps per frame instead of 256 and 128,
so that 1,500 frames take 12 MB and a network pass is cheap (the shorter sweep coarsens the range
bins from 0.2 m to 3.1 m). :data:`FULL_RADAR` writes frames of the real shape (4, 256, 128).

Signal model of one point scatterer with complex amplitude ``b`` at range ``R``, radial velocity
``v`` (positive when receding) and angle ``theta`` from boresight, at antenna ``a``, sample ``n``
and chirp ``m``::

    b exp(2j pi (2 S R / (c f_s) n + 2 v T_c / lambda m + d sin(theta) / lambda a))

with slope ``S``, sample rate ``f_s``, chirp period ``T_c``, wavelength ``lambda`` and antenna
spacing ``d``. The vehicle's motion within one frame (about 1 ms) is ignored.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import scipy.io
from numpy.typing import ArrayLike

from .loader import (
    BEAM_COLUMN,
    CSV_NAMES,
    MAT_KEY,
    NUM_BEAMS,
    RADAR_COLUMN,
    SPLITS,
    SYNTHETIC_MARKER,
    RadarDataset,
    load_scenario9,
)

__all__ = [
    "FmcwRadar",
    "BeamCodebook",
    "SyntheticConfig",
    "FULL_RADAR",
    "REDUCED_RADAR",
    "SPEED_OF_LIGHT_MPS",
    "point_target_frames",
    "synthesize_frames",
    "write_synthetic_dataset",
    "load_synthetic_scenario9",
    "synthetic_cache_dir",
]

logger = logging.getLogger(__name__)

SPEED_OF_LIGHT_MPS = 299_792_458.0

# Frames synthesised per vectorised batch. With full-size frames one batch takes an estimated few
# hundred MB of intermediate arrays.
_BATCH_FRAMES = 64


@dataclasses.dataclass(frozen=True)
class FmcwRadar:
    """Parameters of the FMCW radar that records the frames."""

    #: Receive antennas of the uniform linear array, half a wavelength apart.
    n_antennas: int = 4
    #: ADC samples per chirp (fast time).
    n_samples: int = 256
    #: Chirps per frame (slow time).
    n_chirps: int = 128
    #: Start frequency of the chirp, in hertz.
    start_frequency_hz: float = 77e9
    #: Frequency slope of the chirp, in hertz per second (15.015 MHz/us).
    slope_hz_per_s: float = 15.015e12
    #: ADC sample rate, in samples per second.
    sample_rate_hz: float = 5e6
    #: Time from one chirp start to the next, in seconds (a modelling choice).
    chirp_period_s: float = 65e-6

    def __post_init__(self) -> None:
        for name in ("n_antennas", "n_samples", "n_chirps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name in ("start_frequency_hz", "slope_hz_per_s", "sample_rate_hz", "chirp_period_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0, got {value!r}; allowed range is (0, inf)")
        if self.n_samples / self.sample_rate_hz > self.chirp_period_s:
            raise ValueError(
                f"chirp_period_s={self.chirp_period_s!r} is shorter than the sampling window "
                f"n_samples / sample_rate_hz = {self.n_samples / self.sample_rate_hz!r} s"
            )

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """Shape of one frame: (n_antennas, n_samples, n_chirps)."""
        return (self.n_antennas, self.n_samples, self.n_chirps)

    @property
    def wavelength_m(self) -> float:
        """Wavelength at the start frequency, in metres."""
        return SPEED_OF_LIGHT_MPS / self.start_frequency_hz

    @property
    def range_resolution_m(self) -> float:
        """Width of one range bin, ``c f_s / (2 S n_samples)``, in metres."""
        return SPEED_OF_LIGHT_MPS * self.sample_rate_hz / (2.0 * self.slope_hz_per_s * self.n_samples)

    @property
    def max_range_m(self) -> float:
        """Largest range before the beat frequency wraps (complex sampling), in metres."""
        return self.range_resolution_m * self.n_samples

    @property
    def velocity_resolution_mps(self) -> float:
        """Width of one velocity bin, ``lambda / (2 n_chirps T_c)``, in metres per second."""
        return self.wavelength_m / (2.0 * self.n_chirps * self.chirp_period_s)

    @property
    def max_speed_mps(self) -> float:
        """Largest radial speed before the velocity bins wrap, ``lambda / (4 T_c)``, in m/s."""
        return self.wavelength_m / (4.0 * self.chirp_period_s)

    @property
    def frame_duration_s(self) -> float:
        """Duration of one frame, ``n_chirps T_c``, in seconds."""
        return self.n_chirps * self.chirp_period_s

    def range_bin(self, range_m: ArrayLike) -> np.ndarray:
        """Return the (fractional) range bin of a target at ``range_m`` metres."""
        return np.asarray(range_m, dtype=float) / self.range_resolution_m

    def velocity_bin(self, radial_velocity_mps: ArrayLike) -> np.ndarray:
        """Return the (fractional, wrapped into ``[0, n_chirps)``) velocity bin of a radial speed."""
        return np.mod(np.asarray(radial_velocity_mps, dtype=float) / self.velocity_resolution_mps, self.n_chirps)

    def angle_bin(self, angle_rad: ArrayLike, angle_fft_size: int) -> np.ndarray:
        """Return the (fractional, wrapped) bin of an angle in an ``angle_fft_size``-point angle FFT."""
        return np.mod(0.5 * np.sin(np.asarray(angle_rad, dtype=float)) * angle_fft_size, angle_fft_size)


#: The real Scenario 9 frame size: 4 antennas, 256 samples, 128 chirps (1 MiB per frame).
FULL_RADAR = FmcwRadar()
#: The default synthetic frame size: 4 antennas, 16 samples, 16 chirps (8 KiB per frame).
REDUCED_RADAR = FmcwRadar(n_samples=16, n_chirps=16)


@dataclasses.dataclass(frozen=True)
class BeamCodebook:
    """A uniform beam codebook of the base station's uniform linear array.

    Beam ``b`` (0-based) steers a half-wavelength ``n_elements`` array to the angle
    ``-fov/2 + (b + 1/2) fov / n_beams``, so the beams split the field of view into equal angular
    sectors. The best beam for a direction is the one with the largest array gain
    ``|a(theta_b)^H a(theta)|^2 / n_elements^2``.
    """

    n_beams: int = NUM_BEAMS
    #: Elements of the base station's array (a modelling choice).
    n_elements: int = 16
    #: Field of view spanned by the beams, in degrees (a modelling choice).
    field_of_view_deg: float = 90.0

    def __post_init__(self) -> None:
        for name in ("n_beams", "n_elements"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not 0 < self.field_of_view_deg < 180:
            raise ValueError(f"field_of_view_deg must be in (0, 180), got {self.field_of_view_deg!r}")

    @property
    def beam_angles_rad(self) -> np.ndarray:
        """Steering angle of every beam, in radians, increasing with the beam index."""
        fov = math.radians(self.field_of_view_deg)
        return -fov / 2 + (np.arange(self.n_beams) + 0.5) * fov / self.n_beams

    def gains(self, angle_rad: ArrayLike) -> np.ndarray:
        """Return the normalised gain, in [0, 1], of every beam towards ``angle_rad``, shape ``(..., n_beams)``."""
        angle = np.asarray(angle_rad, dtype=float)[..., None]
        # Phase difference per element between the beam and the direction: pi (sin a - sin b).
        delta = np.pi * (np.sin(angle) - np.sin(self.beam_angles_rad))
        elements = np.arange(self.n_elements)
        response = np.exp(1j * delta[..., None] * elements).sum(axis=-1)
        return np.abs(response) ** 2 / self.n_elements**2

    def best_beam(self, angle_rad: ArrayLike) -> np.ndarray:
        """Return the 0-based index of the beam with the largest gain towards each angle.

        Examples
        --------
        >>> codebook = BeamCodebook()
        >>> codebook.best_beam(codebook.beam_angles_rad[[0, 31, 63]]).tolist()
        [0, 31, 63]
        """
        return np.argmax(self.gains(angle_rad), axis=-1).astype(np.int64)


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """Size and scene of a synthetic data set; every default is a modelling choice."""

    #: Frames in all three splits together.
    n_frames: int = 1500
    radar: FmcwRadar = REDUCED_RADAR
    codebook: BeamCodebook = BeamCodebook()
    #: Distance of each lane from the radar's array axis, in metres; lane 0 drives towards +x.
    lane_offsets_m: tuple[float, float] = (10.0, 14.0)
    #: Range of vehicle speeds, in metres per second.
    speed_range_mps: tuple[float, float] = (5.0, 12.0)
    #: Vehicle length and width, in metres; the scatterers lie within this footprint.
    vehicle_size_m: tuple[float, float] = (4.5, 1.8)
    #: Point scatterers per vehicle, the first at the vehicle's centre.
    n_vehicle_scatterers: int = 4
    #: Share of the vehicle's mean echo power reflected by the scatterer at its centre. The other
    #: scatterers pull the echo's apparent angle away from the centre, whose angle sets the label.
    #: Measured on 1,000 frames with the other defaults: the beam towards the peak of a 256-point
    #: angle FFT of the frame was the labelled beam in 23 % of frames at 0.5 and in 52 % at 0.9.
    #: The value 0.9 models a vehicle with one dominant reflector near its centre.
    centre_power_fraction: float = 0.9
    #: Static point scatterers of the scene.
    n_clutter_scatterers: int = 6
    #: Total static clutter power over the mean vehicle echo at 10 m, in dB. The range-angle map
    #: removes static clutter, but the sensing SNR is set over the whole frame, so clutter that
    #: carries most of the frame's power leaves the vehicle deep below the sensing noise. At
    #: -10 dB the vehicle carries most of the power.
    clutter_to_vehicle_db: float = -10.0
    #: Mean vehicle echo at 10 m over the receiver noise, per raw sample, in dB.
    reference_snr_db: float = 10.0
    #: Shares of the frames in the train, validation and test splits.
    split_fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)

    def __post_init__(self) -> None:
        if isinstance(self.n_frames, bool) or not isinstance(self.n_frames, (int, np.integer)) or self.n_frames < 3:
            raise ValueError(f"n_frames must be an integer >= 3 (one per split), got {self.n_frames!r}")
        if len(self.split_fractions) != 3 or any(f <= 0 for f in self.split_fractions) \
                or not math.isclose(sum(self.split_fractions), 1.0):
            raise ValueError(f"split_fractions must be three positive shares summing to 1, got {self.split_fractions!r}")
        lo, hi = self.speed_range_mps
        if not 0 < lo <= hi < self.radar.max_speed_mps:
            raise ValueError(
                f"speed_range_mps must satisfy 0 < lo <= hi < {self.radar.max_speed_mps:.2f} m/s "
                f"(the radar's unambiguous speed), got {self.speed_range_mps!r}"
            )
        for name in ("n_vehicle_scatterers", "n_clutter_scatterers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if self.n_vehicle_scatterers < 1:
            raise ValueError(f"n_vehicle_scatterers must be >= 1, got {self.n_vehicle_scatterers!r}")
        if not 0 <= self.centre_power_fraction <= 1:
            raise ValueError(f"centre_power_fraction must be in [0, 1], got {self.centre_power_fraction!r}")
        farthest = max(self.lane_offsets_m) / math.cos(math.radians(self.codebook.field_of_view_deg / 2))
        if min(self.lane_offsets_m) <= 0 or farthest + max(self.vehicle_size_m) >= self.radar.max_range_m:
            raise ValueError(
                f"lane_offsets_m={self.lane_offsets_m!r} put vehicles beyond the radar's maximum range "
                f"{self.radar.max_range_m:.1f} m within the field of view, or behind the array"
            )

    def to_dict(self) -> dict:
        """Return the configuration as plain JSON-ready values."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, params: dict) -> "SyntheticConfig":
        """Rebuild a configuration written by :meth:`to_dict`."""
        params = dict(params)
        params["radar"] = FmcwRadar(**params["radar"])
        params["codebook"] = BeamCodebook(**params["codebook"])
        for name in ("lane_offsets_m", "speed_range_mps", "vehicle_size_m", "split_fractions"):
            params[name] = tuple(params[name])
        return cls(**params)


def point_target_frames(
    radar: FmcwRadar,
    amplitudes: ArrayLike,
    range_m: ArrayLike,
    radial_velocity_mps: ArrayLike,
    angle_rad: ArrayLike,
) -> np.ndarray:
    """Synthesise noise-free frames, each the sum of the echoes of its point scatterers.

    Parameters
    ----------
    radar : FmcwRadar
        Radar that records the frames.
    amplitudes : array_like of complex, shape (n_frames, n_scatterers)
        Complex amplitude of every scatterer (its power is the per-sample power of its echo).
    range_m, radial_velocity_mps, angle_rad : array_like, shape (n_frames, n_scatterers)
        Range in metres, radial velocity in m/s (positive when receding), and angle from
        boresight in radians (positive towards +x) of every scatterer.

    Returns
    -------
    numpy.ndarray of complex64, shape (n_frames, n_antennas, n_samples, n_chirps)

    Examples
    --------
    >>> radar = FmcwRadar(n_samples=32, n_chirps=8)
    >>> # A scatterer exactly on range bin 5, velocity bin 2 and angle 0.
    >>> frame = point_target_frames(radar, [[1.0]], [[5 * radar.range_resolution_m]],
    ...                             [[2 * radar.velocity_resolution_mps]], [[0.0]])
    >>> spectrum = np.abs(np.fft.fft2(frame[0, 0]))
    >>> np.unravel_index(spectrum.argmax(), spectrum.shape)
    (np.int64(5), np.int64(2))
    """
    amplitude = np.atleast_2d(np.asarray(amplitudes, dtype=complex))
    shape = amplitude.shape
    arrays = [np.broadcast_to(np.asarray(a, dtype=float), shape) for a in (range_m, radial_velocity_mps, angle_rad)]
    range_cycles = radar.range_bin(arrays[0]) / radar.n_samples
    velocity_cycles = 2.0 * arrays[1] * radar.chirp_period_s / radar.wavelength_m
    angle_cycles = 0.5 * np.sin(arrays[2])
    antenna = np.exp(2j * np.pi * angle_cycles[..., None] * np.arange(radar.n_antennas))
    sample = np.exp(2j * np.pi * range_cycles[..., None] * np.arange(radar.n_samples))
    chirp = np.exp(2j * np.pi * velocity_cycles[..., None] * np.arange(radar.n_chirps))
    frames = np.einsum("fk,fka,fkn,fkm->fanm", amplitude, antenna, sample, chirp, optimize=True)
    return frames.astype(np.complex64)


@dataclasses.dataclass(frozen=True)
class _Scene:
    """Ground truth of synthesised frames, one entry per frame."""

    angle_rad: np.ndarray
    range_m: np.ndarray
    radial_velocity_mps: np.ndarray
    lane: np.ndarray
    labels: np.ndarray


def _clutter(config: SyntheticConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Draw the static scatterers of the scene: amplitude, range and angle of each."""
    k = config.n_clutter_scatterers
    range_m = rng.uniform(3.0, 0.8 * config.radar.max_range_m, size=k)
    angle = np.radians(rng.uniform(-60.0, 60.0, size=k))
    weights = rng.dirichlet(np.ones(k)) if k else np.zeros(0)
    power = 10 ** (config.clutter_to_vehicle_db / 10) * weights
    amplitude = np.sqrt(power) * np.exp(2j * np.pi * rng.uniform(size=k))
    return amplitude, range_m, angle


def synthesize_frames(config: SyntheticConfig, seed: int | np.random.SeedSequence) -> tuple[np.ndarray, _Scene]:
    """Synthesise all frames of a data set and their ground truth, deterministically per seed.

    Powers are relative: the mean echo of a vehicle at 10 m is 1 per raw sample, the clutter
    and the receiver noise are scaled from it.

    Returns
    -------
    frames : numpy.ndarray of complex64, shape (n_frames, n_antennas, n_samples, n_chirps)
    scene : ground truth per frame (angle, range and radial velocity of the vehicle's centre,
        lane, 0-based best beam).
    """
    scene_seed, frame_seed, noise_seed = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.default_rng(frame_seed)
    n = config.n_frames
    radar = config.radar

    # Vehicle centre: lane, angle within the field of view, speed along the lane.
    half_fov = math.radians(config.codebook.field_of_view_deg) / 2
    lane = rng.integers(0, 2, size=n)
    offset = np.asarray(config.lane_offsets_m, dtype=float)[lane]
    angle = rng.uniform(-half_fov, half_fov, size=n)
    centre_x = offset * np.tan(angle)
    speed = rng.uniform(*config.speed_range_mps, size=n)
    velocity_x = np.where(lane == 0, speed, -speed)

    # Scatterers: one at the centre with a steady echo, the others spread over the footprint
    # with Rayleigh amplitudes. Echo power falls with the fourth power of range.
    k = config.n_vehicle_scatterers
    length, width = config.vehicle_size_m
    x = centre_x[:, None] + rng.uniform(-length / 2, length / 2, size=(n, k))
    y = offset[:, None] + rng.uniform(-width / 2, width / 2, size=(n, k))
    x[:, 0], y[:, 0] = centre_x, offset
    scatterer_range = np.hypot(x, y)
    scatterer_angle = np.arctan2(x, y)
    radial_velocity = velocity_x[:, None] * x / scatterer_range
    share = np.full(k, (1.0 - config.centre_power_fraction) / max(k - 1, 1))
    share[0] = config.centre_power_fraction if k > 1 else 1.0
    mean_power = (10.0 / scatterer_range) ** 4 * share
    fading = (rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))) / np.sqrt(2)
    fading[:, 0] = np.exp(2j * np.pi * rng.uniform(size=n))
    amplitude = np.sqrt(mean_power) * fading

    clutter_amplitude, clutter_range, clutter_angle = _clutter(config, np.random.default_rng(scene_seed))
    clutter = point_target_frames(
        radar, clutter_amplitude[None], clutter_range[None], np.zeros((1, clutter_range.size)), clutter_angle[None]
    )[0] if clutter_range.size else np.zeros(radar.frame_shape, dtype=np.complex64)

    noise_rng = np.random.default_rng(noise_seed)
    noise_std = math.sqrt(10 ** (-config.reference_snr_db / 10) / 2)
    frames = np.empty((n,) + radar.frame_shape, dtype=np.complex64)
    for start in range(0, n, _BATCH_FRAMES):
        stop = min(start + _BATCH_FRAMES, n)
        echoes = point_target_frames(
            radar, amplitude[start:stop], scatterer_range[start:stop],
            radial_velocity[start:stop], scatterer_angle[start:stop],
        )
        shape = echoes.shape
        noise = noise_std * (noise_rng.standard_normal(shape) + 1j * noise_rng.standard_normal(shape))
        frames[start:stop] = echoes + clutter + noise.astype(np.complex64)

    centre_range = np.hypot(centre_x, offset)
    scene = _Scene(
        angle_rad=angle,
        range_m=centre_range,
        radial_velocity_mps=velocity_x * centre_x / centre_range,
        lane=lane,
        labels=config.codebook.best_beam(angle),
    )
    return frames, scene


def _split_assignment(n: int, fractions: tuple[float, float, float], rng: np.random.Generator) -> np.ndarray:
    """Assign each frame to split 0, 1 or 2, with every split non-empty."""
    counts = np.maximum(1, np.floor(np.asarray(fractions) * n).astype(int))
    counts[0] = n - counts[1:].sum()
    assignment = np.repeat(np.arange(3), counts)
    return rng.permutation(assignment)


def write_synthetic_dataset(
    root: str | Path, config: SyntheticConfig = SyntheticConfig(), seed: int = 0
) -> Path:
    """Write a synthetic data set in the Scenario 9 layout under ``root`` and return its folder.

    Writes ``root/Scenario9/development_dataset/`` with the three split CSV files, one ``.mat``
    file per frame under ``unit1/radar_data/``, and the marker ``SYNTHETIC.json`` holding the
    seed and the configuration. Besides the two columns the loader reads, every CSV row carries
    the vehicle's ground truth (``index``, ``synthetic_angle_deg``, ``synthetic_range_m``,
    ``synthetic_radial_velocity_mps``, ``synthetic_lane``).

    Parameters
    ----------
    root : str or Path
        Folder to write into; created if missing. An existing ``Scenario9`` inside it is an error.
    config : SyntheticConfig
        Size and scene.
    seed : int
        Seed of every random draw; the same seed and configuration give the same frames.

    Returns
    -------
    Path
        The ``development_dataset`` folder, ready for :func:`~isacfl.radar.load_scenario9`.

    Raises
    ------
    FileExistsError
        If ``root/Scenario9`` already exists.
    """
    folder = Path(root) / "Scenario9" / "development_dataset"
    if folder.parent.exists():
        raise FileExistsError(f"{folder.parent} already exists; write the synthetic set into an empty folder")
    frames, scene = synthesize_frames(config, seed)
    split_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])
    assignment = _split_assignment(config.n_frames, config.split_fractions, split_rng)

    radar_folder = folder / "unit1" / "radar_data"
    radar_folder.mkdir(parents=True)
    relative_paths = []
    for i, frame in enumerate(frames):
        name = f"data_{i + 1}.mat"
        scipy.io.savemat(radar_folder / name, {MAT_KEY: frame})
        relative_paths.append(f"./unit1/radar_data/{name}")

    columns = ["index", RADAR_COLUMN, BEAM_COLUMN, "synthetic_angle_deg", "synthetic_range_m",
               "synthetic_radial_velocity_mps", "synthetic_lane"]
    for split_number, split in enumerate(SPLITS):
        with open(folder / CSV_NAMES[split], "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for i in np.flatnonzero(assignment == split_number):
                writer.writerow([
                    i + 1,
                    relative_paths[i],
                    int(scene.labels[i]) + 1,
                    f"{math.degrees(scene.angle_rad[i]):.6f}",
                    f"{scene.range_m[i]:.6f}",
                    f"{scene.radial_velocity_mps[i]:.6f}",
                    int(scene.lane[i]),
                ])

    marker = {
        "generator": "isacfl.radar.synthetic",
        "seed": int(seed),
        "frame_shape": list(config.radar.frame_shape),
        "config": config.to_dict(),
    }
    (folder / SYNTHETIC_MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    logger.info("wrote synthetic radar data set (%d frames of shape %s, seed %d) to %s",
                config.n_frames, config.radar.frame_shape, seed, folder)
    return folder


def synthetic_cache_dir() -> Path:
    """Return the folder that caches generated data sets.

    It is ``$ISACFL_DATA_DIR/deepsense_synthetic``, with ``ISACFL_DATA_DIR`` defaulting to
    ``~/.cache/isacfl`` (the same cache as the MNIST download).
    """
    return Path(os.environ.get("ISACFL_DATA_DIR", Path.home() / ".cache" / "isacfl")) / "deepsense_synthetic"


def load_synthetic_scenario9(
    config: SyntheticConfig = SyntheticConfig(), seed: int = 0, cache_dir: str | Path | None = None
) -> RadarDataset:
    """Load a synthetic data set from the cache, generating it first when it is missing.

    The cache key is a hash of the configuration and the seed. A new set is written into a
    temporary folder beside its final place and renamed when complete, so an interrupted run
    or a concurrent one never leaves a half-written set behind.

    Parameters
    ----------
    config : SyntheticConfig
        Size and scene.
    seed : int
        Seed of the generator.
    cache_dir : str or Path, optional
        Cache folder; default :func:`synthetic_cache_dir`.

    Returns
    -------
    RadarDataset
        Its ``source`` starts with ``"synthetic"``.
    """
    cache = Path(cache_dir) if cache_dir is not None else synthetic_cache_dir()
    key_text = json.dumps({"seed": int(seed), "config": config.to_dict()}, sort_keys=True)
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    target = cache / f"{config.radar.n_samples}x{config.radar.n_chirps}-n{config.n_frames}-seed{seed}-{key}"
    if not (target / "Scenario9" / "development_dataset" / SYNTHETIC_MARKER).is_file():
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache, prefix=".staging-"))
        try:
            write_synthetic_dataset(staging, config, seed)
            try:
                staging.rename(target)
            except OSError:
                # Another process finished the same set first; its copy is identical.
                if not (target / "Scenario9" / "development_dataset" / SYNTHETIC_MARKER).is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return load_scenario9(target / "Scenario9" / "development_dataset")
