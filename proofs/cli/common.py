"""What the commands share: the help formatter, the scenario options, name
checks, and the one progress printer (check, report, mutate, lattice)."""
from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable, Optional, Sequence, TextIO

from ppverify.models.scenario import Bounds
from ppverify.models.threats import UnknownName
from ppverify.proofs.analyses.check import ENGINES
from ppverify.proofs.analyses.checks import ANALYSES_ENGINE
from ppverify.proofs.cli.exits import UsageError
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import CONTROLS, PARAMETERS, scenario


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions as written; every option's default shown (unless it is
    empty or off); help wrapped at spaces only, so a name like
    `credential-blinding` is never broken at its hyphen."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or not action.option_strings or default is None or default is False
                or default == [] or default == argparse.SUPPRESS):
            return text
        return text + " (default: %(default)s)"

    def _split_lines(self, text: str, width: int) -> list[str]:
        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)


def at_least(low: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse type: an int of at least `low` (argparse then exits 2 with
    the option's name and this message, before any work)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} of at least {low} expected, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    parse.__name__ = f"int>={low}"
    return parse


def writable_file(path: Optional[str], option: str = "--output") -> None:
    """Fail before any work when a file cannot be written where asked. Probed
    by writing (permission bits say nothing to root, nor about /proc)."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a folder, a file name is expected")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {path}: the folder {target.parent} does not exist")
    try:
        if target.exists():
            with open(target, "a"):
                pass
        else:
            with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".ppverify-probe-"):
                pass
    except OSError as exc:
        raise UsageError(f"{option} {path}: not writable ({exc.strerror})") from None


def writable_dir(path: str, option: str = "--output") -> None:
    """Fail before any work when a folder cannot be created or written in
    (it is created now: an empty folder is all that is left on an error)."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".ppverify-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write there ({exc.strerror})") from None


def add_command(sub, name: str, help: str, description: str) -> argparse.ArgumentParser:
    """A subcommand with a one-line `help` (the command list) and a paragraph
    `description` (its own --help)."""
    return sub.add_parser(name, help=help, description=description, formatter_class=HelpFormatter)


def scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--disable", action="append", default=[], metavar="CONTROL",
                   help="switch a control off (repeatable); one of: " + ", ".join(CONTROLS))
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="set_params",
                   help="set a parameter (repeatable): "
                        + "; ".join(f"{k}={'|'.join(v)}" for k, v in PARAMETERS.items()))
    p.add_argument("--clients", type=at_least(1), default=1, help="clients in the scenario")
    p.add_argument("--sessions", type=at_least(1), default=1, help="sessions per client")
    p.add_argument("--cvms", type=at_least(1), default=1, help="honest orchestrator CVMs")


ENGINE_HELP = ("auto: the unbounded engine (horn) first, the explorer for every cell it leaves open; explore: "
               "explicit-state search; smt: bounded model checking in z3; both: explore and smt, a disagreement is "
               "an error (exit 2); horn: the monotone fixpoint checked in z3 alone (candidates confirmed by explore)")


def engine_arg(p: argparse.ArgumentParser, default: str = ANALYSES_ENGINE, note: str = "") -> None:
    """`--engine` of the commands that run many checks (mutate, report, lattice): `check`'s choices,
    the analyses' default (`checks.ANALYSES_ENGINE`) unless the command has its own."""
    p.add_argument("--engine", choices=ENGINES, default=default,
                   help="the engine of every check this command runs" + note + ": " + ENGINE_HELP)


def make_scenario(args, threat_text: str = "none"):
    return scenario(threat_text, args.disable, args.set_params, Bounds(args.clients, args.sessions, args.cvms))


def properties(names: Sequence[str]) -> tuple[str, ...]:
    """The named properties (all when none is named), each checked."""
    for p in names:
        if p not in PROPERTY_NAMES:
            raise UnknownName("property", p, PROPERTY_NAMES)
    return tuple(names) or PROPERTY_NAMES


class Progress:
    """Progress on stderr. On a terminal a status line is rewritten in place
    with carriage returns; anywhere else (CI logs, files) only whole lines are
    written, never a carriage return, and status updates at most every
    `interval` seconds so a log stays readable."""

    def __init__(self, quiet: bool = False, stream: Optional[TextIO] = None, interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.quiet, self.stream, self.interval, self.clock = quiet, stream or sys.stderr, interval, clock
        self.tty = self.stream.isatty()
        self._shown = False           # a status line is on the terminal
        self._last: Optional[float] = None

    def say(self, text: str) -> None:
        """A whole line."""
        if not self.quiet:
            self.clear()
            print(text, file=self.stream, flush=True)

    def status(self, text: str) -> None:
        """The current state of a long step (replaces the previous one on a terminal)."""
        if self.quiet:
            return
        if self.tty:
            print("\r" + text, end="", file=self.stream, flush=True)
            self._shown = True
            return
        now = self.clock()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            print(text, file=self.stream, flush=True)

    def clear(self) -> None:
        """End a status line: blank it on a terminal."""
        if self._shown:
            print("\r" + " " * 60 + "\r", end="", file=self.stream, flush=True)
            self._shown = False
        self._last = None
