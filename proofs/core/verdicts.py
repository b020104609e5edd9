"""Verdicts and traces: the closed result type every engine returns.

`Proved(engine, bound)`: no violation within `bound` steps (or `unbounded`
when an induction step was proved, or the search was exhaustive for the
scenario's bounds, see `exhaustive`); `Violated(trace)`; `Inconclusive(reason)`
(solver unknown, timeout, vacuous: the honest run was not reachable, budget).
Unknown is never a pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Optional, Union

TRACE_VERSION = 1


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
    verdict: ClassVar[Kind] = Kind.PROVED


@dataclass(frozen=True)
class Violated:
    engine: str
    trace: Trace
    states: Optional[int] = None
    verdict: ClassVar[Kind] = Kind.VIOLATED


@dataclass(frozen=True)
class Inconclusive:
    engine: str
    reason: str
    states: Optional[int] = None
    verdict: ClassVar[Kind] = Kind.INCONCLUSIVE


Verdict = Union[Proved, Violated, Inconclusive]


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
                "states": v.states, "partner_reached": self.partner_reached}
