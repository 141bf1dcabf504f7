"""Exceptions shared by the command line and its subcommands."""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """Invalid input to a subcommand; the command line prints the message and exits with code 2.

    It lives outside ``isacfl.__main__`` because ``python -m isacfl`` runs that module as
    ``__main__``: a subcommand importing the class from ``isacfl.__main__`` would get a second
    copy that ``main()`` does not catch.
    """
