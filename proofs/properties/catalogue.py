"""The 19 properties of SPEC section 6, each a named value with its statement,
its encoding (how it is checked, and how strong that is) and a monitor.

A monitor looks at one transition (world before, world after, what the
acting party emitted) and returns why the property is violated there, or
None. Secrecy monitors read the adversary's knowledge; correspondence monitors
read events; privacy monitors read link facts (`links`). Every property's
reachability partner is the same: the honest session completes (`completed`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ppverify.models.terms import App, contains
from ppverify.proofs.properties.encodings import AFTER, COUNT, LOCAL, Agreement, Secret, Spec
from ppverify.proofs.properties.facts import Facts
from ppverify.proofs.properties.links import credential_handles, linked, request_handles
from ppverify.proofs.properties.watch import KNOWLEDGE, LINKS, Wakes, on
from ppverify.protocol.world import terms_in

__all__ = ["PROPERTIES", "PROPERTY_NAMES", "BY_NAME", "Facts", "Property", "completed", "smt_encoding"]
ATTEST_CHECKS = ("attestation-signature", "tcb-from-certificate", "guest-policy-check")


@dataclass(frozen=True)
class Property:
    name: str
    statement: str
    encoding: str
    monitor: Callable
    wakes: Wakes          # the transitions its monitor can fire on (`watch`)


def _new(out, name):
    return [e for e in out.events if e.name == name]


# --- secrecy ----------------------------------------------------------------------
def request_secrecy(f: Facts, w0, w, out) -> Optional[str]:
    k = w.knowledge
    if k is w0.knowledge:
        return None
    leaked = sorted(repr(a) for a in f.secrets if a in k.known)
    return f"the adversary derives request plaintext {', '.join(leaked)}" if leaked else None


def response_secrecy(f: Facts, w0, w, out) -> Optional[str]:
    k = w.knowledge
    if k is w0.knowledge:
        return None
    for r in f.responses:
        if k.derivable(r):
            return f"the adversary derives the response {r!r}"
    return None


def forward_secrecy(f: Facts, w0, w, out) -> Optional[str]:
    """Checked when a session ends: the adversary gets the recorded traffic,
    the gateway key, every CVM's static key share and what CVM sessions that
    have ended still hold (live sessions are not 'after the session')."""
    if not _new(out, "answer"):
        return None
    model = f.model
    extra = list(w.wire) + [model.setup.facts["gw_sk"]]
    for p, d in model.setup.parties.items():
        if d.role == "cvm":
            extra.append(model.setup.static[p]["static_y"])
            for s in w.state(p).sessions:
                if s.phase == "closed":
                    extra += list(terms_in(s))
    k = w.knowledge.add(extra)
    past = set()
    for cl in f.clients:
        for s in w.state(cl).sessions:
            if s.phase == "done":
                past |= {m for m in f.secrets if s.request is not None and contains(s.request, m)}
    leaked = sorted(repr(a) for a in past if a in k.known)
    if leaked:
        return ("after the session, recorded traffic plus the CVMs' remaining state and the "
                f"gateway key yield {', '.join(leaked)}")
    return None


# --- attestation ---------------------------------------------------------------------
def _on_event(name):
    """A monitor that runs `check(f, w, out, event)` on each new `name` event."""
    def wrap(check):
        def monitor(f: Facts, w0, w, out):
            for e in _new(out, name):
                why = check(f, w, out, e)
                if why:
                    return why
            return None
        return monitor
    return wrap


_on_accept = _on_event("accept")
_on_release = _on_event("release")


def _body(evidence):
    return evidence.args[0] if isinstance(evidence, App) else None


_AGREEMENTS: dict = {}   # monitor -> its Agreement (the SMT encoding's statement)


def _agreement(event: str, why: str, anchor=None):
    """A correspondence property: every new `event` needs earlier events that
    `holds(f, e, events)` accepts. The explorer's monitor and the SMT encoding
    both use `holds`, so the two engines check the same statement."""
    def wrap(holds):
        def monitor(f: Facts, w0, w, out):
            for e in _new(out, event):
                if not holds(f, e, w.events):
                    return why.format(e=e, party=e.party, args=e.args)
            return None
        _AGREEMENTS[monitor] = Agreement(event, holds, anchor)
        return monitor
    return wrap


@_agreement("accept", "{party} accepted key share {args[2]!r} that no CVM attested with this evidence")
def attested_peer(f, e, events):
    _, evidence, Y, cr, _ = e.args
    return any(a.name == "attest" and a.args[0] == _body(evidence) and a.args[1] == Y for a in events)


@_agreement("accept", "{party} accepted evidence not produced for its client random {args[3]!r}")
def evidence_freshness(f, e, events):
    _, evidence, Y, cr, _ = e.args
    return any(a.name == "attest" and a.args[0] == _body(evidence) and a.args[2] == cr for a in events)


@_on_accept
def genuine_tee(f, w, out, e):
    _, evidence, _, _, rd = e.args
    failed = f.ground_failures(evidence, rd, ATTEST_CHECKS)
    return f"{e.party} accepted evidence failing {', '.join(failed)}" if failed else None


def _meas(evidence):
    try:
        return evidence.args[0].args[1]
    except (AttributeError, IndexError):
        return None


def published_code(f: Facts, w0, w, out) -> Optional[str]:
    for e in _new(out, "accept"):
        m = _meas(e.args[1])
        if m not in f.published or m in f.revoked:
            return f"{e.party} accepted measurement {m!r}, not published or revoked"
    for e in _new(out, "handle"):
        st = f.model.setup.static[e.party]
        m = st["measurement"]
        if m not in f.published or m in f.revoked or st["config"] != "default":
            return (f"{e.party} handles plaintext running {m!r} with configuration "
                    f"{st['config']!r}")
    return None


@_on_accept
def no_split_view(f, w, out, e):
    m = _meas(e.args[1])
    return None if m in f.published else f"{e.party} accepted {m!r}, absent from the auditor-signed log"


@_on_accept
def revocation_respected(f, w, out, e):
    m = _meas(e.args[1])
    return f"{e.party} accepted revoked measurement {m!r}" if m in f.revoked else None


def _same_session_accept(e, a) -> bool:
    return a.name == "accept" and a.party == e.party and a.args[0] == e.args[0]


@_agreement("answer", "{party} accepted answer {args[2]!r} that no attested CVM produced for its request",
            _same_session_accept)
def response_integrity(f, e, events):
    i, request, answer = e.args
    acc = [a for a in events if a.name == "accept" and a.party == e.party and a.args[0] == i]
    return any(r.name == "respond" and r.args[0] == a.args[2] and r.args[1] == request
               and r.args[2] == answer for a in acc for r in events)


# --- privacy ---------------------------------------------------------------------------
def _unchanged(w0, w) -> bool:
    """Same sightings and knowledge object (`is` first: sets compare member by member)."""
    return (w.sightings is w0.sightings or w.sightings == w0.sightings) and w.knowledge is w0.knowledge


def client_unlinkability(f: Facts, w0, w, out) -> Optional[str]:
    if not f.meta or _unchanged(w0, w):
        return None
    for cl in f.clients:
        for i in range(len(w.state(cl).sessions)):
            why = linked(f.model, w, cl, i, request_handles(f.model, w, cl, i))
            if why:
                return f"Meta-side parties link {cl}'s request: {why}"
    return None


def credential_unlinkability(f: Facts, w0, w, out) -> Optional[str]:
    if _unchanged(w0, w):
        return None
    for cl in f.clients:
        for i in range(len(w.state(cl).sessions)):
            why = linked(f.model, w, cl, i, credential_handles(f.model, w, cl, i), identity_only=True)
            if why:
                return f"issuance to {cl} is linked to its redemption: {why}"
    return None


def key_consistency(f: Facts, w0, w, out) -> Optional[str]:
    for e in _new(out, "keys"):
        _, gw, issuer = e.args
        if gw != f.gw_pub or issuer != f.attr_pub:
            return f"{e.party} uses keys {gw!r}, {issuer!r}, not the ones published for everybody"
    return None


def non_targetability(f: Facts, w0, w, out) -> Optional[str]:
    if not f.meta:
        return None
    for e in _new(out, "route"):
        token, cvm = e.args
        for cl in f.clients:
            for i, s in enumerate(w.state(cl).sessions):
                if s.token == token:
                    why = linked(f.model, w, cl, i, request_handles(f.model, w, cl, i))
                    if why:
                        return f"the gateway routes {cl}'s request to {cvm} knowing whose it is: {why}"
    return None


def counted_redemption(e) -> bool:
    """A redemption of a token that is not the adversary's: tokens it minted
    under a key it holds are not the clients'."""
    return e.name == "redeem" and not getattr(e.args[0], "name", "").startswith("adv.")


def token_single_use(f: Facts, w0, w, out) -> Optional[str]:
    for e in _new(out, "redeem"):
        if e.args[1] > 1:
            return f"token {e.args[0]!r} accepted {e.args[1]} times"
    redeemed = {e.args[0] for e in w.events if counted_redemption(e)}
    issued = sum(1 for e in w.events if e.name == "issue")   # elements signed: one token each
    honest_issuer = "acs" not in f.model.setup.corrupt  # a corrupt issuer issues off the record
    if _new(out, "redeem") and honest_issuer and len(redeemed) > issued:
        return f"{len(redeemed)} tokens redeemed but only {issued} issued"
    return None


# --- client-side release ------------------------------------------------------------------
@_on_release
def release_after_attestation(f, w, out, e):
    acc = [a for a in _new(out, "accept") if a.args[0] == e.args[0]]
    if not acc:
        return f"{e.party} released task data without any attested channel"
    failed = f.ground_failures(acc[0].args[1], acc[0].args[4])
    return f"{e.party} released task data after evidence failing {', '.join(failed)}" if failed else None


@_agreement("release", "{party} sent a request nobody asked for (background trigger)")
def user_consent(f, e, events):
    return any(c.name == "consent" and c.party == e.party and c.args[0] == e.args[0] for c in events)


@_on_release
def chat_privacy_respected(f, w, out, e):
    hits = sorted(repr(m) for m in f.acp if contains(e.args[1], m))
    return f"{e.party}'s request includes {', '.join(hits)} from a chat with ACP on" if hits else None


@_on_release
def data_minimization(f, w, out, e):
    acct = f.model.setup.static[e.party]["account"]
    return f"{e.party}'s request carries account identifier {acct!r}" if contains(e.args[1], acct) else None


PROPERTIES: tuple[Property, ...] = (
    Property("request-secrecy", "no adversary-controlled party ever derives the request plaintext",
             "secrecy: no chat message atom is ever in the adversary's knowledge (exact Dolev-Yao deduction)",
             request_secrecy, wakes=KNOWLEDGE),
    Property("response-secrecy", "no adversary-controlled party ever derives the response plaintext",
             "secrecy: no response term is derivable (analysis + synthesis)", response_secrecy, wakes=KNOWLEDGE),
    Property("forward-secrecy", "compromise after the session (CVM state, gateway key) reveals no past request",
             "secrecy after a session ends, with the recorded traffic, every CVM's remaining state "
             "and the gateway key added to the adversary's knowledge", forward_secrecy, wakes=on("answer")),
    Property("attested-peer", "the party holding the client's channel key is the CVM whose evidence the client accepted",
             "correspondence: accept(evidence, Y) needs attest(evidence, Y) by a CVM", attested_peer, wakes=on("accept")),
    Property("evidence-freshness", "accepted evidence was produced after the client chose this session's randomness",
             "correspondence: accepted evidence was produced in answer to this session's client random",
             evidence_freshness, wakes=on("accept")),
    Property("genuine-tee", "the client accepts only a real TEE: vendor chain, acceptable TCB, acceptable policy",
             "ground truth at accept: chain to the pinned ARK, TCB from the VCEK certificate, no debug",
             genuine_tee, wakes=on("accept")),
    Property("published-code", "every CVM that handles plaintext runs code whose digest is public in the ledger, with measured inputs only",
             "ground truth at accept and at every CVM that decrypts a request: published, unrevoked, default configuration",
             published_code, wakes=on("accept", "handle")),
    Property("no-split-view", "any digest a client accepts is visible to every other client and to auditors",
             "ground truth at accept: the measurement is in the auditor-signed global log", no_split_view, wakes=on("accept")),
    Property("revocation-respected", "a revoked digest is never accepted after the client refreshed its list",
             "ground truth at accept: the measurement is not on the current revocation list",
             revocation_respected, wakes=on("accept")),
    Property("response-integrity", "the client accepts a response only if the attested CVM produced it for this request",
             "correspondence: answer(request, r) needs respond(Y, request, r) by the CVM whose key share Y the client accepted",
             response_integrity, wakes=on("answer")),
    Property("client-unlinkability", "Meta-side parties cannot link a request to the client's address or identity",
             "link facts: with meta-insider in the coalition, no adversary sighting that carries the client's "
             "address or identity contains (after decryption with derivable keys) a value of the request; "
             "does not model timing or traffic volume", client_unlinkability, wakes=LINKS),
    Property("credential-unlinkability", "issuance (identity, blinded value) cannot be linked to redemption (token)",
             "link facts: no sighting carrying the client's identity contains its token, credential or a per-client issuer key",
             credential_unlinkability, wakes=LINKS),
    Property("key-consistency", "all clients use the same gateway and issuer keys in an epoch",
             "the keys a client accepts equal the ones published for everybody (one client stands for all)",
             key_consistency, wakes=on("keys")),
    Property("non-targetability", "Meta cannot steer a chosen user's request to a CVM of its choice",
             "link facts at routing time: when the gateway picks the CVM, a meta-insider coalition does not "
             "already know whose request it is", non_targetability, wakes=on("route")),
    Property("token-single-use", "each token is accepted at most once; redemptions never exceed issuances",
             "counting: redeem events per token <= 1 and distinct redeemed tokens <= issue events",
             token_single_use, wakes=on("redeem")),
    Property("release-after-attestation", "no task data leaves the client before its attestation checks all pass",
             "at release: the accepted evidence passes every check with every control on", release_after_attestation, wakes=on("release")),
    Property("user-consent", "every request follows an explicit user action for that feature",
             "correspondence: release needs a consent event of the same session", user_consent, wakes=on("release")),
    Property("chat-privacy-respected", "no message from a chat with ACP on reaches any request",
             "at release: no message atom of an ACP chat occurs in the request", chat_privacy_respected, wakes=on("release")),
    Property("data-minimization", "no account identifier appears in any request",
             "at release: the account identifier does not occur in the request", data_minimization, wakes=on("release")),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)
BY_NAME = {p.name: p for p in PROPERTIES}


def completed(f: Facts, w0, w, out) -> bool:
    """The reachability partner: a user-invoked session ends with the right answer."""
    for e in _new(out, "answer"):
        i, request, answer = e.args
        if answer in f.responses and any(c.name == "consent" and c.party == e.party
                                         and c.args[0] == i for c in w.events):
            return True
    return False


def smt_encoding(name: str) -> Optional[Spec]:
    """How the SMT engine states a property (None: not encoded in z3; the
    explorer's verdict stands). Secrecy and correspondence are the same
    statements as the monitors; local monitors are evaluated per transition."""
    if name == "request-secrecy":
        return Secret(lambda f: f.secrets)
    if name == "response-secrecy":
        return Secret(lambda f: f.responses, derivable=True)
    if name == "token-single-use":
        return COUNT
    if name == "forward-secrecy":
        return AFTER
    agreement = _AGREEMENTS.get(BY_NAME[name].monitor)
    if agreement is not None:
        return agreement
    if name in ("genuine-tee", "published-code", "no-split-view", "revocation-respected",
                "key-consistency", "release-after-attestation", "chat-privacy-respected",
                "data-minimization"):
        return LOCAL
    return None  # the link facts: settled per grounding where exact (the adapter's refine)
