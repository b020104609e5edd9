"""The textbook protocols (`engines.textbook`) with session identity
abstracted: every number of sessions per agent, from the same handlers.

`Textbook` runs one session per agent with one nonce per agent. Under
monotone semantics an agent's initial state stays reachable, so its one
session stands for any number of them, provided each session's nonce is
named the way every concrete session's nonce maps to: by its creation point
(the agent's nonce) and the session's peer (ProVerif's names as functions
of the inputs before them, cut to the peer). Merging all of an agent's
nonces into one would lose NSL's secrecy: b's nonce with the adversary i
leaks, and would be the nonce b claims secret with a.

`PeerRefined.step` runs the handler, reads the peer the new state records
and, where the transition created the agent's nonce, runs the same handler
again with that nonce renamed `name@peer`. The peer comes from the input
(the start's choice, msg1's claimed initiator), never from the nonce, so
both runs agree on it (checked). The handlers test nonces only for equality
and agents by name, so renaming commutes with them: each concrete session's
transition, renamed, is a transition of this system.
"""
from __future__ import annotations

from ppverify.models.terms import Atom
from ppverify.proofs.engines.textbook import Textbook


class PeerRefined:
    """A `Textbook` whose sessions' nonces are named by agent and peer."""

    def __init__(self, inner: Textbook):
        self.inner = inner
        self.name = f"{inner.name}-abstract"

    def __getattr__(self, attr):
        return getattr(self.inner, attr)

    def step(self, w, action):
        w2, out, rej = self.inner.step(w, action)
        me = action.msg.dst
        party = self.inner.parties.get(me)
        if rej is not None or party is None:
            return w2, out, rej
        st, raw = w2.state(me), party.nonce
        if not st.peer or raw not in (st.na, st.nb):
            return w2, out, rej
        party.nonce = Atom(f"{raw.name}@{st.peer}", raw.kind)
        try:
            w3, out3, rej3 = self.inner.step(w, action)
        finally:
            party.nonce = raw
        if rej3 is not None or w3.state(me).peer != st.peer:
            raise RuntimeError(f"{me}: the renamed nonce changed the session's peer or outcome")
        return w3, out3, rej3
