"""Small helpers shared by party code: immutable state updates, rejection."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

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


def need(party: str, ok: bool, reason: str) -> None:
    if not ok:
        raise Reject(party, reason)


def reply(msg: Msg, src: str, kind: str, payload: Any, meta: Any = None) -> Msg:
    return Msg(src=src, dst=msg.src, kind=kind, payload=payload, conn=msg.conn, meta=meta)
