"""What the engines need from a protocol (`System`), and the adapter that
makes the Private Processing model one.

An engine sees worlds (`protocol.world.World`: party states, messages in
flight, adversary knowledge, events, injections so far) and actions
(`Invoke`, `Deliver`, `Inject`). A system says where a run starts, which
actions are enabled, how one is applied, and what each property's monitor
says about a transition. The explorer walks `actions` (which may prune
interleavings that commute); the SMT engine grounds `enabled` (every action).
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator, Optional, Protocol

from ppverify.models.terms import contains
from ppverify.proofs.properties.catalogue import AFTER, BY_NAME, COUNT, Agreement, Facts, Secret, completed, smt_encoding
from ppverify.protocol.adversary import expectations, injections, prefetches
from ppverify.protocol.parties.client import ClientState, Session
from ppverify.protocol.parties.cvm import CvmSession, CvmState
from ppverify.protocol.parties.gateway import GatewayState, Route
from ppverify.protocol.parties.services import RelayState
from ppverify.protocol.world import Deliver, Inject, Invoke, Model, World, terms_in

LINK_FACTS = ("client-unlinkability", "credential-unlinkability", "non-targetability")
_EMPTY = CvmSession(conn="", phase="closed")   # a slot before the one grounded
_NO_ROUTE = Route(None, "", "", "", "", None)
_DONE = Session(phase="done")
Monitor = Callable[[World, World, object], Optional[str]]


class System(Protocol):
    name: str

    def initial(self) -> World: ...

    def actions(self, w: World, max_moves: int) -> Iterable: ...

    def enabled(self, w: World, max_moves: int) -> Iterable: ...

    def step(self, w: World, action) -> tuple: ...

    def monitor(self, prop: str) -> Monitor: ...

    def completed(self, w0: World, w: World, out) -> bool: ...

    def may_inject(self, w: World, action) -> Optional[str]: ...


class PPSystem:
    """Private Processing under one scenario (a symbolic `Model`)."""
    name = "private-processing"

    def __init__(self, model: Model):
        self.model, self.facts = model, Facts(model)
        self._w0 = model.initial()
        self._slots: dict = {}

    def initial(self) -> World:
        return self.model.initial()

    def step(self, w: World, action):
        return self.model.step(w, action)

    def monitor(self, prop: str) -> Monitor:
        mon, facts = BY_NAME[prop].monitor, self.facts
        return lambda w0, w, out: mon(facts, w0, w, out)

    def completed(self, w0: World, w: World, out) -> bool:
        return completed(self.facts, w0, w, out)

    def smt_encoding(self, prop: str):
        """The property as the SMT engine states it (see `proofs.smt`)."""
        enc, f = smt_encoding(prop), self.facts
        if prop in LINK_FACTS:
            return ("link",)  # decided per grounding, see proofs.check.smt_verdicts
        if enc is None:
            return None
        if isinstance(enc, Secret):
            return ("secret", tuple(enc.terms(f)), enc.derivable)
        if isinstance(enc, Agreement):
            return ("agreement", enc.event, lambda e, events: enc.holds(f, e, events))
        if enc == AFTER:
            return ("after", self._after_session())
        if enc == COUNT:
            return ("count", lambda out: any(e.name == "redeem" and e.args[1] > 1 for e in out.events),
                    lambda e: e.name == "redeem" and not getattr(e.args[0], "name", "").startswith("adv."),
                    lambda e: e.name == "issue", "acs" not in self.model.setup.corrupt)
        return ("local", self.monitor(prop))

    def _after_session(self) -> dict:
        """forward-secrecy's ingredients, as the monitor computes them: at an
        answer, the recorded wire traffic, the gateway key, every CVM's static
        share and what its ended sessions still hold join the adversary's
        knowledge; no request message of a finished session may follow."""
        model, f = self.model, self.facts
        cvms = [p for p, d in model.setup.parties.items() if d.role == "cvm"]

        def state_terms(party, st):
            if party not in cvms:
                return []
            return [x for s in st.sessions if s.phase == "closed" for x in terms_in(s)]

        def past(party, st):
            if party not in f.clients:
                return []
            return sorted({m for s in st.sessions if s.phase == "done" and s.request is not None
                           for m in f.secrets if contains(s.request, m)}, key=repr)
        return {"extra": [model.setup.facts["gw_sk"]] + [model.setup.static[p]["static_y"] for p in cvms],
                "state_terms": state_terms, "past": past, "wire": lambda t: t.after.wire,
                "trigger": lambda t: any(e.name == "answer" for e in t.out.events)}

    def refine(self, encodings: dict, g) -> dict:
        """Settle the link facts on the grounded system where that is exact:
        client-unlinkability and non-targetability are only about a Meta-side
        coalition; credential-unlinkability needs a message seen with a
        client's identity. Where such sightings exist, they are not encoded."""
        identities = {self.model.setup.static[c]["identity"] for c in self.facts.clients}
        seen = {meta for t in g.transitions for meta, _ in t.after.sightings}
        out = dict(encodings)
        for p, e in encodings.items():
            if e != ("link",):
                continue
            never = (not (seen & identities)) if p == "credential-unlinkability" else not self.facts.meta
            out[p] = ("never",) if never else None
        return out

    def may_inject(self, w: World, action) -> Optional[str]:
        m = action.msg
        if not self.model.adversary_injects(m.src, m.dst):
            return f"the adversary controls no link {m.src}->{m.dst}"
        if not w.knowledge.derivable(m.payload):
            return "the injected message is not derivable"
        return None

    def _injections(self, w: World, expected, max_moves: int) -> Iterator:
        model = self.model
        if w.moves >= max_moves:
            return
        budget_hit = False
        for msg, hit in injections(model, w, expected):
            budget_hit |= hit
            if msg is None:
                continue
            d = model.setup.parties[msg.dst]
            if msg.kind in d.choosing:
                for ch in d.choices(w.state(msg.dst), msg, model.env, msg.dst):
                    yield Inject(msg, ch)
            else:
                yield Inject(msg)
        if budget_hit:
            yield "budget-hit"

    def actions(self, w: World, max_moves: int = 2) -> Iterator:
        """Enabled actions with two canonical choices: the adversary's up-front
        handshakes come first, and an invisible delivery to a party the
        adversary cannot currently reach is explored alone."""
        model = self.model
        if not any(e.name in ("consent", "auto-invoke") for e in w.events):
            pre = prefetches(model, w)
            if pre:
                yield Inject(pre[0])
                return
        expected = list(expectations(model, w))
        reachable = {dst for _, dst, _, _, _ in expected}
        for d in model.deliveries(w):
            if d.msg.dst not in reachable and model.invisible(w, d.msg):
                yield d
                return
        yield from model.invocations(w)
        yield from model.deliveries(w)
        yield from self._injections(w, expected, max_moves)

    def enabled(self, w: World, max_moves: int = 2, party: Optional[str] = None) -> Iterator:
        """Every enabled action (of `party` only, if given), unreduced."""
        model = self.model
        mine = (lambda a: party is None or (a.client if isinstance(a, Invoke) else a.msg.dst) == party)
        yield from (Inject(m) for m in prefetches(model, w) if mine(Inject(m)))
        yield from (a for a in model.invocations(w) if mine(a))
        yield from (a for a in model.deliveries(w) if mine(a))
        yield from self._injections(w, list(expectations(model, w, party)), max_moves)

    # --- slots: how the SMT engine's grounding splits a party (proofs.ground) ----------
    def slots(self, party: str) -> tuple:
        if party not in self._slots:   # read on every grounded transition
            self._slots[party] = self._slot_keys(party)
        return self._slots[party]

    def _slot_keys(self, party: str) -> tuple:
        """The keys of the independent slots `party` is grounded as (empty:
        whole). Each slot reads and writes only its own part of the state:
        - a CVM session: its own connection and names, fresh per session
          (keys 0, 1, ...). Not under cvm-compromise-after, where a teardown
          hands the adversary every session the CVM holds;
        - a client session (keys 0, 1, ...): sessions run one after another;
        - the relay's pending entry for one of the clients' connections;
        - a gateway route (keys 0, 1, ...), when the adversary cannot inject
          requests into the gateway; `check_slots` then verifies that no token
          can be redeemed twice, the one thing routes share."""
        role, static = self.model.roles.get(party), self.model.setup.static.get(party, {})
        if role == "cvm" and "cvm-compromise-after" not in self.model.threat:
            return tuple(range(static["max_sessions"]))
        if role == "client":
            return tuple(range(len(self._w0.state(party).sessions)))
        if role == "relay":
            return tuple(f"{c}.s{i + 1}.r{n}" for c in self.facts.clients
                         for i in self.slots(c) for n in (1, 2))
        if role == "gateway" and not any(self.model.adversary_injects(p, party)
                                         for p, r in self.model.roles.items() if r in ("relay", "client")):
            return tuple(range(static["max_routes"]))
        return ()

    def slot_ordered(self, party: str) -> bool:
        """Slots started in order: a CVM names its sessions, the gateway its
        routes, by their number; a client starts a session after the last ended."""
        return self.model.roles.get(party) in ("cvm", "gateway", "client")

    def slot_ready(self, party: str, entry) -> bool:
        """May the next slot start once this one holds `entry`?"""
        if self.model.roles.get(party) == "client":
            return entry.phase in ("done", "refused")
        return entry is not None

    def slot_state(self, party: str, key, entry):
        """A state of `party` holding only `entry` in slot `key` (None: the
        slot's initial entry); the slots before it finished and empty (no
        connection, no terms), the ones after it not started."""
        role = self.model.roles.get(party)
        if role == "relay":
            return RelayState((entry,) if entry is not None else ())
        if role == "gateway":
            return GatewayState((None,) * key + ((entry[0],) if entry else ()),
                                (_NO_ROUTE,) * key + ((entry[1],) if entry else ()))
        if role == "client":
            n = len(self._w0.state(party).sessions)
            return ClientState((_DONE,) * key + (entry or Session(),) + (Session(),) * (n - key - 1))
        return CvmState((_EMPTY,) * key + ((entry,) if entry is not None else ()), key + (entry is not None))

    def slot_of(self, party: str, key, st):
        """Slot `key`'s entry in `st`; raises ValueError if `st` holds an entry
        no slot accounts for (the decomposition would lose it)."""
        role = self.model.roles.get(party)
        if role == "relay":
            if any(e[0] not in self.slots(party) for e in st.pending):
                raise ValueError(f"{party}: a pending connection outside its slots")
            mine = [e for e in st.pending if e[0] == key]
            return mine[0] if mine else None
        if role == "gateway":
            return (st.redeemed[key], st.routes[key]) if len(st.routes) > key else None
        if role == "client":
            return st.sessions[key]
        return st.sessions[key] if len(st.sessions) > key else None

    def slot_compose(self, party: str, entries: dict):
        """A state of `party` holding these slots' entries (for the client
        behind a forwarder's patterns)."""
        base = self._w0.state(party)
        return ClientState(tuple(entries.get(i, s) for i, s in enumerate(base.sessions)))

    def check_slots(self, g) -> None:
        """Raise ValueError unless the gateway's routes are independent: every
        token redeemed rides in one request message, delivered (consumed) once,
        so no route's single-use check or redemption count reads another's."""
        carriers: dict = {}
        for t in g.transitions:
            if g.party(t.party) != "gateway" or t.party == "gateway":
                continue
            for e in t.out.events:
                if e.name == "redeem":
                    if t.consumes is None:
                        raise ValueError("an injected request redeems a token")
                    carriers.setdefault(e.args[0], set()).add(t.consumes)
        if any(len(m) > 1 for m in carriers.values()):
            raise ValueError("one token rides in two requests")

    def depends(self, party: str, key=None, st=None) -> tuple[str, ...]:
        """The units (see `proofs.ground`) whose state shapes the candidate
        injections of `party` (its slot `key`, in state `st`): the gateway and
        the relay forward what the client session behind a route or a pending
        connection would accept. None when the adversary cannot inject on the
        link those patterns come from (gateway -> relay, CVM -> gateway)."""
        role, roles = self.model.roles.get(party), self.model.roles
        srcs = ["gateway"] if role == "relay" else [p for p, r in roles.items() if r == "cvm"]
        if role not in ("gateway", "relay") or not any(self.model.adversary_injects(s, party) for s in srcs):
            return ()
        if key is None:
            conns = ([c for c, _ in st.pending] if role == "relay" else [r.back_conn for r in st.routes]) \
                if st is not None else None
        else:
            conns = [key] if role == "relay" else [st.routes[key].back_conn] if len(st.routes) > key else []
        units = []
        for c in self.facts.clients:
            for i in self.slots(c):
                if conns is None or any(x.startswith(f"{c}.s{i + 1}.") for x in conns):
                    units.append(f"{c}#{i}")
        return tuple(units)


def replay_actions(system, actions: Iterable, prop: Optional[str] = None):
    """Run `actions` from the initial world, checking each is enabled (an
    injection must be derivable on a link the adversary controls, a delivery
    must be in flight). Returns (final world, why the property failed, or
    None). Raises ValueError naming the first step that does not apply."""
    mon = system.monitor(prop) if prop else None
    w, why = system.initial(), None
    for n, a in enumerate(actions, 1):
        if isinstance(a, Inject):
            bad = system.may_inject(w, a)
            if bad:
                raise ValueError(f"step {n}: {bad}")
        if isinstance(a, Deliver) and a.msg not in w.inflight:
            raise ValueError(f"step {n}: {a.msg!r} is not in flight")
        w2, out, rej = system.step(w, a)
        if rej is not None and not isinstance(a, Deliver):
            raise ValueError(f"step {n}: {rej}")
        if mon is not None and why is None:
            why = mon(w, w2, out)
        w = w2
    return w, why
