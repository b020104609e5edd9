"""Private Processing's properties as the SMT engine states them: the
catalogue's specs (`properties.encodings`) grounded with a scenario's facts
into `core.encodings`, and the link facts settled on a grounding."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, assert_never

from ppverify.models.terms import contains
from ppverify.proofs.core.encodings import (AfterSession, Correspondence, Count, Links, Local, Never, Secrecy,
                                            SmtEncoding, Unsettled)
from ppverify.proofs.core.system import Monitor
from ppverify.proofs.properties import encodings as spec
from ppverify.proofs.properties.catalogue import Facts, counted_redemption, smt_encoding
from ppverify.proofs.properties.links import metas, session_handles
from ppverify.protocol.world import Model, terms_in

LINK_FACTS = ("client-unlinkability", "credential-unlinkability", "non-targetability")


class Encodings:
    """The SMT encodings of one scenario's properties."""

    def __init__(self, model: Model, facts: Facts):
        self.model, self.facts = model, facts

    def smt_encoding(self, prop: str, monitor: Monitor) -> Optional[SmtEncoding]:
        """The property as the SMT engine states it (see `engines.smt`);
        `monitor` is its monitor, for the properties checked per transition."""
        if prop in LINK_FACTS:
            return Unsettled()  # decided per grounding, see `refine`
        enc, f = smt_encoding(prop), self.facts
        match enc:
            case None:
                return None
            case spec.Secret(terms, derivable):
                return Secrecy(tuple(terms(f)), derivable)
            case spec.Agreement(event, holds, anchor):
                return Correspondence(event, lambda e, events: holds(f, e, events), anchor)
            case spec.After():
                return self._after_session()
            case spec.Count():
                return self._count()
            case spec.Local():
                return Local(monitor)
            case _:
                assert_never(enc)

    def _count(self) -> Count:
        """token-single-use: per token at most one acceptance; when the issuer
        is honest, no more distinct clients' tokens redeemed than issuances."""
        blinded_token = self.model.env.crypto.blinded_token

        def vouched(e, events) -> bool:   # an earlier issuance of this very token
            return any(f.name == "issue" and blinded_token(f.args[0]) == e.args[0] for f in events)
        return Count(lambda out: any(e.name == "redeem" and e.args[1] > 1 for e in out.events), counted_redemption,
                     lambda e: e.name == "issue", "acs" not in self.model.setup.corrupt,
                     self._respent, Correspondence("redeem", vouched, applies=counted_redemption))

    def _respent(self, before, action, out) -> Optional[str]:
        """Rerun a redeeming step with its token already spent: None if the
        redeemer refuses it then."""
        for e in out.events:
            if e.name != "redeem":
                continue
            st = before.state(e.party)
            spent = replace(st, redeemed=st.redeemed + (e.args[0],))
            w = before.replace(states=tuple((p, spent if p == e.party else s) for p, s in before.states))
            if self.model.step(w, action)[2] is None:
                return f"{e.party} accepts {e.args[0]} again after redeeming it"
        return None

    def _after_session(self) -> AfterSession:
        """forward-secrecy's ingredients, as the monitor computes them: at an
        answer, the recorded wire traffic, the gateway key, every CVM's static
        share and what its ended sessions still hold join the adversary's
        knowledge; no request message of a finished session may follow."""
        model, f = self.model, self.facts
        cvms = [p for p, d in model.setup.parties.items() if d.role == "cvm"]

        def state_terms(party, st):
            if party not in cvms:
                return []
            return [x for s in st.sessions if s.phase == "closed" for x in terms_in(s)]

        def past(party, st):
            if party not in f.clients:
                return []
            return sorted({m for s in st.sessions if s.phase == "done" and s.request is not None
                           for m in f.secrets if contains(s.request, m)}, key=repr)
        return AfterSession(tuple([model.setup.facts["gw_sk"]] + [model.setup.static[p]["static_y"] for p in cvms]),
                            state_terms, past, lambda t: t.after.wire,
                            lambda t: any(e.name == "answer" for e in t.out.events))

    def refine(self, encodings: dict, g) -> dict:
        """Settle the link facts on the grounded system where that is exact:
        client-unlinkability and non-targetability are only about a Meta-side
        coalition; credential-unlinkability needs a message seen with a
        client's identity. Where such sightings exist, each is a `Links` for
        the unbounded engine (non-targetability fails only on a linked
        request, so it is client-unlinkability's check)."""
        identities = {self.model.setup.static[c]["identity"] for c in self.facts.clients}
        seen = {meta for t in g.transitions for meta, _ in t.after.sightings}
        out = dict(encodings)
        for p, e in encodings.items():
            if not isinstance(e, Unsettled):
                continue
            credential = p == "credential-unlinkability"
            never = (not (seen & identities)) if credential else not self.facts.meta
            out[p] = Never() if never else Links(self._sessions(g, credential))
        return out

    def _sessions(self, g, credential: bool):
        """(metas, handles) of each session a client unit's local state holds."""
        model, clients = self.model, set(self.facts.clients)

        def sessions(unit: str, st) -> list:
            party = g.party(unit)
            if party not in clients:
                return []
            shown = frozenset(metas(model, party, identity_only=credential))
            return [(shown, hs) for s in st.sessions if (hs := session_handles(model, s, credential))]
        return sessions
