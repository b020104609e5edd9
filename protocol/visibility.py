"""Who sees what (SPEC section 5): the one table both backends read.

  TLS hop          client<->acs (the authenticated WhatsApp channel) and the
                   web hops client<->cdn, client<->ledger, client<->relay,
                   relay<->gateway: the network sees that a message passes and
                   the addresses, may drop or delay it, but cannot read or
                   forge it (standard server-authenticated TLS, assumed);
  network link     links with no transport security of their own: the
                   attested-TLS records between gateway and CVMs and between
                   CVMs travel as they are; the `network` watcher reads them;
  datacenter link  gateway<->CVM, CVM<->CVM and CVM<->GPU: the host's network
                   and bus; the `host` watcher reads them, and the memory of
                   a party whose memory is readable;
  a corrupt party  sees what it receives and sends, holds its keys, and may
                   send anything derivable on its own links.

A threat actor is one of the watchers (`WATCHERS`): it reads what that
watcher reads and, unless passive, injects there too. A message the adversary
reads with a client at one end is a sighting: it shows the client's identity
to the WhatsApp server (acs) and its address to anyone else (`meta_of`).

`Visibility.glimpse` is what the adversary takes from one step. The symbolic
world turns it into the adversary's knowledge, and the table into each
watcher's observations on the concrete side (`protocol.world`); the concrete
replay pairs the two glimpses of a step (`proofs.replay.lockstep`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Optional

from ppverify.models.terms import App, Atom
from ppverify.models.threats import ThreatModel
from ppverify.protocol.messages import Msg, Out
from ppverify.protocol.setup import Setup

NETWORK, HOST = "network", "host"    # the watchers of links no party owns
DATACENTER = ("gateway", "cvm", "gpu")

# actor -> (the watcher it is, whether it also forges where it watches)
WATCHERS: dict[str, tuple[str, bool]] = {
    "network": (NETWORK, True),
    "cvm-compromise-after": (NETWORK, False),   # records now, reads after the compromise
    "meta-insider": (HOST, True),
}


class Visibility:
    """The table for one scenario: its parties, the corrupt ones, its threat."""

    def __init__(self, setup: Setup, threat: ThreatModel):
        self.setup, self.threat = setup, threat
        self.roles = {p: d.role for p, d in setup.parties.items()}
        self.corrupt, self.static = setup.corrupt, setup.static
        self.spies = frozenset(w for a, (w, _) in WATCHERS.items() if a in threat)
        self.forgers = frozenset(w for a, (w, forges) in WATCHERS.items() if a in threat and forges)
        self._sees: dict[tuple[str, str], bool] = {}   # (src, dst) -> sees: asked on every step
        self._injects: dict[tuple[str, str], bool] = {}   # (src, dst) -> injects: asked per pattern
        # id(state) -> (state, its terms): a readable party's memory is read on
        # every step it takes, and party states are few (`Model.step` interns them)
        self._held: dict[int, tuple[Any, list]] = {}

    def network_link(self, a: str, b: str) -> bool:
        roles = {self.roles.get(a), self.roles.get(b)}
        return roles == {"gateway", "cvm"} or roles == {"cvm"}

    def datacenter_link(self, a: str, b: str) -> bool:
        return self.roles.get(a) in DATACENTER and self.roles.get(b) in DATACENTER

    def watchers(self, a: str, b: str) -> tuple[str, ...]:
        """Who, besides its two ends, reads a message on the link a<->b."""
        return (((NETWORK,) if self.network_link(a, b) else ())
                + ((HOST,) if self.datacenter_link(a, b) else ()))

    def adversary_parties(self) -> frozenset[str]:
        """The parties and watchers whose observations are the adversary's."""
        return self.corrupt | self.spies

    def sees(self, msg: Msg) -> bool:
        key = (msg.src, msg.dst)
        hit = self._sees.get(key)
        if hit is None:
            hit = self._sees[key] = (msg.src in self.corrupt or msg.dst in self.corrupt
                                     or any(w in self.spies for w in self.watchers(*key)))
        return hit

    def injects(self, src: str, dst: str) -> bool:
        key = (src, dst)
        hit = self._injects.get(key)
        if hit is None:
            hit = self._injects[key] = src in self.corrupt or any(w in self.forgers for w in self.watchers(src, dst))
        return hit

    def meta_of(self, msg: Msg) -> Optional[Any]:
        """The client a message shows, as the value the other side sees."""
        for me, other in ((msg.src, msg.dst), (msg.dst, msg.src)):
            if self.roles.get(me) == "client":
                st = self.static[me]
                return st["identity"] if self.roles.get(other) == "acs" else st["address"]
        return None

    def _terms_in(self, state: Any) -> list:
        hit = self._held.get(id(state))
        if hit is None or hit[0] is not state:
            hit = self._held[id(state)] = (state, terms_in(state))
        return hit[1]

    def glimpse(self, state: Any, party: str, received: Optional[Msg], out: Out,
                injected: bool) -> "Glimpse":
        """What the adversary takes from a step `party` took (`state`: its
        state after it; `received`: the message it handled, if any)."""
        setup = self.setup
        msgs = list(out.sends) + ([received] if received is not None and injected else [])
        seen = [m for m in msgs if self.sees(m) or (injected and m is received)]
        held, seized = [], []
        if party in self.corrupt:
            held += out.learned
        if setup.parties[party].readable and HOST in self.spies:
            held += list(out.learned) + self._terms_in(state)
        compromised = "cvm-compromise-after" in self.threat
        if compromised:
            for e in out.events:
                if e.name == "teardown":
                    seized += list(terms_in(state)) + [self.static[party]["static_y"], setup.facts["gw_sk"]]
        return Glimpse(own=tuple(m for m in out.sends if m.conn.startswith("adv.")),
                       seen=tuple(seen),
                       sighted=tuple((meta, m) for m in seen if (meta := self.meta_of(m)) is not None),
                       wire=tuple(m for m in msgs if self.network_link(m.src, m.dst)),
                       held=tuple(held), recorded=compromised, seized=tuple(seized))


@dataclass(frozen=True)
class Glimpse:
    """What the adversary takes from one step, in the order it learns it; each
    backend reads the values off (symbolic knowledge, concrete holdings)."""
    own: tuple[Msg, ...]        # answers on its own connections: it is the peer
    seen: tuple[Msg, ...]       # messages it reads on the way, and the one it injected
    sighted: tuple[tuple[Any, Msg], ...]  # of those, (client shown, message): `meta_of`
    wire: tuple[Msg, ...]       # this step's messages on network links, recorded
    held: tuple                 # the party's inputs and memory, where the adversary reads them
    recorded: bool              # it reads back all the recorded traffic (cvm-compromise-after)
    seized: tuple               # at a compromised teardown: memory and long-term keys


_FIELDS: dict[type, tuple[str, ...]] = {}   # a dataclass type -> its field names (asked every step)


def terms_in(x: Any) -> list:
    """Every term held in a party state (for memory reads and compromise), in
    order (depth first, fields in declaration order)."""
    out, stack = [], [x]
    while stack:
        x = stack.pop()
        if isinstance(x, (Atom, App, bytes)):
            out.append(x)
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
        else:
            names = _FIELDS.get(type(x))
            if names is None:
                names = _FIELDS[type(x)] = tuple(f.name for f in fields(x)) if is_dataclass(x) else ()
            stack.extend(getattr(x, n) for n in reversed(names))
    return out
