"""Diagram data for reports, derived from the model and from traces, never
drawn by hand: a sequence diagram from a list of actions (the JSON form traces
use, see `proofs.serial`), and a system view (parties, trust boundaries,
channels) from a scenario's model and its honest run. Renderers turn these into
Mermaid (here) or SVG (`proofs.svg`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional, Union

from ppverify.proofs.core.serial import term_from_json

# Left-to-right order of roles in sequence diagrams: the flow of SPEC section 3.
ROLE_ORDER = ("client", "acs", "cdn", "ledger", "relay", "gateway", "cvm", "gpu", "host")

# Trust boundaries of SPEC section 2: who operates what and what it is trusted for.
BOUNDARIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("device", "User device: all checks run here", ("client",)),
    ("third", "Third parties: trusted not to collude with Meta", ("cdn", "relay", "ledger")),
    ("meta", "Meta: availability and rate limiting only", ("acs", "gateway", "host")),
    ("tee", "Attested CVMs (SEV-SNP) and GPUs in CC mode", ("cvm", "gpu")),
)

CHANNEL_CLASSES = {
    "hop": "hop between two parties (server-authenticated TLS for the client's and relay's hops): "
           "read or forged only by an actor that controls an end",
    "network": "network link: attested-TLS records in the clear on the wire; `network` reads and injects",
    "datacenter": "datacenter link: the host's network and bus; `meta-insider` reads and injects",
}


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


@dataclass(frozen=True)
class Channel:
    a: str
    b: str
    cls: str                 # a key of CHANNEL_CLASSES
    kinds: tuple[str, ...]   # kinds sent a -> b in the honest run (a sends first)


@dataclass(frozen=True)
class SystemView:
    parties: tuple[tuple[str, str], ...]   # (name, role)
    channels: tuple[Channel, ...]
    tunnels: tuple[tuple[str, str, str], ...]  # end-to-end channels: (a, b, label)


def order_participants(names: Iterable[str], roles: dict[str, str]) -> tuple[str, ...]:
    """Sort by role (ROLE_ORDER), then name; unknown parties and the adversary last."""
    def key(n):
        r = roles.get(n)
        rank = ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER) + (n == "adversary")
        return (rank, n)
    return tuple(sorted(set(names), key=key))


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


def trace_sequence(trace, roles: dict[str, str]) -> Sequence:
    return sequence_from_actions([s.action for s in trace.steps], roles,
                                 [s.learned for s in trace.steps],
                                 (trace.property, trace.explanation))


def system_view(model, honest_actions: Iterable[dict]) -> SystemView:
    """Parties of the scenario's setup; channels = the links the honest run uses,
    classified by the model's own visibility rules."""
    roles = dict(model.roles)
    kinds: dict[tuple[str, str], list[str]] = {}
    for a in honest_actions:
        if a["type"] == "invoke":
            continue
        pair = (a["src"], a["dst"])
        if pair[::-1] in kinds:
            continue  # the answer on a channel the other side opened
        ks = kinds.setdefault(pair, [])
        if a["kind"] not in ks:
            ks.append(a["kind"])
    channels = []
    for (a, b), ks in kinds.items():
        cls = ("network" if model.network_link(a, b)
               else "datacenter" if model.datacenter_link(a, b) else "hop")
        channels.append(Channel(a, b, cls, tuple(ks)))
    tunnels = []
    on = model.env.scenario.on
    gateway = next((p for p, r in roles.items() if r == "gateway"), None)
    client = next((p for p, r in sorted(roles.items()) if r == "client"), None)
    front = next((c.b for c in channels if c.a == gateway and roles.get(c.b) == "cvm"), None)
    if client and gateway and on("ohttp-encapsulation"):
        tunnels.append((client, gateway, "OHTTP: HPKE to the gateway key"))
    if client and front and on("ra-tls"):
        tunnels.append((client, front, "RA-TLS: attested, end to end"))
    parties = tuple((p, roles[p]) for p in order_participants(roles, roles))
    return SystemView(parties, tuple(channels), tuple(tunnels))  # channels in order of first use


def boundary_of(role: str) -> Optional[str]:
    return next((b for b, _, rs in BOUNDARIES if role in rs), None)


# --- Mermaid ---------------------------------------------------------------

def _mid(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _mtext(text: str) -> str:
    """Mermaid text: characters that end a statement or open markup as entity codes."""
    codes = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "\n": " "}
    return re.sub(r"[#;<>\n]", lambda m: codes[m.group()], text)  # one pass: codes stay intact


def sequence_mermaid(seq: Sequence) -> str:
    lines = ["sequenceDiagram"]
    for p in seq.participants:
        kind = "actor" if p == "adversary" else "participant"
        lines.append(f"    {kind} {_mid(p)} as {p}")
    for it in seq.items:
        if isinstance(it, Note):
            lines.append(f"    Note over {_mid(it.over)}: {_mtext(it.text)}")
        elif it.injected:
            lines += ["    rect rgb(255, 228, 225)",
                      f"    {_mid(it.src)}-){_mid(it.dst)}: {it.number}. {_mtext(it.label)}", "    end"]
        else:
            lines.append(f"    {_mid(it.src)}->>{_mid(it.dst)}: {it.number}. {_mtext(it.label)}")
    return "\n".join(lines)


def system_mermaid(view: SystemView) -> str:
    roles = dict(view.parties)
    lines = ["flowchart LR"]
    for key, label, _ in BOUNDARIES:
        members = [p for p, r in view.parties if boundary_of(r) == key]
        if members:
            lines.append(f'    subgraph {key}["{_mtext(label)}"]')
            lines += [f'        {_mid(p)}["{p}' + (f"<br/>{roles[p]}" if roles[p] != p else "") + '"]'
                      for p in members]
            lines.append("    end")
    arrow = {"hop": "---", "network": "-.-", "datacenter": "==="}
    for c in view.channels:
        lines.append(f'    {_mid(c.a)} {arrow[c.cls]}|"{_mtext(", ".join(c.kinds))}"| {_mid(c.b)}')
    for a, b, label in view.tunnels:
        lines.append(f'    {_mid(a)} -.->|"{_mtext(label)}"| {_mid(b)}')
    return "\n".join(lines)
