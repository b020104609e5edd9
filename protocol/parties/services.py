"""The services around the client: the credential issuer (acs), the key
configuration CDN, the transparency ledger, the OHTTP relay and the host
(a sink for logs, bus traffic and memory it can read)."""
from __future__ import annotations

from dataclasses import dataclass

from ppverify.protocol.messages import Env, Event, Msg, Out
from ppverify.protocol.parties.common import CONN, guarded, need, reply


# --- acs: issuer key and blind issuance -----------------------------------
def acs_on_get_key(st: int, msg: Msg, env: Env, me: str):
    c, static = env.crypto, env.static[me]
    guarded(me, c.untup, msg.payload, 1)
    return st, Out((reply(msg, me, "issuer-key", c.tup(c.const("issuer-key"), static["attr_pub"],
                                                        static["key_sig"])),))


def acs_on_issue(st: int, msg: Msg, env: Env, me: str):
    c, static = env.crypto, env.static[me]
    _, blinded = guarded(me, c.untup, msg.payload, 2)
    evaluated = guarded(me, c.cred_eval, static["attr_sk"], blinded)
    out = reply(msg, me, "issued", c.tup(c.const("issued"), evaluated))
    # the event names what was signed (not when: runs that issue in another order reach one world),
    # so each issuance event vouches for one token, which token-single-use counts
    return st + 1, Out((out,), (Event("issue", me, (blinded,)),))


# --- cdn (and the gateway, when it serves its own key config) -------------
def cdn_on_get_config(st: int, msg: Msg, env: Env, me: str):
    c = env.crypto
    guarded(me, c.untup, msg.payload, 1)
    return st, Out((reply(msg, me, "config", c.tup(c.const("config"), env.static[me]["gw_pub"])),))


# --- ledger ----------------------------------------------------------------
def ledger_on_get(st: int, msg: Msg, env: Env, me: str):
    c, view = env.crypto, env.static[me]["view"]
    guarded(me, c.untup, msg.payload, 1)
    return st, Out((reply(msg, me, "ledger-view", c.tup(c.const("ledger-view"), *view)),))


# --- relay: forwards without the client's address ----------------------------
@dataclass(frozen=True)
class RelayState:
    pending: tuple[tuple[str, str], ...] = ()  # (connection, client)


def relay_on_request(st: RelayState, msg: Msg, env: Env, me: str):
    need(me, msg.src.startswith("client"), "requests come from clients")
    need(me, all(conn != msg.conn for conn, _ in st.pending), "duplicate connection")
    fwd = Msg(me, "gateway", msg.kind, msg.payload, msg.conn, env.static[me]["address"])
    return RelayState(st.pending + ((msg.conn, msg.src),)), Out((fwd,))


def relay_on_response(st: RelayState, msg: Msg, env: Env, me: str):
    match = [client for conn, client in st.pending if conn == msg.conn]
    need(me, bool(match), "no pending request for this response", CONN)
    rest = tuple(p for p in st.pending if p[0] != msg.conn)
    return RelayState(rest), Out((Msg(me, match[0], msg.kind, msg.payload, msg.conn),))


# --- host: what Meta's infrastructure sees -----------------------------------
def host_on_any(st: int, msg: Msg, env: Env, me: str):
    return st, Out(learned=(msg.payload,))


ACS = {"get-issuer-key": acs_on_get_key, "issue": acs_on_issue}
CDN = {"get-config": cdn_on_get_config}
LEDGER = {"get-ledger": ledger_on_get}
RELAY = {"ohttp-req1": relay_on_request, "ohttp-req2": relay_on_request,
         "ohttp-resp1": relay_on_response, "ohttp-resp2": relay_on_response}
HOST = {"log": host_on_any, "memory": host_on_any}
