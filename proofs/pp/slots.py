"""The slot algebra of Private Processing: how the SMT engine's grounding
(`engines.ground`) splits a party into independent units "party#key"."""
from __future__ import annotations

from ppverify.proofs.properties.catalogue import Facts
from ppverify.protocol.parties.client import ClientState, Session
from ppverify.protocol.parties.cvm import CvmSession, CvmState
from ppverify.protocol.parties.gateway import GatewayState, Route
from ppverify.protocol.parties.services import RelayState
from ppverify.protocol.world import Model

_EMPTY = CvmSession(conn="", phase="closed")   # a slot before the one grounded
_NO_ROUTE = Route(None, "", "", "", "", None)
_DONE = Session(phase="done")


class Slots:
    """The slots of each party of one scenario (a symbolic `Model`)."""

    def __init__(self, model: Model, facts: Facts):
        self.model, self.facts = model, facts
        self._w0 = model.initial()
        self._keys: dict = {}

    def slots(self, party: str) -> tuple:
        if party not in self._keys:   # read on every grounded transition
            self._keys[party] = self._slot_keys(party)
        return self._keys[party]

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
            n = self.position(party, key)
            return GatewayState((None,) * n + ((entry[0],) if entry else ()),
                                (_NO_ROUTE,) * n + ((entry[1],) if entry else ()))
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
            n = self.position(party, key)
            return (st.redeemed[n], st.routes[n]) if len(st.routes) > n else None
        if role == "client":
            return st.sessions[key]
        return st.sessions[key] if len(st.sessions) > key else None

    def position(self, party: str, key) -> int:
        """Where slot `key` of a party that numbers its sessions (a CVM, the
        gateway) sits in its list: the handlers number names by it."""
        return key

    def slot_admits(self, party: str, key, msg) -> bool:
        """Every slot may start on any message its party takes."""
        return True

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
        """The units (see `engines.ground`) whose state shapes the candidate
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
        elif role == "relay":
            conns = [key]
        else:
            n = self.position(party, key)
            conns = [st.routes[n].back_conn] if len(st.routes) > n else []
        units = []
        for c in self.facts.clients:
            for i in self.slots(c):
                if conns is None or any(x.startswith(f"{c}.s{i + 1}.") for x in conns):
                    units.append(f"{c}#{i}")
        return tuple(units)
