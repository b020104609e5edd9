"""The world: global state as immutable data, the enabled actions, and a pure
step function. Both backends run this same code; the symbolic one also keeps
the adversary's knowledge, the concrete one every party's and watcher's
observations. Who sees what, and what the adversary takes from one step,
is `protocol.visibility`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ppverify.models.deduction import Knowledge
from ppverify.protocol.messages import Env, Msg, Out, Reject
from ppverify.protocol.parties import client as cl
from ppverify.protocol.setup import Setup
from ppverify.protocol.visibility import HOST, NETWORK, Visibility, terms_in


@dataclass(frozen=True)
class Invoke:
    client: str
    chat: str
    by_user: bool = True

    def __str__(self) -> str:
        who = "user" if self.by_user else "background trigger"
        return f"{self.client}: {who} invokes the feature on chat '{self.chat}'"


@dataclass(frozen=True)
class _Receipt:
    """A message handed to its receiver, and the receiver's routing choice."""
    msg: Msg
    choice: str = ""

    def _said(self, sender: str, posing: str = "") -> str:
        pick = f" (picks {self.choice})" if self.choice else ""
        return f"{sender} -> {self.msg.dst}{posing}: {self.msg.kind}{pick}"


@dataclass(frozen=True)
class Deliver(_Receipt):
    def __str__(self) -> str:
        return self._said(self.msg.src)


@dataclass(frozen=True)
class Inject(_Receipt):
    def __str__(self) -> str:
        return self._said("adversary", f" as {self.msg.src}")


Action = Invoke | Deliver | Inject


class World:
    __slots__ = ("states", "inflight", "knowledge", "sightings", "wire", "events", "obs", "moves",
                 "_hash", "_hs")

    def __init__(self, states, inflight, knowledge, sightings, wire, events, obs, moves=0):
        self.states = states            # tuple of (party, state), sorted
        self.inflight = inflight        # frozenset[Msg]
        self.knowledge = knowledge      # Knowledge (symbolic) or None
        self.sightings = sightings      # frozenset of (meta, payload) seen by the adversary
        self.wire = wire                # frozenset of payloads sent on network links
        self.events = events            # frozenset[Event]
        self.obs = obs                  # concrete: dict party -> tuple of values; else None
        self.moves = moves              # adversary injections so far (a scenario bound)
        self._hash = None               # on first use: intermediate worlds are never hashed
        self._hs = None                 # the party states' hashes: a step rehashes only its party's

    # Identity: every field a monitor or the action stream reads (`obs`, the
    # concrete backend's, is read by neither). The frozensets cache their own
    # hashes; party states (dataclasses) do not, hence `_hs`.
    def _state_hashes(self) -> tuple:
        hs = self._hs
        if hs is None:
            hs = self._hs = tuple(hash(st) for _, st in self.states)
        return hs

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash((self._state_hashes(), self.inflight, self.knowledge, self.sightings,
                                   self.wire, self.events, self.moves))
        return h

    def __eq__(self, other: object) -> bool:
        # (successor worlds share their unchanged sets: `is` first, as sets compare member by member)
        return self is other or (isinstance(other, World) and hash(self) == hash(other)
                and self.states == other.states and _same(self.inflight, other.inflight)
                and self.knowledge == other.knowledge and _same(self.sightings, other.sightings)
                and _same(self.wire, other.wire) and _same(self.events, other.events)
                and self.moves == other.moves)

    def state(self, party: str) -> Any:
        for p, s in self.states:
            if p == party:
                return s
        raise KeyError(party)

    def replace(self, **kw) -> "World":
        g = kw.get
        w = World(g("states", self.states), g("inflight", self.inflight), g("knowledge", self.knowledge),
                  g("sightings", self.sightings), g("wire", self.wire), g("events", self.events),
                  g("obs", self.obs), g("moves", self.moves))
        if "states" not in kw:
            w._hs = self._hs
        return w


MOVE_MEMO = 50_000   # `Model._move` entries kept (a search meets hundreds)


class Model:
    """A scenario's world: the setup, the environment, and the rules."""

    def __init__(self, setup: Setup, env: Env, symbolic: bool):
        self.setup, self.env, self.symbolic = setup, env, symbolic
        self.threat = env.scenario.threat
        self.roles = {p: d.role for p, d in setup.parties.items()}
        self.links = Visibility(setup, self.threat)
        self._learned: dict = {}     # (knowledge, terms learned) -> knowledge after (`_learn`)
        self._knowledge: dict = {}   # knowledge set -> its one object
        self._party_states: dict = {}  # party state -> its one object (`step`)
        self.timeless_hellos = False   # `hellos.mitm_hellos`: set for the unbounded engine's grounding
        self._moves: dict = {}       # (party, id(its state), action) -> `_Move` (`_move`)
        self._position = {p: i for i, p in enumerate(sorted(setup.parties))}   # in `World.states`
        self._opens: dict = {}       # (receiver, kind) -> does its handler only add sessions (`opens`)

    # --- initial state ------------------------------------------------------
    def initial(self) -> World:
        states = tuple(sorted((p, d.state) for p, d in self.setup.parties.items()))
        k = Knowledge.of(self.setup.public + self.setup.adversary) if self.symbolic else None
        if self.symbolic and not self.threat.actors:
            k = Knowledge()
        obs = None if self.symbolic else {p: () for p in self.setup.parties} | {NETWORK: ()}
        return World(states, frozenset(), k, frozenset(), frozenset(), frozenset(), obs)

    # --- visibility (the rules are `protocol.visibility`) --------------------------
    def network_link(self, a: str, b: str) -> bool:
        return self.links.network_link(a, b)

    def datacenter_link(self, a: str, b: str) -> bool:
        return self.links.datacenter_link(a, b)

    def adversary_sees(self, msg: Msg) -> bool:
        return self.links.sees(msg)

    def adversary_injects(self, src: str, dst: str) -> bool:
        return self.links.injects(src, dst)

    def meta_of(self, msg: Msg) -> Optional[Any]:
        return self.links.meta_of(msg)

    def opens(self, msg: Msg) -> bool:
        """Does `msg`'s handler only ever add a session (`parties.common.opens`)?"""
        key = (msg.dst, msg.kind)
        hit = self._opens.get(key)
        if hit is None:
            d = self.setup.parties.get(msg.dst)
            hit = self._opens[key] = d is not None and getattr(d.handlers.get(msg.kind), "opens", False)
        return hit

    # --- actions ----------------------------------------------------------------
    def invocations(self, w: World, only: Optional[str] = None) -> list[Invoke]:
        """Every invocation a client may make (`only` that client, if given)."""
        out = []
        for p, st in w.states if only is None else ((only, w.state(only)),):
            if self.roles[p] == "client" and cl.can_invoke(st) is not None:
                users = (True,) if self.env.on("user-opt-in") else (True, False)
                out += [Invoke(p, chat, u) for chat in self.setup.static[p]["chats"] for u in users]
        return out

    def deliveries(self, w: World, only: Optional[str] = None) -> list[Deliver]:
        """Every delivery of a message in flight (to `only`, if given)."""
        out = []
        msgs = w.inflight if only is None else [m for m in w.inflight if m.dst == only]
        for m in sorted(msgs, key=_msg_key):
            d = self.setup.parties.get(m.dst)
            if d is None:
                continue
            if m.kind in d.choosing:
                out += [Deliver(m, ch) for ch in d.choices(w.state(m.dst), m, self.env, m.dst)]
            else:
                out.append(Deliver(m))
        return out

    def invisible(self, w: World, m: Msg) -> bool:
        """A delivery the adversary can neither see nor interfere with, to an
        honest party with nothing else pending: it commutes with every other
        action, so exploring it alone loses no behaviour (partial-order
        reduction). Routing decisions are excluded: their monitors read the
        adversary's knowledge at that moment."""
        p = m.dst
        if p in self.setup.corrupt or self.adversary_sees(m) or self.roles.get(p) == "gateway":
            return False
        if m.kind in self.setup.parties[p].choosing:
            return False
        return sum(1 for x in w.inflight if x.dst == p) == 1

    # --- the step function -----------------------------------------------------------
    def run_handler(self, w: World, msg: Msg, choice: str):
        d = self.setup.parties[msg.dst]
        fn = d.handlers.get(msg.kind)
        if fn is None:
            raise Reject(msg.dst, f"unexpected message kind {msg.kind!r}", ("kind",))
        st = w.state(msg.dst)
        if msg.kind in d.choosing:
            return fn(st, msg, self.env, msg.dst, choice)
        return fn(st, msg, self.env, msg.dst)

    def step(self, w: World, action: Action) -> tuple[World, Out, Optional[Reject]]:
        """Apply one action. A rejected delivery consumes the message and changes
        nothing else; a rejected injection or invocation changes nothing."""
        party = action.client if isinstance(action, Invoke) else action.msg.dst
        mv = self._move(w, party, action)
        if mv.reject is not None:
            if isinstance(action, Deliver):
                return w.replace(inflight=w.inflight - {action.msg}), Out(), mv.reject
            return w, Out(), mv.reject
        new_st, out = mv.state, mv.out
        inflight = w.inflight
        if isinstance(action, Deliver):
            inflight = inflight - {action.msg}
        i = self._position.get(party, -1)
        if not (0 <= i < len(w.states) and w.states[i][0] == party):
            i = next(j for j, (p, _) in enumerate(w.states) if p == party)
        states = w.states[:i] + ((party, new_st),) + w.states[i + 1:]
        moves = w.moves + (1 if isinstance(action, Inject) and not action.msg.conn.endswith(".pre") else 0)
        if self.symbolic:
            knowledge, sightings, wire, obs = self._observe(w, mv)
        else:
            received = action.msg if not isinstance(action, Invoke) else None
            knowledge, sightings, wire, obs = (w.knowledge, w.sightings, w.wire,
                                               self._record(w, new_st, party, received, out))
        w2 = World(states, _union(inflight, mv.sends), knowledge, sightings, wire,
                   _union(w.events, out.events), obs, moves)
        hs = w._hs
        if hs is not None:
            w2._hs = hs[:i] + (hash(new_st) if mv.state_hash is None else mv.state_hash,) + hs[i + 1:]
        return w2, out, None

    def _move(self, w: World, party: str, action: Action) -> "_Move":
        """What `action` does to `party` in its state in `w`: the handler's
        result and (symbolic) what the adversary takes from it. A function of
        that state and the action alone, so memoized on the two (symbolic
        backend: its party states are one object each, and its steps are
        pure; the concrete one draws fresh randomness): a search meets a few
        hundred of them in tens of thousands of steps. A grounding asks each
        move once, hundreds of thousands of them: the memo is emptied when it
        holds MOVE_MEMO, which costs a search nothing and bounds its memory."""
        st = w.state(party)
        key = (party, id(st), action)
        hit = self._moves.get(key) if self.symbolic else None
        if hit is not None and hit.before is st:
            return hit
        try:
            if isinstance(action, Invoke):
                new_st, out = cl.invoke(st, self.env, party, action.chat, action.by_user)
            else:
                new_st, out = self.run_handler(w, action.msg, action.choice)
        except Reject as r:
            # kept without its traceback, nor the crypto error it replaced (`guarded`) with
            # that one's: a traceback holds the handler's frames (and this one, a cycle
            # through `mv`), for every rejection a memo keeps
            r.__context__ = r.__cause__ = None
            mv = _Move(st, None, Out(), frozenset(), r.with_traceback(None))
        else:
            if not self.symbolic:
                return _Move(st, new_st, out, frozenset(out.sends), None)
            # one object per party state: equal worlds compare them by identity
            new_st = self._party_states.setdefault(new_st, new_st)
            # Answers to the adversary's own exchanges (connections it opened) go to
            # it alone: it is the peer, and the nominal recipient has no such session.
            to_adv = [m for m in out.sends if m.conn.startswith("adv.")]
            sends = frozenset(m for m in out.sends if m not in to_adv)
            received = action.msg if not isinstance(action, Invoke) else None
            g = self.links.glimpse(new_st, party, received, out, isinstance(action, Inject))
            mv = _Move(st, new_st, out, sends, None, state_hash=hash(new_st),
                       learn=tuple(m.payload for m in g.own + g.seen) + tuple(g.held),
                       wire=frozenset(m.payload for m in g.wire), recorded=g.recorded, seized=g.seized,
                       sightings=frozenset((meta, m.payload) for meta, m in g.sighted))
        if self.symbolic:
            if len(self._moves) >= MOVE_MEMO:
                self._moves.clear()
            self._moves[key] = mv
        return mv

    def _observe(self, w: World, mv: "_Move") -> tuple:
        """What the step adds to the adversary's knowledge, sightings and
        recorded traffic (symbolic)."""
        learn, wire = mv.learn, mv.wire
        if mv.recorded:
            wire = wire | w.wire
            learn += tuple(wire)
        learn += mv.seized
        k = self._learn(w.knowledge, learn) if learn else w.knowledge
        return k, _union(w.sightings, mv.sightings), _union(w.wire, wire), w.obs

    def _learn(self, k: Knowledge, learn) -> Knowledge:
        """`k.add(learn)`, memoized, and one object per knowledge set: the
        same observation recurs along many interleavings, and the memos keyed
        on knowledge (receiver patterns, injection candidates) then hit."""
        key = (k, learn if type(learn) is tuple else tuple(learn))
        hit = self._learned.get(key)
        if hit is None:
            hit = k.add(learn)
            hit = self._learned[key] = self._knowledge.setdefault(hit, hit)
        # nothing new: `k` itself, as `add` gives (monitors skip on `is`)
        return k if len(hit) == len(k) else hit

    def _record(self, w: World, st: Any, party: str, received: Optional[Msg], out: Out) -> dict:
        """Every party's and watcher's own observations (concrete backend)."""
        obs = dict(w.obs)
        if received is not None:
            obs[party] = obs[party] + (received.payload,)
        obs[party] = obs[party] + tuple(out.learned)
        for m in out.sends:
            for who in self.links.watchers(m.src, m.dst):
                obs[who] = obs[who] + (m.payload,)
        if self.setup.parties[party].readable:
            obs[HOST] = obs[HOST] + tuple(out.learned) + tuple(
                v for v in terms_in(st) if isinstance(v, bytes))
        return obs


@dataclass(frozen=True)
class _Move:
    """One party's step from one state (`Model._move`): its new state and
    output, or its rejection; symbolic: the messages it sends on, and what
    the adversary takes (`Visibility.glimpse`: learnt terms, recorded wire,
    whether it reads all recorded traffic back, seized terms, sightings)."""
    before: Any
    state: Any
    out: Out
    sends: frozenset
    reject: Optional[Reject]
    learn: tuple = ()
    wire: frozenset = frozenset()
    recorded: bool = False
    seized: tuple = ()
    sightings: frozenset = frozenset()
    state_hash: Optional[int] = None   # hash(state), computed once (symbolic)


def _same(a: frozenset, b: frozenset) -> bool:
    return a is b or a == b


def _union(a: frozenset, b) -> frozenset:
    """`a | b`, and `a` itself when nothing is new (worlds share their sets)."""
    return a.union(b) if b and not a.issuperset(b) else a


def _msg_key(m: Msg) -> tuple:
    return (m.src, m.dst, m.kind, m.conn, repr(m.payload)[:200])
