"""Result cache: one small JSON file per ``(config, seed)``, written atomically and checksummed.

A file contains the config, the seed, the code version, the fingerprint of the package's source,
the result and a SHA-256 checksum of all of these. :func:`load_result` returns ``None`` for a
missing file, for a file written by other source code (a stale result), and, after logging a
warning, for a file that is truncated, corrupt, or written for another config or seed, so that
the caller recomputes it instead of using it.

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
           "RESULTS_DIR_ENV_VAR", "CachedConfig", "record_path", "save_record", "load_record"]

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
    """Return the result folder: ``root``, else ``ISACFL_RESULTS_DIR``, else ``results/cache`` in the repository."""
    if root is not None:
        return Path(root)
    if os.environ.get(RESULTS_DIR_ENV_VAR):
        return Path(os.environ[RESULTS_DIR_ENV_VAR])
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
                root: str | Path | None = None) -> Path:
    """Write ``value`` as the result of ``(config, seed)`` atomically and return the file's path.

    The file contains ``cache_format``, the config hash, the config, the seed, the code version
    and fingerprint (:func:`code_fingerprint`), ``value`` under the key ``field`` and the SHA-256
    checksum of all of these. It is written to a temporary file that is then renamed, so a
    reader never sees a half-written file.
    """
    path = record_path(kind, config, seed, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "cache_format": cache_format,
        "config_hash": config.hash,
        "config": config.to_dict(),
        "seed": int(seed),
        "code_version": code_version(),
        "code_fingerprint": code_fingerprint(),
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
                cache_format: int, root: str | Path | None = None) -> _Decoded | None:
    """Read the cached result of ``(config, seed)`` and decode it, or return ``None`` if it must be computed.

    A missing file returns ``None`` silently, and a valid file written under another
    :func:`code_fingerprint` returns ``None`` with a debug log line (it is stale, not damaged).
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
            logger.debug("result file %s was written by other source code (%s); recomputing it", path,
                         payload.get("code_version"))
            return None
        return decode(payload[field])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        logger.warning("ignoring invalid result file %s (%s); recomputing it", path, error)
        return None


def save_result(config: RunConfig, seed: int, history: History, root: str | Path | None = None) -> Path:
    """Write the result of ``(config, seed)`` atomically (a temporary file, then a rename) and return its path."""
    return save_record("fl", config, seed, "history", history.to_dict(), cache_format=CACHE_FORMAT, root=root)


def load_result(config: RunConfig, seed: int, root: str | Path | None = None) -> History | None:
    """Read the cached result of ``(config, seed)``, or return ``None`` if it must be computed.

    A missing file or one written by other source code returns ``None`` silently. A file that
    cannot be parsed, fails its checksum, or records another config hash, seed or cache format is
    logged as a warning and ``None`` is returned, so it is never used.
    """
    return load_record("fl", config, seed, "history", History.from_dict, cache_format=CACHE_FORMAT, root=root)
