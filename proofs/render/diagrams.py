"""Sequence-diagram data for reports, derived from traces, never drawn by
hand: a sequence of arrows and notes from a list of actions (the JSON form
traces use, see `proofs.core.serial`). The formats in `mermaid`, `dot` and
`svg` draw it; the system view (parties, boundaries, channels) is gathered
with the report (`proofs.analyses.report`), since it is read off the model."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Union

from ppverify.proofs.analyses.report import order_participants
from ppverify.proofs.core.serial import term_from_json
from ppverify.proofs.core.verdicts import Trace


@dataclass(frozen=True)
class Arrow:
    number: int
    src: str
    dst: str
    label: str
    injected: bool = False


@dataclass(frozen=True)
class Note:
    number: int
    over: str
    text: str
    alert: bool = False


Item = Union[Arrow, Note]


@dataclass(frozen=True)
class Sequence:
    participants: tuple[str, ...]
    items: tuple[Item, ...]


def payload_text(action: dict, limit: Optional[int] = None) -> str:
    """The message payload in the model's vocabulary, e.g. `<'config', pk(adv.hpke)>`."""
    text = repr(term_from_json(action.get("payload")))
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."


def sequence_from_actions(actions: Iterable[dict], roles: dict[str, str],
                          learned: Iterable[tuple[str, ...]] = (),
                          violation: Optional[tuple[str, str]] = None) -> Sequence:
    """`actions` in trace JSON form; `learned[i]` what the adversary derived at
    action i; `violation` = (property, explanation) ends the diagram with a note."""
    actions, learned = list(actions), list(learned)
    items: list[Item] = []
    for i, a in enumerate(actions, 1):
        if a["type"] == "invoke":
            who = "user" if a.get("by_user", True) else "background trigger"
            items.append(Note(i, a["client"], f"{i}. {who} invokes the feature on chat '{a['chat']}'"))
            continue
        pick = f" (picks {a['choice']})" if a.get("choice") else ""
        if a["type"] == "inject":
            items.append(Arrow(i, "adversary", a["dst"], f"{a['kind']} as {a['src']}{pick}", True))
        else:
            items.append(Arrow(i, a["src"], a["dst"], a["kind"] + pick))
        new = learned[i - 1] if i - 1 < len(learned) else ()
        if new:
            items.append(Note(i, "adversary", "now knows " + ", ".join(new)))
    if violation and actions:
        last = next(it for it in reversed(items) if isinstance(it, Arrow) or it.over != "adversary")
        over = last.dst if isinstance(last, Arrow) else last.over  # where the last step landed
        items.append(Note(len(actions), over, f"{violation[0]} violated: {violation[1]}", True))
    names = [n for it in items for n in ((it.src, it.dst) if isinstance(it, Arrow) else (it.over,))]
    return Sequence(order_participants(names, roles), tuple(items))


def trace_sequence(trace: Trace, roles: dict[str, str]) -> Sequence:
    return sequence_from_actions([s.action for s in trace.steps], roles,
                                 [s.learned for s in trace.steps],
                                 (trace.property, trace.explanation))


# --- shared by the drawn formats (dot, svg) ------------------------------------
# The system diagram's columns, left to right: a boundary and the roles in it.
COLUMNS = (("device", ("client",)), ("third", ("cdn", "relay", "ledger")),
           ("meta", ("acs", "gateway", "host")), ("tee", ("cvm",)), ("tee", ("gpu",)))
RED, BLUE, INK, GREY, PURPLE = "#c62828", "#1565c0", "#263238", "#90a4ae", "#6a1b9a"
