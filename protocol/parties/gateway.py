"""The OHTTP gateway and load balancer (Meta): decapsulates, redeems the token,
picks a CVM, and shuttles the attested-TLS records in both directions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ppverify.protocol.messages import Env, Event, Msg, Out
from ppverify.protocol.parties.client import INFO
from ppverify.protocol.parties.common import CONN, CONN_SRC, guarded, need, opens, upd
from ppverify.protocol.parties.services import cdn_on_get_config


@dataclass(frozen=True)
class Route:
    route: Any      # the route id term handed to the client
    conn: str       # connection towards the CVM
    cvm: str
    back_conn: str  # connection towards the client side
    back_hop: str
    exp: Any        # OHTTP exporter secret of the request being answered


@dataclass(frozen=True)
class GatewayState:
    redeemed: tuple = ()   # every token accepted, in order (kept even without single-use checks)
    routes: tuple[Route, ...] = ()


def _open(c, env: Env, me: str, payload):
    if env.on("ohttp-encapsulation"):
        return guarded(me, c.hpke_open, env.static[me]["hpke_sk"], c.const(INFO), payload)
    return payload, None


def _seal(c, env: Env, exp, inner):
    if env.on("ohttp-encapsulation"):
        return c.aead_seal(c.kdf(exp, "ohttp:response"), inner, c.const("ohttp-resp"))
    return inner


def choices(st: GatewayState, msg: Msg, env: Env, me: str) -> tuple[str, ...]:
    """The load balancer may pick any running orchestrator CVM."""
    return env.static[me]["orchestrators"] if msg.kind == "ohttp-req1" else ("",)


@opens
def on_req1(st: GatewayState, msg: Msg, env: Env, me: str, choice: str):
    c, static = env.crypto, env.static[me]
    inner, exp = _open(c, env, me, msg.payload)
    tag, token, cred, feature, body = guarded(me, c.untup, inner, 5)
    need(me, any(c.cred_verify(k, token, cred) for k in static["issuer_sks"]), "invalid token")
    need(me, len(st.routes) < static["max_routes"], "route limit reached (scenario bound)")
    uses = sum(1 for t in st.redeemed if c.same(t, token))
    if env.on("single-use-tokens"):
        need(me, uses == 0, "token already spent")
    n = len(st.routes)
    conn = f"route{n + 1}"
    route = c.fresh(f"route.{me}.{n + 1}", "nonce")
    plain = c.same(tag, c.const("req1-plain"))
    if plain:
        fwd = Msg(me, choice, "plain-request", c.tup(c.const("plain-request"), body), conn)
    else:
        need(me, c.same(tag, c.const("req1")), "unknown request type")
        fwd = Msg(me, choice, "tls-hello", c.tup(c.const("tls-hello"), body), conn)
    r = Route(route, conn, choice, msg.conn, msg.src, exp)
    events = (Event("redeem", me, (token, uses + 1)), Event("route", me, (token, choice)))
    return GatewayState(st.redeemed + (token,), st.routes + (r,)), Out((fwd,), events, (inner,))


def _route_by_conn(st: GatewayState, me: str, conn: str) -> tuple[int, Route]:
    for i, r in enumerate(st.routes):
        if r.conn == conn:
            return i, r
    need(me, False, "no route for this connection", CONN)


def on_from_cvm(st: GatewayState, msg: Msg, env: Env, me: str):
    c = env.crypto
    _, r = _route_by_conn(st, me, msg.conn)
    need(me, msg.src == r.cvm, "response from the wrong CVM", CONN_SRC)
    if msg.kind == "tls-server-hello":
        inner, kind = c.tup(r.route, msg.payload), "ohttp-resp1"
    elif msg.kind == "tls-response":
        _, record, ad = guarded(me, c.untup, msg.payload, 3)
        inner, kind = c.tup(c.const("resp"), record, ad), "ohttp-resp2"
    else:
        _, answer = guarded(me, c.untup, msg.payload, 2)
        inner, kind = c.tup(c.const("resp"), answer), "ohttp-resp2"
    out = Msg(me, r.back_hop, kind, _seal(c, env, r.exp, inner), r.back_conn)
    return st, Out((out,))


def on_req2(st: GatewayState, msg: Msg, env: Env, me: str):
    c = env.crypto
    inner, exp = _open(c, env, me, msg.payload)
    _, route, record = guarded(me, c.untup, inner, 3)
    hits = [(i, r) for i, r in enumerate(st.routes) if c.same(r.route, route)]
    need(me, bool(hits), "unknown route")
    i, r = hits[0]
    r2 = upd(r, back_conn=msg.conn, back_hop=msg.src, exp=exp)
    routes = st.routes[:i] + (r2,) + st.routes[i + 1:]
    fwd = Msg(me, r.cvm, "tls-record", c.tup(c.const("tls-record"), record), r.conn)
    return GatewayState(st.redeemed, routes), Out((fwd,), (), (inner,))


HANDLERS = {"ohttp-req1": on_req1, "ohttp-req2": on_req2, "tls-server-hello": on_from_cvm,
            "tls-response": on_from_cvm, "plain-response": on_from_cvm,
            "get-config": cdn_on_get_config}
CHOOSING = {"ohttp-req1"}
