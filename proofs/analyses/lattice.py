"""The threat lattice: for each property, the minimal coalitions of SPEC
section 5 actors that break it and the maximal ones under which it holds.

Pruning by monotonicity (more adversary power never restores a property), in
two directions, each only from definite verdicts:
  up    a violation under C is carried to a superset D by replaying C's
        trace under D (`proofs.replay`): a replayed trace is a definite
        violation, so this direction assumes nothing;
  down  a proof under D carries to every subset C only when D's search was
        exhaustive (bounded proofs are never carried: a smaller coalition's
        search goes deeper at the same state limit). This direction assumes
        the model is monotone; `verify=True` checks every coalition instead
        and reports any breach of that assumption.
Coalitions are checked smallest first, but some first of all: on the
unbounded engine, the largest coalitions it grounds (`TOPS`, meta-free and
with `meta-insider`), whose proofs for every size carry down to every
coalition below them; on the explorer (or where no top is), the largest
coalition without `meta-insider`, since it is cheap and, when its search is
exhaustive, its proofs carry to the whole meta-free half of the lattice. A
coalition waits for, and reads, only the tops of its own half (with
`meta-insider` or without), so the meta-free half runs while the half-minute
meta-insider tops do. A cell a coalition checked early leaves
inconclusive gets, at the end, any violation a smaller coalition's trace shows
by replaying in it.

On `auto` (the default) the unbounded engine is asked first where it can
help (`engine_for`), and its proofs, for every size, carry down as such.
"""
from __future__ import annotations

import functools
import re
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Sequence

from ppverify.models.threats import ThreatModel, lattice
from ppverify.proofs.analyses.auto import BUDGETS, QUICK
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.analyses.pool import workers
from ppverify.proofs.core.serial import TraceFormatError
from ppverify.proofs.core.verdicts import Inconclusive, Kind, Proved, Standing, Trace, Violated, standing
from ppverify.proofs.engines.horn.engine import GROUNDING_FAILED, OPEN, TRUNCATED, UNCONFIRMED
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.proofs.replay.symbolic import ReplayError, replay_trace
from ppverify.protocol.controls import ACTORS, scenario, threat

DEFAULT_MAX_STATES = 4_000
# The lattice asks the unbounded engine first where it can help (`engine_for`): its proofs are for every
# size, and it costs a few seconds per meta-free coalition.
LATTICE_ENGINE = "auto"
# Single actors and the coalitions checked first (the tops, or the meta-free
# one) are searched at `ppverify check`'s limit: the singles' attacks are the
# deepest found and carry up to every coalition they replay in; a first one's
# search that ends there proves, for its scenario, what the unbounded engine
# left open, and that carries down (session 20: the first top
# is exhaustive at 6,305 states, where 4,000 left forward-secrecy and
# response-integrity open in the four coalitions below it).
SINGLE_MAX_STATES = 20_000
# The largest coalitions the unbounded engine grounds within auto's deep budget, checked first on it, so
# that their proofs for every size carry down to the coalitions below them; only they get the deep budget.
# Measured on the published design (session 20, CPU seconds): it gives up beside meta-insider+hw-vendor
# (60,001 transitions, 34,917 of them forged peer evidence); network+relay+hw-vendor passes the quick
# budget's 40,000 steps and grounds in the deep one (95 s, too dear for a top); network+relay+cdn+
# cvm-compromise-after grounds in the deep budget only. Beside the largest, smaller tops keep what a
# larger one breaks: key-consistency (broken by cdn) and, with meta-insider, client-unlinkability and
# non-targetability (broken by meta-insider+relay or +cdn). Cost rules, never verdicts: a top that gives up
# leaves its subsets to be checked as any other coalition. Meta-free first: the meta-free half waits for
# them only, and runs while the half-minute meta-insider tops do.
TOPS = ("relay+cdn+ledger+chat-member+cvm-compromise-after+hw-vendor",              # 4.5 s, 17 of 19 decided
        "network+cdn+ledger+chat-member+cvm-compromise-after+hw-vendor",            # 4.5 s
        "network+relay+cdn+ledger+chat-member+cvm-compromise-after",                # 20 s, 18 decided
        "relay+ledger+chat-member+cvm-compromise-after+hw-vendor",                  # 2.7 s (no cdn)
        "network+ledger+chat-member+cvm-compromise-after+hw-vendor",                # 4.1 s (no cdn)
        "network+relay+ledger+chat-member+cvm-compromise-after",                    # 7.9 s (no cdn)
        "network+meta-insider+relay+cdn+ledger+chat-member+cvm-compromise-after",   # 29 s, every cell decided
        "network+meta-insider+relay+ledger+chat-member+cvm-compromise-after",       # 27 s (no cdn)
        "network+meta-insider+ledger+chat-member+cvm-compromise-after")             # 22 s (no relay, no cdn)


@dataclass(frozen=True)
class Cell:
    verdict: Kind
    how: str                     # "checked" | "carried up (replayed)" | "carried down (exhaustive)"
    exhaustive: bool = False
    trace: Optional[Trace] = None
    every_size: bool = False     # proved for every run of every size (the unbounded engine's proof)
    reason: str = ""             # an inconclusive cell's: why neither engine decided it


@dataclass
class LatticeReport:
    actors: tuple[str, ...]
    properties: tuple[str, ...]
    cells: dict[tuple[str, frozenset], Cell] = field(default_factory=dict)
    explored: int = 0            # coalitions explored
    saved: int = 0               # (property, coalition) verdicts obtained without a search
    saved_coalitions: int = 0    # coalitions never explored
    breaches: list[str] = field(default_factory=list)   # monotonicity breaches (verify mode)
    max_states: int = DEFAULT_MAX_STATES
    seconds: float = 0.0
    unbounded: int = 0           # coalitions the unbounded engine was asked first (`engine_for`)
    gave_up: dict = field(default_factory=dict)   # coalition -> why its unbounded grounding gave up

    def name(self, c: frozenset) -> str:
        return str(ThreatModel(c, ACTORS))

    def minimal_breaking(self, p: str) -> list[frozenset]:
        bad = [c for (q, c), v in self.cells.items() if q == p and v.verdict == Kind.VIOLATED]
        return sorted((c for c in bad if not any(o < c for o in bad)), key=coalition_order)

    def maximal_holding(self, p: str) -> list[tuple[frozenset, bool]]:
        good = [c for (q, c), v in self.cells.items() if q == p and v.verdict == Kind.PROVED]
        top = [c for c in good if not any(c < o for o in good)]
        return [(c, self.cells[(p, c)].exhaustive) for c in sorted(top, key=coalition_order)]

    def every_size(self) -> int:
        return sum(v.every_size for v in self.cells.values())

    def inconclusive(self) -> list[frozenset]:
        """The coalitions with a cell neither proved nor violated (the issue's target: none)."""
        return sorted({c for (_, c), v in self.cells.items() if v.verdict == Kind.INCONCLUSIVE}, key=coalition_order)

    def gave_up_first(self) -> list[tuple[frozenset, str, int]]:
        """The smallest coalitions whose unbounded grounding gave up (none of their subsets did), each
        with why and how many inconclusive coalitions contain it: where the unbounded engine stops."""
        bad = self.inconclusive()
        return [(c, why, sum(c <= d for d in bad)) for c, why in sorted(self.gave_up.items(),
                key=lambda cw: coalition_order(cw[0])) if not any(f < c for f in self.gave_up)]

    def why_inconclusive(self, p: str) -> dict[str, list[frozenset]]:
        """`p`'s inconclusive coalitions by reason, counts in the reason read as N
        (a search cut at 19 steps and one cut at 21 are cut alike), most frequent first."""
        out: dict[str, list[frozenset]] = {}
        for (q, c), v in self.cells.items():
            if q == p and v.verdict == Kind.INCONCLUSIVE:
                out.setdefault(re.sub(r"\d[\d,]*", "N", v.reason) or "no reason recorded", []).append(c)
        return dict(sorted(((k, sorted(cs, key=coalition_order)) for k, cs in out.items()),
                           key=lambda kv: -len(kv[1])))


@functools.cache   # (asked millions of times by `_infer`; there are 256 coalitions)
def coalition_order(c: frozenset) -> tuple:
    return (len(c), tuple(sorted(ACTORS.index(a) for a in c)))


def _check(coalition: frozenset, props: tuple, max_states: int, max_moves: int,
           engine: str = LATTICE_ENGINE, budgets: tuple = BUDGETS):
    return coalition, check_threat(scenario(str(ThreatModel(coalition, ACTORS))), props,
                                   max_states=max_states, max_moves=max_moves, engine=engine, budgets=budgets)


def _carry_up(trace: Trace, to: frozenset) -> Optional[Trace]:
    """The same attack under a larger coalition, if it replays there."""
    t = Trace(trace.property, str(ThreatModel(to, ACTORS)), trace.scenario, trace.steps, trace.explanation)
    try:
        replay_trace(t)
    except (ReplayError, TraceFormatError):
        return None
    return t


def _infer(rep: LatticeReport, p: str, c: frozenset, unseen: frozenset = frozenset(),
           scenario_proofs: bool = True) -> Optional[Cell]:
    """`p` under `c` from the cells of coalitions that compare with it, but `unseen` ones: an attack
    carried up, else a proof carried down (for every size only, unless `scenario_proofs`)."""
    related = _related(rep, p, c, unseen)
    return _carried_up(rep, c, related) or _carried_down(rep, c, related, scenario_proofs)


def _related(rep: LatticeReport, p: str, c: frozenset, unseen: frozenset = frozenset()) -> list:
    """The cells of `p` under coalitions below or above `c`, smallest first."""
    related = ((d, v) for (q, d), v in rep.cells.items() if q == p and (d < c or c < d) and d not in unseen)
    return sorted(related, key=lambda dv: coalition_order(dv[0]))


def _carried_up(rep: LatticeReport, c: frozenset, related: list) -> Optional[Cell]:
    tries = 0
    for d, v in related:
        if v.verdict == Kind.VIOLATED and d < c and v.trace is not None and tries < 3:
            tries += 1  # replays are cheap, but not free: a few tries, smallest coalitions first
            t = _carry_up(v.trace, c)
            if t is not None:
                return Cell(Kind.VIOLATED, f"carried up from {rep.name(d)} (replayed)", trace=t)
    return None


def _carried_down(rep: LatticeReport, c: frozenset, related: list, scenario_proofs: bool = True) -> Optional[Cell]:
    """The strongest proof of a superset, the smallest such (never a depth-bounded one)."""
    proof = None
    for d, v in related:
        if v.verdict == Kind.PROVED and v.exhaustive and c < d and (v.every_size or scenario_proofs):
            cell = Cell(Kind.PROVED, f"carried down from {rep.name(d)} (exhaustive)", exhaustive=True,
                        every_size=v.every_size)
            if v.every_size:
                return cell
            proof = proof or cell
    return proof


def engine_for(engine: str, c: frozenset, failed: Mapping[frozenset, str], props: Sequence[str] = (),
               unconfirmed: Optional[dict] = None) -> str:
    """The engine a coalition is checked with. On `auto`, the explorer alone
    where the unbounded engine cannot help (`not_unbounded`)."""
    return "explore" if engine == "auto" and not_unbounded(c, failed, props, unconfirmed) else engine


def not_unbounded(c: frozenset, failed: Mapping[frozenset, str], props: Sequence[str] = (),
                  unconfirmed: Optional[dict] = None) -> str:
    """Why the unbounded engine is not asked of `c` ("" where it is): in every
    superset of a coalition whose grounding gave up it would too (more adversary power grounds more;
    `failed`: coalition -> why, the smallest of those under `c` is named); and
    where each of `props` has a violation inside the fixpoint of a smaller
    coalition that no bounded search replayed (`unconfirmed`: property ->
    coalitions), the larger fixpoint holds it too. Cost rules, never verdicts."""
    under = [f for f in failed if f <= c]
    if under:
        f = min(under, key=coalition_order)
        return (f"not asked of the unbounded engine: its grounding gave up under a smaller coalition, "
                f"{ThreatModel(f, ACTORS)}" + (f": {failed[f]}" if failed[f] else ""))
    if props and unconfirmed is not None and all(any(d <= c for d in unconfirmed.get(p, ())) for p in props):
        return ("not asked of the unbounded engine: its fixpoint under a smaller coalition already holds a "
                "violation no bounded search replayed")
    return ""


def _reason(r, skipped: str) -> str:
    """An inconclusive cell's reason: the bounded search's, with what the
    unbounded engine said of it, or why it was not asked (`skipped`)."""
    v = r.verdict
    horn = skipped or r.extra.get("reasons", {}).get("horn", "")
    return f"{v.reason}; {horn}" if horn and horn != v.reason else v.reason


def _grounding_failed(res, last: str = BUDGETS[-1].name) -> str:
    """Why ("" if it did not) the unbounded engine's grounding truncated its injection candidates, or
    gave up within the last budget the coalition was given (its reason says
    so): more adversary power grounds more. A grounding that gave up only
    within an earlier budget (the explorer decided every cell the next one
    would have been asked), or that ends but settles nothing, is no reason to
    skip it above. (`--engine horn` has no budget: its own limits are its last.)"""
    for r in res:
        h = r.extra.get("reasons", {}).get("horn", "")
        if h.startswith(TRUNCATED) or h.startswith(GROUNDING_FAILED) and r.extra.get("horn_budget", last) == last:
            budget = r.extra.get("horn_budget")
            return h.removeprefix(OPEN) + (f", within auto's {budget} budget" if budget else "")
    return ""


def run_lattice(actors: Sequence[str] = ACTORS, properties: Sequence[str] = PROPERTY_NAMES,
                max_states: int = DEFAULT_MAX_STATES, max_moves: int = 2, jobs: int = 1,
                verify: bool = False, progress: Optional[Callable[[str], None]] = None,
                engine: str = LATTICE_ENGINE) -> LatticeReport:
    start = time.perf_counter()
    for a in actors:
        threat(a)  # validates the name
    props = tuple(properties)
    rep = LatticeReport(tuple(actors), props, max_states=max_states)
    say = progress or (lambda s: None)
    order = [c.actors for c in lattice(tuple(actors))]
    free = frozenset(a for a in actors if a != "meta-insider")
    tops = [t.actors for t in map(threat, TOPS) if engine in ("auto", "horn")]
    # the largest meta-free coalition first where no top is (the explorer's exhaustive proofs carry down
    # from it); beside the tops it grounds nowhere and its search is cut, so it is checked as any other
    tops = [c for c in tops if c in order]
    first = list(dict.fromkeys(tops or ([free] if free in order else [])))
    order = first + [c for c in order if c not in first]
    failed = rep.gave_up   # coalition -> why its unbounded grounding passed auto's last budget
    unconfirmed: dict[str, list[frozenset]] = {}   # property -> coalitions with a horn candidate left open
    # A coalition starts once every coalition its cells may be inferred from is in: its proper subsets
    # (carried up) and those checked first that contain it (carried down). What each sees is then what
    # a run by sizes would show it, so the verdicts are the same; no worker waits for a size to finish.
    # A coalition waits for the tops of its own half only (with meta-insider or without), and reads no other
    # top: the meta-insider tops take half a minute each, and the meta-free half need not wait for them.
    half = lambda c: "meta-insider" in c  # noqa: E731
    # On the unbounded engine a coalition's own check may prove for every size what a superset's
    # search proves for its scenario only: such proofs are carried down at the end, to what is left open.
    scenario_proofs = engine not in ("auto", "horn")
    waits = {c: set() if c in first else ({c - {a} for a in c} | {f for f in first if c < f and half(f) == half(c)})
             & set(order) for c in order}
    unseen = {c: frozenset(f for f in first if c < f and f not in waits[c]) for c in order}
    todo, running, done = list(order), {}, set()
    with workers(max(1, jobs)) as pool:
        while todo or running:
            ready = [c for c in todo if waits[c] <= done]
            if not ready and not running:
                raise RuntimeError("lattice: coalitions wait on each other")   # (a bug in `waits`)
            for c in ready:
                todo.remove(c)
                open_props = []
                for p in props:
                    cell = None if verify else _infer(rep, p, c, unseen[c], scenario_proofs)
                    if cell is None:
                        open_props.append(p)
                    else:
                        rep.cells[(p, c)] = cell
                        rep.saved += 1
                if not open_props:
                    rep.saved_coalitions += 1
                    done.add(c)
                    continue
                limit = max(max_states, SINGLE_MAX_STATES) if len(c) == 1 or c in first else max_states
                e = engine_for(engine, c, failed, open_props, unconfirmed)
                skipped = not_unbounded(c, failed, open_props, unconfirmed) if engine == "auto" else ""
                budgets = BUDGETS if c in first else (QUICK,)   # the deep budget for the tops alone
                running[pool.submit(_check, c, tuple(open_props), limit, max_moves, e, budgets)] = \
                    (e, skipped, budgets[-1].name)
            if not running or any(waits[c] <= done for c in todo):
                continue   # coalitions settled without a check made others ready
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in sorted(finished, key=lambda f: coalition_order(f.result()[0])):
                c, res = f.result()
                e, skipped, last = running.pop(f)
                rep.explored += 1
                if e == "auto":
                    rep.unbounded += 1
                    why = _grounding_failed(res, last)
                    if why:
                        failed[c] = why
                    for r in res:
                        if r.extra.get("reasons", {}).get("horn", "").startswith(UNCONFIRMED):
                            unconfirmed.setdefault(r.property, []).append(c)
                for r in res:
                    v = r.verdict
                    rep.cells[(r.property, c)] = Cell(
                        v.verdict, "checked", isinstance(v, Proved) and v.exhaustive,
                        v.trace if isinstance(v, Violated) else None, standing(v) == Standing.EVERY_SIZE,
                        _reason(r, skipped) if isinstance(v, Inconclusive) else "")
                say(f"{rep.name(c)}: {sum(isinstance(r.verdict, Violated) for r in res)} of {len(res)} violated")
                if verify:
                    rep.breaches += _breaches(rep, [c])
                done.add(c)
    if not verify:
        _carry_late(rep, first)
    rep.seconds = time.perf_counter() - start
    return rep


def _carry_late(rep: LatticeReport, early: Sequence[frozenset]) -> None:
    """Cells left inconclusive: in a coalition checked before its subsets (`TOPS`, the meta-free
    one), a smaller coalition's attack that replays in it; anywhere, a superset's proof for its
    scenario (held back before: the coalition's own check may prove the cell for every size)."""
    for (p, c), v in list(rep.cells.items()):
        if v.verdict == Kind.INCONCLUSIVE:
            related = _related(rep, p, c)
            cell = (_carried_up(rep, c, related) if c in early else None) or _carried_down(rep, c, related)
            if cell is not None:
                rep.cells[(p, c)] = cell


def _breaches(rep: LatticeReport, new: list[frozenset]) -> list[str]:
    """Pairs C < D with a property violated under C and proved under D."""
    out = []
    for (p, c), v in rep.cells.items():
        for d in new:
            w = rep.cells.get((p, d))
            if w is None:
                continue
            if c < d and v.verdict == Kind.VIOLATED and w.verdict == Kind.PROVED:
                out.append(f"{p}: violated under {rep.name(c)} but proved under {rep.name(d)}")
            if d < c and w.verdict == Kind.VIOLATED and v.verdict == Kind.PROVED:
                out.append(f"{p}: violated under {rep.name(d)} but proved under {rep.name(c)}")
    return out
