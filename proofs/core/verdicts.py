"""Verdicts and traces: the closed result type every engine returns.

Each verdict says what it covers, as a `Coverage`. Three strengths, never
confused (`standing`): `Proved` for every run of every size (all five bounds
"any": the unbounded engine's z3-checked fixpoint) or for every run of its
scenario (depth "any": an exhaustive search, an inductive invariant, proved
completeness);
anything less is not proved. `Inconclusive(reason)` covers solver unknown,
timeout, vacuous (the honest run was not reached by the search that would
prove), budget, and, with `bounded`, a depth-bounded "no attack found" (a
search cut by a limit, an unrolling neither complete nor inductive), whose
coverage has an integer depth. `Violated(trace)`. Unknown is never a pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Literal, Optional, Union, assert_never

TRACE_VERSION = 1
ANY = "any"
Size = Union[int, Literal["any"]]


@dataclass(frozen=True)
class Coverage:
    """What a verdict covers: runs of up to these many clients, sessions per
    client, honest CVMs, adversary injections and steps (`ANY`: no limit)."""
    clients: Size
    sessions: Size
    cvms: Size
    injections: Size
    depth: Size

    @classmethod
    def of(cls, scenario: dict, injections: Size, depth: Size) -> "Coverage":
        """The coverage of a search of `scenario` (a `Scenario.describe()`)."""
        b = scenario.get("bounds", {})
        return cls(b.get("clients", 1), b.get("sessions", 1), b.get("cvms", 1), injections, depth)

    @property
    def every_size(self) -> bool:
        return all(x == ANY for x in (self.clients, self.sessions, self.cvms, self.injections, self.depth))

    def to_json(self) -> dict:
        return {"clients": self.clients, "sessions": self.sessions, "cvms": self.cvms,
                "injections": self.injections, "depth": self.depth}


class Kind(str, Enum):
    """A verdict's kind, as JSON and the manifest spell it. Compare kinds with
    these members (or `isinstance` on the verdict), never with string literals."""
    PROVED = "proved"
    VIOLATED = "violated"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TraceStep:
    number: int
    actor: str        # who acted: a party, or "adversary"
    text: str         # the action in the model's vocabulary
    action: dict      # machine form, enough to replay (see proofs.replay)
    learned: tuple[str, ...] = ()   # what the adversary newly derived (rendered terms)


@dataclass(frozen=True)
class Trace:
    property: str
    threat: str
    scenario: dict
    steps: tuple[TraceStep, ...]
    explanation: str   # why the last state violates the property

    def to_json(self) -> dict:
        return {"version": TRACE_VERSION, "property": self.property, "threat": self.threat,
                "scenario": self.scenario, "explanation": self.explanation,
                "steps": [{"number": s.number, "actor": s.actor, "text": s.text,
                           "action": s.action, "learned": list(s.learned)} for s in self.steps]}


@dataclass(frozen=True)
class Proved:
    engine: str
    bound: Union[int, str]
    exhaustive: bool = False
    states: Optional[int] = None
    note: str = ""
    coverage: Optional[Coverage] = None
    verdict: ClassVar[Kind] = Kind.PROVED

    def __post_init__(self):
        # a proof covers every run of its scenario at least: a cut search is Inconclusive(bounded=True)
        if not self.exhaustive or (self.coverage is not None and self.coverage.depth != ANY):
            raise ValueError(f"a depth-bounded search is not a proof ({self.engine}, bound {self.bound})")


@dataclass(frozen=True)
class Violated:
    engine: str
    trace: Trace
    states: Optional[int] = None
    coverage: Optional[Coverage] = None   # of the search that found it
    verdict: ClassVar[Kind] = Kind.VIOLATED


@dataclass(frozen=True)
class Inconclusive:
    engine: str
    reason: str
    states: Optional[int] = None
    coverage: Optional[Coverage] = None
    bounded: bool = False   # no attack within coverage.depth steps: depth-bounded, not proved
    verdict: ClassVar[Kind] = Kind.INCONCLUSIVE

    def __post_init__(self):
        if self.bounded and (self.coverage is None or self.coverage.depth == ANY):
            raise ValueError("a depth-bounded verdict needs a coverage with an integer depth")


Verdict = Union[Proved, Violated, Inconclusive]


class Standing(str, Enum):
    """How strong a verdict is, as every renderer shows it."""
    EVERY_SIZE = "proved for every run of every size"
    SCENARIO = "proved for every run of its scenario"
    DEPTH_BOUNDED = "no attack within a depth; not proved"
    OPEN = "inconclusive"
    VIOLATED = "violated"


def standing(v: Verdict) -> Standing:
    match v:
        case Proved():
            return Standing.EVERY_SIZE if v.coverage is not None and v.coverage.every_size else Standing.SCENARIO
        case Inconclusive():
            return Standing.DEPTH_BOUNDED if v.bounded else Standing.OPEN
        case Violated():
            return Standing.VIOLATED
        case _:
            assert_never(v)


@dataclass(frozen=True)
class Result:
    """One (property, threat model, scenario) cell of a check."""
    property: str
    threat: str
    scenario: dict
    verdict: Verdict
    partner_reached: bool = False
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        v = self.verdict
        return {"property": self.property, "threat": self.threat, "scenario": self.scenario,
                "verdict": v.verdict.value, "engine": v.engine,
                "bound": v.bound if isinstance(v, Proved) else None,
                "exhaustive": v.exhaustive if isinstance(v, Proved) else None,
                "note": v.note if isinstance(v, Proved) and v.note else None,
                "reason": v.reason if isinstance(v, Inconclusive) else None,
                "trace": v.trace.to_json() if isinstance(v, Violated) else None,
                "states": v.states, "partner_reached": self.partner_reached,
                "coverage": v.coverage.to_json() if v.coverage is not None else None}
