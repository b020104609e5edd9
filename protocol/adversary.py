"""The active adversary's moves: which messages it may inject where.

For every honest party that is waiting for a message, `expectations` gives
the receiver's pattern (a template with typed variables, `models.templates`).
The adversary injects every instance of that pattern it can derive: replays of
known messages (unification) and new messages built from derivable parts.
Patterns only fix what the receiver itself fixes (its own keys, nonces and
expected REPORT_DATA), so no derivable message the receiver would accept is
left out, except where a variable's pool is limited to known terms of its
type (atoms: complete, with the adversary's fresh values lowest unused
first, `models.supply`; compound values: the known ones, which include a
corrupt ledger's own trees and lists, `setup._ledger_views`; each remaining
restriction is argued where it is made). A forwarder (the gateway on the CVM
side) gets the pattern of the client it forwards to. The server hellos a
verifier accepts: `server_hellos`. Hellos of the adversary's own:
`prefetches` up front, `hellos.mitm_hellos` mid-run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from ppverify.models import supply
from ppverify.models.indexes import derived, index_bits, indexed, pool, role
from ppverify.models.templates import Var, candidates, known_matches
from ppverify.models.terms import App, const, tup
from ppverify.protocol.hellos import hello_source, mitm_hellos
from ppverify.protocol.server_hellos import hello_templates as _hello_templates, shares as _shares
from ppverify.protocol.messages import Msg
from ppverify.protocol.parties.client import INFO, response_ad
from ppverify.protocol.symbolic import SymbolicCrypto

S = SymbolicCrypto()
REQUEST_TYPES = ("tup:feature:summary", "tup:feature:writing-help")
def V(name: str, type_: str, roles: tuple[str, ...] = ()) -> Var:
    return Var(name, type_, roles)


def _ohttp_resp(model, exp, inner):
    if not model.env.on("ohttp-encapsulation"):
        return inner
    return App("aead", (S.kdf(exp, "ohttp:response"), inner, const("ohttp-resp")))


def _routes():
    """Route ids: the gateway's (known ones), or one of the adversary's. A
    route id is only looked up by the gateway among its own routes, so every
    id of the adversary's fails that lookup alike (and a corrupt gateway
    reads whatever comes): its first nonce stands for all of them."""
    return (V("route", "nonce", ("route",)), S.fresh(supply.name("nonce", 1), "nonce"))


def _answers():
    return (V("ans", "process"), const("adv:answer"))


def client_expectations(model, st, me: str, shares: tuple):
    """The patterns of client `me` in state `st`; of the adversary's
    knowledge they read only the known key shares."""
    i = st.current()
    if i is None:
        return
    s = st.sessions[i]
    base = f"{me}.s{i + 1}."
    hop = "relay" if model.env.on("third-party-relay") else "gateway"
    if s.phase == "keying":
        f = model.setup.facts
        ipk = V("ipk", "pk:cred")
        # checked: a signature by the primary key; unchecked: any value does,
        # so the genuine one stands for all of them
        ks = (App("sig", (f["primary"], tup(const("attr-key"), ipk)))
              if model.env.on("issuer-key-consistency") else f["key_sig"])
        yield "acs", "issuer-key", base + "acs", tup(const("issuer-key"), ipk, ks)
    elif s.phase == "issuing":
        yield "acs", "issued", base + "acs", tup(const("issued"), App("evalb", (V("isk", "cred"), s.blinded)))
    elif s.phase == "config":
        src = "cdn" if model.env.on("third-party-key-config") else "gateway"
        yield src, "config", base + "cfg", tup(const("config"), V("gpk", "pk:hpke"))
    elif s.phase == "ledger":
        f = model.setup.facts
        root, rev = V("root", "mroot"), V("rev", "tup:revoked")
        es = (App("sig", (f["auditor"], tup(const("epoch"), root, rev)))
              if model.env.on("ledger-consistency") else f["view"][1])
        yield "ledger", "ledger-view", base + "ledger", tup(const("ledger-view"), root, es, rev)
    elif s.phase == "hello":
        for sh in _hello_templates(model, shares, s.cr, s.x, s.view):
            for route in _routes():
                yield hop, "ohttp-resp1", base + "r1", _ohttp_resp(model, s.exp, tup(route, sh))
    elif s.phase == "data":
        conn = base + ("r2" if model.env.on("ra-tls") else "r1")
        for ans in _answers():
            if not model.env.on("ra-tls"):
                yield hop, "ohttp-resp2", conn, _ohttp_resp(model, s.exp, tup(const("resp"), ans))
                continue
            for ad in _response_ads(model, s):
                inner = tup(const("resp"), App("aead", (s.k_s2c, ans, ad)), ad)
                yield hop, "ohttp-resp2", conn, _ohttp_resp(model, s.exp, inner)


def _response_ads(model, s):
    """The associated data of a response: pinned to the client's own binding
    when it checks it (response-authentication), which the adversary can
    build from parts it holds even before any response was seen; otherwise
    also any known value of the type."""
    yield response_ad(S, s.cr, s.request)
    if not model.env.on("response-authentication"):
        yield V("ad", "tup:response")


ATOM_RANDOMNESS = "atom:hpke"


def _sealed(model, inner):
    """A request sealed to the gateway. The encapsulation's randomness is an
    atom: the gateway reads it only through the exporter secret
    hexp(e, pk) (`theory`), which the adversary builds alike from any value it
    knows, and the exporter of a compound value equals no honest one (honest
    randomness is an atom). So compound values lose no behaviour (as the
    evidence keys of `server_hellos`), where the pool of the type "hpke" also
    held every known ciphertext and multiplied each request by them: under
    relay+cdn 53 values, 3 of them atoms, and the gateway's requests passed
    any injection budget."""
    if not model.env.on("ohttp-encapsulation"):
        return inner
    return App("hpke", (model.setup.static["gateway"]["gw_pub"], const(INFO), inner, V("e", ATOM_RANDOMNESS)))


def gateway_expectations(model, w, me: str):
    st = w.state(me)
    # Requests arrive from the relay, or straight from clients (which are
    # never corrupt and whose hops are TLS): only a corrupt relay can inject.
    src = "relay"
    conn = f"adv.r{len(st.routes) + 1}"
    token = V("T", "nonce", ("token", "adv"))
    cred = App("cred", (V("csk", "cred"), token))
    hello = tup(const("client-hello"), V("cr", "nonce", ("cr", "adv")), V("X", "pk:dh", ("x", "adv")))
    yield src, "ohttp-req1", conn, _sealed(model, tup(const("req1"), token, cred, V("f", "const:feature"), hello))
    for rt in REQUEST_TYPES:
        yield src, "ohttp-req1", conn, _sealed(model, tup(const("req1-plain"), token, cred,
                                                         V("f", "const:feature"), V("q", rt)))
    # A request's route id is looked up among this gateway's routes, and a
    # miss is rejected without effect: only the ids it holds can matter.
    for route in dict.fromkeys(r.route for r in st.routes if r.route is not None):   # (None: a slot placeholder)
        yield from _second_requests(model, w.knowledge, src, conn, route)
    for r in st.routes:
        # The gateway forwards whatever the CVM side sends; only what the
        # client behind this route would accept can matter, so the patterns
        # are the client's own (junk would die at the client, unseen).
        owner = _route_owner(model, w, r)
        if owner is None:
            continue
        cs = owner
        if cs.phase == "hello":
            for sh in _hello_templates(model, _shares(w.knowledge), cs.cr, cs.x, cs.view):
                yield r.cvm, "tls-server-hello", r.conn, sh
        elif cs.phase == "data" and cs.k_s2c is not None:
            for ans in _answers():
                for ad in _response_ads(model, cs):
                    yield r.cvm, "tls-response", r.conn, tup(const("tls-response"),
                                                             App("aead", (cs.k_s2c, ans, ad)), ad)
        elif cs.phase == "data":
            for ans in _answers():
                yield r.cvm, "plain-response", r.conn, tup(const("plain-response"), ans)


RECORD, JUNK, ANY_RECORD = const("record"), const("record:junk"), V("rec", "aead")
_RECORDS: dict = {}   # the mask of a knowledge set's known aead terms -> those shaped as records
_RECORDS_KEPT = 4096


def _second_requests(model, k, src: str, conn: str, route):
    """The gateway forwards a second request's record to the route's CVM
    unread, and a record the CVM cannot open dies there without effect (a
    refused delivery); its own step (the route's way back) does not read it.
    So every record the CVM can never open (its associated data is no
    <'record', _>) acts as any other, and one junk value stands for them all.
    Known requests come in whole (replays of ciphertexts the adversary cannot
    open: their record is no known term), the others are built from the known
    records and the junk one. Where all known aead terms were each a value,
    under relay+cvm-compromise-after+hw-vendor 2,180 of them, one gateway
    state took 22,357 injections of this kind and the grounding gave up."""
    whole = _sealed(model, tup(const("req2"), route, ANY_RECORD))
    records = _known_records(k)
    for t, env in known_matches(whole, k, {}) if whole.op == "hpke" else ():   # (a known tuple's parts are known)
        if dict(env).get(ANY_RECORD) not in records:
            yield src, "ohttp-req2", conn, t
    for rec in records + (JUNK,):
        yield src, "ohttp-req2", conn, _sealed(model, tup(const("req2"), route, rec))


def _known_records(k) -> tuple:
    """The known aead terms a CVM could open as a request record, in index order."""
    memo = derived(k)
    bits = index_bits(k, "aead", memo)
    hit = _RECORDS.get(bits)
    if hit is None:
        if len(_RECORDS) >= _RECORDS_KEPT:
            _RECORDS.clear()
        hit = _RECORDS[bits] = tuple(t for t in indexed(k, "aead", memo) if _is_record(t))
    return hit


def _is_record(t) -> bool:
    ad = t.args[2]
    return type(ad) is App and ad.op == "tup" and len(ad.args) == 2 and ad.args[0] is RECORD


def relay_expectations(model, w, me: str):
    """The relay forwards a response on a pending connection to its client
    unchanged, so what it accepts that can matter is what that client would
    accept there (the pattern of a forwarder, as for the gateway): the
    answers of a corrupt gateway reach the client this way."""
    for conn, client in w.state(me).pending:
        if model.roles.get(client) != "client":
            continue
        for src, kind, cconn, tpl in _own_expectations(model, w, client, "client"):
            if src == me and cconn == conn:
                yield "gateway", kind, conn, tpl


def _route_owner(model, w, r):
    """The client session a gateway route serves (from its connection id)."""
    client, _, rest = r.back_conn.partition(".s")
    if client not in model.setup.parties or model.roles.get(client) != "client":
        return None
    i = int(rest.split(".")[0]) - 1
    return w.state(client).sessions[i]


def cvm_expectations(model, st, me: str, shares: tuple, hellos: tuple):
    """The patterns of CVM `me` in state `st`; of the adversary's knowledge
    they read only the known key shares and the known hellos of its kind."""
    static = model.setup.static[me]
    is_orch = "predictors" in static
    hello_kind, src = hello_source(model, me)
    conn = f"adv.{me}.{st.handled + 1}"
    # Replays of hellos seen on the wire with somebody else's key share...
    for known in hellos:
        if role(known.args[1].args[2]) != "adv":
            yield src, hello_kind, conn, known
    # (hellos of its own: `mitm_hellos`, and the up-front `prefetches`)
    for s in st.sessions:
        if s.phase == "open" and s.k_c2s is not None:
            kind = "tls-record" if is_orch else "peer-record"
            for rt in REQUEST_TYPES:
                yield s.peer, kind, s.conn, tup(const(kind), App("aead", (
                    s.k_c2s, V("q", rt), tup(const("record"), s.cr))))
        if is_orch and s.phase == "peer" and s.peer_k_c2s is None:
            for sh in _hello_templates(model, shares, s.peer_cr, s.peer_x, static["view"],
                                       model.env.on("cvm-peer-attestation")):
                yield s.peer, "peer-server-hello", s.peer_conn, sh
        if is_orch and s.phase == "peer" and s.peer_k_s2c is not None:
            yield s.peer, "peer-response", s.peer_conn, tup(const("peer-response"), App("aead", (
                s.peer_k_s2c, V("res", "process"), tup(const("result"), s.peer_cr))))
        if not is_orch and s.phase == "gpu":
            gkey = static["gpu_key"]
            res = V("res", "process")
            tpl = App("aead", (gkey, res, const("bounce-out"))) if model.env.on("gpu-confidential-mode") else res
            yield static["gpu"], "gpu-result", s.conn, tpl


def prefetches(model, w, only: str | None = None) -> list[Msg]:
    """Before any client acts, the adversary opens one handshake with every
    CVM it can reach, with its own first random and key share, and keeps the
    evidence. Kept next to the hello injections (`cvm_expectations`) as a
    free canonical shortcut, not a restriction: it is one instance of that
    pattern, a CVM answers a hello the same whenever it comes (only its
    session number, a name, moves), evidence only adds to the adversary's
    knowledge, and the CVM keeps a slot for it besides those of the later
    hellos (`setup.ADVERSARY_HELLOS`), so it blocks no other run. Being free,
    it lets attacks that need one handshake of the adversary's and two more
    injections be found within the default bound. `only`: those to that CVM."""
    if w.knowledge is None or not model.threat.actors:
        return []
    cvms = model.__dict__.get("_cvms")
    if cvms is None:   # the CVMs, in name order
        cvms = model.__dict__["_cvms"] = tuple(p for p, d in sorted(model.setup.parties.items()) if d.role == "cvm")
    out = []
    for p in cvms if only is None else (only,) if only in cvms else ():
        kind, src = hello_source(model, p)
        if not model.adversary_injects(src, p) or (w.state(p).handled and not model.timeless_hellos):
            continue   # (timeless: the grounding's later slots stand for other CVMs' first sessions too)
        hello = tup(const("client-hello"), S.fresh(supply.name("nonce", 1), "nonce"),
                    S.dh_pub(S.fresh(supply.name("dh", 1), "dh")))
        out.append(Msg(src, p, kind, tup(const(kind), hello), f"adv.{p}.pre"))
    return out


def expectations(model, w, only: str | None = None):
    """(src, dst, kind, conn, template) for every honest party that waits
    (or for `only` that party)."""
    waiting = model.__dict__.get("_waiting")
    if waiting is None:   # the honest parties that may wait, in name order
        waiting = model.__dict__["_waiting"] = tuple(
            (p, d.role) for p, d in sorted(model.setup.parties.items())
            if p not in model.setup.corrupt and d.role in ("gateway", "relay", "client", "cvm"))
    for p, r in waiting:
        if only is not None and p != only:
            continue
        if r in ("client", "cvm"):
            yield from _injectable(model, p, _own_expectations(model, w, p, r))
            if r == "cvm":
                yield from mitm_hellos(model, w, p)
            continue
        gen = gateway_expectations(model, w, p) if r == "gateway" else relay_expectations(model, w, p)
        for src, kind, conn, tpl in gen:
            if model.adversary_injects(src, p):
                yield src, p, kind, conn, tpl


def _injectable(model, p: str, own: tuple) -> tuple:
    """The entries of `own` (a memoized `_own_expectations` tuple of party
    `p`) on links the adversary injects on, with `p` as receiver: memoized
    per model on the tuple (found by identity; the entry holds it)."""
    memo = model.__dict__.setdefault("_injectable_memo", {})
    hit = memo.get(id(own))
    if hit is None or hit[0] is not own:
        hit = memo[id(own)] = (own, tuple((src, p, kind, conn, tpl) for src, kind, conn, tpl in own
                                          if model.adversary_injects(src, p)))
    return hit[1]


def _reads(model, k, p: str, role: str) -> tuple:
    """What of the knowledge a client's or CVM's patterns read (the arguments
    of `client_expectations` and `cvm_expectations` after the state)."""
    if role == "client":
        return (_shares(k),)
    kind, _ = hello_source(model, p)
    return _shares(k), (tuple(pool(k, "tup:" + kind)) if k is not None else ())


def _own_expectations(model, w, p: str, role: str) -> tuple:
    """A client's or CVM's patterns are a function of the model, its own
    state and what of the knowledge they read (`_reads`), so they are
    memoized per model on those: a few hundred entries for a whole search,
    where a memo per knowledge set recomputed them for every set. In front of
    that, one entry per knowledge set and party state (`indexes.derived`,
    kept for recently used sets only), found by identity: successor worlds
    share most party states, which spares hashing a whole party state."""
    st, k = w.state(p), w.knowledge
    fn = client_expectations if role == "client" else cvm_expectations
    # The memos of knowledge sets are shared by every model, so entries name
    # theirs; an entry holds the objects whose ids it is keyed on, so those
    # ids cannot be reused while it exists.
    memo = derived(k) if k is not None else {}   # no adversary: no knowledge to find it by
    e = memo.get(("expect-id", id(model), p, id(st)))
    if e is not None and e[0] is model and e[1] is st:
        return e[2]
    reads = _reads(model, k, p, role)
    by_reads = model.__dict__.setdefault("_expect_memo", {})
    key = (p, st, reads)
    hit = by_reads.get(key)
    if hit is None:
        hit = by_reads[key] = tuple(fn(model, st, p, *reads))
    memo[("expect-id", id(model), p, id(st))] = (model, st, hit)
    return hit


@dataclass(frozen=True)
class Cut:
    """In `injections`' stream, after a pattern's candidates: its enumeration hit the budget."""
    src: str
    dst: str
    kind: str

    def __str__(self) -> str:
        return f"{self.kind} to {self.dst} as {self.src}"


def injections(model, w, expected=None, budget_per_template: int = 4000,
               offered: dict | None = None) -> Iterator[tuple[Msg | Cut, bool]]:
    """Every candidate injection, and whether its enumeration hit the budget
    (after the candidates of a pattern cut by it, a `Cut` naming the pattern).
    `expected`: the result of `expectations(model, w)`, if already computed.
    `offered`: the candidates offered so far per expectation, kept by a
    caller that asks about one party state again and again as the knowledge
    grows; only those not offered before come (the candidates of a pattern
    are often the very same tuple, `templates.candidates`)."""
    k = w.knowledge
    if k is None or not model.threat.actors:
        return
    for entry in (expectations(model, w) if expected is None else expected):
        src, dst, kind, conn, tpl = entry
        terms, exhausted = candidates(tpl, k, budget_per_template)
        if offered is not None:
            before = offered.get(entry)
            if before is terms:
                continue
            offered[entry] = terms
            if before:
                old = {t for t, _ in before}
                terms = tuple(c for c in terms if c[0] not in old)
        for term, hit in terms:
            yield Msg(src, dst, kind, term, conn), hit
        if exhausted:
            yield Cut(src, dst, kind), True
