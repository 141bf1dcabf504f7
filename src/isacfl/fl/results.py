"""Result cache: one small JSON file per ``(config, seed)``, written atomically and checksummed.

A file contains the config, the seed, the code version, the fingerprint of the package's source,
the identity of the data the run used, the result and a SHA-256 checksum of all of these.
:func:`load_result` returns ``None`` for a missing file, for a file written by other source code
or for other data (a stale result), and, after logging a warning, for a file that is truncated,
corrupt, or written for another config or seed, so that the caller recomputes it instead of
using it.

:func:`save_result` and :func:`load_result` store FL histories (files ``fl-<hash>-seed<seed>.json``).
:func:`save_record` and :func:`load_record` apply the same rules to any other kind of run whose
config has a stable ``hash`` and a ``to_dict`` method; the kind names the file
(``<kind>-<hash>-seed<seed>.json``) and carries its own cache format.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Protocol, TypeVar

from .config import CACHE_FORMAT, RunConfig
from .history import History

__all__ = ["results_dir", "result_path", "save_result", "load_result", "code_version", "code_fingerprint",
           "RESULTS_DIR_ENV_VAR", "CachedConfig", "record_path", "save_record", "load_record", "ensure_writable"]

logger = logging.getLogger(__name__)

_Decoded = TypeVar("_Decoded")


class CachedConfig(Protocol):
    """A run config the cache can key: a stable ``hash`` and JSON-ready fields."""

    @property
    def hash(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...

#: Environment variable naming the folder of the result files.
RESULTS_DIR_ENV_VAR = "ISACFL_RESULTS_DIR"

# src/isacfl/fl/results.py -> repository root
_REPO_ROOT = Path(__file__).resolve().parents[3]
# src/isacfl/fl/results.py -> the isacfl package folder
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def results_dir(root: str | Path | None = None) -> Path:
    """Return the result folder: ``root``, else ``ISACFL_RESULTS_DIR``, else ``results/cache`` in the repository.

    ``~`` is expanded and a relative path is resolved against the current folder. The book runs
    its chapters from ``notebooks/``, so give ``ISACFL_RESULTS_DIR`` as an absolute path when the
    book and the command line should share results.
    """
    if root is not None:
        return Path(root).expanduser().resolve()
    if os.environ.get(RESULTS_DIR_ENV_VAR):
        return Path(os.environ[RESULTS_DIR_ENV_VAR]).expanduser().resolve()
    return _REPO_ROOT / "results" / "cache"


def record_path(kind: str, config: CachedConfig, seed: int, root: str | Path | None = None) -> Path:
    """Return the file of a run of ``kind``: ``<results_dir>/<kind>-<config hash>-seed<seed>.json``.

    Raises
    ------
    ValueError
        If ``kind`` is not a non-empty string of letters, digits and ``_``.

    Examples
    --------
    >>> record_path("fl", RunConfig(), 3, root="cache").name == f"fl-{RunConfig().hash}-seed3.json"
    True
    """
    if not kind or not kind.replace("_", "").isalnum():
        raise ValueError(f"kind must be a non-empty name of letters, digits and '_', got {kind!r}")
    return results_dir(root) / f"{kind}-{config.hash}-seed{int(seed)}.json"


def result_path(config: RunConfig, seed: int, root: str | Path | None = None) -> Path:
    """Return the file of ``(config, seed)``: ``<results_dir>/fl-<config hash>-seed<seed>.json``."""
    return record_path("fl", config, seed, root)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Return the package version and, inside a git checkout, the commit (``+dirty`` if modified)."""
    from .. import __version__

    try:
        commit = subprocess.run(["git", "-C", str(_REPO_ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(_REPO_ROOT), "status", "--porcelain", "--", "src"],
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}{'.dirty' if status else ''}"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Return the first 16 hex digits of a SHA-256 over every Python file of the installed package.

    Every result file records it, and a file written under another fingerprint counts as stale,
    so that no cached number outlives the code that computed it. Any edit of the package's source
    (a docstring included) changes it; the chapters and tests do not.

    Examples
    --------
    >>> len(code_fingerprint()), code_fingerprint() == code_fingerprint()
    (16, True)
    """
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_ROOT.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE_ROOT).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _checksum(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def save_record(kind: str, config: CachedConfig, seed: int, field: str, value: Any, *, cache_format: int,
                root: str | Path | None = None, data_identity: str | None = None) -> Path:
    """Write ``value`` as the result of ``(config, seed)`` atomically and return the file's path.

    The file contains ``cache_format``, the config hash, the config, the seed, the code version
    and fingerprint (:func:`code_fingerprint`), ``data_identity``, ``value`` under the key
    ``field`` and the SHA-256 checksum of all of these. ``data_identity`` names the data the run
    used where the config does not. It is written to a temporary file that is then renamed, so a reader never
    sees a half-written file.

    Raises
    ------
    OSError
        If the result folder cannot be created or written; the message names the folder and
        ``ISACFL_RESULTS_DIR``.
    """
    path = record_path(kind, config, seed, root)
    ensure_writable(path.parent)
    payload = {
        "cache_format": cache_format,
        "config_hash": config.hash,
        "config": config.to_dict(),
        "seed": int(seed),
        "code_version": code_version(),
        "code_fingerprint": code_fingerprint(),
        "data_identity": data_identity,
        field: value,
    }
    document = {**payload, "sha256": _checksum(payload)}
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(document, out, sort_keys=True)
        # mkstemp creates the file readable by its owner only, but results are shared data.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def load_record(kind: str, config: CachedConfig, seed: int, field: str, decode: Callable[[Any], _Decoded], *,
                cache_format: int, root: str | Path | None = None,
                data_identity: str | None = None) -> _Decoded | None:
    """Read the cached result of ``(config, seed)`` and decode it, or return ``None`` if it must be computed.

    A missing file returns ``None`` silently. A valid file written under another
    :func:`code_fingerprint` or for another ``data_identity`` is stale, not damaged: it returns
    ``None``, and the first such file of a process is logged at INFO level.
    A file that cannot be parsed, fails its checksum, records another config hash, seed or cache
    format, or whose ``field`` ``decode`` rejects (with ``ValueError``, ``KeyError``,
    ``TypeError`` or ``AttributeError``) is logged as a warning and ``None`` is returned, so it
    is never used.
    """
    path = record_path(kind, config, seed, root)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OSError(f"cannot read the result file {path} ({error}); check the result folder, set by "
                      f"{RESULTS_DIR_ENV_VAR} (default results/cache)") from error
    try:
        # A file of random bytes fails to decode, and a deeply nested one exhausts the parser's stack.
        document = json.loads(raw.decode("utf-8"))
        payload = {key: value for key, value in document.items() if key != "sha256"}
        if document.get("sha256") != _checksum(payload):
            raise ValueError("checksum mismatch")
        expected = {"cache_format": cache_format, "config_hash": config.hash, "seed": int(seed)}
        for key, value in expected.items():
            if payload.get(key) != value:
                raise ValueError(f"{key} is {payload.get(key)!r}, expected {value!r}")
        if payload.get("code_fingerprint") != code_fingerprint():
            _log_stale(path, f"written by other source code ({payload.get('code_version')})")
            return None
        if payload.get("data_identity") != data_identity:
            _log_stale(path, f"computed on other data ({payload.get('data_identity')}, now {data_identity})")
            return None
        return decode(payload[field])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        logger.warning("ignoring invalid result file %s (%s); recomputing it", path, error)
        return None


_stale_logged = False


def _log_stale(path: Path, reason: str) -> None:
    """Log a stale result file: the first one of the process at INFO level, the others at DEBUG."""
    global _stale_logged
    level = logging.DEBUG if _stale_logged else logging.INFO
    logger.log(level, "result file %s is stale, %s; recomputing it (later stale files are logged at DEBUG "
               "level only)", path, reason)
    _stale_logged = True


def ensure_writable(folder: Path) -> None:
    """Create the result folder if needed and check that a file can be written in it.

    Raises
    ------
    OSError
        If the folder cannot be created or written, with a message that names it and
        ``ISACFL_RESULTS_DIR``.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(f"no write permission on {folder}")
    except OSError as error:
        raise OSError(f"cannot write results to {folder} ({error}); set {RESULTS_DIR_ENV_VAR} to a writable "
                      f"folder") from error


def save_result(config: RunConfig, seed: int, history: History, root: str | Path | None = None) -> Path:
    """Write the result of ``(config, seed)`` atomically (a temporary file, then a rename) and return its path."""
    from ..data import mnist_identity

    return save_record("fl", config, seed, "history", history.to_dict(), cache_format=CACHE_FORMAT, root=root,
                       data_identity=mnist_identity())


def load_result(config: RunConfig, seed: int, root: str | Path | None = None) -> History | None:
    """Read the cached result of ``(config, seed)``, or return ``None`` if it must be computed.

    A missing file, or one written by other source code or for other MNIST data
    (:func:`isacfl.data.mnist_identity`), returns ``None``. A file that
    cannot be parsed, fails its checksum, or records another config hash, seed or cache format is
    logged as a warning and ``None`` is returned, so it is never used.
    """
    from ..data import mnist_identity

    return load_record("fl", config, seed, "history", History.from_dict, cache_format=CACHE_FORMAT, root=root,
                       data_identity=mnist_identity())
