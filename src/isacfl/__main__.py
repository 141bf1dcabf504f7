"""Command line of isacfl: ``python -m isacfl COMMAND ...`` (also installed as ``isacfl``).

Each subcommand is registered by a function that adds its parser to the sub-parser collection and
sets the ``handler`` default, a callable that takes the parsed arguments and returns the exit
code. To add a subcommand, write such a function and append it to ``COMMANDS``.

Exit codes: 0 on success, 2 for invalid input (a missing or unreadable file, invalid JSON, an
invalid or infeasible scenario, a bad option), with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import CommandError
from .profiles import ENV_VAR, PROFILES

__all__ = ["main", "build_parser", "COMMANDS", "CommandError"]

logger = logging.getLogger(__name__)


class _ArgumentParser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


def _load_scenario(path: str):
    """Read a :class:`~isacfl.scenario.Scenario` from a JSON file, or raise CommandError."""
    from .scenario import Scenario

    file = Path(path)
    if not file.is_file():
        raise CommandError(f"scenario file not found: {path}")
    try:
        params = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read scenario file {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"invalid JSON in {path}: {error}") from None
    if not isinstance(params, dict):
        raise CommandError(f"invalid scenario in {path}: expected a JSON object, got {type(params).__name__}")
    try:
        return Scenario.from_dict(params)
    except (TypeError, ValueError) as error:
        raise CommandError(f"invalid scenario in {path}: {error}") from None


def _run_allocate(args: argparse.Namespace) -> int:
    from .allocation import InfeasibleScenarioError, allocate

    if args.strategy == "ratio" and args.rho is None:
        raise CommandError("--rho is required with --strategy ratio (the upload share of the energy, in [0, 1])")
    scenario = _load_scenario(args.scenario)
    try:
        allocation = allocate(scenario, args.strategy, rho=args.rho)
    except InfeasibleScenarioError as error:
        raise CommandError(f"infeasible scenario in {args.scenario}: {error}") from None
    except ValueError as error:
        raise CommandError(str(error)) from None
    json.dump(allocation.to_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _add_allocate(subparsers: argparse._SubParsersAction) -> None:
    from .allocation import STRATEGIES

    parser = subparsers.add_parser(
        "allocate",
        help="allocate sensing power, snapshots and upload power for a scenario file",
        description="Allocate every device's resources and print the allocation as JSON on stdout: "
        "keys strategy, objective, gamma_min, certificate (upper_bound and relative_gap, or null) "
        "and devices (one object per device).",
    )
    parser.add_argument("scenario", help="path to a scenario JSON file (the keys of Scenario.to_json)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="proposed",
                        help="allocation strategy (default: proposed, the certified global optimum)")
    parser.add_argument("--rho", type=float, default=None,
                        help="upload share of the energy left after computing, in [0, 1]; ratio strategy only")
    parser.set_defaults(handler=_run_allocate)


def _add_sweep(subparsers: argparse._SubParsersAction) -> None:
    from .sweeps.cli import add_sweep_command

    add_sweep_command(subparsers)


#: Functions that register one subcommand each; append new ones here.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_allocate,
    _add_sweep,
]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand of :data:`COMMANDS`."""
    parser = _ArgumentParser(prog="isacfl", description="ISAC-FL: allocator, experiments and book tools.")
    parser.add_argument("--profile", choices=sorted(PROFILES), default=None,
                        help=f"run-size profile of heavy runs (default: ${ENV_VAR} or book)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.profile is not None:
        os.environ[ENV_VAR] = args.profile
    try:
        return int(args.handler(args))
    except CommandError as error:
        print(f"isacfl {args.command}: error: {error}".replace("\n", " "), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of stdout closed early (e.g. `| head`): silence the flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
