"""Grounding: the finite transition system the SMT engine encodes.

Handlers are pure functions of a party's own state and its input, so each
party's local transitions can be computed one party at a time. Saturation
collects every local state a party can reach and every transition out of it,
on a synthetic world where that party is in that state, every message ever
sent to it is in flight, and the adversary knows everything it could ever
learn (`kmax`). That over-approximates which transitions exist; z3 decides
which are taken when, with exact knowledge. What a transition teaches the
adversary is computed separately, from empty knowledge.

A party whose state is a list of independent session slots (a system's
`slots(party)`, e.g. a CVM) is grounded one slot at a time: each slot is a
unit "party#key" with its own local states, so concurrent sessions add
their states instead of multiplying them. Ordered slots start one after
another (`after_unit`): a CVM's session once the one before exists, a
client's once the one before ended (the previous unit's `ready` states).

A step that hands the adversary all its party holds (`system.exposes`: a
compromise) teaches, in a slot, the terms of every local state of every
slot of that party: the entries live beside it in a run are among them.

A rejected delivery is not grounded: it only drops a message, and dropping
a message never enables anything nor changes what a property reads, so every
run has a run without its drops that reaches the same verdicts.
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from ppverify.models.deduction import Knowledge
from ppverify.models.terms import Term
from ppverify.models.theory import rules
from ppverify.proofs.core.memory import fewer_collections
from ppverify.proofs.core.system import BudgetHit, SmtSystem
from ppverify.proofs.engines.grounded import Ground, Transition
from ppverify.proofs.engines.refusals import Refusals
from ppverify.protocol.world import Deliver, Inject, Invoke, World


def _observed(known: frozenset) -> tuple[Term, ...]:
    """The terms of a closed set that analysis of the others does not yield."""
    k = Knowledge(known)
    made = set()
    for t in known:
        for key, parts in rules(t):
            if key is None or k.derivable(key):
                made.update(parts)
    return tuple(sorted((t for t in known if t not in made), key=repr))


UNTRACKED_STATES = 2_000


@dataclass
class _Outgoing:
    """The transitions found so far out of one (unit, state, context), and
    what they were computed from: the unit's party's first `sent` messages
    and knowledge of size `known`."""
    sent: int = 0
    known: int = -1
    transitions: list = field(default_factory=list)
    ids: set = field(default_factory=set)
    offered: dict = field(default_factory=dict)   # the injections offered so far (`SmtSystem.enabled`)


class _Unbounded(Exception):
    """A unit's local states grow without its consumed messages tracked."""


def _largest_family(transitions: list, u: str) -> str:
    """Which of `u`'s transitions there are most of, in words: where a grounding grows."""
    (how, kind), n = Counter((type(t.action).__name__, getattr(getattr(t.action, "msg", None), "kind", ""))
                             for t in transitions if t.party == u).most_common(1)[0]
    return f"{n:,} of them {how.lower()}s" + (f" of {kind}" if kind else "")


class Truncated(RuntimeError):
    """An injection enumeration hit its budget, where the caller stops there
    (the unbounded engine: a truncated grounding proves nothing)."""


def ground(system: SmtSystem, max_moves: int, limit: int = 200_000, max_transitions: int = 6_000,
           reference: bool = False, max_states: Optional[int] = None, stop_truncated: bool = False) -> Ground:
    """Ground `system`; raises RuntimeError past `limit` local histories of one
    party or `max_transitions` transitions (the encoding grows with both), or
    past `max_states` local states of one unit (then no unit is tracked and
    grounded again, see below). With `stop_truncated`, raises Truncated at the
    first injection enumeration cut by its budget (else it is recorded, `truncated`).

    A unit's local states are first collected as if every message could be
    delivered to it again and again: a superset of the states it can reach
    (sound, since z3 encodes exactly which messages are in flight), and small
    when the state itself records what was taken (a session's phase). That is
    done for slots; a whole party (the acs's bare counter) keeps the messages
    it consumed in its histories, and so does a slot whose states pass
    UNTRACKED_STATES (grounding starts again).

    Three shortcuts keep the grounding identical: a state is expanded
    incrementally (deliveries of the messages new since its last expansion,
    injections only when the knowledge grew, from the knowledge the unit's
    pass started with), an action agreeing with a refused one on what the refusal
    read (`Reject.reads`) is not stepped, and a slot already started is not
    offered messages that only ever add a slot (`system.opens`: a new hello,
    a new route). `reference=True` takes none (the differential test's
    reference)."""
    tracked: set = {p for p, _ in system.initial().states if not system.slots(p)}
    with fewer_collections():
        while True:
            try:
                return _ground(system, max_moves, limit, max_transitions, frozenset(tracked), reference,
                               max_states, stop_truncated)
            except _Unbounded as e:
                if max_states is not None:
                    raise RuntimeError(f"grounding gives up: {e.args[1]}") from None
                tracked.add(e.args[0])


def _ground(system: SmtSystem, max_moves: int, limit: int, max_transitions: int, tracked: frozenset,
            reference: bool, max_states: Optional[int], stop_truncated: bool = False) -> Ground:
    w0 = system.initial()
    names = [p for p, _ in w0.states]
    base = dict(w0.states)
    owner, key_of, prev = {}, {}, {}
    for p in names:
        keys = system.slots(p)
        units = [f"{p}#{k}" for k in keys]
        owner.update({u: p for u in units} if keys else {p: p})
        key_of.update(zip(units, keys))
        if keys and system.slot_ordered(p):
            prev.update(zip(units[1:], units))
    parties = list(owner)     # the units
    states = {u: [base[u] if u in base else system.slot_state(owner[u], key_of[u], None)]
              for u in parties}
    index = {u: {states[u][0]: 0} for u in parties}
    messages, msg_index = [], {}
    to_party: dict[str, list[int]] = {p: [] for p in names}
    events, ev_index = [], {}
    transitions: list[Transition] = []
    seen: dict = {}
    refused: dict = {}   # (unit, state index) -> Refusals
    steps = [0, 0, 0]    # model steps taken: accepted, refused, of those accepted another slot's
    k0 = w0.knowledge
    kmax = k0
    taught: dict = {}   # terms learnt since kmax was last closed (a closure per unit pass, not per transition)
    observed: dict = {}  # what a step teaches -> its observed terms (many steps teach alike)
    exposing: dict = {}  # party -> its transitions that hand over all it holds (`system.exposes`)
    seized: dict = {}    # party -> the terms its units' states hold, which those hand over (ordered)
    counted: dict = {}   # unit -> how many of its states are in `seized`
    truncated = False

    def msg_id(m) -> int:
        i = msg_index.get(m)
        if i is None:
            i = msg_index[m] = len(messages)
            messages.append(m)
            if m.dst in to_party:
                to_party[m.dst].append(i)
        return i

    def ev_id(e) -> int:
        i = ev_index.get(e)
        if i is None:
            i = ev_index[e] = len(events)
            events.append(e)
        return i

    def _expand(u: str, si: int, deps: tuple, ctx: tuple, first: int, inject: bool, known: Knowledge,
                offered: Optional[dict]):
        """The transitions out of `u`'s state `si` in context `ctx`: deliveries of
        the messages to its party from index `first` of `to_party` on, and
        invocations and (if `inject`) injections from `known`, less those
        `offered` already had."""
        nonlocal truncated
        p = owner[u]
        slot = key_of.get(u)
        local = dict(base)
        parts: dict = {}
        for d, c in zip(deps, ctx):
            if d in key_of:
                q = owner[d]
                parts.setdefault(q, {})[key_of[d]] = system.slot_of(q, key_of[d], states[d][c])
            else:
                local[d] = states[d][c]
        local.update((q, system.slot_compose(q, e)) for q, e in parts.items())
        local[p] = states[u][si]
        mine = None if reference else refused.get((u, si))   # (grows while this state is expanded)
        started = slot is not None and si != 0 and not reference   # (index 0: the slot's initial entry)
        opening = slot is not None and si == 0
        new = [messages[i] for i in to_party[p][first:]]
        if mine is not None or started or opening:
            new = [m for m in new if not (started and system.opens(m) or mine and mine.refuse("Deliver", m)
                                          or opening and not system.slot_admits(p, slot, m))]
        w = World(tuple((q, local[q]) for q in names), frozenset(new), known, frozenset(),
                  frozenset(), frozenset(), None)
        blank = None   # w with empty knowledge: what a step teaches is computed from nothing (made when stepped)
        # a bound of 0 injections: enabled() offers none (the synthetic world has made no move)
        for a in system.enabled(w, max_moves if inject else 0, p, offered):
            if isinstance(a, BudgetHit):
                if stop_truncated:
                    raise Truncated(f"at {u}" + (f": {a.where}" if a.where else "") +
                                    f", {getattr(system, 'budget', 0):,} candidates per pattern")
                truncated = True
                continue
            receipt = not isinstance(a, Invoke)
            if receipt and mine is not None and mine.refuse(type(a).__name__, a.msg):
                continue   # refused here, as another message that agrees on what the refusal read
            if receipt and started and system.opens(a.msg):
                continue   # refused, or it adds a slot: another unit's transition
            if receipt and opening and not system.slot_admits(p, slot, a.msg):
                continue   # it opens another slot
            key = (u, si, a)
            if key in seen:
                if seen[key] is not None:
                    yield seen[key]
                continue
            if blank is None:
                blank = w.replace(knowledge=Knowledge())
            w2, out, rej = system.step(blank, a)
            steps[rej is not None] += 1
            if rej is not None:   # a rejected delivery only drops the message
                seen[key] = None
                if receipt and not reference and getattr(rej, "reads", None):
                    mine = refused.get((u, si)) or refused.setdefault((u, si), Refusals())
                    mine.add(type(a).__name__, a.msg, rej.reads)
                continue
            post = w2.state(p)
            try:
                other = slot is not None and system.slot_state(p, slot, system.slot_of(p, slot, post)) != post
            except ValueError as e:
                raise RuntimeError(f"grounding cannot split {p} into slots: {e}") from None
            if other:
                steps[2] += 1
                seen[key] = None   # it creates another slot: that unit's transition
                continue
            if post not in index[u]:
                index[u][post] = len(states[u])
                states[u].append(post)
                if max_states is not None and len(states[u]) > max_states:
                    raise _Unbounded(u, f"{u} passes {max_states:,} local states")
            sends = tuple(msg_id(m) for m in out.sends if m in w2.inflight)
            learned = ()
            if w2.knowledge:
                k = w2.knowledge.known
                learned = observed.get(k)
                if learned is None:
                    learned = observed[k] = _observed(k)
            taught.update((x, None) for x in learned if x not in kmax.known)
            t = Transition(len(transitions), u, si, index[u][post], a,
                           msg_id(a.msg) if isinstance(a, Deliver) else None,
                           a.msg.payload if isinstance(a, Inject) else None,
                           int(isinstance(a, Inject) and w2.moves > blank.moves),
                           sends, learned, tuple(ev_id(e) for e in out.events), out, w2, blank,
                           prev.get(u) if si == 0 else None)
            transitions.append(t)
            seen[key] = t
            if slot is not None and system.exposes(p, out):   # (a whole party's state is all it holds)
                exposing.setdefault(p, []).append(t)
            if len(transitions) > max_transitions:
                if u not in tracked:
                    raise _Unbounded(u, f"{len(transitions):,} transitions ({len(states[u])} local states of {u}; "
                                        f"{_largest_family(transitions, u)})")
                raise RuntimeError(f"grounding exceeds {max_transitions} transitions "
                                   f"({len(states[u])} local states of {u} so far)")
            yield t

    def seize() -> None:
        """What an exposing step hands over: every state of every unit of its
        party (a superset of the slots' entries live beside it in any run)."""
        for q in exposing:
            got = seized.setdefault(q, {})
            for u in (v for v in parties if owner[v] == q):
                for st in states[u][counted.get(u, 0):]:
                    for x in system.held(st):
                        if x not in got:
                            got[x] = None
                            if x not in kmax.known:
                                taught[x] = None
                counted[u] = len(states[u])

    initial_flight = frozenset(msg_id(m) for m in w0.inflight)
    outgoing: dict = {}   # (unit, state index, context) -> _Outgoing
    stamp, rounds = None, 0
    while stamp != (len(messages), len(kmax)):
        rounds += 1
        # Walk each party's local histories (a delivered message is consumed,
        # injections count against the bound) until the message pool and the
        # adversary's reachable knowledge stop growing.
        stamp = (len(messages), len(kmax))
        for p in parties:
            # what this unit injects from: one knowledge for all its states, so their enumerations
            # are shared; the latest, so what an earlier unit taught is used this round (fewer rounds)
            known = kmax
            # A history node (state, consumed, injections) is skipped when one
            # already visited has the same state, a subset of the consumed
            # messages and no more injections: it allows everything this one
            # does. (Untracked units consume nothing here.)
            todo, visited = [(0, frozenset(), 0)], {0: [(frozenset(), 0)]}
            count = 1
            while todo:
                si, consumed, moves = todo.pop()
                deps = system.depends(owner[p], key_of.get(p), states[p][si])
                sent = len(to_party[owner[p]])
                # A context (the states of `deps`) shapes only the injections: a delivery reads the
                # unit's own state and the message. So deliveries are expanded once, in the first
                # context (entry None), and each context adds its injections (the reference: all in each).
                split = bool(deps) and not reference
                groups = [(None, (0,) * len(deps))] if split else []
                groups += [(ctx, ctx) for ctx in itertools.product(*(range(len(states[d])) for d in deps))]
                for key, ctx in groups:
                    out = outgoing.setdefault((p, si, key), _Outgoing())
                    deliver, offer = not split or key is None, not split or key is not None
                    want = (sent if deliver else out.sent, len(known) if offer else out.known)
                    if (out.sent, out.known) != want:
                        if reference:
                            out.sent, out.known = 0, -1
                        # Incremental: deliveries depend on the message alone, and what a
                        # state offers only grows with the knowledge (new terms, new instances).
                        first = out.sent if deliver else sent
                        for t in _expand(p, si, deps, ctx, first, offer and out.known != len(known), known,
                                         None if reference else out.offered):
                            if t.id not in out.ids:
                                out.ids.add(t.id)
                                out.transitions.append(t)
                        out.sent, out.known = want
                    for t in out.transitions:
                        if t.consumes is not None and t.consumes in consumed:
                            continue
                        if moves + t.move > max_moves:
                            continue
                        c2 = consumed | {t.consumes} if t.consumes is not None and p in tracked else consumed
                        m2 = moves + t.move
                        seen_here = visited.setdefault(t.post, [])
                        if any(c <= c2 and m <= m2 for c, m in seen_here):
                            continue
                        seen_here.append((c2, m2))
                        todo.append((t.post, c2, m2))
                        count += 1
                        if count > limit:
                            raise RuntimeError(f"grounding of {p} exceeds {limit} local histories")
                        if p not in tracked and len(states[p]) > UNTRACKED_STATES:
                            raise _Unbounded(p, f"{p} passes {UNTRACKED_STATES:,} local states")
            seize()
            if taught:   # closed once per unit: the next unit injects from it, and this one read `known`
                kmax = kmax.add(list(taught))
                taught.clear()
    for q, ts in exposing.items():   # (the last unit pass seized every state there is)
        for t in ts:
            own = set(t.learned)
            t.learned += tuple(x for x in seized[q] if x not in own)
    ready = {u: frozenset(si for si, st in enumerate(states[u])
                          if system.slot_ready(owner[u], system.slot_of(owner[u], key_of[u], st)))
             for u in set(prev.values())}
    g = Ground(parties, states, {p: 0 for p in parties}, messages, initial_flight, events,
               transitions, k0, kmax, truncated,
               {"local_states": sum(len(v) for v in states.values()), "transitions": len(transitions),
                "messages": len(messages), "events": len(events), "terms": len(kmax.known),
                "steps": steps[0] + steps[1], "refused_steps": steps[1], "other_slot_steps": steps[2],
                "rounds": rounds, "largest_unit_states": max(len(v) for v in states.values())},
               owner, ready)
    try:
        system.check_slots(g)
    except ValueError as e:
        raise RuntimeError(f"grounding cannot split into slots: {e}") from None
    return g
