"""The SMT engine: bounded model checking of a grounded system in z3.

Per step j: `sel[j]`, the transition taken (STOP: the run has ended); each
party's local state; one bit per message in flight; one bit per event a
property reads; the injection count; and one bit per term the adversary may
ever learn, `k[j][x]`: x is in its analysis closure at state j. Dolev-Yao
deduction is the equation
  k[j+1][x] = k[j][x] or a transition taught x at step j
              or some analysis rule yields x from a parent p and a key:
                 k[j+1][p] and derivable(j+1, key)
where derivability adds synthesis with the theory's constructors. When no
term depends on itself through these rules (checked: the dependency graph
must be acyclic), the equation has exactly one solution, the closure.

The runs are unrolled to the bound once; a property that fails gets its
shortest counterexample by bisection on the depth, decoded into actions and
replayed on the model before it is reported. When z3 proves that no run
reaches the bound, the bounded result is complete for the scenario (every
run ends within it), reported as exhaustive.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

import z3

from ppverify.models.deduction import Knowledge
from ppverify.models.terms import App, Atom
from ppverify.models.theory import CONSTRUCTORS, rules
from ppverify.proofs.engines.ground import Ground


class CyclicKnowledge(Exception):
    """Some term's analysis depends on itself through keys: the one-solution
    argument fails and this encoding would admit self-justifying knowledge."""


def _lits(x, universe, acc):
    """The terms whose knowledge can make `x` derivable."""
    if x in universe:
        acc.add(x)
    if isinstance(x, App) and (x.op in CONSTRUCTORS or x.op in ("dhk", "hexp")):
        for a in x.args:
            _lits(a, universe, acc)
            if x.op == "dhk":
                _lits(App("pk", (a,)), universe, acc)
    return acc


def producers(universe) -> dict:
    """x -> [(parent, key)] for every analysis rule yielding x; raises
    CyclicKnowledge if the rules make some term depend on itself."""
    import networkx as nx
    out: dict = {}
    deps = nx.DiGraph()
    for p in universe:
        for key, parts in rules(p):
            for r in parts:
                if r in universe:
                    out.setdefault(r, []).append((p, key))
                    deps.add_edge(r, p)
                    for y in (_lits(key, universe, set()) if key is not None else ()):
                        deps.add_edge(r, y)
    if not nx.is_directed_acyclic_graph(deps):
        raise CyclicKnowledge("analysis rules make a term depend on itself")
    return out


def _any(xs) -> z3.BoolRef:
    """Or over a list; SMT-LIB has no nullary `or`, so small cases are folded."""
    xs = list(xs)
    return z3.BoolVal(False) if not xs else xs[0] if len(xs) == 1 else z3.Or(xs)


def _all(xs) -> z3.BoolRef:
    xs = list(xs)
    return z3.BoolVal(True) if not xs else xs[0] if len(xs) == 1 else z3.And(xs)


def _count(bits):
    """How many of `bits` hold, as an 8-bit vector (counts stay small)."""
    return sum((z3.If(b, z3.BitVecVal(1, 8), z3.BitVecVal(0, 8)) for b in bits), z3.BitVecVal(0, 8))


def _derivable(bits: dict, memo: dict, x):
    """x is derivable from the knowledge `bits` (term -> Bool): known, or
    built by a constructor from derivable parts."""
    v = memo.get(x)
    if v is not None:
        return v
    if isinstance(x, Atom):
        syn = z3.BoolVal(x.kind == "const")
    elif x.op == "dhk":
        a, b = x.args
        syn = z3.Or(z3.And(_derivable(bits, memo, a), _derivable(bits, memo, App("pk", (b,)))),
                    z3.And(_derivable(bits, memo, b), _derivable(bits, memo, App("pk", (a,)))))
    elif x.op == "hexp":
        syn = _derivable(bits, memo, x.args[0])
    elif x.op in CONSTRUCTORS:
        syn = _all(_derivable(bits, memo, a) for a in x.args)
    else:
        syn = z3.BoolVal(False)
    v = z3.Or(bits[x], syn) if x in bits else syn
    memo[x] = v
    return v


def _levels(g: Ground, trans: list) -> tuple[list, dict, set, set]:
    """A relaxed reachability pass (every transition whose inputs could exist
    fires at once, as in a planning graph): the earliest step each transition
    can be taken at, None if never, and the earliest state at which each term
    can be known. Both are lower bounds for every run, so the encoding leaves
    out transitions and knowledge bits before their time, losing no run.
    Also returns the (unit, state) pairs and messages the pass reached: with
    the terms that got a level, an over-approximation of every reachable state
    (see `invariant_proofs`)."""
    reached = {(u, 0) for u in g.parties}
    started = {u for u in g.parties if g.initial[u] in g.ready.get(u, ())}   # may start their next slot
    flying = set(g.in_flight)
    k = g.k0
    earliest: list = [None] * len(trans)
    level = {x: 0 for x in k.known}
    pending = list(range(len(trans)))
    j = 0
    while pending:
        now = [i for i in pending if (trans[i].party, trans[i].pre) in reached
               and (trans[i].consumes is None or trans[i].consumes in flying)
               and (trans[i].after_unit is None or trans[i].after_unit in started)
               and (trans[i].inject is None or k.derivable(trans[i].inject))]
        if not now:
            break
        for i in now:
            t = trans[i]
            earliest[i] = j
            reached.add((t.party, t.post))
            if t.post in g.ready.get(t.party, ()):
                started.add(t.party)
            flying.update(t.sends)
        k = k.add([x for i in now for x in trans[i].learned])
        for x in k.known:
            level.setdefault(x, j + 1)
        pending = [i for i in pending if earliest[i] is None]
        j += 1
    return earliest, level, reached, flying


class _Recorded:
    """A solver that keeps what was asserted (the finite-domain solver does not
    give its assertions back), for export to SMT-LIB."""

    def __init__(self, solver):
        self.solver, self.log = solver, []

    def add(self, *xs):
        self.log.extend(xs)
        self.solver.add(*xs)

    def __getattr__(self, name):
        return getattr(self.solver, name)


@dataclass
class Found:
    prop: str
    path: list      # actions
    depth: int


class Encoding:
    """The unrolling. With `free`, state 0 is any state inside the relaxed
    reachable set (not the initial one) and every transition and term is
    encoded from the start: one step of it checks that set is inductive."""

    def __init__(self, g: Ground, encodings: dict, max_moves: int, seed: int = 0, rounds: bool = False,
                 free: bool = False, events: bool = True):
        self.g, self.max_moves, self.rounds, self.free, self.with_events = g, max_moves, rounds, free, events
        # Everything is Boolean or a bit-vector: z3's finite-domain solver
        # (bit-blasting into its SAT core) is an order of magnitude faster here.
        self.s = _Recorded(z3.SolverFor("QF_FD"))
        self.s.set("random_seed", seed)
        self.terms = sorted(g.kmax.known, key=repr)
        self.producers = producers(g.kmax.known)
        self.k: list[dict] = []
        self._d: list[dict] = []
        # transitions grouped by party, so "a transition of p" is a range test
        order = sorted(g.transitions, key=lambda t: (g.parties.index(t.party), t.id))
        self.trans = order
        self.enc = {t.id: i for i, t in enumerate(order)}
        self.range = {}
        for i, t in enumerate(order):
            lo, hi = self.range.get(t.party, (i, i + 1))
            self.range[t.party] = (min(lo, i), i + 1)
        self.learners: dict = {}
        for t in order:
            for x in t.learned:
                self.learners.setdefault(x, []).append(self.enc[t.id])
        self.earliest, self.k_level, self.reached, self.flying = _levels(g, order)
        if free:
            self.relaxed_terms = set(self.k_level)
            self.relaxed = [i for i, e in enumerate(self.earliest) if e is not None]
            self.earliest = [0] * len(order)
            self.k_level = {x: 0 for x in g.kmax.known}
        self.STOP = len(order)            # sel value of a step not taken (the run ended)
        self.SW = (self.STOP + 1).bit_length()
        self.LW = max(len(v) for v in g.states.values()).bit_length() + 1
        self.encodings = encodings
        self.events_used = set()
        self._prepare_properties()
        self.sel, self.loc, self.fly, self.moves, self.ev, self.wb = [], [], [], [], [], []
        self.stop: list = []      # stop[j]: no transition at step j (the run has ended)
        self.taken: list = []     # taken[j][i]: transition i at step j
        self.selectors: list = []
        self._after_k: dict = {}
        self._state(0)
        self.steps = 0

    # --- knowledge ---------------------------------------------------------------------
    def D(self, j: int, x):
        """x is derivable at state j: known, or built from derivable parts."""
        return _derivable(self.k[j], self._d[j], x)

    # --- states and steps -------------------------------------------------------------
    def _state(self, j: int):
        g = self.g
        self.loc.append({p: z3.BitVec(f"loc_{p}_{j}", self.LW) for p in g.parties})
        self.fly.append([z3.Bool(f"fly_{m}_{j}") for m in range(len(g.messages))])
        self.moves.append(z3.BitVec(f"moves_{j}", 8))
        self.ev.append({e: z3.Bool(f"ev_{e}_{j}") for e in self.events_used})
        never = z3.BoolVal(False)
        self.k.append({x: z3.Bool(f"k_{i}_{j}") if self.k_level.get(x, j + 1) <= j else never
                       for i, x in enumerate(self.terms)})
        self._d.append({})
        self.wb.append({x: z3.Bool(f"wire_{i}_{j}") for i, x in enumerate(self.wire_terms)})
        if j == 0 and not self.free:
            for b in self.wb[0].values():
                self.s.add(z3.Not(b))
        if j == 0 and self.free:
            self.s.add(self.inside(0))
            self.s.add(z3.ULE(self.moves[0], self.max_moves))
        elif j == 0:
            for x, b in self.k[0].items():
                self.s.add(b if x in g.k0.known else z3.Not(b))
            s = self.s
            for p in g.parties:
                s.add(self.loc[0][p] == g.initial[p])
            for m, b in enumerate(self.fly[0]):
                s.add(b if m in g.in_flight else z3.Not(b))
            s.add(self.moves[0] == 0)
            for b in self.ev[0].values():
                s.add(z3.Not(b))

    def _must(self) -> tuple[dict, dict]:
        """Events (of those properties read) that happened before every
        reachable arrival in a local state, or sending of a message: a
        greatest fixpoint over the relaxed reachable transitions."""
        if not hasattr(self, "_must_memo"):
            top = frozenset(self.events_used)
            at = {(u, 0): frozenset() for u in self.g.parties}
            sent = {m: frozenset() for m in self.g.in_flight}
            changed = True
            while changed:
                changed = False
                for i in self.relaxed:
                    t = self.trans[i]
                    before = at.get((t.party, t.pre), top)
                    if t.consumes is not None:
                        before = before | sent.get(t.consumes, top)
                    after = before | (top & set(t.events))
                    for key, table in [((t.party, t.post), at)] + [(m, sent) for m in t.sends]:
                        new = table.get(key, top) & after
                        if new != table.get(key):
                            table[key], changed = new, True
            self._must_memo = (at, sent)
        return self._must_memo

    def events_follow(self) -> bool:
        """The event part of the invariant is inductive: on every step from a
        reached local state (consuming a reached message), the events that must
        precede where it goes (local state, messages sent) are among those
        before it plus its own. Checked on every such transition, not only the
        relaxed ones, with what is missing counted as nothing."""
        at, sent = self._must()
        used = set(self.events_used)
        for t in self.trans:
            if (t.party, t.pre) not in self.reached or (t.consumes is not None and t.consumes not in self.flying):
                continue
            have = at.get((t.party, t.pre), frozenset()) | (used & set(t.events))
            if t.consumes is not None:
                have |= sent.get(t.consumes, frozenset())
            need = [at.get((t.party, t.post), frozenset())] if (t.party, t.post) in self.reached else []
            need += [sent.get(m, frozenset()) for m in t.sends if m in self.flying]
            if any(not n <= have for n in need):
                return False
        return True

    def inside(self, j: int) -> z3.BoolRef:
        return _all(self.inside_parts(j))

    def inside_parts(self, j: int, events: Optional[bool] = None) -> list:
        """State j lies in the relaxed reachable set: each unit in a reached
        local state, only reached messages in flight, only terms with a level
        known; and the events that must precede that local state or message
        have happened."""
        g = self.g
        c = []
        if events is not True:
            c += [_any(self.loc[j][p] == si for si in range(len(g.states[p])) if (p, si) in self.reached)
                  for p in g.parties]
            c += [z3.Not(b) for m, b in enumerate(self.fly[j]) if m not in self.flying]
            c += [z3.Not(b) for x, b in self.k[j].items() if x not in self.relaxed_terms]
        if not self.with_events or events is False:
            return c
        at, sent = self._must()
        c += [z3.Implies(self.loc[j][p] == si, _all(self.ev[j][e] for e in sorted(es)))
              for (p, si), es in at.items() if es and (p, si) in self.reached]
        c += [z3.Implies(self.fly[j][m], _all(self.ev[j][e] for e in sorted(es)))
              for m, es in sent.items() if es and m in self.flying]
        return c

    def add_step(self):
        """Encode transition j = self.steps, from state j to state j+1."""
        j, g, s = self.steps, self.g, self.s
        self._state(j + 1)
        L0, L1 = self.loc[j], self.loc[j + 1]
        now = [i for i, e in enumerate(self.earliest) if e is not None and e <= j]
        is_t = [z3.BoolVal(False)] * len(self.trans)
        idle = self._select(j, now, is_t)
        sends: dict = {}
        takes: dict = {}
        emits: dict = {}
        moving = []
        for i in now:
            t = self.trans[i]
            guard = [L0[t.party] == t.pre, L1[t.party] == t.post]
            if t.consumes is not None:
                guard.append(self.fly[j][t.consumes])
                takes.setdefault(t.consumes, []).append(is_t[i])
            if t.inject is not None:
                guard.append(self.D(j, t.inject))
            if t.after_unit is not None:   # slots start in order
                guard.append(_any(L0[t.after_unit] == r for r in sorted(self.g.ready[t.after_unit])))
            if t.move:
                moving.append(is_t[i])
            for m in t.sends:
                sends.setdefault(m, []).append(is_t[i])
            for e in t.events:
                if e in self.events_used:
                    emits.setdefault(e, []).append(is_t[i])
            s.add(z3.Implies(is_t[i], z3.And(guard)))
        for p in g.parties:
            s.add(z3.Implies(idle[p], L1[p] == L0[p]))
        if self.rounds:   # a message is taken by one transition; moves add up
            for ts in takes.values():
                if len(ts) > 1:
                    s.add(z3.AtMost(*ts, 1))
            s.add(self.moves[j + 1] == self.moves[j] + _count(moving))
        else:
            step = z3.If(_any(moving), z3.BitVecVal(1, 8), z3.BitVecVal(0, 8))
            s.add(self.moves[j + 1] == self.moves[j] + step)
        s.add(z3.ULE(self.moves[j + 1], self.max_moves))
        for m in range(len(g.messages)):
            sent = _any(sends.get(m, []))
            taken = _any(takes.get(m, []))
            s.add(self.fly[j + 1][m] == z3.Or(sent, z3.And(self.fly[j][m], z3.Not(taken))))
        for e in self.events_used:
            s.add(self.ev[j + 1][e] == z3.Or(self.ev[j][e], _any(emits.get(e, []))))
        for x, b in self.wb[j + 1].items():
            s.add(b == _any([self.wb[j][x], *(is_t[i] for i in self.wired.get(x, []))]))
        K0, K1 = self.k[j], self.k[j + 1]
        for x in self.terms:
            if self.k_level.get(x, j + 2) > j + 1:
                continue   # cannot be known yet: K1[x] is the constant False
            taught = [is_t[i] for i in self.learners.get(x, [])]
            via = [z3.And(K1[p], self.D(j + 1, key) if key is not None else True)
                   for p, key in self.producers.get(x, [])]
            s.add(K1[x] == _any([K0[x], *taught, *via]))
        self.taken.append(is_t)
        self.steps += 1
        return [self._bad(p, j, is_t) for p in self.props]

    def _select(self, j: int, now: list, is_t: list) -> dict:
        """The choice at step j. Interleaved: one transition (`sel`, STOP when
        none). In rounds: one per unit (each unit's selector, idle when none),
        so independent moves of different parties happen at once. Fills
        `is_t`; returns unit -> "idle at step j"."""
        s, g = self.s, self.g
        if not self.rounds:
            sel = z3.BitVec(f"sel_{j}", self.SW)
            self.sel.append(sel)
            self.selectors.append([sel])
            s.add(z3.ULE(sel, self.STOP))
            for i in now:
                is_t[i] = sel == i
            s.add(_any([is_t[i] for i in now] + [sel == self.STOP]))
            stop = sel == self.STOP
            idle = {p: z3.Not(z3.And(z3.UGE(sel, lo), z3.ULT(sel, hi)))
                    for p, (lo, hi) in ((p, self.range.get(p, (0, 0))) for p in g.parties)}
        else:
            idle, vs = {}, []
            for p in g.parties:
                lo, hi = self.range.get(p, (0, 0))
                v = z3.BitVec(f"sel_{p}_{j}", max(1, (hi - lo).bit_length()))
                vs.append(v)
                mine = [i for i in now if lo <= i < hi]
                for i in mine:
                    is_t[i] = v == i - lo
                idle[p] = v == hi - lo
                s.add(_any([is_t[i] for i in mine] + [idle[p]]))
            self.selectors.append(vs)
            stop = _all(idle.values())
        if j > 0:
            s.add(z3.Implies(self.stop[j - 1], stop))
        self.stop.append(stop)
        return idle

    # --- properties --------------------------------------------------------------------
    def _prepare_properties(self):
        """Ground each property's encoding: which transitions are bad outright,
        which need justifying events, which terms must stay secret."""
        self.props = [p for p, enc in self.encodings.items() if enc is not None]
        self.wire_terms, self.wired = [], {}
        for p in self.props:
            if self.encodings[p][0] == "after":
                self._prepare_after(self.encodings[p][1])
        self.local_bad: dict = {p: [] for p in self.props}
        self.needs: dict = {p: [] for p in self.props}   # (transition index, [event id sets])
        ev = self.g.events
        for p in self.props:
            enc = self.encodings[p]
            kind = enc[0]
            for i, t in enumerate(self.trans):
                if kind == "local":
                    if enc[1](t.before, t.after, t.out):
                        self.local_bad[p].append(i)
                elif kind == "agreement":
                    _, name, holds = enc
                    own = [ev[e] for e in t.events]
                    for e in t.out.events:
                        if e.name != name or holds(e, own):
                            continue
                        singles = [k for k, x in enumerate(ev) if holds(e, own + [x])]
                        pairs = [(a, b) for a in range(len(ev)) for b in range(a + 1, len(ev))
                                 if a not in singles and b not in singles
                                 and holds(e, own + [ev[a], ev[b]])] if len(ev) <= 400 else []
                        self.needs[p].append((i, singles, pairs))
                        self.events_used.update(singles)
                        self.events_used.update(x for pr in pairs for x in pr)
                elif kind == "count":
                    if enc[1](t.out):
                        self.local_bad[p].append(i)
            if kind == "count":
                _, _, redeems, issues, active = enc
                self.events_used.update(k for k, e in enumerate(ev) if redeems(e) or issues(e))

    def _prepare_after(self, spec: dict):
        """The second closure's universe: everything the adversary could know
        once the session's secrets are handed over."""
        g = self.g
        self.after = spec
        for i, t in enumerate(self.trans):
            for x in spec["wire"](t):
                self.wired.setdefault(x, []).append(i)
        self.wire_terms = sorted(self.wired, key=repr)
        self.state_terms = {(p, si): spec["state_terms"](g.party(p), st) for p in g.parties
                            for si, st in enumerate(g.states[p])}
        self.past = {(p, si): spec["past"](g.party(p), st) for p in g.parties
                     for si, st in enumerate(g.states[p])}
        extra = list(spec["extra"]) + self.wire_terms + [x for xs in self.state_terms.values() for x in xs]
        self.after_terms = sorted(Knowledge.of(list(g.kmax.known) + extra).known, key=repr)
        self.after_producers = producers(frozenset(self.after_terms))
        self.triggers = [i for i, t in enumerate(self.trans) if spec["trigger"](t)]

    def _after_knowledge(self, j: int) -> dict:
        """Knowledge at state j if the session's remaining secrets were handed over."""
        if j in self._after_k:
            return self._after_k[j]
        bits = {x: z3.Bool(f"after_{i}_{j}") for i, x in enumerate(self.after_terms)}
        memo: dict = {}
        holds: dict = {}
        for (p, si), xs in self.state_terms.items():
            for x in xs:
                holds.setdefault(x, []).append(self.loc[j][p] == si)
        static = set(self.after["extra"])
        for x, b in bits.items():
            given = [self.k[j][x]] if x in self.k[j] else []
            if x in static:
                given.append(z3.BoolVal(True))
            if x in self.wb[j]:
                given.append(self.wb[j][x])
            given += holds.get(x, [])
            via = [z3.And(bits[q], _derivable(bits, memo, key) if key is not None else True)
                   for q, key in self.after_producers.get(x, [])]
            self.s.add(b == _any(given + via))
        self._after_k[j] = bits
        return bits

    def _bad(self, p: str, j: int, is_t):
        enc = self.encodings[p]
        kind = enc[0]
        if kind == "never":  # settled on the grounded system (see PPSystem.refine)
            return z3.BoolVal(False)
        if kind == "after":
            if not self.triggers:
                return z3.BoolVal(False)
            bits = self._after_knowledge(j + 1)
            leaked = [z3.And(self.loc[j + 1][c] == si, bits[x]) for (c, si), xs in self.past.items()
                      for x in xs if x in bits]
            return z3.And(_any(is_t[i] for i in self.triggers), _any(leaked))
        after = j + 1
        terms = []
        if kind == "secret":
            _, secrets, derivable = enc
            for x in secrets:
                if derivable:
                    terms.append(self.D(after, x))
                elif x in self.k[after]:
                    terms.append(self.k[after][x])
        elif kind == "claim":
            _, party, claims = enc
            for si, st in enumerate(self.g.states[party]):
                x = claims(st)
                if x is not None and x in self.k[after]:
                    terms.append(z3.And(self.loc[after][party] == si, self.k[after][x]))
        elif kind == "agreement":
            # justified by events before the step: the transition's own events
            # never justify it (see _prepare_properties), and in a round the
            # others may as well have come after it
            ev = self.ev[j]
            for i, singles, pairs in self.needs[p]:
                ok = [ev[e] for e in singles] + [z3.And(ev[a], ev[b]) for a, b in pairs]
                terms.append(z3.And(is_t[i], z3.Not(_any(ok))))
        elif kind == "count":
            _, _, redeems, issues, active = enc
            if active:
                ev = self.g.events
                by_token: dict = {}
                for k, e in enumerate(ev):
                    if redeems(e):
                        by_token.setdefault(e.args[0], []).append(self.ev[after][k])
                redeemed = _count(_any(bs) for bs in by_token.values())
                # issuances before the step (in a round, redemptions go first)
                issued = _count(self.ev[j][k] for k, e in enumerate(ev) if issues(e))
                new_redeem = [is_t[i] for i, t in enumerate(self.trans)
                              if any(redeems(self.g.events[e]) for e in t.events)]
                if new_redeem and by_token:
                    terms.append(z3.And(_any(new_redeem), z3.UGT(redeemed, issued)))
        terms += [is_t[i] for i in self.local_bad.get(p, [])]
        return _any(terms)

    def path(self, model, prop: Optional[str] = None, upto: Optional[int] = None) -> list:
        """The run in `model`, as actions. A round is laid out so that what
        `prop` checks fails as it did in the round: a transition whose events
        lack justification goes before the others (it did not wait for them),
        a redemption before issuances, an answer (forward-secrecy) last."""
        first, last = set(), set(self.triggers) if prop and self.encodings[prop][0] == "after" else set()
        if prop and self.encodings[prop][0] == "agreement":
            first = {i for i, _, _ in self.needs[prop]}
        elif prop and self.encodings[prop][0] == "count":
            redeems = self.encodings[prop][2]
            first = {i for i, t in enumerate(self.trans) if any(redeems(self.g.events[e]) for e in t.events)}
        out = []
        for j, is_t in enumerate(self.taken[:upto]):
            if z3.is_true(model.eval(self.stop[j], model_completion=True)):
                break
            now = [i for i, b in enumerate(is_t) if not z3.is_false(b)
                   and z3.is_true(model.eval(b, model_completion=True))]
            now.sort(key=lambda i: (i in last, i not in first, i))
            out += [self.trans[i].action for i in now]
        return out


COMPLETENESS_SECONDS = 20.0
PARTNER_ATTEMPTS = 8


def _partner_run(enc: Encoding, check, want: list, confirm) -> Optional[list]:
    """A run that takes a completing transition and that `confirm` accepts on
    the model; runs it rejects (completion over-approximated) are blocked."""
    if not want:
        return None
    goal = _any(taken[i] for taken in enc.taken for i in want)
    blocked = []
    for _ in range(PARTNER_ATTEMPTS):
        if not check(goal, *blocked):
            return None
        m = enc.s.model()
        run = enc.path(m)
        if confirm is None or confirm(run):
            return run
        taken = [v == m.eval(v, model_completion=True) for vs in enc.selectors for v in vs]
        blocked.append(z3.Not(_all(taken)))
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
        return enc.s.check(z3.Not(enc.stop[bound - 1])) == z3.unsat
    finally:
        enc.s.set("timeout", int(timeout * 1000) if timeout else 4294967295)


INVARIANT_SECONDS = 30.0
INVARIANT_CHUNK = 64


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
            return all(time.monotonic() < deadline and enc.s.check(z3.Not(_all(c))) == z3.unsat
                       for c in (parts[i:i + INVARIANT_CHUNK] for i in range(0, len(parts), INVARIANT_CHUNK)))
        if not closed(enc.inside_parts(1, events=False)):
            return set()
        if not events or enc.events_follow() or closed(enc.inside_parts(1, events=True)):
            return {p for p, b in bad.items() if enc.s.check(b) == z3.unsat}
    return set()


def bmc(g: Ground, encodings: dict, bound: int, max_moves: int, timeout: Optional[float] = None,
        seed: int = 0, on_found: Optional[Callable] = None, progress: Optional[Callable] = None,
        partner: tuple = (), confirm: Optional[Callable] = None, rounds: bool = False,
        skip: frozenset = frozenset()):
    """Unroll `bound` steps, ask once whether any property fails within them,
    and for each that does, find its shortest counterexample by bisection on
    the depth; `skip` are not searched. Returns (found: {prop: Found}, depth, complete: no run of the
    scenario is as long as the bound, unknown: a reason or None, a run taking
    one of the `partner` transitions that `confirm` accepts, or None)."""
    enc = Encoding(g, encodings, max_moves, seed, rounds)
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
            prefix[key] = _any(per_step[j][p] for j in range(d))
        return prefix[key]

    def check(*q):
        r = enc.s.check(*q)
        if r == z3.unknown:
            raise TimeoutError(enc.s.reason_unknown())
        return r == z3.sat

    found: dict = {}
    open_props = set(enc.props) - set(skip)   # skip: already proved (invariant_proofs)
    run = None
    try:
        # the honest run first: proofs by invariant need it, and it is easy
        run = _partner_run(enc, check, [enc.enc[t] for t in partner], confirm)
        while open_props and check(_any(by(p, bound) for p in sorted(open_props))):
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
        return found, bound, False, f"solver gave up ({e}) after depth {bound}", run
    return found, bound, complete, None, run
