"""What the engines need from a protocol.

An engine sees worlds (`protocol.world.World`: party states, messages in
flight, adversary knowledge, events, injections so far) and actions
(`Invoke`, `Deliver`, `Inject`). A `System` says where a run starts, which
actions are enabled, how one is applied, and what each property's monitor
says about a transition; the explorer needs no more. The SMT engine grounds
an `SmtSystem`: every enabled action of one party, how a party splits into
independent slots, and each property's encoding (`core.encodings`).

An action stream may carry a `BudgetHit` where an injection enumeration was
truncated: not an action, a note that the stream is incomplete (and where).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Protocol, runtime_checkable

from ppverify.proofs.core.encodings import SmtEncoding
from ppverify.protocol.world import Deliver, Inject, World

Monitor = Callable[[World, World, Any], Optional[str]]
# the monitors of many properties as one: (w0, w, out) -> [(property, why)] of
# the violated ones, in the order the properties were given
Watch = Callable[[World, World, Any], list]


@dataclass(frozen=True)
class BudgetHit:
    """In an action stream: some injection candidates were left out (budget).
    `where`: the first pattern cut, as "kind to receiver as sender" ("" if not said)."""
    where: str = ""


BUDGET_HIT = BudgetHit()


@runtime_checkable
class System(Protocol):
    name: str

    def initial(self) -> World: ...

    def actions(self, w: World, max_moves: int) -> Iterable: ...

    def step(self, w: World, action) -> tuple: ...

    def monitor(self, prop: str) -> Monitor: ...

    def watch(self, props: tuple[str, ...]) -> Watch:
        """The monitors of `props` in one check (`each`, or cheaper with the
        same answers)."""

    def completed(self, w0: World, w: World, out) -> bool: ...

    def may_inject(self, w: World, action) -> Optional[str]: ...


@runtime_checkable
class SmtSystem(System, Protocol):
    """A system the SMT engine grounds (`engines.ground`) and encodes."""

    def enabled(self, w: World, max_moves: int, party: Optional[str] = None,
                offered: Optional[dict] = None) -> Iterable:
        """Every enabled action (of `party` only, if given), unreduced.
        `offered`: a dict the caller keeps for one party state across growing
        knowledge; injections offered in an earlier call with it may be left
        out (the caller has their transitions). A system may ignore it."""

    # --- slots: a party grounded as independent units "party#key" ---------------------
    def slots(self, party: str) -> tuple:
        """The keys of the slots `party` is grounded as (empty: whole)."""

    def slot_ordered(self, party: str) -> bool:
        """Do the slots start one after another?"""

    def slot_ready(self, party: str, entry) -> bool:
        """May the next slot start once this one holds `entry`?"""

    def slot_state(self, party: str, key, entry):
        """A state of `party` holding only `entry` in slot `key` (None: initial)."""

    def slot_of(self, party: str, key, st):
        """Slot `key`'s entry in `st` (ValueError: an entry no slot accounts for)."""

    def slot_compose(self, party: str, entries: dict):
        """A state of `party` holding these slots' entries."""

    def check_slots(self, g) -> None:
        """Raise ValueError unless the grounding's slots are independent."""

    def opens(self, msg) -> bool:
        """Is `msg` refused by its receiver, or does it add a slot, whatever
        the slots already hold? (A slot once started has no transition on it.)"""

    def slot_admits(self, party: str, key, msg) -> bool:
        """May slot `key` of `party` start on `msg`? (False: the message opens
        another slot, whose unit takes it.)"""

    def depends(self, party: str, key=None, st=None) -> tuple[str, ...]:
        """The units whose state shapes `party`'s candidate injections."""

    def exposes(self, party: str, out) -> bool:
        """Does this step of `party` (its output `out`) hand the adversary all
        its party holds, every slot's entry and not only its own (a compromise)?"""

    def held(self, state) -> Iterable:
        """The terms a party state holds (what such a step hands over)."""

    # --- properties -------------------------------------------------------------------
    def smt_encoding(self, prop: str) -> Optional[SmtEncoding]:
        """The property as the SMT engine states it (None: not encoded)."""

    def refine(self, encodings: dict, g) -> dict:
        """The encodings settled on the grounding `g` (no `Unsettled` left)."""

    # --- the unbounded engine's correspondences (`engines.horn.correspond`) -----------------
    def distinguished(self, e) -> bool:
        """Must the grounded event `e` be checked? A system whose names stand
        for many sessions checks the session under check only (every concrete
        one can be renamed to it); a concrete one checks every event."""

    def mark(self, e):
        """`e` with every value the system's names do not determine uniquely
        (a name standing for several concrete ones) replaced by a value of its
        own, so a comparison that still holds holds for every concrete event
        `e` stands for."""


def each(monitors: dict[str, Monitor]) -> Watch:
    """A `Watch` that runs every monitor on every transition."""
    def check(w0: World, w: World, out) -> list:
        return [(p, why) for p, mon in monitors.items() if (why := mon(w0, w, out))]
    return check


def replay_actions(system: System, actions: Iterable, prop: Optional[str] = None):
    """Run `actions` from the initial world, checking each is enabled (an
    injection must be derivable on a link the adversary controls, a delivery
    must be in flight). Returns (final world, why the property failed, or
    None). Raises ValueError naming the first step that does not apply."""
    mon = system.monitor(prop) if prop else None
    w, why = system.initial(), None
    for n, a in enumerate(actions, 1):
        if isinstance(a, Inject):
            bad = system.may_inject(w, a)
            if bad:
                raise ValueError(f"step {n}: {bad}")
        if isinstance(a, Deliver) and a.msg not in w.inflight:
            raise ValueError(f"step {n}: {a.msg!r} is not in flight")
        w2, out, rej = system.step(w, a)
        if rej is not None and not isinstance(a, Deliver):
            raise ValueError(f"step {n}: {rej}")
        if mon is not None and why is None:
            why = mon(w, w2, out)
        w = w2
    return w, why
