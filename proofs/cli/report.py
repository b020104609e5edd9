"""`ppverify report`: the design-review bundle of one run (index.md, a
self-contained index.html, results.json, traces/)."""
from __future__ import annotations

import sys

from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.changes import Change
from ppverify.proofs.analyses.check import DEFAULT_ENGINE
from ppverify.proofs.analyses.checks import ANALYSES_ENGINE, Search
from ppverify.proofs.analyses.expected import REASONS_PATH, load_reasons
from ppverify.proofs.analyses.report import gather
from ppverify.proofs.cli import exits
from ppverify.proofs.cli.common import (Progress, add_command, at_least, engine_arg, make_scenario, scenario_args,
                                        writable_dir)
from ppverify.proofs.core.verdicts import Kind
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.render.bundle import write_bundle
from ppverify.protocol.controls import STATED_THREATS, threat

DESCRIPTION = """\
Run the checks once and write a design-review bundle to DIR: index.md
(renders on GitHub, Mermaid diagrams), index.html (one self-contained page,
inline SVG, opens offline), results.json, and every attack's trace under
traces/ to re-run with `ppverify replay`. The bundle leads with the findings:
each with its root cause, the cells it breaks, the fix the tool computed and
the cells checked again after it; then (with --extras) the control-necessity
matrices against the published and the hardened baseline. Then what was
checked, the system and its trust boundaries, the honest session, the
property x threat-model matrix, each attack step by step, and the guarantees
and limits of the run.

Exit status: 0 once the bundle is written, whatever the verdicts; 2 usage error.

examples:
  ppverify report --output review/
  ppverify report --threat cdn --extras --output review/"""


def add_parser(sub) -> None:
    rp = add_command(sub, "report", "design-review bundle (index.md, self-contained index.html) from one "
                     "run; exits 0 once written, whatever the verdicts", DESCRIPTION)
    scenario_args(rp)
    rp.add_argument("--output", required=True, metavar="DIR", help="directory for the bundle")
    rp.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                    help="threat model (repeatable; default each single actor of the stated trust model)")
    rp.add_argument("--max-states", type=at_least(1), default=20_000, help="explorer state limit per threat model")
    rp.add_argument("--max-moves", type=at_least(0), default=2, help="adversary injections per path")
    engine_arg(rp, DEFAULT_ENGINE, f" (on auto, the 400 or so mutants of --extras are checked with {ANALYSES_ENGINE}: "
                                   "on auto some would take 10-25 s each)")
    rp.add_argument("--jobs", type=at_least(1), default=2, help="parallel processes (fixes and extras)")
    rp.add_argument("--extras", action="store_true",
                    help="also run the mutation analysis against both baselines and the threat lattice for "
                         "their sections (several minutes: each re-runs the checks many times)")
    rp.add_argument("--reasons", default=REASONS_PATH, metavar="FILE",
                    help="why each silent mutation stops nothing (with --extras)")
    rp.add_argument("--quiet", action="store_true", help="no progress display")
    rp.set_defaults(run=run)


def _command(args) -> str:
    """The command line that reproduces this bundle, for its first section."""
    return " ".join(["ppverify report"] + [f"--threat {t}" for t in args.threat]
                    + [f"--disable {c}" for c in args.disable] + [f"--set {x}" for x in args.set_params]
                    + [f"--{k} {getattr(args, k)}" for k in ("clients", "sessions", "cvms")
                       if getattr(args, k) != 1]
                    + [f"--max-states {args.max_states}", f"--max-moves {args.max_moves}"]
                    + ([f"--engine {args.engine}"] if args.engine != DEFAULT_ENGINE else []))


def run(args) -> int:
    threats = [str(threat(t)) for t in (args.threat or STATED_THREATS)]
    make_scenario(args)  # validate before any work
    writable_dir(args.output)
    show = Progress(args.quiet)
    design, bounds = Change(tuple(args.disable), tuple(args.set_params)), Bounds(args.clients, args.sessions, args.cvms)
    bundle = gather(design, bounds, threats, PROPERTY_NAMES, Search.of(args.max_states, args.max_moves, args.engine),
                    _command(args), lambda t, states, queue: show.status(f"  {t}: {states} states, {queue} queued"),
                    extras=args.extras, jobs=args.jobs, reasons=load_reasons(args.reasons))
    show.clear()
    try:
        written = write_bundle(bundle, args.output)
    except OSError as exc:
        raise exits.UsageError(f"cannot write the bundle to {args.output}: {exc}") from None
    n = [r.verdict.verdict for r in bundle.results]
    print(f"wrote {len(written)} files to {args.output} ({n.count(Kind.VIOLATED)} violated, "
          f"{n.count(Kind.INCONCLUSIVE)} inconclusive of {len(n)} cells, {bundle.info.seconds:.1f}s); "
          f"open {args.output.rstrip('/')}/index.html", file=sys.stderr)
    return exits.OK
