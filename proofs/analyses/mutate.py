"""Mutation analysis: which control stops which attack (the control-necessity
matrix), against a baseline: the published design, or the hardened one
(`proofs.analyses.hardened`: the published design with the parameter change
the tool derives, so that what the published design's findings mask shows).

A mutation switches one control of the baseline off, or sets one parameter to
another value (`changes.mutations`). Each is checked under every threat model
of the run and compared with the baseline (same bounds): a control stops an
attack on P under T when the baseline keeps P under T (proved, or no attack
within its depth-bounded search) and the mutant violates it. The mutant's
trace is then replayed on the baseline, where it must fail: the control is
what stops that very trace. Each cell keeps the baseline's verdict (how
strongly the baseline keeps P) and the coverage of the mutant's search.

The baseline is searched deeper than the mutants (`BASELINE_MAX_STATES`, the
state limit of `ppverify check` and of the pinned manifest): a property the
baseline loses only in a long trace is then violated there, so no mutant is
credited with "breaking" it. A control's mutants stay at `DEFAULT_MAX_STATES`:
there are some 200 of them per baseline. A parameter's mutants are the
hardened baseline's derivation candidates (`hardened.derive`), each design
checked for every property at the baseline's limit: a parameter mutant is
asked exactly that, so the two analyses share one check (in one run, or
through `checks`) and its cell never comes from a shallower search than the
derivation's verdicts on the same design.

Sound skips: the baseline run records which controls and parameters the
model ever reads under T (`checks._Recording`). A mutation of something never
read makes the same exploration, step for step (the engines are
deterministic), so its verdicts are the baseline's and it is not re-run. Only
the properties the baseline does not violate are checked in a mutant (the
others cannot be stopped by anything), which lets the explorer stop early
once all of them are.
"""
from __future__ import annotations

import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from ppverify.proofs.analyses.changes import NONE, Change, by_name, mutations
from ppverify.proofs.analyses.checks import ANALYSES_ENGINE, Ask, Checks, Search, shared
from ppverify.proofs.analyses.hardened import Derivation, derive
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.core.verdicts import (ANY, Coverage, Result, Size, Standing, Trace, Verdict, Violated,
                                           standing)
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.replay.symbolic import ReplayError, replay_trace
from ppverify.protocol.controls import STATED_THREATS

DEFAULT_MAX_STATES = 5_000
BASELINE_MAX_STATES = 20_000
BASELINES = ("published", "hardened")

__all__ = ["BASELINES", "BASELINE_MAX_STATES", "DEFAULT_MAX_STATES", "Change", "MutateReport", "Stopped",
           "by_name", "mutations", "run_baselines", "run_mutate"]


@dataclass(frozen=True)
class Stopped:
    """An attack the mutation lets through: property, threat, its trace."""
    property: str
    threat: str
    trace: Trace
    stopped_on_baseline: bool            # the trace fails on the baseline
    kept: Optional[Verdict] = None       # the baseline's verdict on the cell (how strongly it keeps it)
    coverage: Optional[Coverage] = None  # what the mutant's search covered

    @property
    def steps(self) -> int:
        return len(self.trace.steps)


@dataclass
class MutateReport:
    threats: tuple[str, ...]
    properties: tuple[str, ...]
    baseline: dict[str, list[Result]]
    attacks: dict[str, list[Stopped]]            # mutation name -> attacks it lets through
    ran: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (mutation, threat) not read
    undecided: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # name -> (prop, threat, reason)
    max_states: int = DEFAULT_MAX_STATES
    seconds: float = 0.0
    baseline_states: int = BASELINE_MAX_STATES
    name: str = "published"                      # which baseline
    change: Change = NONE                        # the baseline's change from the published design
    derivation: Optional[Derivation] = None      # how the hardened baseline was chosen
    reach: dict[str, dict[str, Size]] = field(default_factory=dict)  # mutation -> threat -> depth searched
    engine: str = ANALYSES_ENGINE
    max_moves: int = 2

    def cells(self) -> dict[tuple[str, str], list[Stopped]]:
        out: dict = {}
        for m, attacks in self.attacks.items():
            for a in attacks:
                out.setdefault((m, a.property), []).append(a)
        return out

    def silent(self) -> list[str]:
        """Mutations that break nothing (and left no cell inconclusive)."""
        return [m for m, a in self.attacks.items() if not a and not self.undecided.get(m)]

    def cut(self, m: str) -> dict[str, int]:
        """Threat models under which mutation `m`'s search was cut (depth reached), not exhaustive."""
        return {t: d for t, d in self.reach.get(m, {}).items() if d != ANY}

    def shortest(self, m: str) -> Optional[Stopped]:
        return min(self.attacks.get(m, []), key=lambda s: (s.steps, self.properties.index(s.property),
                                                            self.threats.index(s.threat)), default=None)


KEPT = (Standing.EVERY_SIZE, Standing.SCENARIO, Standing.DEPTH_BOUNDED)


def _fails_on_baseline(trace: Trace, baseline: Change) -> bool:
    """Replay the mutant's trace on the baseline: it must not work."""
    base = baseline.scenario(trace.threat)
    t = Trace(trace.property, trace.threat, base.describe(), trace.steps, trace.explanation)
    try:
        replay_trace(t)
    except (ReplayError, TraceFormatError):
        return True
    return False


def _searches(max_states: int, max_moves: int, engine: str, engine_options: Optional[dict],
              baseline_states: Optional[int]) -> tuple[Search, Search]:
    """The mutants' search and the baselines' (never below the mutants' limit)."""
    mutant = Search.of(max_states, max_moves, engine, **(engine_options or {}))
    return mutant, mutant.at(max(max_states, BASELINE_MAX_STATES if baseline_states is None else baseline_states))


def _ask(m: Change, baseline: Change, threat: str, props: tuple, open_props: tuple, mutant: Search,
         deep: Search) -> Ask:
    """A control switched off: the properties the baseline keeps, at the mutants' limit. A parameter
    set: the hardened baseline's derivation candidate of that value (`hardened.derive`: every property,
    at the baseline's limit), so the two analyses share one check and a parameter's cell is never
    decided by a shallower search than the derivation's."""
    if m.set_params and not m.disable:
        return Ask(m.over(baseline), threat, props, deep)
    return Ask(m.over(baseline), threat, open_props, mutant)


def _reach(results: Sequence[Result]) -> Size:
    """The depth a mutant's search covered: any (exhaustive), else the least depth of its cells."""
    depths = [r.verdict.coverage.depth for r in results
              if not isinstance(r.verdict, Violated) and r.verdict.coverage is not None]
    ints = [d for d in depths if d != ANY]
    return min(ints) if ints else ANY


@dataclass
class _Planned:
    """A baseline's checks, submitted: its verdicts, what it keeps, the mutants' futures."""
    name: str
    baseline: Change
    derivation: Optional[Derivation]
    muts: tuple[Change, ...]
    props: tuple[str, ...]
    threats: tuple[str, ...]
    deep: Search
    start: float
    results: dict = field(default_factory=dict)    # threat -> the baseline's results
    kept: dict = field(default_factory=dict)       # threat -> {property: the baseline's verdict}
    todo: dict = field(default_factory=dict)       # (mutation, threat) -> future answer
    skipped: list = field(default_factory=list)


def _plan(ch: Checks, threats: Sequence[str], muts: Sequence[Change], props: Sequence[str], mutant: Search,
          deep: Search, baseline: Change, name: str, derivation: Optional[Derivation], say) -> _Planned:
    """Submit the baseline's checks, then each mutant's as soon as its threat model's baseline is in
    (the deep meta-insider baseline would otherwise hold the other worker idle); the deeper ones first."""
    pl = _Planned(name, baseline, derivation, tuple(muts), tuple(props), tuple(threats), deep, time.perf_counter())
    base = {ch.submit(Ask(baseline, t, pl.props, deep)): t for t in pl.threats}
    for bf in as_completed(base):
        t, ans = base[bf], bf.result()
        pl.results[t] = list(ans.results)
        say(f"{name} baseline under {t}: {sum(isinstance(x.verdict, Violated) for x in ans.results)} violated")
        # the baseline keeps these (proved, or no attack within its depth-bounded search): a
        # mutant's attack on one is credited when its trace fails on the baseline
        pl.kept[t] = {x.property: x.verdict for x in ans.results if standing(x.verdict) in KEPT}
        open_props = tuple(p for p in pl.props if p in pl.kept[t])
        asks = {}
        for m in pl.muts:
            if not m.touched & ans.read or not open_props:
                pl.skipped.append((m.name, t))
            else:
                asks[(m.name, t)] = _ask(m, baseline, t, pl.props, open_props, mutant, deep)
        for key in sorted(asks, key=lambda k: -asks[k].search.max_states):
            pl.todo[key] = ch.submit(asks[key])
    return pl


def _collect(pl: _Planned, max_states: int, max_moves: int, engine: str, say) -> MutateReport:
    """Each mutant's answer, its attacks confirmed on the baseline; in a fixed order."""
    attacks: dict[str, list[Stopped]] = {m.name: [] for m in pl.muts}
    undecided: dict[str, list] = {m.name: [] for m in pl.muts}
    reach: dict[str, dict] = {m.name: {} for m in pl.muts}
    for (mname, t), f in pl.todo.items():
        res = [r for r in f.result().results if r.property in pl.kept[t]]
        reach[mname][t] = _reach(res)
        for r in res:
            if isinstance(r.verdict, Violated):
                tr = r.verdict.trace
                attacks[mname].append(Stopped(r.property, t, tr, _fails_on_baseline(tr, pl.baseline),
                                              pl.kept[t][r.property], r.verdict.coverage))
            elif standing(r.verdict) == Standing.OPEN:   # inconclusive, not depth-bounded: undecided
                undecided[mname].append((r.property, t, r.verdict.reason))
        say(f"{mname} under {t}: {sum(isinstance(x.verdict, Violated) for x in res)} new violations")
    # the order checks finish in is the machine's: report in a fixed one
    props, threats = pl.props, pl.threats
    order = {m.name: i for i, m in enumerate(pl.muts)}
    pl.skipped.sort(key=lambda mt: (order[mt[0]], threats.index(mt[1])))
    for a in attacks.values():
        a.sort(key=lambda s: (props.index(s.property), threats.index(s.threat)))
    for u in undecided.values():
        u.sort(key=lambda c: (props.index(c[0]), threats.index(c[1])))
    for m in reach:
        reach[m] = {t: reach[m][t] for t in threats if t in reach[m]}
    return MutateReport(threats, props, {t: pl.results[t] for t in threats}, attacks, len(pl.todo), pl.skipped,
                        undecided, max_states, time.perf_counter() - pl.start, pl.deep.max_states, pl.name,
                        pl.baseline, pl.derivation, reach, engine, max_moves)


def run_mutate(threats: Sequence[str] = STATED_THREATS, muts: Sequence[Change] | None = None,
               properties: Sequence[str] = PROPERTY_NAMES, max_states: int = DEFAULT_MAX_STATES,
               max_moves: int = 2, jobs: int = 1,
               progress: Optional[Callable[[str], None]] = None,
               baseline_states: Optional[int] = None, baseline: Change = NONE, name: str = "published",
               engine: str = ANALYSES_ENGINE, engine_options: Optional[dict] = None,
               checks: Optional[Checks] = None, derivation: Optional[Derivation] = None) -> MutateReport:
    """`baseline`: the design mutated (`name` says which); `baseline_states`: its state limit, by
    default `BASELINE_MAX_STATES` (never below the mutants' `max_states`). `checks`: share answers
    (and workers) with other analyses of the same run."""
    mutant, deep = _searches(max_states, max_moves, engine, engine_options, baseline_states)
    muts = tuple(mutations(baseline) if muts is None else muts)
    say = progress or (lambda s: None)
    with shared(checks, jobs) as ch:
        pl = _plan(ch, threats, muts, properties, mutant, deep, baseline, name, derivation, say)
        return _collect(pl, max_states, max_moves, engine, say)


def run_baselines(names: Sequence[str] = ("published",), threats: Sequence[str] = STATED_THREATS,
                  mutation_names: Sequence[str] = (), properties: Sequence[str] = PROPERTY_NAMES,
                  max_states: int = DEFAULT_MAX_STATES, max_moves: int = 2, jobs: int = 1,
                  progress: Optional[Callable[[str], None]] = None, baseline_states: Optional[int] = None,
                  engine: str = ANALYSES_ENGINE, engine_options: Optional[dict] = None,
                  checks: Optional[Checks] = None, strict: bool = True) -> list[MutateReport]:
    """One report per baseline named (`BASELINES`), sharing checks and workers. The hardened
    baseline is derived first, over the same threat models and at the baseline's depth
    (`hardened.derive`); its winner's checks are the hardened baseline's own. `mutation_names`
    selects mutations (all when empty); `strict=False` drops the names a baseline does not have
    (a pinned file's, when the derived baseline moved)."""
    for n in names:
        if n not in BASELINES:
            raise ValueError(f"unknown baseline {n!r}; valid: {', '.join(BASELINES)}")
    mutant, deep = _searches(max_states, max_moves, engine, engine_options, baseline_states)
    say = progress or (lambda s: None)
    plans = []
    with shared(checks, jobs) as ch:
        # every baseline's checks are submitted before any is collected: the workers stay busy
        for n in names:
            derivation = derive(ch, threats, properties, deep) if n == "hardened" else None
            base = derivation.change if derivation is not None else NONE
            if derivation is not None:
                say(f"hardened baseline: {derivation.why()}")
            known = {m.name for m in mutations(base)}
            muts = [by_name(x, base) for x in mutation_names if strict or x in known] or mutations(base)
            plans.append(_plan(ch, threats, muts, properties, mutant, deep, base, n, derivation, say))
        return [_collect(pl, max_states, max_moves, engine, say) for pl in plans]
