"""Command line interface: ``nst <command> ...``.

Each command lives in its own module with ``SUMMARY``, ``add_parser(subparsers)``
and ``run(args) -> int``; this module dispatches and turns user errors into one
line on stderr with exit status 2 (no traceback).

Start-up is kept short: the command modules import nothing heavy at the top,
only the command being run builds its full parser (its options dataclasses),
and torch is imported by the commands that use it, when they run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType

from ..errors import NSTError, OptionError
from ..images import os_error_reason
from ..version import __version__
from .options import flag_of
from .outputs import note

# The commands, in the order of ``nst --help``; each is the module nst.cli.NAME, imported when needed.
COMMANDS = ["transfer", "fast", "styles", "video", "demo", "reconstruct", "train", "apply", "export", "info",
            "recipes", "web"]


def command_module(name: str) -> ModuleType:
    """The module that implements command ``name`` (``fast`` -> :mod:`nst.cli.fast`)."""
    return import_module(f".{name}", __name__)


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line: ``nst CMD: error: ...``.

    Abbreviations of long options are off (``allow_abbrev=False``): no prefix
    is silently taken for another option (``--si`` is not ``--size``).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def requested_command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (its first word that is not an option), or None."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(only: str | None = None, all_commands: bool = True) -> argparse.ArgumentParser:
    """The ``nst`` parser.

    Args:
        only: a command: build its full parser (options, help) alone, importing no
            other command's module (what running that command needs).
        all_commands: with ``only`` None or not a command, build every command's
            full parser (tests, documentation); False lists them all by summary
            only (what ``nst --help`` shows).
    """
    parser = Parser(prog="nst", description="Neural style transfer: repaint a photo in the look of a painting.")
    parser.add_argument("--version", action="version", version=f"nst {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    if only in COMMANDS:  # only the command being run is imported (start-up time)
        command_module(only).add_parser(sub)
        return parser
    for name in COMMANDS:
        if only is None and all_commands:
            command_module(name).add_parser(sub)
        else:
            sub.add_parser(name, help=command_module(name).SUMMARY)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be: the run stops and keeps its best result."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nst`` command; returns the exit status.

    0 done, 2 a usage or input error (one line on stderr), 130 Ctrl-C and
    143 SIGTERM (both after writing what the run has so far, as Ctrl-C does).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=requested_command(argv), all_commands=False)
    args = parser.parse_args(argv)
    args.argv = argv  # recorded in the outputs' metadata
    terminated = []
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        terminated.append(signum)
        raise Terminated()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)  # containers and schedulers stop programs with SIGTERM
    try:
        status = _run(args)
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    return 143 if terminated and status == 130 else status


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except OptionError as e:  # the library names the field; the user typed a flag
        note(f"nst {args.command}: error: {flag_of(e.field)}: {e.problem}")
        return 2
    except NSTError as e:
        note(f"nst {args.command}: error: {e}")
        return 2
    except BrokenPipeError:  # the reader went away: _entry stops quietly
        raise
    except OSError as e:  # a path the file system refuses to look at (name too long, no permission, ...)
        note(f"nst {args.command}: error: {e.filename if e.filename is not None else 'file'}: {os_error_reason(e)}")
        return 2
    except MemoryError:
        note(f"nst {args.command}: error: not enough memory (use a smaller size, or --max-memory)")
        return 1
    except KeyboardInterrupt:
        note(f"nst {args.command}: interrupted")
        return 130


def _entry() -> None:
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (nst info ... | head): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 141
    sys.exit(status)
