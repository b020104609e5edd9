"""The WhatsApp client: every privacy check of Private Processing runs here.

One client runs its sessions one after another (session i+1 starts after
session i ended), which also breaks the symmetry between identical sessions.
Phases of a session: idle -> keying -> issuing -> config -> ledger -> hello -> data -> done
(or refused, when the chosen chat has Advanced Chat Privacy on).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ppverify.protocol import attestation as att
from ppverify.protocol.messages import Env, Event, Msg, Out
from ppverify.protocol.parties.common import CONN, KIND, SRC, guarded, need, setitem, upd

INFO = "ohttp:message/bhttp request"


def response_ad(c, cr, request):
    """What binds a response to its request (response-authentication)."""
    return c.tup(c.const("response"), cr, c.hash(request))


@dataclass(frozen=True)
class Session:
    phase: str = "idle"
    chat: str = ""
    feature: Any = None
    request: Any = None
    token: Any = None
    blind: Any = None
    blinded: Any = None
    cred: Any = None
    issuer_pub: Any = None
    gw_pub: Any = None
    view: Any = None          # (root, epoch signature, revoked list)
    cr: Any = None
    x: Any = None
    exp: Any = None           # OHTTP exporter secret of the pending request
    route: Any = None
    k_c2s: Any = None
    k_s2c: Any = None
    answer: Any = None
    sent: tuple = ()          # outer OHTTP payloads sent (for link facts)


@dataclass(frozen=True)
class ClientState:
    sessions: tuple[Session, ...]

    def current(self) -> Optional[int]:
        for i, s in enumerate(self.sessions):
            if s.phase not in ("done", "refused"):
                return i
        return None


def initial(n_sessions: int) -> ClientState:
    return ClientState(tuple(Session() for _ in range(n_sessions)))


def _label(me: str, i: int, what: str) -> str:
    return f"{what}.{me}.s{i + 1}"


def can_invoke(st: ClientState) -> Optional[int]:
    i = st.current()
    return i if i is not None and st.sessions[i].phase == "idle" else None


def invoke(st: ClientState, env: Env, me: str, chat: str, by_user: bool):
    """Phase 1 starts: the user (or, without user-opt-in, a background trigger)
    asks for the feature on `chat`."""
    c, static = env.crypto, env.static[me]
    i = can_invoke(st)
    need(me, i is not None, "no idle session")
    need(me, by_user or not env.on("user-opt-in"), "feature not invoked by the user")
    events = [Event("consent", me, (i, chat))] if by_user else [Event("auto-invoke", me, (i, chat))]
    acp_on, feature_name, msgs = static["chats"][chat]
    if acp_on and env.on("advanced-chat-privacy"):
        s = upd(st.sessions[i], phase="refused", chat=chat)
        return ClientState(setitem(st.sessions, i, s)), Out(events=tuple(events + [Event("refuse-acp", me, (i, chat))]))
    feature = c.const(feature_name)
    items = list(msgs)
    if not env.on("data-minimization"):
        items.append(static["account"])
    request = c.tup(feature, c.tup(*items))
    s = upd(st.sessions[i], phase="keying", chat=chat, feature=feature, request=request)
    send = Msg(me, "acs", "get-issuer-key", c.tup(c.const("get-issuer-key")),
               f"{me}.s{i + 1}.acs", static["identity"])
    return ClientState(setitem(st.sessions, i, s)), Out((send,), tuple(events), (request,))


def _server(env: Env, phase: str) -> str:
    """Who answers in this phase: the client's request went out on a
    server-authenticated TLS connection to that party (README, Transport)."""
    if phase == "config":
        return "cdn" if env.on("third-party-key-config") else "gateway"
    if phase in ("hello", "data"):
        return "relay" if env.on("third-party-relay") else "gateway"
    return {"keying": "acs", "issuing": "acs", "ledger": "ledger"}[phase]


def _session(st: ClientState, msg: Msg, me: str, phase: str, env: Env) -> tuple[int, Session]:
    i = st.current()
    need(me, i is not None and st.sessions[i].phase == phase, f"unexpected {msg.kind}", KIND)
    need(me, msg.conn.startswith(f"{me}.s{i + 1}."), "wrong connection", CONN)
    need(me, msg.src == _server(env, phase), "answer not from the server of this connection", SRC)
    return i, st.sessions[i]


def on_issuer_key(st: ClientState, msg: Msg, env: Env, me: str):
    """Phase 1: check the per-attribute issuer key, then ask for a blind token."""
    c, static = env.crypto, env.static[me]
    i, s = _session(st, msg, me, "keying", env)
    _, attr_pub, key_sig = guarded(me, c.untup, msg.payload, 3)
    if env.on("issuer-key-consistency"):
        need(me, c.verify(static["primary_pub"], c.tup(c.const("attr-key"), attr_pub), key_sig),
             "issuer key not derived from the published primary key")
    token = c.fresh(_label(me, i, "token"), "nonce")
    blind = (c.fresh(_label(me, i, "blind"), "blind") if env.on("credential-blinding")
             else c.const("unblinded"))
    blinded = c.cred_blind(attr_pub, token, blind)
    s = upd(s, phase="issuing", token=token, blind=blind, blinded=blinded, issuer_pub=attr_pub)
    send = Msg(me, "acs", "issue", c.tup(c.const("issue"), blinded), msg.conn, static["identity"])
    return ClientState(setitem(st.sessions, i, s)), Out((send,))


def on_issued(st: ClientState, msg: Msg, env: Env, me: str):
    c, static = env.crypto, env.static[me]
    i, s = _session(st, msg, me, "issuing", env)
    _, evaluated = guarded(me, c.untup, msg.payload, 2)
    cred = guarded(me, c.cred_finalize, s.issuer_pub, s.token, s.blind, evaluated)
    s = upd(s, phase="config", cred=cred)
    where = "cdn" if env.on("third-party-key-config") else "gateway"
    send = Msg(me, where, "get-config", c.tup(c.const("get-config")), f"{me}.s{i + 1}.cfg",
               static["address"])
    return ClientState(setitem(st.sessions, i, s)), Out((send,))


def on_config(st: ClientState, msg: Msg, env: Env, me: str):
    c, static = env.crypto, env.static[me]
    i, s = _session(st, msg, me, "config", env)
    _, gw_pub = guarded(me, c.untup, msg.payload, 2)
    s = upd(s, phase="ledger", gw_pub=gw_pub)
    send = Msg(me, "ledger", "get-ledger", c.tup(c.const("get-ledger")), f"{me}.s{i + 1}.ledger",
               static["address"])
    return (ClientState(setitem(st.sessions, i, s)),
            Out((send,), (Event("keys", me, (i, gw_pub, s.issuer_pub)),)))


def _to_gateway(c, env: Env, me: str, i: int, gw_pub, inner, n: int):
    """Phase 3: encapsulate to the gateway key, send through the relay."""
    label = f"ohttp{n}.{me}.s{i + 1}"
    if env.on("ohttp-encapsulation"):
        sealed, exp = c.hpke_seal(gw_pub, c.const(INFO), inner, label)
    else:
        sealed, exp = inner, None
    hop = "relay" if env.on("third-party-relay") else "gateway"
    return Msg(me, hop, f"ohttp-req{n}", sealed, f"{me}.s{i + 1}.r{n}", env.static[me]["address"]), exp


def on_ledger(st: ClientState, msg: Msg, env: Env, me: str):
    c = env.crypto
    i, s = _session(st, msg, me, "ledger", env)
    _, root, epoch_sig, revoked = guarded(me, c.untup, msg.payload, 4)
    cr = c.fresh(_label(me, i, "cr"), "nonce")
    x = c.fresh(_label(me, i, "x"), "dh")
    if env.on("ra-tls"):
        inner = c.tup(c.const("req1"), s.token, s.cred, s.feature,
                      c.tup(c.const("client-hello"), cr, c.dh_pub(x)))
        phase, events = "hello", ()
    else:  # no attested channel: the task data goes straight into OHTTP
        inner = c.tup(c.const("req1-plain"), s.token, s.cred, s.feature, s.request)
        phase, events = "data", (Event("release", me, (i, s.request)),)
    send, exp = _to_gateway(c, env, me, i, s.gw_pub, inner, 1)
    s = upd(s, phase=phase, view=(root, epoch_sig, revoked), cr=cr, x=x, exp=exp,
            sent=s.sent + (send.payload,))
    return ClientState(setitem(st.sessions, i, s)), Out((send,), events)


def _open_response(c, env: Env, me: str, s: Session, msg: Msg):
    if not env.on("ohttp-encapsulation"):
        return msg.payload
    key = c.kdf(s.exp, "ohttp:response")
    return guarded(me, c.aead_open, key, msg.payload, c.const("ohttp-resp"))


def on_resp1(st: ClientState, msg: Msg, env: Env, me: str):
    """Phase 4: the attested handshake; every check before any data leaves."""
    c, static = env.crypto, env.static[me]
    i, s = _session(st, msg, me, "hello", env)
    inner = _open_response(c, env, me, s, msg)
    route, sh = guarded(me, c.untup, inner, 2)
    _, Y, evidence = guarded(me, c.untup, sh, 3)
    ev = guarded(me, att.parse, c, evidence)
    X = c.dh_pub(s.x)
    secret = guarded(me, c.dh, s.x, Y)
    expected = att.binding(c, env.param("binder"), s.cr, X, Y, secret)
    failed = att.failed_checks(c, env.on, static["pins"], s.view, ev, expected)
    need(me, not failed, "attestation: " + ",".join(failed))
    key = att.session_key(c, secret, s.cr, X, Y)
    k_c2s, k_s2c = c.kdf(key, "c2s"), c.kdf(key, "s2c")
    record = c.aead_seal(k_c2s, s.request, c.tup(c.const("record"), s.cr))
    inner2 = c.tup(c.const("req2"), route, record)
    send, exp = _to_gateway(c, env, me, i, s.gw_pub, inner2, 2)
    s = upd(s, phase="data", route=route, k_c2s=k_c2s, k_s2c=k_s2c, exp=exp,
            sent=s.sent + (send.payload,))
    events = (Event("accept", me, (i, evidence, Y, s.cr, expected)),
              Event("release", me, (i, s.request)))
    return ClientState(setitem(st.sessions, i, s)), Out((send,), events, (sh,))


def on_resp2(st: ClientState, msg: Msg, env: Env, me: str):
    c = env.crypto
    i, s = _session(st, msg, me, "data", env)
    inner = _open_response(c, env, me, s, msg)
    if env.on("ra-tls"):
        _, record, ad = guarded(me, c.untup, inner, 3)
        if env.on("response-authentication"):
            need(me, c.same(ad, response_ad(c, s.cr, s.request)),
                 "response not bound to this request")
        answer = guarded(me, c.aead_open, s.k_s2c, record, ad)
    else:
        _, answer = guarded(me, c.untup, inner, 2)
    s = upd(s, phase="done", answer=answer)
    return (ClientState(setitem(st.sessions, i, s)),
            Out((), (Event("answer", me, (i, s.request, answer)),), (answer,)))


HANDLERS = {"issuer-key": on_issuer_key, "issued": on_issued, "config": on_config, "ledger-view": on_ledger,
            "ohttp-resp1": on_resp1, "ohttp-resp2": on_resp2}
