"""How the SMT engine states a catalogue property, before any scenario: a
closed union the adapter (`pp.encodings`) turns into a grounded
`core.encodings.SmtEncoding` with the scenario's facts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union


@dataclass(frozen=True)
class Secret:
    """Secrecy: none of `terms(facts)` is ever known (`derivable`: or can be built)."""
    terms: Callable
    derivable: bool = False


@dataclass(frozen=True)
class Agreement:
    """Correspondence: every new `event` needs earlier events `holds(facts, e, events)` accepts
    (`anchor(e, a)`: the event of the same session a second witness must agree with)."""
    event: str
    holds: Callable
    anchor: Optional[Callable] = None


@dataclass(frozen=True)
class Local:
    """The monitor reads only the transition's own output and ground facts."""


@dataclass(frozen=True)
class After:
    """forward-secrecy: a second closure at session end, with the compromised state."""


@dataclass(frozen=True)
class Count:
    """token-single-use: a per-token count (local) and redemptions <= issuances."""


LOCAL, AFTER, COUNT = Local(), After(), Count()
Spec = Union[Secret, Agreement, Local, After, Count]
