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

The symbolic world turns this into the adversary's knowledge and the
concrete world into each watcher's observations (`protocol.world`); the
concrete replay pairs the two (`proofs.replay.lockstep`).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ppverify.models.threats import ThreatModel
from ppverify.protocol.messages import Msg

NETWORK, HOST = "network", "host"    # the watchers of links no party owns
DATACENTER = ("gateway", "cvm", "gpu")

# actor -> (the watcher it is, whether it also forges where it watches)
WATCHERS: dict[str, tuple[str, bool]] = {
    "network": (NETWORK, True),
    "cvm-compromise-after": (NETWORK, False),   # records now, reads after the compromise
    "meta-insider": (HOST, True),
}


class Visibility:
    """The table for one scenario: its roles, corrupt parties and threat."""

    def __init__(self, roles: Mapping[str, str], corrupt: frozenset[str], threat: ThreatModel,
                 static: Mapping[str, Any]):
        self.roles, self.corrupt, self.static = roles, corrupt, static
        self.spies = frozenset(w for a, (w, _) in WATCHERS.items() if a in threat)
        self.forgers = frozenset(w for a, (w, forges) in WATCHERS.items() if a in threat and forges)
        self._sees: dict[tuple[str, str], bool] = {}   # (src, dst) -> sees: asked on every step

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
        return src in self.corrupt or any(w in self.forgers for w in self.watchers(src, dst))

    def meta_of(self, msg: Msg) -> Optional[Any]:
        """The client a message shows, as the value the other side sees."""
        for me, other in ((msg.src, msg.dst), (msg.dst, msg.src)):
            if self.roles.get(me) == "client":
                st = self.static[me]
                return st["identity"] if self.roles.get(other) == "acs" else st["address"]
        return None
