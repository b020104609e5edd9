"""`ppverify mutate`: which control stops which attack, against the published
baseline, the hardened one the tool derives, or both; `--expect FILE` checks
the matrices against their pinned data (`proofs.analyses.expected`)."""
from __future__ import annotations

import sys
from pathlib import Path

from ppverify.proofs.analyses import expected as ex
from ppverify.proofs.analyses import mutate as mu
from ppverify.proofs.analyses.checks import Checks
from ppverify.proofs.cli import exits
from ppverify.proofs.cli.common import Progress, add_command, at_least, engine_arg, writable_file
from ppverify.proofs.render.json import mutate_json
from ppverify.proofs.render.necessity import mutate_summary_text, mutate_text
from ppverify.protocol.controls import STATED_THREATS, threat

DESCRIPTION = """\
Which control stops which attack: switch each control of a baseline off (and
set each parameter to each other value), check the mutant under each threat
model and compare with the baseline. Two baselines: the published design, and
the hardened one, derived by the tool: the published design with the smallest
parameter change under which every property holds under the run's threat
models (when no single change makes everything hold, the one with the fewest
violations left, and it says so). A cell lists the threat models under which
the mutant breaks a property the baseline keeps, with the attack's length, how
the baseline keeps the cell and the search's coverage; each attack's trace is
replayed on the baseline, where it must fail. A mutation that breaks nothing
is explained: masked by a finding of the published design (computed against
the hardened baseline), or the reason written in manifest/defence-in-depth.json
(defence in depth, needs a coalition, modelling gap).

Exit status: 0; with --expect: 0 every matrix matches its file, 1 drift.

examples:
  ppverify mutate --baseline hardened
  ppverify mutate --baseline both --format json --output matrices.json
  ppverify mutate --threat cdn --mutation ra-tls --traces
  ppverify mutate --expect manifest/mutate-published.json --expect manifest/mutate-hardened.json"""


def add_parser(sub) -> None:
    m = add_command(sub, "mutate", "which control stops which attack: switch each control off (and each "
                    "parameter to each other value) and compare with a baseline (published or hardened)",
                    DESCRIPTION)
    m.add_argument("--baseline", choices=mu.BASELINES + ("both",), default="published",
                   help="the design mutated: the published one, the hardened one (derived), or both")
    m.add_argument("--threat", action="append", default=[], metavar="ACTORS",
                   help="threat model (repeatable; default each single actor of the stated trust model: "
                        + ", ".join(STATED_THREATS) + "); the hardened baseline is derived over the same ones")
    m.add_argument("--mutation", action="append", default=[], metavar="NAME",
                   help="only this mutation (repeatable): a control name, or NAME=VALUE for a parameter")
    m.add_argument("--max-states", type=at_least(1), default=mu.DEFAULT_MAX_STATES,
                   help=f"explorer state limit per control mutant (the baselines and the parameters' mutants: "
                        f"{mu.BASELINE_MAX_STATES})")
    m.add_argument("--max-moves", type=at_least(0), default=2, help="adversary injections per path")
    engine_arg(m)
    m.add_argument("--jobs", type=at_least(1), default=2, help="parallel processes")
    m.add_argument("--traces", action="store_true", help="print every attack's full trace")
    m.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    m.add_argument("--output", help="write the report here instead of stdout")
    m.add_argument("--expect", action="append", default=[], metavar="FILE",
                   help="run what a pinned matrix names (its baseline, threat models, mutations and search, "
                        "e.g. manifest/mutate-hardened.json, in place of --baseline, --threat, --mutation and the "
                        "limits; repeatable) and compare; exit 1 on drift")
    m.add_argument("--update-expect", action="store_true",
                   help="with --expect: rewrite the files from this run (review the diff)")
    m.add_argument("--reasons", default=ex.REASONS_PATH, metavar="FILE",
                   help="why each silent mutation stops nothing (a missing file: every reason unexplained)")
    m.add_argument("--quiet", action="store_true", help="no progress display")
    m.set_defaults(run=run)


def _write(args, text: str) -> None:
    if args.output:
        Path(args.output).write_text(text + "\n")
    else:
        print(text)


def run(args) -> int:
    if args.update_expect and not args.expect:
        raise exits.UsageError("--update-expect needs --expect FILE (the file to rewrite)")
    if args.expect and (args.threat or args.mutation):
        raise exits.UsageError("--expect runs what its file names: leave out --threat and --mutation")
    writable_file(args.output)
    for path in args.expect if args.update_expect else ():
        writable_file(path, "--expect")
    reasons = ex.load_reasons(args.reasons)
    say = Progress(args.quiet).say
    if args.expect:
        return _expect(args, reasons, say)
    names = mu.BASELINES if args.baseline == "both" else (args.baseline,)
    threats = [str(threat(t)) for t in (args.threat or STATED_THREATS)]
    reps = mu.run_baselines(names, threats, args.mutation, max_states=args.max_states, max_moves=args.max_moves,
                            jobs=args.jobs, progress=say, engine=args.engine)
    _write(args, mutate_json(reps, reasons) if args.format == "json" else mutate_text(reps, reasons, args.traces))
    for rep in reps:
        print(mutate_summary_text(rep, reasons), file=sys.stderr)
    return exits.OK


def _expect(args, reasons: dict, say) -> int:
    pinned = [(path, ex.load(path)) for path in args.expect]
    reps, drifts = [], []
    with Checks(args.jobs) as checks:
        for path, e in pinned:
            s = e.search
            (rep,) = mu.run_baselines((e.baseline,), e.threats, e.mutations, max_states=s["max_states"],
                                      max_moves=s["max_moves"], baseline_states=s["baseline_max_states"],
                                      engine=s.get("engine", args.engine), progress=say, checks=checks,
                                      strict=False)
            reps.append(rep)
            got = ex.of_report(rep)
            for line in ex.drift(e, got):
                drifts.append(f"{path}: {line}")
            if args.update_expect:
                Path(path).write_text(ex.dumps(ex.Expected(**{**got.__dict__, "about": e.about})))
    _write(args, mutate_json(reps, reasons) if args.format == "json" else mutate_text(reps, reasons, args.traces))
    if drifts:
        print("the control-necessity matrix drifted from its pin:\n  " + "\n  ".join(drifts), file=sys.stderr)
    if args.update_expect:
        print("rewrote " + ", ".join(args.expect) + " from this run; review the diff", file=sys.stderr)
        return exits.OK
    print(f"{len(pinned) - len({d.split(':')[0] for d in drifts})} of {len(pinned)} pinned matrices match",
          file=sys.stderr)
    return exits.DRIFT if drifts else exits.OK
