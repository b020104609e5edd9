"""`ppverify replay TRACE`: a saved attack re-run on the symbolic model, then
with real cryptography."""
from __future__ import annotations

import json

from ppverify.proofs.cli import exits
from ppverify.proofs.cli.attacks import concrete_evidence
from ppverify.proofs.cli.common import add_command
from ppverify.proofs.render.text import trace_text
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.replay.symbolic import ReplayError, replay_trace, trace_from_json

DESCRIPTION = """\
Replay a trace saved as JSON (by `ppverify report` under traces/, or a
violated cell of `check --format json`) on the symbolic model, step by step,
and say why its last step violates the property; then run the same steps
with real cryptography, the injected messages built from bytes the adversary
held, and show the evidence.

Exit status: 1 the trace violates its property (the expected outcome),
2 the file is unreadable or the trace does not replay.

example:
  ppverify replay review/traces/key-consistency--cdn.json"""


def add_parser(sub) -> None:
    r = add_command(sub, "replay", "replay a saved trace (JSON) on the model, then with real cryptography",
                    DESCRIPTION)
    r.add_argument("trace", help="the trace's JSON file")
    r.add_argument("--symbolic-only", action="store_true", help="skip the replay with real cryptography")
    r.add_argument("--seed", type=int, default=0, help="seed of the concrete replay's keys")
    r.set_defaults(run=run)


def run(args) -> int:
    try:
        with open(args.trace) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise exits.UsageError(f"cannot read trace {args.trace}: {exc}") from None
    try:   # a file that does not replay was edited, truncated or made elsewhere: the user's to fix
        trace = trace_from_json(data)
        _, _, why = replay_trace(trace)
    except (TraceFormatError, ReplayError) as exc:
        raise exits.UsageError(f"trace {args.trace} does not replay: {exc}") from None
    print(trace_text(trace))
    print(f"replayed on the symbolic model: {why}")
    if not args.symbolic_only:
        print(concrete_evidence(trace, args.seed))
    return exits.VIOLATED
