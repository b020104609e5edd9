"""The `mutate`, `lattice` and `explain` commands and concrete replay, kept
out of `proofs.cli` (which only registers them). Library modules are imported
inside the commands so `ppverify --help` stays fast."""
from __future__ import annotations

import json
import sys

from ppverify.protocol.controls import ACTORS, STATED_THREATS, threat
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub, scenario_args) -> None:
    m = sub.add_parser("mutate", help="which control stops which attack: switch each control off "
                                      "(and each parameter to each other value) and compare with the published design")
    m.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                   help="threat model (repeatable; default each single actor of the stated trust model: "
                        + ", ".join(STATED_THREATS) + ")")
    m.add_argument("--mutation", action="append", default=[], metavar="NAME",
                   help="only this mutation (repeatable): a control name, or NAME=VALUE for a parameter")
    m.add_argument("--max-states", type=int, default=None,
                   help="explorer state limit per check (default 5000; the check command uses 20000)")
    m.add_argument("--max-moves", type=int, default=2)
    m.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    m.add_argument("--traces", action="store_true", help="print every attack's full trace")
    m.add_argument("--format", choices=("text", "json"), default="text")
    m.add_argument("--output", help="write the report here instead of stdout")
    m.add_argument("--quiet", action="store_true")
    la = sub.add_parser("lattice", help="per property, the minimal threat coalitions that break it and "
                                        "the maximal ones under which it holds")
    la.add_argument("--actor", action="append", default=[], metavar="ACTOR",
                    help="restrict the lattice to these actors (repeatable; default all: " + ", ".join(ACTORS) + ")")
    la.add_argument("--property", action="append", default=[], metavar="NAME")
    la.add_argument("--max-states", type=int, default=None, help="explorer state limit per coalition (default 4000)")
    la.add_argument("--max-moves", type=int, default=2)
    la.add_argument("--jobs", type=int, default=2)
    la.add_argument("--verify", action="store_true",
                    help="check every coalition (no pruning) and report any breach of monotonicity")
    la.add_argument("--format", choices=("text", "json"), default="text")
    la.add_argument("--quiet", action="store_true")
    e = sub.add_parser("explain", help="one property, one scenario: the attack as numbered steps, a Mermaid "
                                       "sequence diagram and its replay with real cryptography")
    scenario_args(e)
    e.add_argument("--property", required=True, metavar="NAME", help=", ".join(PROPERTY_NAMES))
    e.add_argument("--threat", default="none", metavar="ACTORS")
    e.add_argument("--max-states", type=int, default=20_000)
    e.add_argument("--max-moves", type=int, default=2)
    e.add_argument("--seed", type=int, default=0, help="seed of the concrete replay's keys")


def _say(args):
    return None if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))


def _props(names):
    from ppverify.models.threats import UnknownName
    for p in names:
        if p not in PROPERTY_NAMES:
            raise UnknownName("property", p, PROPERTY_NAMES)
    return tuple(names) or PROPERTY_NAMES


def cmd_mutate(args) -> int:
    from ppverify.proofs.analyses import mutate as mu
    threats = [str(threat(t)) for t in (args.threat or STATED_THREATS)]
    muts = [mu.by_name(n) for n in args.mutation] or None
    rep = mu.run_mutate(threats, muts, max_states=args.max_states or mu.DEFAULT_MAX_STATES,
                        max_moves=args.max_moves, jobs=args.jobs, progress=_say(args))
    if args.format == "json":
        out = json.dumps(mu.report_json(rep), indent=2)
    else:
        out = "\n\n".join([mu.matrix_text(rep), mu.details_text(rep, args.traces), mu.summary_text(rep)])
    if args.output:
        with open(args.output, "w") as f:
            f.write(out + "\n")
    else:
        print(out)
    print(mu.summary_text(rep), file=sys.stderr)
    return EXIT_OK


def cmd_lattice(args) -> int:
    from ppverify.proofs.analyses import lattice as la
    actors = tuple(a for a in ACTORS if a in set(args.actor)) if args.actor else ACTORS
    for a in args.actor:
        threat(a)
    rep = la.run_lattice(actors, _props(args.property), args.max_states or la.DEFAULT_MAX_STATES,
                         args.max_moves, args.jobs, args.verify, _say(args))
    print(json.dumps(la.report_json(rep), indent=2) if args.format == "json" else la.report_text(rep))
    return EXIT_OK if not rep.breaches else EXIT_VIOLATED


def _concrete(trace, seed: int):
    from ppverify.proofs.cli.main import UsageError
    from ppverify.proofs.replay.concrete import ConcreteReplayError, replay_concrete
    try:
        return replay_concrete(trace, seed)
    except ConcreteReplayError as exc:
        raise UsageError(f"internal error, the trace does not run with real cryptography: {exc}") from None


def concrete_evidence(trace, seed: int = 0) -> str:
    from ppverify.proofs.render.explain import evidence_text
    return evidence_text(_concrete(trace, seed))


def cmd_explain(args, make_scenario) -> int:
    from ppverify.proofs.analyses.check import check_threat
    from ppverify.proofs.render.explain import explain_markdown
    from ppverify.proofs.core.verdicts import Violated
    (p,) = _props([args.property])
    sc = make_scenario(args, str(threat(args.threat)))
    (r,) = check_threat(sc, (p,), max_states=args.max_states, max_moves=args.max_moves)
    if not isinstance(r.verdict, Violated):
        v = r.verdict
        print(f"{p} is {v.verdict} under {args.threat} in this scenario: nothing to explain"
              + (f" ({v.note})" if getattr(v, "note", "") else f" ({getattr(v, 'reason', '')})"))
        return EXIT_OK if v.verdict == "proved" else 3
    print(explain_markdown(r.verdict.trace, _concrete(r.verdict.trace, args.seed)))
    return EXIT_VIOLATED
