"""A scenario's symbolic and concrete models stepped side by side.

The same party code runs on terms (`protocol.symbolic`) and on real bytes
(`protocol.concrete`). Each symbolic action has a concrete twin: the same
invocation; the delivery of the concrete message the same earlier step sent
(the i-th send of a step on one side is the i-th on the other); an injection
of the symbolic payload evaluated to bytes (`Values`: the adversary's
holdings in a replay, an oracle in the tests). After every step both sides
must agree: both accept or both reject, and they send the same messages
(src, dst, kind, conn) with the same payload tuple structure, emit the same
events and learn as many values. What the adversary takes from the step
(`Visibility.glimpse`, on both sides) is paired term to bytes.

Used by the concrete replay of counterexamples (`proofs.replay.concrete`) and
by the tests that run the two backends against each other.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, assert_never

from ppverify.models.scenario import Scenario
from ppverify.models.terms import App, Term
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.replay.holdings import NotHeld, Values
from ppverify.protocol.concrete import decode_tuple
from ppverify.protocol.crypto import CryptoError
from ppverify.protocol.messages import Msg, Out
from ppverify.protocol.simulate import concrete_model
from ppverify.protocol.world import Action, Deliver, Inject, Invoke, Model, World


class ConcreteReplayError(RuntimeError):
    """The symbolic and concrete runs part ways: an internal error."""


def shape(t: Term):
    """Tuple structure of a symbolic value: nested lists for tuples, '*' else."""
    if isinstance(t, App) and t.op == "tup":
        return [shape(a) for a in t.args]
    return "*"


def cshape(b: bytes, like):
    """Tuple structure of concrete bytes, read as far as `like` (the symbolic
    shape) expects tuples. A symbolic leaf may be framed concretely (a Merkle
    proof is (index, size, path) on the wire), so leaves match anything."""
    if like == "*":
        return "*"
    try:
        items = decode_tuple(b)
    except CryptoError:
        return "opaque"
    if len(items) != len(like):
        return [cshape(x, "*") for x in items]
    return [cshape(x, sub) for x, sub in zip(items, like)]


def paired(sym, con, what: str) -> list:
    """The symbolic and concrete sides of one thing, item by item."""
    sym, con = list(sym), list(con)
    if len(sym) != len(con):
        raise ConcreteReplayError(f"{what}: the symbolic and concrete runs differ in shape")
    return list(zip(sym, con))


@dataclass(frozen=True)
class Stepped:
    """One step on both sides."""
    sym: Action
    con: Action
    sout: Out
    cout: Out
    rejected: Optional[str]                     # the (shared) rejection, if any
    sends: tuple[tuple[Msg, Msg], ...]          # (symbolic, concrete) messages sent
    taken: tuple[tuple[Term, bytes], ...]       # what the adversary takes, term to bytes


class Lockstep:
    def __init__(self, sym: Model, con: Model, values: Values):
        self.sym, self.con, self.values = sym, con, values
        self.c = con.env.crypto
        self.ws: World = sym.initial()
        self.wc: World = con.initial()
        self.twins: dict[Msg, Msg] = {}   # symbolic in-flight message -> its concrete twin
        self.sent: dict[Msg, Msg] = {}    # every message sent so far (its first twin)
        self.read: dict[Msg, Msg] = {}    # every message the adversary read so far
        self.sightings: list = []         # (sym meta, sym payload, concrete meta, concrete payload)
        self.wire: list = []              # (sym, concrete) payloads recorded on network links

    @classmethod
    def of(cls, sc: Scenario, seed: int = 0, values: type[Values] = Values) -> "Lockstep":
        con = concrete_model(sc, seed)
        return cls(symbolic_model(sc), con, values(con.env.crypto))

    def concrete(self, a: Action, where: str) -> Action:
        """The concrete twin of a symbolic action."""
        match a:
            case Invoke():
                return a
            case Deliver():
                twin = self.twins.get(a.msg)
                if twin is None:
                    raise ConcreteReplayError(f"{where}: no concrete twin of {a.msg!r} in flight")
                return Deliver(twin, a.choice)
            case Inject():
                try:
                    payload = self.values.value(a.msg.payload)
                except NotHeld as exc:
                    raise ConcreteReplayError(f"{where}: injection not computable: {exc}") from None
                return Inject(replace(a.msg, payload=payload), a.choice)
            case _:
                assert_never(a)

    def step(self, a: Action, ca: Optional[Action] = None, where: str = "") -> Stepped:
        """Apply `a` and its concrete twin (`ca`, else `concrete(a)`)."""
        where = where or str(a)
        ca = self.concrete(a, where) if ca is None else ca
        try:
            ws2, so, srej = self.sym.step(self.ws, a)
            wc2, co, crej = self.con.step(self.wc, ca)
        except CryptoError as exc:
            raise ConcreteReplayError(f"{where}: {exc}") from None
        if (srej is None) != (crej is None):
            raise ConcreteReplayError(
                f"{where}: symbolic {'rejects: ' + srej.reason if srej else 'accepts'}, "
                f"concrete {'rejects: ' + crej.reason if crej else 'accepts'}")
        sends, taken = (), ()
        if srej is None:
            sends = self._conform(where, so, co)
            taken = self._taken(a, ca, ws2, wc2, so, co)
        self.ws, self.wc = ws2, wc2
        # a term sent twice is one symbolic in-flight value: keep only live twins
        self.twins = {m: cm for m, cm in self.twins.items() if m in ws2.inflight}
        return Stepped(a, ca, so, co, srej.reason if srej else None, sends, taken)

    def drop(self, m: Msg) -> None:
        """The adversary drops an in-flight message (both sides)."""
        cm = self.twins.pop(m)
        self.ws = self.ws.replace(inflight=self.ws.inflight - {m})
        self.wc = self.wc.replace(inflight=self.wc.inflight - {cm})

    def _conform(self, where: str, so: Out, co: Out) -> tuple:
        key = lambda m: (m.src, m.dst, m.kind, m.conn)  # noqa: E731
        if [key(m) for m in so.sends] != [key(m) for m in co.sends]:
            raise ConcreteReplayError(f"{where}: sends differ: {so.sends} vs {co.sends}")
        for sm, cm in zip(so.sends, co.sends):
            want = shape(sm.payload)
            got = cshape(cm.payload, want)
            if got != want:
                raise ConcreteReplayError(f"{where}: {sm!r} payload shape {got} != symbolic {want}")
            self.sent.setdefault(sm, cm)
            self.twins[sm] = cm
        if [e.name for e in so.events] != [e.name for e in co.events]:
            raise ConcreteReplayError(f"{where}: events differ: {so.events} vs {co.events}")
        paired(so.learned, co.learned, f"{where}: values learned")
        return tuple(zip(so.sends, co.sends))

    def _taken(self, a, ca, ws2: World, wc2: World, so: Out, co: Out) -> tuple:
        """What the adversary takes from the step, glimpsed on both sides."""
        party = a.client if isinstance(a, Invoke) else a.msg.dst

        def glimpse(model, w, act, out):
            received = None if isinstance(act, Invoke) else act.msg
            return model.links.glimpse(w.state(party), party, received, out, isinstance(act, Inject))

        sg, cg = glimpse(self.sym, ws2, a, so), glimpse(self.con, wc2, ca, co)
        read = paired(sg.own + sg.seen, cg.own + cg.seen, "messages read")
        for sm, cm in read:
            self.read.setdefault(sm, cm)
        self.wire += [(s.payload, c.payload) for s, c in paired(sg.wire, cg.wire, "recorded traffic")]
        self.sightings += [(smeta, s.payload, cmeta, c.payload)
                           for (smeta, s), (cmeta, c) in paired(sg.sighted, cg.sighted, "sightings")]
        taken = [(s.payload, c.payload) for s, c in read] + paired(sg.held, cg.held, "party memory")
        if sg.recorded:
            taken += self.wire
        return tuple(taken + paired(sg.seized, cg.seized, "memory at teardown"))
