"""The map `h` from a run of any size to the abstract system (`pp.abstraction`).

A world of a scenario with any number of clients, sessions and honest
orchestrators maps to facts of `AbstractPP`: one local state per slot, the
messages in flight, the adversary's terms and the events, all renamed.
The first session of each client, each CVM and the gateway stays slot 0;
every later one goes to slot 1; clients after the first go to client2, honest
orchestrators after the first to orch1, and each adversary value of a kind
to its one member. Names, connection ids and event indices are renamed by
where the handlers put the slot's position in them (the table below), so
the renaming of a handler's output is the handler's output on the renamed
input. `tests/test_abstraction.py` checks that every fact of runs of larger
scenarios, renamed, lies in the fixpoint: the claim every unbounded proof
rests on.
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

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


def party(p: str) -> str:
    """clientK (K >= 2) -> client2; orchK -> orch1; every other party is itself."""
    if (m := _CLIENT.match(p)) and int(m.group(1)) > 1:
        return "client2"
    if _ORCH.match(p):
        return "orch1"
    return p


def slot(p: str, n: int) -> int:
    """Slot `n` (from 0) of party `p` -> 0 or 1: a party's first session
    stays first (the adversary's up-front handshake needs a CVM that has
    handled none), every later one is slot 1."""
    return 0 if n == 0 else 1


@lru_cache(maxsize=None)
def name(s: str) -> str:
    """An atom's name or a string (party, connection id) renamed."""
    if m := _SESSION.match(s):
        p = m.group("p")
        return f"{m.group('pre') or ''}{party(p)}.s{slot(p, int(m.group('n')) - 1) + 1}{m.group('post') or ''}"
    if m := _CVM.match(s):
        p = m.group("p")
        return f"{m.group('pre')}{party(p)}.{slot(p, int(m.group('n')) - 1) + 1}"
    if m := _PEER.match(s):
        p = m.group("p")
        return f"{party(p)}.p{slot(p, int(m.group('n')) - 1) + 1}"
    if m := _ROUTE.match(s):
        return f"{m.group('pre')}{slot('gateway', int(m.group('n')) - 1) + 1}"
    if m := _OWNED.match(s):
        return f"{m.group('pre') or ''}{party(m.group('p'))}{m.group('post')}"
    return s


_TERMS: dict = {}


def term(t):
    hit = _TERMS.get(t)
    if hit is None:
        if isinstance(t, Atom):
            hit = Atom(supply.name(t.kind, 1) if supply.index(t) else name(t.name), t.kind)
        else:
            hit = App(t.op, tuple(term(a) for a in t.args))
        _TERMS[t] = hit
    return hit


def value(v):
    """Any value a state, message or event holds, renamed."""
    if isinstance(v, (Atom, App)):
        return term(v)
    if isinstance(v, str):
        return name(v)
    if isinstance(v, tuple):
        return tuple(value(x) for x in v)
    if isinstance(v, Event):
        return event(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return dataclasses.replace(v, **{f.name: value(getattr(v, f.name)) for f in dataclasses.fields(v)})
    return v


def event(e: Event) -> Event:
    """Client events carry the session's index, the issuer's its count, a
    redemption the token's count (1 in a fresh slot)."""
    args = tuple(value(a) for a in e.args)
    if _CLIENT.match(e.party) and args and isinstance(e.args[0], int):
        args = (slot(e.party, e.args[0]),) + args[1:]
    elif e.name == "issue":
        args = (1,)
    elif e.name == "redeem":
        args = (args[0], 1)
    return Event(e.name, party(e.party), args)


def local_states(system, p: str, st) -> list[tuple[str, object]]:
    """The abstract (unit, state) facts of party `p` in concrete state `st`
    (`system`: the `AbstractPP` whose slots they are)."""
    q = party(p)
    if isinstance(st, ClientState):
        entries = [(slot(p, i), s) for i, s in enumerate(st.sessions)]
    elif isinstance(st, CvmState):
        entries = [(slot(p, i), s) for i, s in enumerate(st.sessions)]
    elif isinstance(st, GatewayState):
        entries = [(slot(p, i), (st.redeemed[i], r)) for i, r in enumerate(st.routes)]
    elif isinstance(st, RelayState):
        return [(f"{q}#{name(c)}", RelayState(((name(c), name(who)),))) for c, who in st.pending]
    else:
        return [(q, 0 if q == "acs" else value(st))]
    return [(f"{q}#{k}", system.slot_state(q, k, value(e))) for k, e in entries]
