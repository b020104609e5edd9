"""What a grounding is (`engines.ground` computes one): each unit's local
states and the transitions between them, the messages and events they
name, and the adversary's knowledge at the start and at its most. The SMT
engine encodes it, the unbounded engine takes its fixpoint; both read it
only through these fields."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ppverify.models.deduction import Knowledge
from ppverify.models.terms import Term
from ppverify.protocol.world import World


@dataclass
class Transition:
    id: int
    party: str
    pre: int                  # local state indices of `party`
    post: int
    action: object            # the Invoke / Deliver / Inject it stands for
    consumes: Optional[int]   # message index taken from flight (a delivery)
    inject: Optional[Term]    # payload that must be derivable (an injection)
    move: int                 # counts against the scenario's injection bound
    sends: tuple[int, ...]
    learned: tuple[Term, ...]  # what the adversary observes (not what analysis adds)
    events: tuple[int, ...]
    out: object
    after: World              # the synthetic world after it (for local monitors)
    before: World
    after_unit: Optional[str] = None  # a slot's start: this unit must be in one of its `ready` states


@dataclass
class Ground:
    parties: list[str]
    states: dict[str, list]             # party -> local states; index = encoding value
    initial: dict[str, int]
    messages: list
    in_flight: frozenset[int]          # messages in flight initially
    events: list
    transitions: list[Transition]
    k0: Knowledge                       # the adversary's initial knowledge
    kmax: Knowledge                     # everything it could ever learn
    truncated: bool                     # some injection enumeration hit its budget
    stats: dict = field(default_factory=dict)
    owner: dict = field(default_factory=dict)   # unit -> the party it is (or is a slot of)
    ready: dict = field(default_factory=dict)   # unit -> its states that let the next slot start
    memo: dict = field(default_factory=dict)    # what checks of this grounding derive once and share

    def party(self, unit: str) -> str:
        return self.owner.get(unit, unit)
