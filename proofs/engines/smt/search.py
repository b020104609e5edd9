"""The questions asked of z3: proofs by an inductive invariant, and bounded
model checking with shortest counterexamples (bisection on the depth), an
honest partner run, and completeness (no run reaches the bound)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

import z3

from ppverify.proofs.engines.grounded import Ground
from ppverify.proofs.engines.smt.logic import all_of, any_of
from ppverify.proofs.engines.smt.unroll import Encoding


@dataclass
class Found:
    prop: str
    path: list      # actions
    depth: int


@dataclass(frozen=True)
class BmcResult:
    """What `bmc` found: counterexamples by property, the depth unrolled,
    whether no run of the scenario is as long as the bound (`complete`), why
    the solver gave up (None if it did not), and an honest run (or None)."""
    found: dict
    depth: int
    complete: bool
    unknown: Optional[str]
    run: Optional[list]


@dataclass(frozen=True)
class Completion:
    """A transition that may complete an honest session, and the events of
    which one must have happened by then for it to (empty: none is known to
    be needed). The needed events only steer z3 to runs the model accepts."""
    transition: int
    needs: frozenset = frozenset()


COMPLETENESS_SECONDS = 20.0
PARTNER_ATTEMPTS = 8
INVARIANT_SECONDS = 30.0
INVARIANT_CHUNK = 64


def _checker(enc: Encoding) -> Callable:
    """Is the query satisfiable on `enc`? (TimeoutError: z3 gave up)"""
    def check(*q) -> bool:
        r = enc.s.check(*q)
        if r == z3.unknown:
            raise TimeoutError(enc.s.reason_unknown())
        return r == z3.sat
    return check


def _honest_run(g: Ground, enc: Encoding, bound: int, seed: int, timeout: Optional[float], want: tuple,
                confirm) -> Optional[list]:
    """The honest run, on `enc`; with rounds, on a sequential unrolling of its
    own, without the properties: a run of steps is a run of rounds of one move
    each, and the honest run is a causal chain of some 30 messages that z3
    finds far sooner one transition per step (measured: relay with 40 rounds
    unknown after a minute, with 40 steps found in 6 s)."""
    if want and enc.rounds:
        enc = Encoding(g, {}, enc.max_moves, seed, track=frozenset().union(*(c.needs for c in want)))
        if timeout:
            enc.s.set("timeout", int(timeout * 1000))
        for _ in range(bound):
            enc.add_step()
    return _partner_run(enc, _checker(enc), want, confirm)


def _partner_run(enc: Encoding, check, want: tuple, confirm) -> Optional[list]:
    """A run that takes a completing transition and that `confirm` accepts on
    the model; runs it rejects (completion over-approximated) are blocked.
    The runs with a needed event are asked first, then any run (a session
    may need a pair of events where no single one suffices)."""
    if not want:
        return None
    ev, steps = enc.vars.ev, range(len(enc.steps.taken))

    def taken(c: Completion, j: int):
        return enc.steps.taken[j][enc.layout.enc[c.transition]]
    strict = any_of(z3.And(taken(c, j), any_of(ev[j + 1][e] for e in sorted(c.needs))) if c.needs else taken(c, j)
                    for j in steps for c in want)
    goals = (strict, any_of(taken(c, j) for j in steps for c in want))
    blocked = []
    for goal in goals:
        for _ in range(PARTNER_ATTEMPTS):
            if not check(goal, *blocked):
                break
            m = enc.s.model()
            run = enc.path(m)
            if confirm is None or confirm(run):
                return run
            chosen = [v == m.eval(v, model_completion=True) for vs in enc.steps.selectors for v in vs]
            blocked.append(z3.Not(all_of(chosen)))
    return None


def _no_run_reaches(enc: Encoding, bound: int, timeout: Optional[float]) -> bool:
    """Did z3 prove that no run of the scenario takes `bound` steps? That is
    a pigeonhole-like question and can be the hardest one asked, so it gets
    its own time limit; running out only leaves the result bounded."""
    if bound == 0:
        return False
    limit = min(timeout, COMPLETENESS_SECONDS) if timeout else COMPLETENESS_SECONDS
    enc.s.set("timeout", int(limit * 1000))
    try:
        return enc.s.check(z3.Not(enc.steps.stop[bound - 1])) == z3.unsat
    finally:
        enc.s.set("timeout", int(timeout * 1000) if timeout else 4294967295)


def invariant_proofs(g: Ground, encodings: dict, max_moves: int, timeout: Optional[float] = None) -> set:
    """The properties proved for runs of any length by an inductive invariant:
    the relaxed reachable set of `_levels` (reached local states, messages,
    terms), with the events that must precede each local state and message.
    z3 checks, on one step from any state inside it, that no step leaves the
    set (it holds initially by construction) and that no step violates the
    property. The event part is checked by `events_follow` (or, failing that,
    by z3); if neither settles it in time, the set without events is used.
    Properties not proved are left to bmc."""
    limit = min(timeout, INVARIANT_SECONDS) if timeout else INVARIANT_SECONDS
    for events in (True, False):
        enc = Encoding(g, encodings, max_moves, free=True, events=events)
        enc.s.set("timeout", int(limit * 1000))
        bad = dict(zip(enc.props, enc.add_step()))
        deadline = time.monotonic() + limit

        def closed(parts) -> bool:
            # one question per chunk of conjuncts: many small refutations are
            # far cheaper for z3 than the negation of the whole conjunction
            return all(time.monotonic() < deadline and enc.s.check(z3.Not(all_of(c))) == z3.unsat
                       for c in (parts[i:i + INVARIANT_CHUNK] for i in range(0, len(parts), INVARIANT_CHUNK)))
        if not closed(enc.region.inside_parts(1, events=False)):
            return set()
        if not events or enc.region.events_follow() or closed(enc.region.inside_parts(1, events=True)):
            return {p for p, b in bad.items() if enc.s.check(b) == z3.unsat}
    return set()


def bmc(g: Ground, encodings: dict, bound: int, max_moves: int, timeout: Optional[float] = None,
        seed: int = 0, on_found: Optional[Callable] = None, progress: Optional[Callable] = None,
        partner: tuple = (), confirm: Optional[Callable] = None, rounds: bool = False,
        skip: frozenset = frozenset()) -> BmcResult:
    """Unroll `bound` steps, ask once whether any property fails within them,
    and for each that does, find its shortest counterexample by bisection on
    the depth; `skip` are not searched. The honest run takes one of the
    `partner` completions (`Completion`) and is accepted by `confirm`."""
    enc = Encoding(g, encodings, max_moves, seed, rounds,
                   track=frozenset() if rounds else frozenset().union(*(c.needs for c in partner)))
    if timeout:
        enc.s.set("timeout", int(timeout * 1000))
    per_step = []
    for k in range(bound):
        per_step.append(dict(zip(enc.props, enc.add_step())))
        if progress:
            progress(k + 1, bound)
    prefix: dict = {}

    def by(p: str, d: int):
        """p fails at some step < d."""
        key = (p, d)
        if key not in prefix:
            prefix[key] = any_of(per_step[j][p] for j in range(d))
        return prefix[key]

    check = _checker(enc)
    found: dict = {}
    open_props = set(enc.props) - set(skip)   # skip: already proved (invariant_proofs)
    run = None
    try:
        # the honest run first: proofs by invariant need it, and it is easy
        run = _honest_run(g, enc, bound, seed, timeout, partner, confirm)
        while open_props and check(any_of(by(p, bound) for p in sorted(open_props))):
            m = enc.s.model()
            hit = [p for p in sorted(open_props) if z3.is_true(m.eval(by(p, bound), model_completion=True))]
            for p in hit:
                lo, hi, best = 0, bound, m   # fails within hi, not within lo
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if check(by(p, mid)):
                        hi, best = mid, enc.s.model()
                    else:
                        lo = mid
                found[p] = Found(p, enc.path(best, p, hi), hi)
                open_props.discard(p)
                if on_found:
                    on_found(found[p])
        # worth asking only if some proof would be bounded
        complete = bool(open_props) and _no_run_reaches(enc, bound, timeout)
    except TimeoutError as e:
        return BmcResult(found, bound, False, f"solver gave up ({e}) after depth {bound}", run)
    return BmcResult(found, bound, complete, None, run)
