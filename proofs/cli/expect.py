"""`ppverify check --expect MANIFEST [--update-manifest]`: run the pinned
scenarios of a verdict manifest and compare (see `proofs.analyses.manifest`).

Exit codes in this mode: 0 every checked verdict equals its pin (violated
pins included: they are expected), 1 some verdict drifted, 2 usage or
manifest error. With `--update-manifest` the file is rewritten from the run
and the exit code is 0; the drift is still printed, for the commit message.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ppverify.proofs.analyses import manifest as mf
from ppverify.proofs.analyses.runner import run_jobs
from ppverify.proofs.cli import exits
from ppverify.proofs.cli.common import Progress


def _selection_options(args) -> str:
    sel = [f" --threat {t}" for t in args.threat] + [f" --property {p}" for p in args.property]
    sel += [f" --disable {c}" for c in args.disable] + [f" --set {s}" for s in args.set_params]
    return "".join(sel)


def load_or_skeleton(args) -> mf.Manifest:
    if args.update_manifest and not Path(args.expect).exists():
        if _selection_options(args):
            raise mf.ManifestError(f"{args.expect} does not exist: create it from a full run "
                                   "(no --threat/--property/--disable/--set), so no pin is left unchecked")
        return mf.skeleton(args.max_states, args.max_moves)
    return mf.load(args.expect)


def run(args, render_report, check_kwargs: dict) -> int:
    """`render_report(results)` renders in the chosen --format (text is the comparison)."""
    m = load_or_skeleton(args)
    chosen = mf.select(m, args.threat, args.property, args.disable, args.set_params)
    jobs = [s.job(args.property or None) for s in chosen]
    show = Progress(args.quiet)

    def started(i, job):
        show.say(f"[{i + 1}/{len(jobs)}] checking {chosen[i].label} ...")

    def finished(i, job, _):
        if args.jobs > 1:
            show.say(f"done: {chosen[i].label}")

    start = time.perf_counter()
    runs = run_jobs(jobs, m.max_states, m.max_moves, workers=args.jobs, started=started,
                    finished=finished, **check_kwargs)
    elapsed = time.perf_counter() - start
    pairs = list(zip(chosen, runs))
    results = [r for rs in runs for r in rs]
    report = mf.comparison_text(pairs) if args.format == "text" else render_report(results)
    if args.output:
        Path(args.output).write_text(report + "\n")
    else:
        print(report)
    drifts = mf.compare(pairs)
    if drifts:
        print(mf.drift_text(drifts, args.expect, _selection_options(args)), file=sys.stderr)
    print(f"{len(results) - len(drifts)} of {len(results)} checked verdicts match their pins "
          f"in {elapsed:.1f}s", file=sys.stderr)
    if args.update_manifest:
        new = mf.updated(m, pairs)
        Path(args.expect).parent.mkdir(parents=True, exist_ok=True)
        Path(args.expect).write_text(mf.dumps(new))
        unreviewed = [f"{p} under {s.label}" for s in new.scenarios for p, pin in s.pins.items()
                      if pin.reason == mf.UNREVIEWED]
        print(f"rewrote {args.expect} from this run" + (
            "; pins needing a reason: " + "; ".join(unreviewed) if unreviewed else ""),
            file=sys.stderr)
        return exits.OK
    return exits.DRIFT if drifts else exits.OK
