"""`ppverify simulate`: full sessions of the scenario with real cryptography."""
from __future__ import annotations

from ppverify.proofs.cli import exits
from ppverify.proofs.cli.common import add_command, make_scenario, scenario_args
from ppverify.proofs.render.json import simulate_json
from ppverify.proofs.render.text import simulate_text
from ppverify.protocol.simulate import simulate

DESCRIPTION = """\
Run the scenario's sessions end to end with real cryptography (HPKE, OHTTP,
blind credentials, attested TLS) and no adversary: every message, the
answers, and which party saw the request and the response in the clear.

Exit status: 0 every answer correct, 1 otherwise, 2 usage error.

example:
  ppverify simulate --clients 2 --format json"""


def add_parser(sub) -> None:
    s = add_command(sub, "simulate", "run full sessions with real cryptography", DESCRIPTION)
    scenario_args(s)
    s.add_argument("--seed", type=int, default=0, help="seed of the session keys")
    s.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: the steps and who saw what; json: versioned, the parties' views")
    s.set_defaults(run=run)


def run(args) -> int:
    res = simulate(make_scenario(args), seed=args.seed)
    print(simulate_json(res) if args.format == "json" else simulate_text(res))
    return exits.OK if res.answer_correct else exits.VIOLATED
