"""Replay a trace on the symbolic world: every action must be enabled, every
injection derivable from the adversary's knowledge at that point and sent on a
link it controls, and the last step must violate the property again. A trace
that fails this is never an attack: `ReplayError` (an internal error when the
engine made the trace; a usage error when a user gave it, see `cli.replay`).
A malformed one is a `TraceFormatError` naming the field or step."""
from __future__ import annotations

from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.properties.catalogue import BY_NAME, Facts
from ppverify.proofs.core.serial import TraceFormatError, action_from_json
from ppverify.proofs.core.verdicts import TRACE_VERSION, Trace, TraceStep
from ppverify.protocol.controls import scenario as make_scenario
from ppverify.protocol.world import Deliver, Inject
from ppverify.models.scenario import Bounds


class ReplayError(RuntimeError):
    """The counterexample does not replay on the model."""


def scenario_of(threat: str, desc: dict):
    b = desc.get("bounds", {})
    params = [f"{k}={v}" for k, v in desc.get("parameters", {}).items()]
    return make_scenario(threat, desc.get("disabled", []), params,
                         Bounds(b.get("clients", 1), b.get("sessions", 1), b.get("cvms", 1)))


def trace_from_json(j: dict) -> Trace:
    if not isinstance(j, dict):
        raise TraceFormatError("a trace is a JSON object")
    if j.get("version") != TRACE_VERSION:
        raise TraceFormatError(f"trace version {j.get('version')!r} is not supported "
                               f"(this ppverify reads version {TRACE_VERSION}); re-run the check to regenerate it")
    missing = [k for k in ("property", "threat", "scenario", "steps", "explanation") if k not in j]
    if missing:
        raise TraceFormatError(f"malformed trace: missing field {missing[0]!r}")
    if not isinstance(j["steps"], list) or not isinstance(j["scenario"], dict):
        raise TraceFormatError("malformed trace: 'steps' must be a list and 'scenario' an object")
    steps = []
    for i, s in enumerate(j["steps"], 1):
        try:
            steps.append(TraceStep(int(s["number"]), str(s["actor"]), str(s["text"]), dict(s["action"]),
                                   tuple(s.get("learned", ()))))
        except KeyError as exc:
            raise TraceFormatError(f"malformed trace: step {i} has no field {exc}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise TraceFormatError(f"malformed trace: step {i}: {exc}") from None
    return Trace(str(j["property"]), str(j["threat"]), dict(j["scenario"]), tuple(steps), str(j["explanation"]))


def replay_trace(trace: Trace):
    """Re-run the trace; returns (model, final world, explanation)."""
    if trace.property not in BY_NAME:
        raise TraceFormatError(f"unknown property {trace.property!r}")
    model = symbolic_model(scenario_of(trace.threat, trace.scenario))
    facts = Facts(model)
    monitor = BY_NAME[trace.property].monitor
    w = model.initial()
    why = None
    for step in trace.steps:
        try:
            a = action_from_json(step.action, w.inflight)
        except TraceFormatError as exc:
            raise TraceFormatError(f"step {step.number}: {exc}") from None
        if isinstance(a, Inject):
            if not model.adversary_injects(a.msg.src, a.msg.dst):
                raise ReplayError(f"step {step.number}: the adversary controls no link {a.msg.src}->{a.msg.dst}")
            if not w.knowledge.derivable(a.msg.payload):
                raise ReplayError(f"step {step.number}: injected message is not derivable")
        w2, out, rej = model.step(w, a)
        if rej is not None and not isinstance(a, Deliver):
            raise ReplayError(f"step {step.number}: {rej}")
        why = monitor(facts, w, w2, out)
        w = w2
    if not why:
        raise ReplayError(f"the trace does not violate {trace.property} on replay")
    return model, w, why
