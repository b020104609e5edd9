"""Two textbook protocols on the same engines, as tests of the semantics:
Needham-Schroeder public key (NSPK, 1978) and Lowe's fix (NSL, 1995).

Agents a and b are honest; i is the adversary's own agent (its key is the
adversary's). a initiates once, to a peer of its choice (b or i); b responds
once, to whoever the first message names.
  1. a -> p : {na, a}pk(p)
  2. p -> a : {na, nb}pk(a)          NSL: {na, nb, p}pk(a)
  3. a -> p : {nb}pk(p)
The network is the adversary (Dolev-Yao): it reads every message and may
deliver, drop, or inject any derivable instance of what a receiver waits for.
Parties are written against the crypto interface, like Private Processing's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from ppverify.models.deduction import Knowledge
from ppverify.models.templates import Budget, Var, instances
from ppverify.models.terms import App, const, tup
from ppverify.protocol.messages import Event, Msg, Out, Reject
from ppverify.protocol.parties.common import guarded, need, upd
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.proofs.core.encodings import Claim, Correspondence, SmtEncoding
from ppverify.proofs.core.system import BUDGET_HIT, BudgetHit, each
from ppverify.protocol.world import Deliver, Inject, World

AGENTS = ("a", "b", "i")
HONEST = ("a", "b")
INFO = "pke"  # the public-key encryption's context string


@dataclass(frozen=True)
class Run:
    phase: str = "idle"   # initiator: idle -> wait2 -> done; responder: idle -> wait3 -> done
    peer: str = ""
    na: object = None
    nb: object = None


def _agent(c, name: str):
    return c.const("agent:" + name)


class Party:
    """One agent's role, as pure handlers (state, message) -> (state, Out)."""

    def __init__(self, c, me: str, keys: dict, lowe: bool):
        self.c, self.me, self.keys, self.lowe = c, me, keys, lowe
        self.sk = keys[me]
        self.nonce = c.fresh(f"{me}.n", "nonce")
        self.names = {_agent(c, p): p for p in AGENTS}

    def seal(self, peer: str, *items):
        c = self.c
        sealed, _ = c.hpke_seal(c.hpke_pub(self.keys[peer]), c.const(INFO), c.tup(*items),
                                f"{self.me}.e.{peer}")
        return sealed

    def open(self, payload, n: int):
        c = self.c
        plain, _ = guarded(self.me, c.hpke_open, self.sk, c.const(INFO), payload)
        return guarded(self.me, c.untup, plain, n)

    # initiator
    def start(self, st: Run, msg: Msg, peer: str):
        need(self.me, st.phase == "idle", "already started")
        m1 = self.seal(peer, self.nonce, _agent(self.c, self.me))
        return Run("wait2", peer, na=self.nonce), Out((Msg(self.me, peer, "msg1", m1),))

    def on_msg2(self, st: Run, msg: Msg):
        need(self.me, st.phase == "wait2", "unexpected msg2")
        fields = self.open(msg.payload, 3 if self.lowe else 2)
        need(self.me, self.c.same(fields[0], st.na), "wrong nonce")
        if self.lowe:
            need(self.me, self.c.same(fields[2], _agent(self.c, st.peer)), "wrong responder")
        nb = fields[1]
        ev = (Event("running", self.me, (self.me, st.peer, st.na, nb)),
              Event("commit", self.me, (self.me, st.peer, st.na, nb)))
        return upd(st, phase="done", nb=nb), Out((Msg(self.me, st.peer, "msg3", self.seal(st.peer, nb)),), ev)

    # responder
    def on_msg1(self, st: Run, msg: Msg):
        need(self.me, st.phase == "idle", "busy")
        na, who = self.open(msg.payload, 2)
        peer = self.names.get(who)
        need(self.me, peer is not None and peer != self.me, "unknown initiator")
        items = (na, self.nonce) + ((_agent(self.c, self.me),) if self.lowe else ())
        ev = (Event("running", self.me, (self.me, peer, na, self.nonce)),)
        return Run("wait3", peer, na, self.nonce), Out((Msg(self.me, peer, "msg2", self.seal(peer, *items)),), ev)

    def on_msg3(self, st: Run, msg: Msg):
        need(self.me, st.phase == "wait3", "unexpected msg3")
        (nb,) = self.open(msg.payload, 1)
        need(self.me, self.c.same(nb, st.nb), "wrong nonce")
        return upd(st, phase="done"), Out((), (Event("commit", self.me, (self.me, st.peer, st.na, st.nb)),))


PROPERTIES = {
    "responder-secrecy": "when b completes a run with the honest a, its nonce nb is secret",
    "initiator-secrecy": "when a completes a run with the honest b, its nonce na is secret",
    "responder-agreement": "when b commits to a run with a on (na, nb), a was running with b on (na, nb)",
    "initiator-agreement": "when a commits to a run with b on (na, nb), b was running with a on (na, nb)",
}
ROLE_OF = {"a": "initiator", "b": "responder"}


class Textbook:
    """NSPK (`lowe=False`) or NSL (`lowe=True`) as an engine `System`."""
    budget = 2000   # injection candidates per pattern before a search reports a truncation

    def __init__(self, lowe: bool = False):
        c = self.c = SymbolicCrypto()
        self.name, self.lowe = ("nsl" if lowe else "nspk"), lowe
        keys = {p: c.fresh(f"{p}.sk", "hpke") for p in AGENTS}
        self.parties = {p: Party(c, p, keys, lowe) for p in HONEST}
        pubs = [c.hpke_pub(k) for k in keys.values()]
        self.adversary = ([keys["i"], c.fresh("i.n", "nonce"), c.fresh("i.e", "hpke"), c.const(INFO)]
                          + pubs + [_agent(c, p) for p in AGENTS])

    # --- the System interface ---------------------------------------------------------
    def initial(self) -> World:
        start = Msg("user", "a", "start", const("start"))
        states = tuple((p, Run()) for p in HONEST)
        return World(states, frozenset({start}), Knowledge.of(self.adversary), frozenset(),
                     frozenset(), frozenset(), None)

    def step(self, w: World, action):
        m = action.msg
        p = self.parties.get(m.dst)
        try:
            if p is None:
                raise Reject(m.dst, "no such honest agent")
            st = w.state(m.dst)
            if m.kind == "start":
                new, out = p.start(st, m, action.choice)
            else:
                handler = {"msg1": p.on_msg1, "msg2": p.on_msg2, "msg3": p.on_msg3}.get(m.kind)
                if handler is None:
                    raise Reject(m.dst, f"unexpected message kind {m.kind!r}")
                new, out = handler(st, m)
        except Reject as r:
            if isinstance(action, Deliver):
                return w.replace(inflight=w.inflight - {m}), Out(), r
            return w, Out(), r
        inflight = w.inflight - {m} if isinstance(action, Deliver) else w.inflight
        states = tuple((q, new if q == m.dst else s) for q, s in w.states)
        k = w.knowledge.add([s.payload for s in out.sends])  # the network is the adversary
        return w.replace(states=states, inflight=inflight | frozenset(out.sends), knowledge=k,
                         events=w.events | frozenset(out.events),
                         moves=w.moves + isinstance(action, Inject)), out, None

    def _deliveries(self, w: World) -> list:
        out = []
        for m in sorted(w.inflight, key=repr):
            if m.kind == "start":
                out += [Deliver(m, peer) for peer in ("b", "i")]
            elif m.dst in self.parties:
                out.append(Deliver(m))
        return out

    def _patterns(self, w: World) -> Iterator[tuple[str, str, object]]:
        """What each waiting agent accepts (nonces it checks are fixed)."""
        n = Var("n", "nonce")
        for p, st in w.states:
            if ROLE_OF[p] == "responder" and st.phase == "idle":
                yield p, "msg1", tup(n, Var("who", "const:agent"))
            elif ROLE_OF[p] == "initiator" and st.phase == "wait2":
                yield p, "msg2", tup(st.na, n, *((Var("who", "const:agent"),) if self.lowe else ()))
            elif ROLE_OF[p] == "responder" and st.phase == "wait3":
                yield p, "msg3", tup(st.nb)

    def _injections(self, w: World, max_moves: int) -> Iterator:
        if w.moves >= max_moves:
            return
        for p, kind, body in self._patterns(w):
            pub = self.c.hpke_pub(self.parties[p].sk)
            # sealed to p; the encryption's randomness is an atom: the receiver never reads it, so any
            # other value the adversary could build opens the same way and teaches it nothing more
            sealed = App("hpke", (pub, const(INFO), body, Var("e", "atom:hpke")))
            budget = Budget(self.budget)
            for term, _ in instances(sealed, w.knowledge, {}, budget):
                for src in AGENTS:
                    if src != p:
                        yield Inject(Msg(src, p, kind, term))
            if budget.exhausted:
                yield BUDGET_HIT

    def actions(self, w: World, max_moves: int = 2) -> Iterator:
        yield from self._deliveries(w)
        yield from self._injections(w, max_moves)

    def enabled(self, w: World, max_moves: int = 2, party: Optional[str] = None,
                offered: Optional[dict] = None) -> Iterator:   # (offered: unused, SmtSystem)
        return (a for a in self.actions(w, max_moves) if party is None or isinstance(a, BudgetHit)
                or a.msg.dst == party)

    def may_inject(self, w: World, action) -> Optional[str]:
        return None if w.knowledge.derivable(action.msg.payload) else "the injected message is not derivable"

    def _claim(self, prop: str):
        role, kind = prop.split("-")
        me = "b" if role == "responder" else "a"
        return me, ("a" if me == "b" else "b"), kind

    def _secret(self, me: str, peer: str):
        """The nonce `me` claims secret in a state, if it claims one there."""
        def secret(st: Run):
            if st.phase == "done" and st.peer == peer:
                return st.nb if me == "b" else st.na
            return None
        return secret

    def _holds(self, me: str, peer: str):
        """Agreement: a commit by `me` with `peer` needs `peer` running with `me` on the same nonces."""
        def holds(e, events) -> bool:
            if e.name != "commit" or e.party != me or e.args[1] != peer:
                return True
            want = (peer, me) + e.args[2:]
            return any(r.name == "running" and r.args == want for r in events)
        return holds

    def monitor(self, prop: str):
        if prop not in PROPERTIES:
            raise KeyError(prop)
        me, peer, kind = self._claim(prop)
        secret, holds = self._secret(me, peer), self._holds(me, peer)

        def secrecy(w0, w, out):
            x = secret(w.state(me))
            if x is not None and x in w.knowledge.known:
                return f"{me} completed a run with {peer}, yet the adversary knows {x!r}"
            return None

        def agreement(w0, w, out):
            for e in out.events:
                if not holds(e, w.events):
                    return f"{me} committed to {e.args} but {peer} was never running with {me} on them"
            return None
        return secrecy if kind == "secrecy" else agreement

    def watch(self, props: tuple[str, ...]):
        return each({p: self.monitor(p) for p in props})

    def smt_encoding(self, prop: str) -> SmtEncoding:
        me, peer, kind = self._claim(prop)
        if kind == "secrecy":
            return Claim(me, self._secret(me, peer))
        return Correspondence("commit", self._holds(me, peer))

    def refine(self, encodings: dict, g) -> dict:
        return dict(encodings)   # nothing is settled per grounding here

    def distinguished(self, e) -> bool:
        return True   # one session per agent: every name is its own

    def mark(self, e):
        return e

    def completed(self, w0: World, w: World, out) -> bool:
        return any(e.name == "commit" and e.party == "b" and e.args[1] == "a" for e in out.events)

    # --- slots: none, every agent is grounded whole -------------------------------------
    def slots(self, party: str) -> tuple:
        return ()

    def slot_ordered(self, party: str) -> bool:
        return False

    def slot_ready(self, party: str, entry) -> bool:
        raise ValueError(f"{party} has no slots")

    def slot_state(self, party: str, key, entry):
        raise ValueError(f"{party} has no slots")

    def slot_of(self, party: str, key, st):
        raise ValueError(f"{party} has no slots")

    def slot_compose(self, party: str, entries: dict):
        raise ValueError(f"{party} has no slots")

    def check_slots(self, g) -> None:
        return None

    def opens(self, msg) -> bool:
        return False

    def slot_admits(self, party: str, key, msg) -> bool:
        raise ValueError(f"{party} has no slots")

    def depends(self, party: str, key=None, st=None) -> tuple[str, ...]:
        return ()

    def exposes(self, party: str, out) -> bool:
        return False

    def held(self, state) -> tuple:
        return ()
