"""Replay a `Trace` with real cryptography (DESIGN principle 5, second half).

The symbolic model and a concrete model of the same scenario (same party
code, `protocol.concrete.ConcreteCrypto`) step in lockstep. Honest and
adversary-controlled parties run their real code with their real keys; a
delivery is the concrete message the same earlier step sent; an injection is
the symbolic payload evaluated over the bytes the adversary holds
(`proofs.replay.holdings`); the two runs must agree at every step
(`proofs.replay.lockstep`). The replay ends with the evidence: the plaintext
bytes (or identity, or link) in the adversary's hands, or the concrete event
that breaks the property.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ppverify.models.terms import Term
from ppverify.proofs.core.serial import action_from_json
from ppverify.proofs.core.verdicts import Trace
from ppverify.proofs.properties.catalogue import Facts
from ppverify.proofs.properties.links import credential_handles, linked, parts, request_handles
from ppverify.proofs.replay.holdings import Holdings, NotHeld
from ppverify.proofs.replay.lockstep import ConcreteReplayError, Lockstep, paired
from ppverify.proofs.replay.symbolic import replay_trace, scenario_of
from ppverify.protocol import attestation as att
from ppverify.protocol.concrete import decode_tuple
from ppverify.protocol.crypto import CryptoError
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.protocol.world import Inject, terms_in

SECRECY = ("request-secrecy", "response-secrecy", "forward-secrecy")
LINKS = ("client-unlinkability", "credential-unlinkability", "non-targetability")


@dataclass
class ConcreteReplay:
    trace: Trace
    steps: list[tuple[int, str, str]]                       # (number, text, rejection or "")
    leaked: dict[str, bytes] = field(default_factory=dict)  # what the adversary holds, by name
    evidence: list[str] = field(default_factory=list)       # the property's concrete breach
    injected: int = 0                                       # injections built from held bytes


def show(b, limit: int = 72) -> str:
    """Bytes as text when printable, else hex; shortened."""
    if not isinstance(b, bytes):
        return repr(b)
    if b and all(32 <= x < 127 for x in b):
        s = b.decode()
        return repr(s if len(s) <= limit else s[:limit] + "...")
    h = b.hex()
    return "0x" + (h if len(h) <= limit else h[:limit] + f"... ({len(b)} bytes)")


def _start(trace: Trace, seed: int) -> Lockstep:
    """The lockstep run of the trace's scenario; the adversary starts with its
    initial values (the symbolic ones paired with their bytes)."""
    ls = Lockstep.of(scenario_of(trace.threat, trace.scenario), seed, Holdings)
    ss, cs = ls.sym.setup, ls.con.setup
    if ls.sym.threat.actors:
        ls.values.add(paired(ss.public + ss.adversary, cs.public + cs.adversary, "initial values"))
    return ls


def replay_concrete(trace: Trace, seed: int = 0) -> ConcreteReplay:
    """Run `trace` with real cryptography; raises ConcreteReplayError if it
    does not (after checking it replays symbolically: `ReplayError`)."""
    replay_trace(trace)
    ls = _start(trace, seed)
    rep = ConcreteReplay(trace, [])
    cout = None
    for step in trace.steps:
        a = action_from_json(step.action, ls.ws.inflight)
        st = ls.step(a, where=f"step {step.number} ({step.text})")
        rep.steps.append((step.number, step.text, st.rejected or ""))
        rep.injected += isinstance(a, Inject)
        ls.values.add(st.taken)
        cout = st.cout
    if trace.property in LINKS:
        cout = _until_linked(ls, rep, cout)
    _evidence(ls, rep, cout)
    return rep


def _until_linked(ls: Lockstep, rep: ConcreteReplay, cout, limit: int = 60):
    """A symbolic link can rest on a handle the symbolic theory extracts but
    real bytes only match (an unblinded token is H(token), not the token):
    run the honest flow on until the adversary holds the handle's bytes."""
    for _ in range(limit):
        try:
            _link_evidence(ls, rep.trace.property)
            return cout
        except NotHeld:
            pass
        ds = ls.sym.deliveries(ls.ws)
        if not ds:
            break
        number = len(rep.steps) + 1
        st = ls.step(ds[0], where=f"step {number} ({ds[0]}, honest flow)")
        rep.steps.append((number, f"{ds[0]} (honest flow continues)", st.rejected or ""))
        ls.values.add(st.taken)
        cout = st.cout
    return cout


# --- evidence ------------------------------------------------------------------------
def _truth(ls: Lockstep) -> dict[Term, bytes]:
    """The scenario's chat messages and responses, symbolic -> real bytes."""
    c, out, S = ls.c, {}, SymbolicCrypto()
    for cl in Facts(ls.sym).clients:
        for chat, (_, feature, msgs) in ls.sym.setup.static[cl]["chats"].items():
            _, _, cmsgs = ls.con.setup.static[cl]["chats"][chat]
            out.update(zip(msgs, cmsgs))
            s_acct, c_acct = ls.sym.setup.static[cl]["account"], ls.con.setup.static[cl]["account"]
            for extra, cextra in (((), ()), ((s_acct,), (c_acct,))):
                out[S.process(S.const(feature), S.tup(*msgs, *extra))] = c.process(
                    c.const(feature), c.tup(*cmsgs, *cextra))
    return out


def _evidence(ls: Lockstep, rep: ConcreteReplay, cout) -> None:
    prop, facts, truth = rep.trace.property, Facts(ls.sym), _truth(ls)
    sw, cw = ls.ws, ls.wc
    if prop == "forward-secrecy":
        pairs = list(ls.wire) + [(ls.sym.setup.facts["gw_sk"], ls.con.setup.facts["gw_sk"])]
        for p, d in ls.sym.setup.parties.items():
            if d.role == "cvm":
                pairs.append((ls.sym.setup.static[p]["static_y"], ls.con.setup.static[p]["static_y"]))
                for ss, cs in zip(sw.state(p).sessions, cw.state(p).sessions):
                    if ss.phase == "closed":
                        pairs += paired(terms_in(ss), terms_in(cs), "closed session")
        ls.values.add(pairs)
        rep.evidence.append("after the session the adversary adds the recorded traffic, the gateway's "
                            "HPKE key and the CVMs' static key shares and remaining state")
    for atom in sorted(facts.secrets, key=repr):
        b = ls.values.held.get(atom)
        if b is not None:
            if b != truth[atom]:
                raise ConcreteReplayError(f"the adversary's bytes for {atom!r} are not the message")
            rep.leaked[repr(atom)] = b
    if prop == "response-secrecy":
        for r in facts.responses:
            if sw.knowledge.derivable(r) and ls.values.holds(r):
                b = ls.values.value(r)
                if b != truth[r]:
                    raise ConcreteReplayError("the adversary's response bytes are not the answer")
                rep.leaked["response"] = b
    if prop in SECRECY:
        if not rep.leaked:
            raise ConcreteReplayError(f"{prop}: the symbolic leak does not reproduce with real bytes")
        rep.evidence += [f"the adversary holds {k} = {show(v)}" for k, v in rep.leaked.items()]
    elif prop in LINKS:
        try:
            rep.evidence += _link_evidence(ls, prop)
        except NotHeld as exc:
            raise ConcreteReplayError(f"{prop}: the link does not reproduce with real bytes: {exc}") from None
    else:
        rep.evidence += _event_evidence(ls, cout)
        rep.evidence += [f"the adversary also holds {k} = {show(v)}" for k, v in rep.leaked.items()]


def _link_evidence(ls: Lockstep, prop: str) -> list[str]:
    facts, sw = Facts(ls.sym), ls.ws
    for cl in facts.clients:
        for i in range(len(sw.state(cl).sessions)):
            cred = prop == "credential-unlinkability"
            hs = (credential_handles if cred else request_handles)(ls.sym, sw, cl, i)
            if not linked(ls.sym, sw, cl, i, hs, identity_only=cred):
                continue
            for smeta, spay, cmeta, cpay in ls.sightings:
                hit = sorted(hs & parts(spay, sw.knowledge), key=repr)
                if not hit:
                    continue
                h = hit[0]
                hb = ls.values.value(h)         # NotHeld: not matchable with real bytes yet
                rebuilt = ls.values.value(spay)
                how = ("rebuilding that message from the handle gives the same bytes" if rebuilt == cpay
                       else "its bytes appear in that message" if hb in _tuple_parts(cpay) else None)
                if how is None:
                    raise ConcreteReplayError(f"{prop}: the adversary cannot match {h!r} to the message")
                return [f"a message seen with {cl}'s {show(cmeta)} carries {h!r} = {show(hb)}; {how}",
                        f"the same {h!r} travels with {cl}'s request: the adversary links them"]
    raise ConcreteReplayError(f"{prop}: no concrete link found")


def _request_text(b: bytes) -> str:
    """A request (feature, (item, ...)) as readable items."""
    try:
        feature, payload = decode_tuple(b)
        return f"{show(feature)} with items [" + ", ".join(show(x) for x in decode_tuple(payload)) + "]"
    except CryptoError:
        return show(b, 160)


def _tuple_parts(b: bytes) -> set:
    out, stack = set(), [b]
    while stack:
        x = stack.pop()
        out.add(x)
        try:
            stack.extend(decode_tuple(x))
        except CryptoError:
            pass
    return out


def _event_evidence(ls: Lockstep, cout) -> list[str]:
    """The concrete events of the violating step, produced by the real code."""
    out = []
    for e in cout.events:
        if e.name == "accept":
            ev = att.parse(ls.c, e.args[1])
            out.append(f"{e.party} accepted evidence: measurement {show(ev['meas'])}, policy "
                       f"{show(ev['policy'])}, report TCB {show(ev['tcb'])}, certificate TCB "
                       f"{show(ev['chip_tcb'])}, REPORT_DATA {show(ev['rd'])}, key share {show(e.args[2])}")
        elif e.name == "release":
            out.append(f"{e.party} released its request: {_request_text(e.args[1])}")
        elif e.name in ("answer", "keys", "redeem", "route", "handle", "respond"):
            args = ", ".join(show(x) for x in e.args if isinstance(x, (bytes, int, str)) or x is None)
            out.append(f"{e.party}: {e.name}({args})")
        elif e.name in ("consent", "auto-invoke"):
            out.append(f"{e.party}: {e.name} on chat {e.args[1]!r}")
    if not out:
        raise ConcreteReplayError("the last step emits no event that breaks the property")
    return out
