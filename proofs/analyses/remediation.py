"""Remediation: for each finding of a checked design, the smallest change that
removes it, computed from verdicts checked here (never written by hand).

A finding cell is a violated (property, threat model). The candidates are
single changes (`changes.remedies`): each other value of each parameter, and
each control the design has off switched back on. Switching a control off is
never a candidate (it removes a check: `ppverify mutate` asks that question),
and changes of two or more things are not tried: a finding no single change
fixes says so.

1. Screen: each cell's own attack trace is replayed on the candidate design.
   Where it still runs, the cell is still violated there (a replayed trace is
   a definite violation) and nothing is searched.
2. Every candidate under which some trace no longer runs is checked in full:
   every property under each threat model of the run, with the check's own
   search (under `auto`, within its quick budget). That gives the cells after the change, and its regressions: cells
   the design keeps that the change breaks.
3. A candidate fixes a cell when the cell is not violated after it, and is
   clean when it breaks nothing else. Cells with the same clean fixes (and the
   same fixes that break something) form one finding: a shared cause and a
   shared fix. The evidence of each fix is the verdict of every cell of the
   finding after it: proved, or no attack within N steps (not proved).

The cause is computed too: the parameter every fix changes (and its value
now), or the controls every fix switches back on; a finding without a fix
keeps its violation's own explanation."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from ppverify.models.scenario import Bounds
from ppverify.proofs.analyses.auto import QUICK
from ppverify.proofs.analyses.changes import NONE, Change, remedies, value
from ppverify.proofs.analyses.checks import Checks, Search, full
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.core.verdicts import Result, Standing, Trace, Verdict, Violated, standing
from ppverify.proofs.replay.symbolic import ReplayError, replay_trace

Cell = tuple[str, str]   # (property, threat)
PROVED = (Standing.EVERY_SIZE, Standing.SCENARIO)


@dataclass(frozen=True)
class Trial:
    """One candidate change, tried on every finding cell."""
    change: Change                          # from the checked design
    still: tuple[Cell, ...]                 # cells whose attack trace still runs under the change
    after: tuple[tuple[Cell, Verdict], ...] = ()   # each finding cell's verdict after it (checked trials)
    regressions: tuple[Cell, ...] = ()      # cells the design keeps that the change breaks
    checked: bool = False                   # checked in full (some trace no longer ran)

    def verdict(self, cell: Cell) -> Verdict | None:
        return dict(self.after).get(cell)

    def fixes(self, cell: Cell) -> bool:
        v = self.verdict(cell)
        return cell not in self.still and v is not None and not isinstance(v, Violated)

    @property
    def clean(self) -> bool:
        return self.checked and not self.regressions


@dataclass(frozen=True)
class Finding:
    cells: tuple[Cell, ...]
    fixes: tuple[Trial, ...]       # clean changes under which none of its cells is violated, strongest first
    breaking: tuple[Trial, ...]    # changes that stop every cell of it but break others
    cause: str
    explanation: str               # the first cell's violation, as its trace explains it

    def after(self, trial: Trial) -> dict[Standing, list[Cell]]:
        """The finding's cells after `trial`, by strength."""
        out: dict[Standing, list[Cell]] = {}
        for c in self.cells:
            out.setdefault(standing(trial.verdict(c)), []).append(c)
        return out

    def proved_by(self, trial: Trial) -> bool:
        return all(standing(trial.verdict(c)) in PROVED for c in self.cells)


@dataclass(frozen=True)
class Remediation:
    base: Change                   # the checked design, as a change from the published one
    threats: tuple[str, ...]
    properties: tuple[str, ...]
    findings: tuple[Finding, ...]
    trials: tuple[Trial, ...]      # every candidate, in the order tried
    seconds: float = 0.0

    @property
    def checked(self) -> int:
        return sum(t.checked for t in self.trials)


def _still_runs(trace: Trace, design: Change, bounds: Bounds) -> bool:
    sc = design.scenario(trace.threat, bounds=bounds)
    try:
        replay_trace(Trace(trace.property, trace.threat, sc.describe(), trace.steps, trace.explanation))
    except (ReplayError, TraceFormatError):
        return False
    return True


def _cause(base: Change, fixes: Sequence[Trial], breaking: Sequence[Trial], explanation: str) -> str:
    touched = {n for f in fixes for n in f.change.touched}
    if not fixes and breaking:
        return ("every single change that removes it breaks another property: "
                + ", ".join(t.change.label for t in breaking) + f"; {explanation}")
    if not fixes:
        return f"no single change of a parameter or a switched-off control removes it: {explanation}"
    if len(touched) == 1 and all(f.change.set_params for f in fixes):
        (p,) = touched
        return f"{p}={value(base, p)}: every fix changes {p}"
    if all(f.change.enable for f in fixes):
        return "switched off: " + ", ".join(sorted(touched)) + "; every fix switches one back on"
    return "fixed by different changes: " + ", ".join(f.change.label for f in fixes)


def _strength(finding_cells: Sequence[Cell], trial: Trial) -> int:
    return sum(standing(trial.verdict(c)) not in PROVED for c in finding_cells)


def group(base: Change, violated: dict[Cell, Trace], trials: Sequence[Trial]) -> tuple[Finding, ...]:
    """Cells with the same clean fixes are one finding; cells without one, by the same fixes that
    break something else; cells with neither, one finding each."""
    groups: dict[tuple, list[Cell]] = {}
    for cell in violated:
        clean = tuple(t.change for t in trials if t.clean and t.fixes(cell))
        breaking = tuple(t.change for t in trials if t.checked and t.regressions and t.fixes(cell))
        key = ("clean", clean) if clean else ("breaking", breaking) if breaking else ("none", cell)
        groups.setdefault(key, []).append(cell)
    out = []
    for cells in groups.values():
        fixes = [t for t in trials if t.clean and all(t.fixes(c) for c in cells)]
        fixes.sort(key=lambda t: _strength(cells, t))   # stable: the order tried breaks ties
        breaking = tuple(t for t in trials if t.checked and t.regressions and all(t.fixes(c) for c in cells))
        why = violated[cells[0]].explanation
        out.append(Finding(tuple(cells), tuple(fixes), breaking, _cause(base, fixes, breaking, why), why))
    return tuple(out)


def remediate(checks: Checks, results: Sequence[Result], search: Search, base: Change = NONE,
              bounds: Bounds = Bounds()) -> Remediation:
    """The fixes of the violations among `results` (one check of `base` under its threat models),
    each candidate design checked with `search` (the check's own engine)."""
    start = time.perf_counter()
    threats = tuple(dict.fromkeys(r.threat for r in results))
    props = tuple(dict.fromkeys(r.property for r in results))
    violated = {(r.property, r.threat): r.verdict.trace for r in results if isinstance(r.verdict, Violated)}
    kept = [(r.property, r.threat) for r in results if not isinstance(r.verdict, Violated)]
    if not violated:
        return Remediation(base, threats, props, (), (), time.perf_counter() - start)
    screened = [(c, tuple(cell for cell, tr in violated.items() if _still_runs(tr, c.over(base), bounds)))
                for c in remedies(base)]
    # within auto's quick budget: a fix is a design the unbounded engine settles there (every fixed binder,
    # under meta-insider in 1.4-2.4 s), and a change it cannot settle keeps its other cells' bounded verdicts
    quick = search.within(QUICK)
    pending = {c: [checks.submit(a) for a in full(c.over(base), threats, props, quick, bounds)]
               for c, still in screened if len(still) < len(violated)}
    trials = []
    for c, still in screened:
        if c not in pending:
            trials.append(Trial(c, still))
            continue
        res = {(r.property, r.threat): r.verdict for f in pending[c] for r in f.result().results}
        after = tuple((cell, res[cell]) for cell in violated)
        broke = tuple(cell for cell in kept if isinstance(res.get(cell), Violated))
        trials.append(Trial(c, still, after, broke, True))
    findings = group(base, violated, trials)
    return Remediation(base, threats, props, findings, tuple(trials), time.perf_counter() - start)
