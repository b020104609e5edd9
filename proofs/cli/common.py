"""What the commands share: the help formatter, the scenario options, name
checks, and the one progress printer (check, report, mutate, lattice)."""
from __future__ import annotations

import argparse
import sys
import textwrap
import time
from typing import Callable, Optional, Sequence, TextIO

from ppverify.models.scenario import Bounds
from ppverify.models.threats import UnknownName
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
    p.add_argument("--clients", type=int, default=1, help="clients in the scenario")
    p.add_argument("--sessions", type=int, default=1, help="sessions per client")
    p.add_argument("--cvms", type=int, default=1, help="honest orchestrator CVMs")


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
