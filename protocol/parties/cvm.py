"""Confidential VMs: the orchestrator (terminates the client's attested TLS,
calls a predictor over attested TLS) and the predictor (runs the model on its
GPU through encrypted bounce buffers); and the GPU itself.

What a CVM does with plaintext depends on its image: the published image
keeps it inside; an unpublished or revoked image, or a published one started
with an unmeasured verbose-logging configuration, writes it to the host.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ppverify.protocol import attestation as att
from ppverify.protocol.messages import Env, Event, Msg, Out
from ppverify.protocol.parties.client import response_ad
from ppverify.protocol.parties.common import CONN, CONN_SRC, guarded, need, opens, setitem, upd


@dataclass(frozen=True)
class CvmSession:
    conn: str
    phase: str = "open"        # open -> peer -> closed (orchestrator); open -> gpu -> closed
    cr: Any = None
    X: Any = None
    y: Any = None
    Y: Any = None
    k_c2s: Any = None
    k_s2c: Any = None
    request: Any = None
    peer: str = ""             # orchestrator: the predictor called, and its channel
    peer_conn: str = ""
    peer_cr: Any = None
    peer_x: Any = None
    peer_k_c2s: Any = None
    peer_k_s2c: Any = None
    result: Any = None


@dataclass(frozen=True)
class CvmState:
    sessions: tuple[CvmSession, ...] = ()
    handled: int = 0

    def find(self, conn: str, field: str = "conn") -> Optional[int]:
        for i, s in enumerate(self.sessions):
            if getattr(s, field) == conn and s.phase != "closed":
                return i
        return None


def _log(c, env: Env, me: str, feature, text) -> Msg:
    """Phase 6 logging: only allow-listed fields leave, unless filtering is off
    or the image leaks by design (unpublished, revoked, unmeasured config)."""
    static = env.static[me]
    leaky = static["leaks"] or not env.on("log-filtering")
    body = c.tup(c.const("log"), feature, text) if leaky else c.tup(c.const("log"), feature)
    return Msg(me, "host", "log", body, f"{me}.log")


def _teardown(s: CvmSession, env: Env) -> CvmSession:
    if env.on("erasure-at-teardown"):
        return CvmSession(conn=s.conn, phase="closed")
    return upd(s, phase="closed")


@opens
def on_hello(st: CvmState, msg: Msg, env: Env, me: str):
    """Phase 4, server side: key share, evidence bound per the binder."""
    c, static = env.crypto, env.static[me]
    need(me, st.handled < static["max_sessions"], "session limit reached")
    need(me, st.find(msg.conn) is None, "duplicate connection")
    _, ch = guarded(me, c.untup, msg.payload, 2)
    _, cr, X = guarded(me, c.untup, ch, 3)
    n = st.handled + 1
    y = c.fresh(f"y.{me}.{n}", "dh") if env.on("ephemeral-session-keys") else static["static_y"]
    Y = c.dh_pub(y)
    secret = guarded(me, c.dh, y, X)
    rd = att.binding(c, env.param("binder"), cr, X, Y, secret)
    evidence = att.make_evidence(c, static["chip"], static["measurement"], static["policy"],
                                 rd, static["proof"])
    key = att.session_key(c, secret, cr, X, Y)
    s = CvmSession(msg.conn, "open", cr, X, y, Y, c.kdf(key, "c2s"), c.kdf(key, "s2c"), peer=msg.src)
    kind = "tls-server-hello" if msg.kind == "tls-hello" else "peer-server-hello"
    out = Msg(me, msg.src, kind, c.tup(c.const("server-hello"), Y, evidence), msg.conn)
    body = c.untup(evidence, 7)[0]
    return (CvmState(st.sessions + (s,), n),
            Out((out,), (Event("attest", me, (body, Y, cr)),)))


def on_record(st: CvmState, msg: Msg, env: Env, me: str, choice: str):
    """Orchestrator: decrypt the request, then call a predictor over attested TLS."""
    c = env.crypto
    i = st.find(msg.conn)
    need(me, i is not None and st.sessions[i].phase == "open", "no open session", CONN)
    s = st.sessions[i]
    if msg.kind == "plain-request":
        _, request = guarded(me, c.untup, msg.payload, 2)
    else:
        _, record = guarded(me, c.untup, msg.payload, 2)
        request = guarded(me, c.aead_open, s.k_c2s, record, c.tup(c.const("record"), s.cr))
    feature, payload = guarded(me, c.untup, request, 2)
    n = i + 1  # the session's own number: names stay fresh per session, whatever the interleaving
    pcr = c.fresh(f"pcr.{me}.{n}", "nonce")
    px = c.fresh(f"px.{me}.{n}", "dh")
    conn = f"{me}.p{n}"
    hello = Msg(me, choice, "peer-hello",
                c.tup(c.const("peer-hello"), c.tup(c.const("client-hello"), pcr, c.dh_pub(px))), conn)
    s = upd(s, phase="peer", request=request, peer=choice, peer_conn=conn, peer_cr=pcr, peer_x=px)
    sends = (hello, _log(c, env, me, feature, payload))
    return (CvmState(setitem(st.sessions, i, s), st.handled),
            Out(sends, (Event("handle", me, (request,)),), (request,)))


@opens
def on_plain_request(st: CvmState, msg: Msg, env: Env, me: str, choice: str):
    """Without ra-tls the orchestrator gets the request in the clear."""
    need(me, st.handled < env.static[me]["max_sessions"], "session limit reached")
    need(me, st.find(msg.conn) is None, "duplicate connection")
    st = CvmState(st.sessions + (CvmSession(msg.conn),), st.handled + 1)
    return on_record(st, msg, env, me, choice)


def on_peer_hello_reply(st: CvmState, msg: Msg, env: Env, me: str):
    """Orchestrator: check the predictor's evidence (cvm-peer-attestation)."""
    c, static = env.crypto, env.static[me]
    i = st.find(msg.conn, "peer_conn")
    need(me, i is not None and st.sessions[i].phase == "peer" and msg.src == st.sessions[i].peer,
         "unexpected peer hello", CONN_SRC)
    s = st.sessions[i]
    _, Y, evidence = guarded(me, c.untup, msg.payload, 3)
    X = c.dh_pub(s.peer_x)
    secret = guarded(me, c.dh, s.peer_x, Y)
    if env.on("cvm-peer-attestation"):
        ev = guarded(me, att.parse, c, evidence)
        expected = att.binding(c, env.param("binder"), s.peer_cr, X, Y, secret)
        failed = att.failed_checks(c, env.on, static["pins"], static["view"], ev, expected)
        need(me, not failed, "peer attestation: " + ",".join(failed))
    key = att.session_key(c, secret, s.peer_cr, X, Y)
    k_c2s, k_s2c = c.kdf(key, "c2s"), c.kdf(key, "s2c")
    ad = c.tup(c.const("record"), s.peer_cr)
    out = Msg(me, s.peer, "peer-record", c.tup(c.const("peer-record"),
                                               c.aead_seal(k_c2s, s.request, ad)), s.peer_conn)
    s = upd(s, peer_k_c2s=k_c2s, peer_k_s2c=k_s2c)
    return CvmState(setitem(st.sessions, i, s), st.handled), Out((out,))


def on_peer_response(st: CvmState, msg: Msg, env: Env, me: str):
    """Orchestrator: the predictor's answer goes back to the client; teardown."""
    c = env.crypto
    i = st.find(msg.conn, "peer_conn")
    need(me, i is not None and st.sessions[i].peer_k_s2c is not None, "unexpected peer response", CONN)
    s = st.sessions[i]
    _, record = guarded(me, c.untup, msg.payload, 2)
    result = guarded(me, c.aead_open, s.peer_k_s2c, record, c.tup(c.const("result"), s.peer_cr))
    if s.k_s2c is None:  # plain mode (no ra-tls)
        out = Msg(me, "gateway", "plain-response", c.tup(c.const("plain-response"), result), s.conn)
        events = (Event("respond", me, (None, s.request, result)),)
    else:
        ad = response_ad(c, s.cr, s.request)
        out = Msg(me, "gateway", "tls-response",
                  c.tup(c.const("tls-response"), c.aead_seal(s.k_s2c, result, ad), ad), s.conn)
        events = (Event("respond", me, (s.Y, s.request, result)),)
    s = _teardown(upd(s, result=result), env)
    return (CvmState(setitem(st.sessions, i, s), st.handled),
            Out((out,), events + (Event("teardown", me, (s.conn,)),), (result,)))


# --- predictor ------------------------------------------------------------------
def pred_on_record(st: CvmState, msg: Msg, env: Env, me: str):
    c, static = env.crypto, env.static[me]
    i = st.find(msg.conn)
    need(me, i is not None and st.sessions[i].phase == "open", "no open session", CONN)
    s = st.sessions[i]
    _, record = guarded(me, c.untup, msg.payload, 2)
    prompt = guarded(me, c.aead_open, s.k_c2s, record, c.tup(c.const("record"), s.cr))
    feature, payload = guarded(me, c.untup, prompt, 2)
    if env.on("gpu-confidential-mode"):
        task = c.aead_seal(static["gpu_key"], prompt, c.const("bounce"))
    else:
        task = prompt
    sends = (Msg(me, static["gpu"], "gpu-task", task, msg.conn), _log(c, env, me, feature, payload))
    s = upd(s, phase="gpu", request=prompt)
    return (CvmState(setitem(st.sessions, i, s), st.handled),
            Out(sends, (Event("handle", me, (prompt,)),), (prompt,)))


def pred_on_gpu_result(st: CvmState, msg: Msg, env: Env, me: str):
    c, static = env.crypto, env.static[me]
    i = st.find(msg.conn)
    need(me, i is not None and st.sessions[i].phase == "gpu" and msg.src == static["gpu"],
         "unexpected GPU result", CONN_SRC)
    s = st.sessions[i]
    if env.on("gpu-confidential-mode"):
        result = guarded(me, c.aead_open, static["gpu_key"], msg.payload, c.const("bounce-out"))
    else:
        result = msg.payload
    out = Msg(me, s.peer, "peer-response",
              c.tup(c.const("peer-response"),
                    c.aead_seal(s.k_s2c, result, c.tup(c.const("result"), s.cr))), s.conn)
    s = _teardown(upd(s, result=result), env)
    return (CvmState(setitem(st.sessions, i, s), st.handled),
            Out((out,), (Event("teardown", me, (s.conn,)),), (result,)))


# --- gpu ------------------------------------------------------------------------
def gpu_on_task(st: int, msg: Msg, env: Env, me: str):
    c, static = env.crypto, env.static[me]
    if env.on("gpu-confidential-mode"):
        prompt = guarded(me, c.aead_open, static["gpu_key"], msg.payload, c.const("bounce"))
    else:
        prompt = msg.payload
    feature, payload = guarded(me, c.untup, prompt, 2)
    result = guarded(me, c.process, feature, payload)
    if env.on("gpu-confidential-mode"):
        out = c.aead_seal(static["gpu_key"], result, c.const("bounce-out"))
    else:
        out = result
    return st, Out((Msg(me, msg.src, "gpu-result", out, msg.conn),), (), (prompt, result))


ORCHESTRATOR = {"tls-hello": on_hello, "tls-record": on_record, "plain-request": on_plain_request,
                "peer-server-hello": on_peer_hello_reply, "peer-response": on_peer_response}
ORCHESTRATOR_CHOOSING = {"tls-record", "plain-request"}
PREDICTOR = {"peer-hello": on_hello, "peer-record": pred_on_record, "gpu-result": pred_on_gpu_result}
GPU = {"gpu-task": gpu_on_task}
