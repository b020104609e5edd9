"""How the SMT engine states a property on a grounded system: a closed union.

An adapter (a system's `smt_encoding`) produces these from its property
catalogue, the engine (`proofs.engines.smt`) reads them. Every consumer
matches them exhaustively (`match` + `assert_never`), so an encoding kind the
engine does not know raises instead of silently proving nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Union


@dataclass(frozen=True)
class Unsettled:
    """Not decided yet: the adapter's `refine` settles it on the grounding
    (`Never`) or leaves it unencoded (None). The engine never encodes it."""


@dataclass(frozen=True)
class Never:
    """Settled on the grounded system: the property cannot fail in any run."""


@dataclass(frozen=True)
class Local:
    """`bad(before, after, out)` on a transition's own synthetic worlds and
    output: non-None where the transition violates the property."""
    bad: Callable[[Any, Any, Any], Optional[str]]


@dataclass(frozen=True)
class Secrecy:
    """None of `terms` is ever known (`derivable`: or can be built)."""
    terms: tuple
    derivable: bool = False


@dataclass(frozen=True)
class Claim:
    """In each local state of `party`, `claims(state)` is a term it claims
    secret (None: no claim there); a violation is the claimed term known."""
    party: str
    claims: Callable[[Any], Any]


@dataclass(frozen=True)
class Correspondence:
    """Every `event` emitted needs earlier events that `holds(e, events)` accepts.
    `anchor(e, a)`, where given: `holds` needs an earlier event `a` of the same
    session (one per session) and a second event that agrees with both; the
    unbounded engine checks each anchor apart. `applies(e)`, where given:
    only the events it accepts need witnesses."""
    event: str
    holds: Callable[[Any, list], bool]
    anchor: Optional[Callable[[Any, Any], bool]] = None
    applies: Optional[Callable[[Any], bool]] = None


@dataclass(frozen=True)
class AfterSession:
    """Secrecy after a session: at a `trigger` transition, what the adversary
    knows plus the recorded `wire(t)` traffic, the `extra` terms and the
    `state_terms(party, state)` of each party's state must not yield any of
    `past(party, state)`."""
    extra: tuple
    state_terms: Callable[[str, Any], list]
    past: Callable[[str, Any], list]
    wire: Callable[[Any], Any]
    trigger: Callable[[Any], bool]


@dataclass(frozen=True)
class Count:
    """A per-transition bound (`local(out)`: the transition over-redeems) and,
    when `active`, no more distinct tokens `redeems` than `issues` events.

    For the unbounded engine, which cannot count: `respent(before, action,
    out)` reruns a redeeming transition with each token it redeems already
    spent (None: refused, else why not), and `witness` is the correspondence
    each counted redemption needs, an earlier issuance of its own token (one
    token per issuance, so distinct redemptions never outnumber issuances)."""
    local: Callable[[Any], bool]
    redeems: Callable[[Any], bool]
    issues: Callable[[Any], bool]
    active: bool
    respent: Optional[Callable[[Any, Any, Any], Optional[str]]] = None
    witness: Optional[Correspondence] = None


@dataclass(frozen=True)
class Links:
    """A link fact as the unbounded engine settles it: no message the
    adversary sighted (shown with a client's identity or address) opens, with
    the keys it can derive, to a handle of a session; `sessions(unit, state)`
    lists (the metas that would show the session's client, its handles) for
    every session a local state holds. The bounded engines do not encode it
    (`bounded`): they check the monitor itself."""
    sessions: Callable[[str, Any], list]


def bounded(encodings: dict) -> dict:
    """The encodings the bounded SMT engine reads: a `Links` is not one."""
    return {p: None if isinstance(e, Links) else e for p, e in encodings.items()}


SmtEncoding = Union[Unsettled, Never, Local, Secrecy, Claim, Correspondence, AfterSession, Count, Links]
