"""Small helpers shared by party code: immutable state updates, rejection."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Optional

from ppverify.protocol.crypto import CryptoError
from ppverify.protocol.messages import Msg, Reject


def upd(obj: Any, **changes: Any) -> Any:
    return replace(obj, **changes)


def setitem(items: tuple, index: int, value: Any) -> tuple:
    return items[:index] + (value,) + items[index + 1:]


def guarded(party: str, fn: Callable, *args: Any):
    """Run a crypto step; any CryptoError becomes a typed Reject (no plaintext)."""
    try:
        return fn(*args)
    except CryptoError as exc:
        raise Reject(party, f"crypto: {type(exc).__name__}: {str(exc)[:60]}") from None


# what a refusal read of the message (`need`'s `reads`): the kind always, since it picks the handler
KIND, CONN, SRC, CONN_SRC = ("kind",), ("kind", "conn"), ("kind", "src"), ("kind", "conn", "src")


def need(party: str, ok: bool, reason: str, reads: Optional[tuple[str, ...]] = None) -> None:
    """Refuse unless `ok`. `reads`: the message fields `ok` was computed from
    besides the party's state (and the handler, chosen by the kind), if only
    those, and before the handler read its routing choice: a claim the
    grounding relies on (`Reject.reads`; tests/test_ground.py checks it)."""
    if not ok:
        raise Reject(party, reason, reads)


def opens(handler: Callable) -> Callable:
    """Mark a handler that never changes a session its party holds: it
    refuses, or adds one session (a CVM's hello, the gateway's new route).
    A claim the grounding relies on (`Model.opens`; tests/test_ground.py
    checks it): a slot already started has no transition on such a message."""
    handler.opens = True
    return handler


def reply(msg: Msg, src: str, kind: str, payload: Any, meta: Any = None) -> Msg:
    return Msg(src=src, dst=msg.src, kind=kind, payload=payload, conn=msg.conn, meta=meta)
