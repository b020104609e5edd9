"""The `ppverify` command line: parse, call the library, render, map the
verdicts to an exit code (0 all proved, 1 some violated, 2 usage or model
error, 3 inconclusive and nothing violated). Summaries go to stderr."""
from __future__ import annotations

import argparse
import json
import sys
import time

from ppverify.models.scenario import Bounds
from ppverify.models.threats import UnknownName
from ppverify.protocol.controls import CONTROLS, PARAMETERS, STATED_THREATS, scenario, threat
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.core.serial import TraceFormatError

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


class UsageError(Exception):
    pass


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--disable", action="append", default=[], metavar="CONTROL",
                   help="switch a control off (repeatable); one of: " + ", ".join(CONTROLS))
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="set_params",
                   help="set a parameter: " + "; ".join(f"{k}={'|'.join(v)}" for k, v in PARAMETERS.items()))
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--sessions", type=int, default=1, help="sessions per client")
    p.add_argument("--cvms", type=int, default=1, help="honest orchestrator CVMs")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ppverify", description=(
        "Verify a formal model of WhatsApp Private Processing: which threat models "
        "can expose a user's messages, identity or consent, and which control stops which attack."))
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check properties under threat models (default: the published design)")
    _scenario_args(c)
    c.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="property to check (repeatable; default all): " + ", ".join(PROPERTY_NAMES))
    c.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                   help="threat model, actors joined with '+' (repeatable; default each single actor "
                        "of the stated trust model: " + ", ".join(STATED_THREATS) + ")")
    c.add_argument("--engine", choices=("explore", "smt", "both"), default="explore",
                   help="explore: explicit-state search; smt: bounded model checking in z3; "
                        "both: run both, a disagreement is an error (exit 2)")
    c.add_argument("--bound", type=int, default=40, metavar="K",
                   help="SMT unrolling depth in steps (an honest session takes about 30)")
    c.add_argument("--rounds", action="store_true",
                   help="SMT: unroll in rounds, each a set of moves of different parties at once, so "
                        "concurrent sessions need about one session's depth (the bound counts rounds; it "
                        "covers every run of up to K steps and longer ones)")
    c.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="SMT solver time limit per threat model, seconds (unknown is inconclusive)")
    c.add_argument("--seed", type=int, default=0, help="z3 random seed")
    c.add_argument("--max-states", type=int, default=20_000, help="explorer state limit per threat model")
    c.add_argument("--max-moves", type=int, default=2,
                   help="adversary injections per path (besides its up-front handshakes)")
    c.add_argument("--format", choices=("text", "json", "junit", "sarif"), default="text",
                   help="json: versioned (schema/check-result.schema.json); junit: one test case per "
                        "property x scenario; sarif: SARIF 2.1.0 findings pointing at the model's lines")
    c.add_argument("--output", help="write the report here instead of stdout")
    c.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="check up to N threat models in parallel processes (same results as serial)")
    c.add_argument("--expect", metavar="MANIFEST",
                   help="run the pinned scenarios of a verdict manifest (e.g. manifest/verdicts.json; "
                        "--threat/--property/--disable/--set filter them, search bounds come from the "
                        "manifest); exit 0 when every verdict matches its pin, 1 on drift")
    c.add_argument("--update-manifest", action="store_true",
                   help="with --expect: rewrite the pins from this run (review the diff)")
    c.add_argument("--quiet", action="store_true", help="no progress display")
    s = sub.add_parser("simulate", help="run full sessions with real cryptography")
    _scenario_args(s)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--format", choices=("text", "json"), default="text")
    x = sub.add_parser("export", help="write the SMT engine's proof obligations as SMT-LIB 2 files")
    _scenario_args(x)
    x.add_argument("--format", choices=("smtlib",), default="smtlib")
    x.add_argument("--output", required=True, metavar="DIR", help="directory for the .smt2 files")
    x.add_argument("--solve", action="store_true",
                   help="let z3 answer every obligation first and record its answer as :status (minutes)")
    x.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="property (repeatable; default all with an SMT encoding): " + ", ".join(PROPERTY_NAMES))
    x.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                   help="threat model (repeatable; default the stated trust model)")
    x.add_argument("--bound", type=int, default=40, metavar="K")
    x.add_argument("--max-moves", type=int, default=2)
    r = sub.add_parser("replay", help="replay a saved trace (JSON) on the model, then with real cryptography")
    r.add_argument("trace")
    r.add_argument("--symbolic-only", action="store_true", help="skip the replay with real cryptography")
    r.add_argument("--seed", type=int, default=0, help="seed of the concrete replay's keys")
    from ppverify.proofs.cli import attacks as cli_attacks
    cli_attacks.add_parsers(sub, _scenario_args)
    rp = sub.add_parser("report", help="design-review bundle (index.md, self-contained index.html) from one "
                        "run; exits 0 once written, whatever the verdicts")
    _scenario_args(rp)
    rp.add_argument("--output", required=True, metavar="DIR", help="directory for the bundle")
    rp.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                    help="threat model (repeatable; default each single actor of the stated trust model)")
    rp.add_argument("--max-states", type=int, default=20_000, help="explorer state limit per threat model")
    rp.add_argument("--max-moves", type=int, default=2, help="adversary injections per path")
    rp.add_argument("--extras", action="store_true",
                    help="also run the mutation analysis and the threat lattice for their sections "
                         "(several minutes: each re-runs the checks many times)")
    rp.add_argument("--quiet", action="store_true", help="no progress display")
    return ap


def _make_scenario(args, threat_text="none"):
    return scenario(threat_text, args.disable, args.set_params,
                    Bounds(args.clients, args.sessions, args.cvms))


def _check_kwargs(args) -> dict:
    """Extra keyword arguments for `check_threat`: the engine options."""
    if args.bound < 1:
        raise UsageError(f"--bound must be at least 1, got {args.bound}")
    if args.rounds and args.engine == "explore":
        raise UsageError("--rounds unrolls the SMT engine: use it with --engine smt or --engine both")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}")
    return {"engine": args.engine, "bound": args.bound, "timeout": args.timeout, "seed": args.seed,
            "rounds": args.rounds}


def _render_machine(args):
    from ppverify.proofs.render import machine, text as render
    return lambda results: (render.results_json(results) if args.format == "json"
                            else machine.render(results, args.format))


def cmd_check(args) -> int:
    from ppverify.proofs.analyses.runner import Job, run_jobs
    from ppverify.proofs.render import text as render
    if args.update_manifest and not args.expect:
        raise UsageError("--update-manifest needs --expect MANIFEST (the file to rewrite)")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if args.expect:
        from ppverify.proofs.cli.expect import cmd_expect
        return cmd_expect(args, _render_machine(args), _check_kwargs(args))
    props = args.property or list(PROPERTY_NAMES)
    for p in props:
        if p not in PROPERTY_NAMES:
            raise UnknownName("property", p, PROPERTY_NAMES)
    threats = [str(threat(t)) for t in (args.threat or STATED_THREATS)]
    _make_scenario(args)  # validate before any work
    jobs = [Job(_make_scenario(args, t), tuple(props)) for t in threats]
    start = time.perf_counter()

    def started(i, job):
        if not args.quiet:
            print(f"[{i + 1}/{len(jobs)}] checking under {job.scenario.threat} ({args.engine}) ...", file=sys.stderr, flush=True)

    def progress(job):
        def show(states, queue, t=job.scenario.threat):
            if not args.quiet:
                print(f"\r  {t}: {states} states, {queue} queued", end="", file=sys.stderr, flush=True)
        return show

    def finished(i, job, _):
        if not args.quiet:
            print("\r" + " " * 60 + "\r" if args.jobs == 1 else f"done: {job.scenario.threat}",
                  end="" if args.jobs == 1 else "\n", file=sys.stderr)
    runs = run_jobs(jobs, args.max_states, args.max_moves, args.jobs, started, progress, finished,
                    **_check_kwargs(args))
    results = [r for rs in runs for r in rs]
    elapsed = time.perf_counter() - start
    if args.format != "text":
        report = _render_machine(args)(results)
    else:
        report = "\n\n".join(x for x in (render.matrix_text(results, props, threats),
                                         render.bounds_text(results),
                                         render.violations_text(results)) if x)
    if args.output:
        with open(args.output, "w") as f:
            f.write(report + "\n")
    else:
        print(report)
    verdicts = [r.verdict.verdict for r in results]
    print(f"{verdicts.count('proved')} proved, {verdicts.count('violated')} violated, "
          f"{verdicts.count('inconclusive')} inconclusive in {elapsed:.1f}s", file=sys.stderr)
    if "violated" in verdicts:
        return EXIT_VIOLATED
    return EXIT_INCONCLUSIVE if "inconclusive" in verdicts else EXIT_OK


def cmd_simulate(args) -> int:
    from ppverify.protocol.simulate import simulate
    res = simulate(_make_scenario(args), seed=args.seed)
    if args.format == "json":
        print(json.dumps({"version": 1, "answer_correct": res.answer_correct,
                          "parties": {p: {"saw_request": res.saw_request[p],
                                          "saw_response": res.saw_response[p]} for p in res.saw_request},
                          "retained_after_teardown": res.retained,
                          "seconds": round(res.seconds, 4), "crypto_seconds": round(res.crypto_seconds, 4)},
                         indent=2))
    else:
        for s in res.steps:
            print(f"{s.number:>3}. {s.text}" + (f"   [rejected: {s.rejected}]" if s.rejected else ""))
        print()
        for chat, answer, expected in res.answers:
            print(f"answer on '{chat}': {answer.decode(errors='replace') if answer else None!s}"
                  f" ({'correct' if answer == expected else 'WRONG'})")
        print("\nparty         saw request   saw response")
        for p in res.saw_request:
            print(f"{p:<14}{'yes' if res.saw_request[p] else 'no':<14}{'yes' if res.saw_response[p] else 'no'}")
    return EXIT_OK if res.answer_correct else EXIT_VIOLATED


def cmd_replay(args) -> int:
    from ppverify.proofs.replay.symbolic import replay_trace, trace_from_json
    from ppverify.proofs.render.text import trace_text
    try:
        with open(args.trace) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read trace {args.trace}: {exc}") from None
    trace = trace_from_json(data)
    _, _, why = replay_trace(trace)
    print(trace_text(trace))
    print(f"replayed on the symbolic model: {why}")
    if not args.symbolic_only:
        from ppverify.proofs.cli.attacks import concrete_evidence
        print(concrete_evidence(trace, args.seed))
    return EXIT_VIOLATED


def cmd_report(args) -> int:
    from ppverify.proofs.analyses.report import gather, write_bundle
    threats = [str(threat(t)) for t in (args.threat or STATED_THREATS)]
    _make_scenario(args)  # validate before any work

    def progress(t, states, queue):
        if not args.quiet:
            print(f"\r  {t}: {states} states, {queue} queued", end="", file=sys.stderr, flush=True)
    command = " ".join(["ppverify report"] + [f"--threat {t}" for t in args.threat]
                       + [f"--disable {c}" for c in args.disable] + [f"--set {x}" for x in args.set_params]
                       + [f"--{k} {getattr(args, k)}" for k in ("clients", "sessions", "cvms")
                          if getattr(args, k) != 1]
                       + [f"--max-states {args.max_states}", f"--max-moves {args.max_moves}"])
    bundle = gather(lambda t: _make_scenario(args, t), threats, PROPERTY_NAMES, args.max_states,
                    args.max_moves, command, progress, extras=args.extras)
    if not args.quiet:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    try:
        written = write_bundle(bundle, args.output)
    except OSError as exc:
        raise UsageError(f"cannot write the bundle to {args.output}: {exc}") from None
    n = [r.verdict.verdict for r in bundle.results]
    print(f"wrote {len(written)} files to {args.output} ({n.count('violated')} violated, "
          f"{n.count('inconclusive')} inconclusive of {len(n)} cells, {bundle.info.seconds:.1f}s); "
          f"open {args.output.rstrip('/')}/index.html", file=sys.stderr)
    return EXIT_OK


def _attacks(name, *extra):
    """A command of `proofs.cli_attacks`, imported when it runs."""
    def run(args):
        from ppverify.proofs.cli import attacks as cli_attacks
        return getattr(cli_attacks, name)(args, *extra)
    return run


def cmd_export(args) -> int:
    from pathlib import Path
    from ppverify.proofs.analyses.export import export_smtlib
    props = args.property or list(PROPERTY_NAMES)
    for p in props:
        if p not in PROPERTY_NAMES:
            raise UnknownName("property", p, PROPERTY_NAMES)
    if args.bound < 1:
        raise UsageError(f"--bound must be at least 1, got {args.bound}")
    scs = [_make_scenario(args, str(threat(t))) for t in (args.threat or STATED_THREATS)]
    paths = export_smtlib(scs, props, args.bound, args.max_moves, Path(args.output), solve=args.solve)
    print(f"wrote {len(paths)} SMT-LIB files to {args.output}", file=sys.stderr)
    return EXIT_OK


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return {"check": cmd_check, "simulate": cmd_simulate, "replay": cmd_replay, "export": cmd_export,
                "report": cmd_report, "mutate": _attacks("cmd_mutate"), "lattice": _attacks("cmd_lattice"),
                "explain": _attacks("cmd_explain", _make_scenario)}[args.command](args)
    except (UnknownName, UsageError, TraceFormatError, ValueError) as exc:
        print(f"ppverify: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:  # engines disagree, or a counterexample did not replay
        from ppverify.proofs.analyses.check import EngineDisagreement
        from ppverify.proofs.replay.symbolic import ReplayError
        if isinstance(exc, (EngineDisagreement, ReplayError)):
            print(f"ppverify: internal error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise


if __name__ == "__main__":
    sys.exit(main())
