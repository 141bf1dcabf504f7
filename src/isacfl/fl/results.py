"""Result cache: one small JSON file per ``(config, seed)``, written atomically and checksummed.

A file holds the config, the seed, the code version, the history and a SHA-256 checksum of all of
these. :func:`load_result` returns ``None`` for a missing file and, after logging a warning, for a
file that is truncated, corrupt, or written for another config or seed, so that the caller
recomputes it instead of using it.
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
from typing import Any

from .config import CACHE_FORMAT, RunConfig
from .history import History

__all__ = ["results_dir", "result_path", "save_result", "load_result", "code_version", "RESULTS_DIR_ENV_VAR"]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder of the result files.
RESULTS_DIR_ENV_VAR = "ISACFL_RESULTS_DIR"

# src/isacfl/fl/results.py -> repository root
_REPO_ROOT = Path(__file__).resolve().parents[3]


def results_dir(root: str | Path | None = None) -> Path:
    """Return the result folder: ``root``, else ``ISACFL_RESULTS_DIR``, else ``results/cache`` in the repository."""
    if root is not None:
        return Path(root)
    if os.environ.get(RESULTS_DIR_ENV_VAR):
        return Path(os.environ[RESULTS_DIR_ENV_VAR])
    return _REPO_ROOT / "results" / "cache"


def result_path(config: RunConfig, seed: int, root: str | Path | None = None) -> Path:
    """Return the file of ``(config, seed)``: ``<results_dir>/fl-<config hash>-seed<seed>.json``."""
    return results_dir(root) / f"fl-{config.hash}-seed{int(seed)}.json"


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


def _checksum(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def save_result(config: RunConfig, seed: int, history: History, root: str | Path | None = None) -> Path:
    """Write the result of ``(config, seed)`` atomically (a temporary file, then a rename) and return its path."""
    path = result_path(config, seed, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "cache_format": CACHE_FORMAT,
        "config_hash": config.hash,
        "config": config.to_dict(),
        "seed": int(seed),
        "code_version": code_version(),
        "history": history.to_dict(),
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


def load_result(config: RunConfig, seed: int, root: str | Path | None = None) -> History | None:
    """Read the cached result of ``(config, seed)``, or return ``None`` if it must be computed.

    A missing file returns ``None`` silently. A file that cannot be parsed, fails its checksum,
    or records another config hash, seed or cache format is logged as a warning and ``None`` is
    returned, so it is never used.
    """
    path = result_path(config, seed, root)
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
        expected = {"cache_format": CACHE_FORMAT, "config_hash": config.hash, "seed": int(seed)}
        for key, value in expected.items():
            if payload.get(key) != value:
                raise ValueError(f"{key} is {payload.get(key)!r}, expected {value!r}")
        return History.from_dict(payload["history"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        logger.warning("ignoring invalid result file %s (%s); recomputing it", path, error)
        return None
