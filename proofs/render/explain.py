"""`ppverify explain`: one property, one scenario, the attack told three ways:
numbered steps in the model's vocabulary, a Mermaid sequence diagram, and the
evidence of its replay with real cryptography. Pure renderers over a `Trace`
and a `ConcreteReplay`."""
from __future__ import annotations

import re

from ppverify.proofs.replay.concrete import ConcreteReplay
from ppverify.proofs.render.text import trace_text
from ppverify.proofs.core.verdicts import Trace

ROLE_ORDER = ("client", "acs", "cdn", "ledger", "relay", "gateway", "orch", "pred", "gpu", "host")


def steps_text(t: Trace) -> str:
    """The attack as numbered steps (the same rendering `check` prints)."""
    return trace_text(t)


def _ends(step) -> tuple[str, str, bool]:
    a = step.action
    if a["type"] == "invoke":
        return a["client"], a["client"], False
    return a["src"], a["dst"], a["type"] == "inject"


def _rank(name: str) -> tuple:
    for i, r in enumerate(ROLE_ORDER):
        if name.startswith(r):
            return (i, name)
    return (len(ROLE_ORDER), name)


def _id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def mermaid(t: Trace) -> str:
    """A sequence diagram; adversary moves are drawn from an Adversary lane
    (dashed, 'as SRC'), with what it newly derived as notes."""
    names = set()
    for s in t.steps:
        src, dst, _ = _ends(s)
        names |= {src, dst}
    lines = ["sequenceDiagram", "    autonumber"]
    if any(_ends(s)[2] for s in t.steps):
        lines.append("    participant Adversary")
    lines += [f"    participant {_id(n)} as {n}" for n in sorted(names, key=_rank)]
    for s in t.steps:
        src, dst, inj = _ends(s)
        a = s.action
        if a["type"] == "invoke":
            who = "user" if a.get("by_user", True) else "background trigger"
            lines.append(f"    Note over {_id(src)}: {who} invokes on chat {a['chat']}")
        elif inj:
            lines.append(f"    Adversary-){_id(dst)}: {a['kind']} (as {src})")
        else:
            pick = f" picks {a['choice']}" if a.get("choice") else ""
            lines.append(f"    {_id(src)}->>{_id(dst)}: {a['kind']}{pick}")
        if s.learned:
            lines.append(f"    Note over Adversary: knows {', '.join(s.learned)[:100]}")
    lines.append(f"    Note over {_id(sorted(names, key=_rank)[0])}: {t.property} violated")
    return "\n".join(lines)


def evidence_text(rep: ConcreteReplay) -> str:
    lines = [f"Replayed with real cryptography ({len(rep.steps)} steps, {rep.injected} injections "
             f"built from bytes the adversary held):"]
    rejected = [(n, why) for n, _, why in rep.steps if why]
    lines += [f"  step {n} rejected as in the model: {why}" for n, why in rejected]
    lines += [f"  - {e}" for e in rep.evidence]
    return "\n".join(lines)


def explain_markdown(t: Trace, rep: ConcreteReplay) -> str:
    return "\n\n".join([steps_text(t), "```mermaid\n" + mermaid(t) + "\n```", evidence_text(rep)])
