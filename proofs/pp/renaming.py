"""The map `h` from a run of any size to the abstract system (`pp.abstraction`).

A world of a scenario with any number of clients, sessions and honest
orchestrators maps to facts of `AbstractPP`: one local state per slot, the
messages in flight, the adversary's terms and the events, all renamed.
Clients after the first go to client1, honest orchestrators after the first
to orch1, each adversary value of a kind to its one member. Of each party
that keeps its name one chosen session (`chosen`, by default its first; any
one may be chosen) goes to slot 0 and every other to slot 1; every session
of a merged party goes to slot 1. So slot 0 stands for one concrete session
exactly: its names are `exact` (one preimage), which the correspondence
check needs (`engines.horn.correspond`). Names, connection ids and event
indices are renamed by where the handlers put the slot's position in them
(the patterns below), so the renaming of a handler's output is the handler's
output on the renamed input. `tests/test_abstraction.py` checks that every
fact of runs of larger scenarios, renamed, lies in the fixpoint.
"""
from __future__ import annotations

import dataclasses
import re

from ppverify.models import supply
from ppverify.models.terms import App, Atom
from ppverify.protocol.messages import Event
from ppverify.protocol.parties.client import ClientState
from ppverify.protocol.parties.cvm import CvmState
from ppverify.protocol.parties.gateway import GatewayState
from ppverify.protocol.parties.services import RelayState

_CLIENT = re.compile(r"^client(\d+)$")
_ORCH = re.compile(r"^orch(\d+)$")
# names and connection ids that carry a position (group "p": a party, "n": the slot, from 1)
_SESSION = re.compile(r"^(?P<pre>[\w:-]+\.)?(?P<p>client\d+)\.s(?P<n>\d+)(?P<post>\..*)?$")
_CVM = re.compile(r"^(?P<pre>y\.|pcr\.|px\.|adv\.)(?P<p>[\w-]+)\.(?P<n>\d+)$")
_PEER = re.compile(r"^(?P<p>[\w-]+)\.p(?P<n>\d+)$")
_ROUTE = re.compile(r"^(?P<pre>route\.gateway\.|route|adv\.r)(?P<n>\d+)$")
_OWNED = re.compile(r"^(?P<pre>msg\.|id\.|addr\.|ystatic\.|adv\.)?(?P<p>client\d+|orch\d+)(?P<post>(\..*)?)$")
MERGED = ("client1", "orch1")   # the abstract parties that stand for several concrete ones
# the client sessions of the abstract system, in order: the gateway's route slots (`AbstractSlots.openers`)
OPENERS = ("client1.s1", "client1.s2")


def party(p: str) -> str:
    """clientK -> client1; orchK -> orch1; every other party is itself."""
    if _CLIENT.match(p):
        return "client1"
    if _ORCH.match(p) and p != "orch1":
        return "orch1"
    return p


def exact(s: str) -> bool:
    """Does the abstract name (atom or string) `s` stand for one concrete one?"""
    if s in MERGED:
        return False
    if m := _SESSION.match(s):
        return m.group("p") == "client1" and m.group("n") == "1"
    for pat in (_CVM, _PEER):   # slot 0 of any party is the chosen session alone
        if m := pat.match(s):
            return m.group("n") == "1"
    if _ROUTE.match(s):
        return False   # a route stands for every route its client connection opened
    if m := _OWNED.match(s):
        return m.group("p") not in MERGED
    return True


class Renaming:
    """`h` for one choice of distinguished sessions (party -> session index)."""

    def __init__(self, chosen: dict | None = None):
        self.chosen = chosen or {}
        self.openers: dict[int, str] = {}
        self._names: dict = {}
        self._terms: dict = {}

    def opened(self, route: int, conn: str) -> None:
        """Route `route` (from 0) of the gateway was opened by a request on
        client connection `conn` (a run's history: the route's later
        requests may come on other connections)."""
        m = _SESSION.match(conn)
        self.openers[route] = f"{party(m.group('p'))}.s{self.slot(m.group('p'), int(m.group('n')) - 1) + 1}"

    def route_position(self, route: int) -> int:
        """Where route `route` (from 0) sits in the abstract gateway: the
        position of the client session that opened it (`AbstractSlots.openers`),
        or, where requests can be injected into the gateway (no opener noted),
        its slot as another party's session."""
        hit = self.openers.get(route)
        return OPENERS.index(hit) if hit is not None else self.slot("gateway", route)

    def slot(self, p: str, n: int) -> int:
        """Slot `n` (from 0) of concrete party `p` -> 0 or 1."""
        return 0 if party(p) == p and n == self.chosen.get(p, 0) else 1

    def name(self, s: str) -> str:
        """An atom's name or a string (party, connection id) renamed."""
        hit = self._names.get(s)
        if hit is None:
            hit = self._names[s] = self._rename(s)
        return hit

    def _rename(self, s: str) -> str:
        for pat in (_SESSION, _CVM, _PEER):
            if m := pat.match(s):
                p = m.group("p")
                n = self.slot(p, int(m.group("n")) - 1) + 1
                if pat is _SESSION:
                    return f"{m.group('pre') or ''}{party(p)}.s{n}{m.group('post') or ''}"
                return f"{m.group('pre')}{party(p)}.{n}" if pat is _CVM else f"{party(p)}.p{n}"
        if m := _ROUTE.match(s):
            return f"{m.group('pre')}{self.route_position(int(m.group('n')) - 1) + 1}"
        if m := _OWNED.match(s):
            return f"{m.group('pre') or ''}{party(m.group('p'))}{m.group('post')}"
        return s

    def term(self, t):
        hit = self._terms.get(t)
        if hit is None:
            if isinstance(t, Atom):
                hit = Atom(supply.name(t.kind, 1) if supply.index(t) else self.name(t.name), t.kind)
            else:
                hit = App(t.op, tuple(self.term(a) for a in t.args))
            self._terms[t] = hit
        return hit

    def value(self, v):
        """Any value a state, message or event holds, renamed."""
        if isinstance(v, (Atom, App)):
            return self.term(v)
        if isinstance(v, str):
            return self.name(v)
        if isinstance(v, tuple):
            return tuple(self.value(x) for x in v)
        if isinstance(v, Event):
            return self.event(v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return dataclasses.replace(v, **{f.name: self.value(getattr(v, f.name)) for f in dataclasses.fields(v)})
        return v

    def event(self, e: Event) -> Event:
        """Client events carry the session's index, a redemption the token's
        count (1 in a fresh slot)."""
        args = tuple(self.value(a) for a in e.args)
        if _CLIENT.match(e.party) and args and isinstance(e.args[0], int):
            args = (self.slot(e.party, e.args[0]),) + args[1:]
        elif e.name == "redeem":
            args = (args[0], 1)
        return Event(e.name, party(e.party), args)

    def local_states(self, system, p: str, st) -> list[tuple[str, object]]:
        """The abstract (unit, state) facts of party `p` in concrete state `st`
        (`system`: the `AbstractPP` whose slots they are)."""
        q = party(p)
        if isinstance(st, (ClientState, CvmState)):
            entries = [(self.slot(p, i), s) for i, s in enumerate(st.sessions)]
        elif isinstance(st, GatewayState):
            entries = [(self.openers.get(i, self.slot(p, i)), (st.redeemed[i], r)) for i, r in enumerate(st.routes)]
        elif isinstance(st, RelayState):
            return [(f"{q}#{self.name(c)}", RelayState(((self.name(c), self.name(who)),))) for c, who in st.pending]
        else:
            return [(q, 0 if q == "acs" else self.value(st))]
        return [(f"{q}#{k}", system.slot_state(q, k, self.value(e))) for k, e in entries]


def second_slot_share(t) -> bool:
    """Is `t` a key share a CVM made in slot 1 (a session not chosen)?"""
    if not (isinstance(t, App) and t.op == "pk" and isinstance(t.args[0], Atom)):
        return False
    m = _CVM.match(t.args[0].name)
    return bool(m) and m.group("pre") == "y." and m.group("n") == "2"
