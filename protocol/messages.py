"""What parties exchange and emit: messages, events, rejections, and the
environment a handler runs in. All immutable."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ppverify.models.scenario import Scenario
from ppverify.protocol.crypto import Crypto, Value


@dataclass(frozen=True)
class Msg:
    """One message on one link. `kind` is routing metadata (like an HTTP path),
    `conn` pairs a response with its request, `meta` is the sender address or
    identity the receiver sees (None when it sees none)."""
    src: str
    dst: str
    kind: str
    payload: Value
    conn: str = ""
    meta: Value = None

    def __repr__(self) -> str:
        return f"{self.src}->{self.dst} {self.kind}[{self.conn}]"


@dataclass(frozen=True)
class Event:
    """Something a party did that properties talk about, e.g. ("accept", ...)."""
    name: str
    party: str
    args: tuple = ()


class Reject(Exception):
    """A party refused an input. Carries a reason code, never plaintext, and
    `reads`: the message's fields the refusal was decided on besides the
    party's own state ("kind", "conn", "src"), when only those (None: it may
    depend on anything, the payload included). The grounding then skips every
    other message that agrees on them, in that state (`engines.ground`)."""

    def __init__(self, party: str, reason: str, reads: Optional[tuple[str, ...]] = None):
        super().__init__(f"{party} rejected input: {reason}")
        self.party, self.reason, self.reads = party, reason, reads


@dataclass(frozen=True)
class Out:
    """What a handler returns besides its new state."""
    sends: tuple[Msg, ...] = ()
    events: tuple[Event, ...] = ()
    learned: tuple[Value, ...] = ()   # values the party decrypted or derived


@dataclass(frozen=True)
class Env:
    crypto: Crypto
    scenario: Scenario
    static: Mapping[str, Any] = field(default_factory=dict)  # per-party static config

    def on(self, control: str) -> bool:
        return self.scenario.on(control)

    def param(self, name: str) -> str:
        return self.scenario.param(name)
