"""The attack-analysis commands: `lattice` (which coalitions break which
property) and `explain` (one attack told three ways), and the concrete
replay `replay` shares (`mutate` is `proofs.cli.mutate`)."""
from __future__ import annotations

from pathlib import Path
from typing import assert_never

from ppverify.proofs.analyses import lattice as la
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.cli import exits
from ppverify.proofs.cli.common import (Progress, add_command, at_least, engine_arg, make_scenario, properties,
                                        scenario_args, writable_file)
from ppverify.proofs.core.verdicts import Inconclusive, Proved, Trace, Violated
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.render.explain import evidence_text, explain_markdown
from ppverify.proofs.render.json import lattice_json
from ppverify.proofs.render.text import lattice_text
from ppverify.proofs.replay.concrete import ConcreteReplay, ConcreteReplayError, replay_concrete
from ppverify.proofs.pp.model import symbolic_model
from ppverify.protocol.controls import ACTORS, threat

LATTICE = """\
For each property, the weakest coalitions of actors that break it and the
strongest under which it still holds. Coalitions are checked smallest first;
a violation is carried to larger coalitions by replaying its trace, an
exhaustive proof to smaller ones (--verify checks every coalition instead).

Exit status: 0, or 1 when --verify finds a breach of monotonicity.

example:
  ppverify lattice --actor cdn --actor relay --actor ledger"""

EXPLAIN = """\
One property, one scenario: if the property is violated, the attack as
numbered steps in the model's vocabulary, a Mermaid sequence diagram, and
the evidence of its replay with real cryptography.

Exit status: 1 violated (an attack to explain), 0 proved, 3 inconclusive.

example:
  ppverify explain --property key-consistency --threat cdn"""


def add_parsers(sub) -> None:
    lt = add_command(sub, "lattice", "per property, the minimal threat coalitions that break it and the "
                     "maximal ones under which it holds", LATTICE)
    lt.add_argument("--actor", action="append", default=[], metavar="ACTOR",
                    help="restrict the lattice to these actors (repeatable; default all: " + ", ".join(ACTORS) + ")")
    lt.add_argument("--property", action="append", default=[], metavar="NAME",
                    help="property (repeatable; default all): " + ", ".join(PROPERTY_NAMES))
    lt.add_argument("--max-states", type=at_least(1), default=la.DEFAULT_MAX_STATES,
                    help=f"explorer state limit per coalition (single actors and the coalitions checked "
                         f"first, lattice.TOPS: {la.SINGLE_MAX_STATES})")
    lt.add_argument("--max-moves", type=at_least(0), default=2, help="adversary injections per path")
    lt.add_argument("--jobs", type=at_least(1), default=2, help="parallel processes")
    engine_arg(lt, la.LATTICE_ENGINE)
    lt.add_argument("--verify", action="store_true",
                    help="check every coalition (no pruning) and report any breach of monotonicity")
    lt.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    lt.add_argument("--output", help="write the report here instead of stdout")
    lt.add_argument("--quiet", action="store_true", help="no progress display")
    lt.set_defaults(run=run_lattice)
    e = add_command(sub, "explain", "one property, one scenario: the attack as numbered steps, a Mermaid "
                    "sequence diagram and its replay with real cryptography", EXPLAIN)
    scenario_args(e)
    e.add_argument("--property", required=True, metavar="NAME", help=", ".join(PROPERTY_NAMES))
    e.add_argument("--threat", default="none", metavar="ACTORS", help="threat model, actors joined with '+'")
    e.add_argument("--max-states", type=at_least(1), default=20_000, help="explorer state limit")
    e.add_argument("--max-moves", type=at_least(0), default=2, help="adversary injections per path")
    e.add_argument("--seed", type=int, default=0, help="seed of the concrete replay's keys")
    e.set_defaults(run=run_explain)


def run_lattice(args) -> int:
    actors = tuple(a for a in ACTORS if a in set(args.actor)) if args.actor else ACTORS
    for a in args.actor:
        threat(a)
    props = properties(args.property)
    writable_file(args.output)
    rep = la.run_lattice(actors, props, args.max_states, args.max_moves, args.jobs,
                         args.verify, Progress(args.quiet).say, args.engine)
    report = lattice_json(rep) if args.format == "json" else lattice_text(rep)
    if args.output:
        Path(args.output).write_text(report + "\n")
    else:
        print(report)
    return exits.OK if not rep.breaches else exits.VIOLATED


def _concrete(trace: Trace, seed: int) -> ConcreteReplay:
    try:
        return replay_concrete(trace, seed)
    except ConcreteReplayError as exc:
        raise exits.UsageError(f"internal error, the trace does not run with real cryptography: {exc}") from None


def concrete_evidence(trace: Trace, seed: int = 0) -> str:
    return evidence_text(_concrete(trace, seed))


def run_explain(args) -> int:
    (p,) = properties([args.property])
    sc = make_scenario(args, str(threat(args.threat)))
    (r,) = check_threat(sc, (p,), max_states=args.max_states, max_moves=args.max_moves)
    v = r.verdict
    match v:
        case Violated():
            print(explain_markdown(v.trace, _concrete(v.trace, args.seed), symbolic_model(sc).roles))
            return exits.VIOLATED
        case Proved():
            why, code = v.note, exits.OK
        case Inconclusive():
            why, code = v.reason, exits.INCONCLUSIVE
        case _:
            assert_never(v)
    print(f"{p} is {v.verdict} under {args.threat} in this scenario: nothing to explain ({why})")
    return code
