"""`ppverify check`: check properties under threat models and render the
verdicts in a `--format` of `proofs.render.formats.CHECK`; `--expect` runs a
verdict manifest instead (`proofs.cli.expect`)."""
from __future__ import annotations

import sys
import time

from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.changes import Change
from ppverify.proofs.analyses.checks import Checks, Search
from ppverify.proofs.analyses.remediation import remediate
from ppverify.proofs.analyses.check import DEFAULT_ENGINE, ENGINES
from ppverify.proofs.analyses.runner import Job, run_jobs
from ppverify.proofs.cli import expect, exits
from ppverify.proofs.cli.common import (Progress, add_command, at_least, make_scenario, properties, scenario_args,
                                        writable_file)
from ppverify.proofs.core.verdicts import Kind
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.render import formats
from ppverify.proofs.render.base import Checked
from ppverify.protocol.controls import STATED_THREATS, threat

DESCRIPTION = """\
Check each property under each threat model of a scenario (by default: every
property, under each single actor of the stated trust model, in the published
design) and print a property x threat-model matrix, the search's bounds,
every attack found as numbered steps and the fix of each finding (the
smallest change under which its cells are no longer violated, checked again).
A violation is reported only after its trace replays on the model;
inconclusive is never a pass. The default engine (auto) asks the unbounded
engine first and the explorer for every cell it leaves open; each cell states
its coverage (clients, sessions, CVMs, injections, depth: a number or "any").

Exit status: 0 all proved, 1 some property violated, 2 usage or model error,
3 inconclusive and nothing violated (with --expect: 0 every verdict matches
its pin, 1 drift).

examples:
  ppverify check
  ppverify check --threat meta-insider+relay --property request-secrecy
  ppverify check --disable ra-tls --format sarif --output findings.sarif
  ppverify check --expect manifest/verdicts.json"""


# the formats that show the fixes (`proofs.render.fixes`)
FIXES = ("text", "json")


def add_parser(sub) -> None:
    c = add_command(sub, "check", "check properties under threat models (default: the published design)",
                    DESCRIPTION)
    scenario_args(c)
    c.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="property to check (repeatable; default all): " + ", ".join(PROPERTY_NAMES))
    c.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                   help="threat model, actors joined with '+' (repeatable; default each single actor "
                        "of the stated trust model: " + ", ".join(STATED_THREATS) + ")")
    c.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                   help="auto: the unbounded engine (horn) first, the explorer for every cell it leaves "
                        "open and to confirm its candidates, the stronger verdict kept (a proof against a "
                        "replayed attack is an error, exit 2); explore: explicit-state search; smt: bounded "
                        "model checking in z3; both: explore and smt, a disagreement is an error (exit 2); "
                        "horn: the monotone fixpoint checked in z3 alone (candidates confirmed by explore)")
    c.add_argument("--bound", type=at_least(1), default=40, metavar="K",
                   help="SMT unrolling depth in steps (an honest session takes about 30)")
    c.add_argument("--rounds", action="store_true",
                   help="SMT: unroll in rounds, each a set of moves of different parties at once, so "
                        "concurrent sessions need about one session's depth (the bound counts rounds; it "
                        "covers every run of up to K steps and longer ones)")
    c.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="SMT solver time limit per threat model, seconds (unknown is inconclusive; "
                        "default none)")
    c.add_argument("--seed", type=int, default=0, help="z3 random seed")
    c.add_argument("--max-states", type=at_least(1), default=20_000, help="explorer state limit per threat model")
    c.add_argument("--max-moves", type=at_least(0), default=2,
                   help="adversary injections per path (besides its up-front handshakes)")
    c.add_argument("--format", choices=tuple(formats.CHECK), default="text",
                   help=formats.help_text(formats.CHECK))
    c.add_argument("--output", help="write the report here instead of stdout")
    c.add_argument("--jobs", type=at_least(1), default=1, metavar="N",
                   help="check up to N threat models in parallel processes (same results as serial)")
    c.add_argument("--expect", metavar="MANIFEST",
                   help="run the pinned scenarios of a verdict manifest (e.g. manifest/verdicts.json; "
                        "--threat/--property/--disable/--set filter them, search bounds come from the "
                        "manifest); exit 0 when every verdict matches its pin, 1 on drift")
    c.add_argument("--update-manifest", action="store_true",
                   help="with --expect: rewrite the pins from this run (review the diff)")
    c.add_argument("--no-fix", action="store_true",
                   help="leave out the fixes of the findings (text and json compute them: each other parameter "
                        "value, each switched-off control back on, checked again under every threat model, with the "
                        "explorer when --engine is auto)")
    c.add_argument("--quiet", action="store_true", help="no progress display")
    c.set_defaults(run=run)


def engine_options(args) -> dict:
    """Extra keyword arguments for `check_threat`: the engine options."""
    if args.rounds and args.engine in ("explore", "auto", "horn"):
        raise exits.UsageError("--rounds unrolls the SMT engine: use it with --engine smt or --engine both")
    if args.timeout is not None and args.timeout <= 0:
        raise exits.UsageError(f"--timeout must be positive, got {args.timeout}")
    return {"engine": args.engine, "bound": args.bound, "timeout": args.timeout, "seed": args.seed,
            "rounds": args.rounds}


def run(args) -> int:
    if args.update_manifest and not args.expect:
        raise exits.UsageError("--update-manifest needs --expect MANIFEST (the file to rewrite)")
    writable_file(args.output)
    if args.update_manifest:
        writable_file(args.expect, "--expect")
    fmt = formats.CHECK[args.format]
    if args.expect:
        return expect.run(args, lambda results: fmt.render(Checked.of(results)), engine_options(args))
    props = properties(args.property)
    threats = tuple(str(threat(t)) for t in (args.threat or STATED_THREATS))
    make_scenario(args)  # validate before any work
    jobs = [Job(make_scenario(args, t), props) for t in threats]
    show = Progress(args.quiet)
    start = time.perf_counter()

    def started(i, job):
        show.say(f"[{i + 1}/{len(jobs)}] checking under {job.scenario.threat} ({args.engine}) ...")

    def progress(job):
        return lambda states, queue, t=job.scenario.threat: show.status(f"  {t}: {states} states, {queue} queued")

    def finished(i, job, _):
        if args.jobs == 1:
            show.clear()
        else:
            show.say(f"done: {job.scenario.threat}")
    runs = run_jobs(jobs, args.max_states, args.max_moves, args.jobs, started, progress, finished,
                    **engine_options(args))
    results = tuple(r for rs in runs for r in rs)
    remediation = None
    if args.format in FIXES and not args.no_fix and any(r.verdict.verdict == Kind.VIOLATED for r in results):
        show.say("computing the fixes of the findings (--no-fix leaves them out) ...")
        opts = engine_options(args)
        search = Search.of(args.max_states, args.max_moves, opts.pop("engine"), **opts)
        with Checks(args.jobs) as checks:
            remediation = remediate(checks, results, search, Change(tuple(args.disable), tuple(args.set_params)),
                                    Bounds(args.clients, args.sessions, args.cvms))
    elapsed = time.perf_counter() - start
    report = fmt.render(Checked(results, props, threats, remediation))
    if args.output:
        with open(args.output, "w") as f:
            f.write(report + "\n")
    else:
        print(report)
    n = {k: sum(r.verdict.verdict == k for r in results) for k in Kind}
    print(f"{n[Kind.PROVED]} proved, {n[Kind.VIOLATED]} violated, {n[Kind.INCONCLUSIVE]} inconclusive "
          f"in {elapsed:.1f}s", file=sys.stderr)
    return exits.for_results(results)
