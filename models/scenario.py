"""A scenario: plain data saying what to check (DESIGN principle 2).

Which controls are switched off, parameter values, the threat model and the
bounds. It knows no protocol: the protocol validates names against its own
catalogue (`protocol.controls`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ppverify.models.threats import ThreatModel


@dataclass(frozen=True)
class Bounds:
    clients: int = 1
    sessions: int = 1  # per client
    cvms: int = 1      # honest orchestrator CVMs

    def as_dict(self) -> dict:
        return {"clients": self.clients, "sessions": self.sessions, "cvms": self.cvms}


@dataclass(frozen=True)
class Scenario:
    threat: ThreatModel
    disabled: frozenset[str] = frozenset()
    parameters: tuple[tuple[str, str], ...] = ()
    bounds: Bounds = field(default_factory=Bounds)

    def param(self, name: str) -> str:
        return dict(self.parameters)[name]

    def on(self, control: str) -> bool:
        return control not in self.disabled

    def with_threat(self, threat: ThreatModel) -> "Scenario":
        return replace(self, threat=threat)

    def describe(self) -> dict:
        return {"disabled": sorted(self.disabled), "parameters": dict(self.parameters),
                "bounds": self.bounds.as_dict()}
