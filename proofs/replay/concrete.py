"""Replay a `Trace` with real cryptography (DESIGN principle 5, second half).

The symbolic model and a concrete model of the same scenario (same party
code, `protocol.concrete.ConcreteCrypto`) step in lockstep. Honest and
adversary-controlled parties run their real code with their real keys; a
delivery is the concrete message the same earlier step sent; an injection is
the symbolic payload evaluated over the bytes the adversary holds
(`proofs.holdings`). Both sides must agree on every rejection. The replay ends
with the evidence: the plaintext bytes (or identity, or link) in the
adversary's hands, or the concrete event that breaks the property.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ppverify.models.terms import Term
from ppverify.proofs.replay.holdings import Holdings, NotHeld
from ppverify.proofs.properties.links import linked, parts
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.properties.catalogue import Facts
from ppverify.proofs.replay.symbolic import replay_trace, scenario_of
from ppverify.proofs.core.serial import action_from_json
from ppverify.proofs.core.verdicts import Trace
from ppverify.protocol import attestation as att
from ppverify.protocol.concrete import ConcreteCrypto, decode_tuple
from ppverify.protocol.crypto import CryptoError
from ppverify.protocol.messages import Env
from ppverify.protocol.setup import build
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.protocol.world import Deliver, Inject, Invoke, Model, terms_in

SECRECY = ("request-secrecy", "response-secrecy", "forward-secrecy")
LINKS = ("client-unlinkability", "credential-unlinkability", "non-targetability")


class ConcreteReplayError(RuntimeError):
    """The trace does not run with real cryptography: an internal error."""


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


class _Lockstep:
    def __init__(self, trace: Trace, seed: int):
        sc = scenario_of(trace.threat, trace.scenario)
        self.trace, self.sc = trace, sc
        self.sm = symbolic_model(sc)
        self.c = ConcreteCrypto(seed=seed, credential_scheme=sc.param("credential-scheme"))
        setup = build(self.c, sc)
        self.cm = Model(setup, Env(self.c, sc, setup.static), symbolic=False)
        self.adv = Holdings(self.c)
        self.msgs: dict = {}          # symbolic in-flight message -> its concrete twin
        self.sightings: list = []     # (sym meta, sym payload, concrete meta, concrete payload)
        self.wire: list = []          # (sym, concrete) payloads on network links
        ss, cs = self.sm.setup, self.cm.setup
        if sc.threat.actors:
            self.adv.add(self._zip(ss.public + ss.adversary, cs.public + cs.adversary, "initial values"))

    @staticmethod
    def _zip(sym, conc, what: str):
        sym, conc = list(sym), list(conc)
        if len(sym) != len(conc):
            raise ConcreteReplayError(f"{what}: the symbolic and concrete runs differ in shape")
        return list(zip(sym, conc))

    def concrete_action(self, a, number: int):
        if isinstance(a, Invoke):
            return a
        if isinstance(a, Deliver):
            twin = self.msgs.get(a.msg)
            if twin is None:
                raise ConcreteReplayError(f"step {number}: no concrete twin of {a.msg!r} in flight")
            return Deliver(twin, a.choice)
        try:
            payload = self.adv.value(a.msg.payload)
        except NotHeld as exc:
            raise ConcreteReplayError(f"step {number}: injection not computable from held bytes: {exc}") from None
        m = a.msg
        return Inject(type(m)(m.src, m.dst, m.kind, payload, m.conn, m.meta), a.choice)

    def observe(self, a, ca, sw2, cw2, sout, cout) -> None:
        """Mirror of `World._observe` over (term, bytes) pairs."""
        sm, threat = self.sm, self.sm.threat
        party = a.client if isinstance(a, Invoke) else a.msg.dst
        pairs = []
        for s, c in self._zip(sout.sends, cout.sends, "messages sent"):
            self.msgs[s] = c
            if sm.network_link(s.src, s.dst):
                self.wire.append((s.payload, c.payload))
            if s.conn.startswith("adv.") or sm.adversary_sees(s):
                pairs.append((s.payload, c.payload))
                meta = sm.meta_of(s)
                if meta is not None:
                    self.sightings.append((meta, s.payload, self.cm.meta_of(c), c.payload))
        if isinstance(a, Inject):
            # the adversary's own message: it knows the bytes and whom it sent them to
            s, c = a.msg, ca.msg
            pairs.append((s.payload, c.payload))
            if sm.network_link(s.src, s.dst):
                self.wire.append((s.payload, c.payload))
            meta = sm.meta_of(s)
            if meta is not None:
                self.sightings.append((meta, s.payload, self.cm.meta_of(c), c.payload))
        readable = sm.setup.parties[party].readable and "meta-insider" in threat
        if party in sm.setup.corrupt or readable:
            pairs += self._zip(sout.learned, cout.learned, "values learned")
        if readable:
            pairs += self._zip(terms_in(sw2.state(party)), terms_in(cw2.state(party)), "party memory")
        if "cvm-compromise-after" in threat:
            pairs += self.wire
            if any(e.name == "teardown" for e in sout.events):
                pairs += self._zip(terms_in(sw2.state(party)), terms_in(cw2.state(party)), "party memory")
                pairs += self._compromise_keys(party)
        self.adv.add(pairs)

    def _compromise_keys(self, party: str):
        s, c = self.sm.setup, self.cm.setup
        return [(s.static[party]["static_y"], c.static[party]["static_y"]),
                (s.facts["gw_sk"], c.facts["gw_sk"])]


def replay_concrete(trace: Trace, seed: int = 0) -> ConcreteReplay:
    """Run `trace` with real cryptography; raises ConcreteReplayError if it
    does not (after checking it replays symbolically: `ReplayError`)."""
    replay_trace(trace)
    ls = _Lockstep(trace, seed)
    sw, cw = ls.sm.initial(), ls.cm.initial()
    rep = ConcreteReplay(trace, [])
    last = None
    for step in trace.steps:
        a = action_from_json(step.action, sw.inflight)
        ca = ls.concrete_action(a, step.number)
        try:
            sw2, sout, srej = ls.sm.step(sw, a)
            cw2, cout, crej = ls.cm.step(cw, ca)
        except CryptoError as exc:
            raise ConcreteReplayError(f"step {step.number}: {exc}") from None
        if (srej is None) != (crej is None):
            said = crej.reason if crej else srej.reason
            raise ConcreteReplayError(f"step {step.number} ({step.text}): the symbolic and concrete "
                                      f"runs disagree on a rejection: {said}")
        rep.steps.append((step.number, step.text, crej.reason if crej else ""))
        rep.injected += isinstance(a, Inject)
        ls.observe(a, ca, sw2, cw2, sout, cout)
        last = (sw, sw2, sout, cw2, cout)
        sw, cw = sw2, cw2
    if trace.property in LINKS:
        last = _until_linked(ls, rep, last)
    _evidence(ls, rep, *last)
    return rep


def _until_linked(ls: _Lockstep, rep: ConcreteReplay, last, limit: int = 60):
    """A symbolic link can rest on a handle the symbolic theory extracts but
    real bytes only match (an unblinded token is H(token), not the token):
    run the honest flow on until the adversary holds the handle's bytes."""
    for _ in range(limit):
        sw, cw = last[1], last[3]
        try:
            _link_evidence(ls, sw, rep.trace.property)
            return last
        except NotHeld:
            pass
        ds = ls.sm.deliveries(sw)
        if not ds:
            break
        a = ds[0]
        ca = ls.concrete_action(a, len(rep.steps) + 1)
        sw2, sout, _ = ls.sm.step(sw, a)
        cw2, cout, crej = ls.cm.step(cw, ca)
        rep.steps.append((len(rep.steps) + 1, f"{a} (honest flow continues)", crej.reason if crej else ""))
        ls.observe(a, ca, sw2, cw2, sout, cout)
        last = (sw, sw2, sout, cw2, cout)
    return last


# --- evidence ------------------------------------------------------------------------
def _truth(ls: _Lockstep) -> dict[Term, bytes]:
    """The scenario's chat messages and responses, symbolic -> real bytes."""
    c, out, S = ls.c, {}, SymbolicCrypto()
    for cl in Facts(ls.sm).clients:
        for chat, (_, feature, msgs) in ls.sm.setup.static[cl]["chats"].items():
            _, _, cmsgs = ls.cm.setup.static[cl]["chats"][chat]
            out.update(zip(msgs, cmsgs))
            s_acct, c_acct = ls.sm.setup.static[cl]["account"], ls.cm.setup.static[cl]["account"]
            for extra, cextra in (((), ()), ((s_acct,), (c_acct,))):
                out[S.process(S.const(feature), S.tup(*msgs, *extra))] = c.process(
                    c.const(feature), c.tup(*cmsgs, *cextra))
    return out


def _evidence(ls: _Lockstep, rep: ConcreteReplay, sw0, sw, sout, cw, cout) -> None:
    prop, facts, truth = rep.trace.property, Facts(ls.sm), _truth(ls)
    if prop == "forward-secrecy":
        pairs = list(ls.wire) + [(ls.sm.setup.facts["gw_sk"], ls.cm.setup.facts["gw_sk"])]
        for p, d in ls.sm.setup.parties.items():
            if d.role == "cvm":
                pairs.append((ls.sm.setup.static[p]["static_y"], ls.cm.setup.static[p]["static_y"]))
                for ss, cs in zip(sw.state(p).sessions, cw.state(p).sessions):
                    if ss.phase == "closed":
                        pairs += ls._zip(terms_in(ss), terms_in(cs), "closed session")
        ls.adv.add(pairs)
        rep.evidence.append("after the session the adversary adds the recorded traffic, the gateway's "
                            "HPKE key and the CVMs' static key shares and remaining state")
    for atom in sorted(facts.secrets, key=repr):
        b = ls.adv.held.get(atom)
        if b is not None:
            if b != truth[atom]:
                raise ConcreteReplayError(f"the adversary's bytes for {atom!r} are not the message")
            rep.leaked[repr(atom)] = b
    if prop == "response-secrecy":
        for r in facts.responses:
            if sw.knowledge.derivable(r) and ls.adv.holds(r):
                b = ls.adv.value(r)
                if b != truth[r]:
                    raise ConcreteReplayError("the adversary's response bytes are not the answer")
                rep.leaked["response"] = b
    if prop in SECRECY:
        if not rep.leaked:
            raise ConcreteReplayError(f"{prop}: the symbolic leak does not reproduce with real bytes")
        rep.evidence += [f"the adversary holds {k} = {show(v)}" for k, v in rep.leaked.items()]
    elif prop in LINKS:
        try:
            rep.evidence += _link_evidence(ls, sw, prop)
        except NotHeld as exc:
            raise ConcreteReplayError(f"{prop}: the link does not reproduce with real bytes: {exc}") from None
    else:
        rep.evidence += _event_evidence(ls, cout)
        rep.evidence += [f"the adversary also holds {k} = {show(v)}" for k, v in rep.leaked.items()]


def _link_evidence(ls: _Lockstep, sw, prop: str) -> list[str]:
    from ppverify.proofs.properties.links import credential_handles, request_handles
    facts = Facts(ls.sm)
    for cl in facts.clients:
        for i in range(len(sw.state(cl).sessions)):
            cred = prop == "credential-unlinkability"
            hs = (credential_handles if cred else request_handles)(ls.sm, sw, cl, i)
            if not linked(ls.sm, sw, cl, i, hs, identity_only=cred):
                continue
            for smeta, spay, cmeta, cpay in ls.sightings:
                hit = sorted(hs & parts(spay, sw.knowledge), key=repr)
                if not hit:
                    continue
                h = hit[0]
                hb = ls.adv.value(h)         # NotHeld: not matchable with real bytes yet
                rebuilt = ls.adv.value(spay)
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


def _event_evidence(ls: _Lockstep, cout) -> list[str]:
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
