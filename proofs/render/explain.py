"""`ppverify explain`: one property, one scenario, the attack told three ways:
numbered steps in the model's vocabulary, a Mermaid sequence diagram, and the
evidence of its replay with real cryptography. Pure renderers over a `Trace`
and a `ConcreteReplay`."""
from __future__ import annotations

from ppverify.proofs.core.verdicts import Trace
from ppverify.proofs.render.diagrams import trace_sequence
from ppverify.proofs.render.mermaid import sequence_mermaid
from ppverify.proofs.replay.concrete import ConcreteReplay
from ppverify.proofs.render.text import trace_text


def steps_text(t: Trace) -> str:
    """The attack as numbered steps (the same rendering `check` prints)."""
    return trace_text(t)


def mermaid(t: Trace, roles: dict[str, str]) -> str:
    """The attack's sequence diagram: the report's own (`render.mermaid`),
    adversary moves from its own lane, what it newly derived as notes."""
    return sequence_mermaid(trace_sequence(t, roles))


def evidence_text(rep: ConcreteReplay) -> str:
    lines = [f"Replayed with real cryptography ({len(rep.steps)} steps, {rep.injected} injections "
             f"built from bytes the adversary held):"]
    rejected = [(n, why) for n, _, why in rep.steps if why]
    lines += [f"  step {n} rejected as in the model: {why}" for n, why in rejected]
    lines += [f"  - {e}" for e in rep.evidence]
    return "\n".join(lines)


def explain_markdown(t: Trace, rep: ConcreteReplay, roles: dict[str, str]) -> str:
    """`roles`: each party's role (`Model.roles`), for the diagram's lanes."""
    return "\n\n".join([steps_text(t), "```mermaid\n" + mermaid(t, roles) + "\n```", evidence_text(rep)])
