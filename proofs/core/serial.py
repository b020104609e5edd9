"""JSON forms of terms and actions, for traces that replay from a file."""
from __future__ import annotations

import json
from pathlib import Path

from ppverify.models.terms import App, Atom, Term
from ppverify.protocol.messages import Msg
from ppverify.protocol.world import Deliver, Inject, Invoke


class TraceFormatError(ValueError):
    """A trace file that is not a valid, current ppverify trace."""


def term_to_json(t) -> object:
    if isinstance(t, Atom):
        return {"atom": t.name, "kind": t.kind}
    if isinstance(t, App):
        return {"op": t.op, "args": [term_to_json(a) for a in t.args]}
    if t is None:
        return None
    raise TypeError(f"not a term: {type(t).__name__}")


def term_from_json(j) -> Term:
    if j is None:
        return None
    if isinstance(j, dict) and set(j) == {"atom", "kind"}:
        return Atom(str(j["atom"]), str(j["kind"]))
    if isinstance(j, dict) and set(j) == {"op", "args"} and isinstance(j["args"], list):
        return App(str(j["op"]), tuple(term_from_json(a) for a in j["args"]))
    raise TraceFormatError(f"malformed term: {str(j)[:80]}")


def action_to_json(a) -> dict:
    if isinstance(a, Invoke):
        return {"type": "invoke", "client": a.client, "chat": a.chat, "by_user": a.by_user}
    m = a.msg
    out = {"type": "deliver" if isinstance(a, Deliver) else "inject", "src": m.src, "dst": m.dst,
           "kind": m.kind, "conn": m.conn, "choice": a.choice}
    out["payload"] = term_to_json(m.payload)
    return out


def action_from_json(j: dict, inflight) -> object:
    """Rebuild an action; a delivery names a message that must be in flight."""
    try:
        kind = j["type"]
        if kind == "invoke":
            return Invoke(str(j["client"]), str(j["chat"]), bool(j["by_user"]))
        key = (j["src"], j["dst"], j["kind"], j["conn"])
        if kind == "deliver":
            payload = term_from_json(j["payload"])
            hits = [m for m in inflight
                    if (m.src, m.dst, m.kind, m.conn) == key and m.payload == payload]
            if not hits:
                raise TraceFormatError(f"no message {key} in flight at this step")
            return Deliver(hits[0], str(j.get("choice", "")))
        if kind == "inject":
            msg = Msg(key[0], key[1], key[2], term_from_json(j["payload"]), key[3])
            return Inject(msg, str(j.get("choice", "")))
    except (KeyError, TypeError) as exc:
        raise TraceFormatError(f"malformed action {str(j)[:80]}: missing {exc}") from None
    raise TraceFormatError(f"unknown action type {j.get('type')!r}; valid: invoke, deliver, inject")


def read_json(path, error: type[Exception]):
    """The JSON value in the file at `path`; `error` (a message naming the
    file) if it cannot be read or is not JSON."""
    try:
        return json.loads(Path(path).read_text())
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise error(f"{path} is not JSON: {exc}") from None
