"""The `ppverify` command line: build the parser from the command modules
(one per command), dispatch, and map errors to exit codes (`proofs.cli.exits`).
Summaries and progress go to stderr; reports to stdout or --output."""
from __future__ import annotations

import argparse
import signal
import sys

from ppverify.models.threats import UnknownName
from ppverify.proofs.analyses.auto import UnsoundProof
from ppverify.proofs.analyses.check import EngineDisagreement
from ppverify.proofs.cli import attacks, check, exits, export, mutate, replay, report, simulate
from ppverify.proofs.cli.common import HelpFormatter
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.render.base import tool_version
from ppverify.proofs.replay.symbolic import ReplayError

DESCRIPTION = """\
Verify a formal model of WhatsApp Private Processing: which threat models can
expose a user's messages, identity or consent, and which control stops which
attack.

Start with `ppverify check` (the published design under each actor of the
stated trust model), then `ppverify explain --property P --threat T` for one
attack, or `ppverify report --output DIR` for a design-review bundle.
`ppverify COMMAND --help` describes each command.

Exit status: 0 all proved, 1 some property violated, 2 usage or model error,
3 inconclusive and nothing violated."""


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ppverify", description=DESCRIPTION, formatter_class=HelpFormatter)
    ap.add_argument("--version", action="version", version=f"ppverify {tool_version()}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (check, simulate, export, replay, mutate):
        command.add_parser(sub)
    attacks.add_parsers(sub)
    report.add_parser(sub)
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, exits.interrupt_handler())
    try:
        return args.run(args)
    except KeyboardInterrupt:   # Ctrl-C or SIGTERM: the worker pools are already ended
        print("ppverify: interrupted; nothing was written after the interrupt", file=sys.stderr)
        return exits.INTERRUPTED
    except (UnknownName, exits.UsageError, TraceFormatError, ValueError) as exc:
        print(f"ppverify: error: {exc}", file=sys.stderr)
        return exits.USAGE
    except (EngineDisagreement, UnsoundProof, ReplayError) as exc:  # engines disagree, or a trace did not replay
        print(f"ppverify: internal error: {exc}", file=sys.stderr)
        return exits.USAGE
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
