"""The textbook protocols (`engines.textbook`) with session identity
abstracted: every number of sessions per agent, from the same handlers.

`Textbook` runs one session per agent with one nonce per agent. Under
monotone semantics an agent's initial state stays reachable, so its one
session stands for any number of them, provided each session's nonce is
named the way every concrete session's nonce maps to: by its creation
point, the session's peer, for a responder the initiator's nonce it got
(ProVerif's names as functions of the inputs before them, cut to one level
so that names stay finite) and whether it is the distinguished session:
`a.n[1]@b` is the nonce of one chosen session of a with b, `a.n[*]@b` that
of every other, `b.n[1]@a<a.n[1]@b>` b's answering that one. Without the
input b's distinguished nonce would be one name in every restart of its
session, whatever nonce it answered, and NSL's agreement a false candidate. Merging all of an agent's nonces into one would lose NSL's
secrecy (b's nonce with i would be the one b claims secret with a); merging
all sessions with one peer would lose agreement, since a witness standing
for several sessions may be another session's (`horn.correspond`).

Each action comes twice: as itself (the distinguished session) and as
`Other` (any other session); a variant that creates no nonce is rejected,
so each transition is grounded once. `step` runs the handler, reads the
peer the new state records and, where the transition created the agent's
nonce, runs the same handler again with the nonce renamed. The peer comes
from the input (the start's choice, msg1's claimed initiator), never from
the nonce, so both runs agree on it (checked). The handlers test nonces
only for equality and agents by name, so renaming commutes with them: each
concrete session's transition, renamed (its session chosen as the
distinguished one or not), is a transition of this system.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from ppverify.models.terms import App, Atom
from ppverify.protocol.messages import Event, Reject
from ppverify.protocol.world import Deliver, Inject
from ppverify.proofs.core.system import BudgetHit
from ppverify.proofs.engines.textbook import HONEST, Textbook

FIRST, OTHER = "[1]", "[*]"


@dataclass(frozen=True)
class OtherDeliver(Deliver):
    """The delivery, in a session other than the distinguished one."""


@dataclass(frozen=True)
class OtherInject(Inject):
    """The injection, in a session other than the distinguished one."""


def _other(a):
    if isinstance(a, Deliver):
        return OtherDeliver(a.msg, a.choice)
    return OtherInject(a.msg, a.choice)


class PeerRefined:
    """A `Textbook` whose sessions' nonces are named by agent, peer and distinction."""

    def __init__(self, inner: Textbook):
        self.inner = inner
        inner.budget = 20_000   # twice the names: a one-off grounding, not a search
        self.name = f"{inner.name}-abstract"
        self._marks = itertools.count()

    def __getattr__(self, attr):
        return getattr(self.inner, attr)

    def enabled(self, w, max_moves: int = 2, party=None, offered=None):
        for a in self.inner.enabled(w, max_moves, party, offered):
            yield a
            if not isinstance(a, BudgetHit):
                yield _other(a)

    def step(self, w, action):
        other = isinstance(action, (OtherDeliver, OtherInject))
        plain = (Deliver if isinstance(action, Deliver) else Inject)(action.msg, action.choice)
        w2, out, rej = self.inner.step(w, plain)
        me = action.msg.dst
        party = self.inner.parties.get(me)
        if rej is not None or party is None:
            return w2, out, rej
        st, raw = w2.state(me), party.nonce
        if not st.peer or raw not in (st.na, st.nb):
            return (w2, out, rej) if not other else (w, out, Reject(me, "no nonce made: grounded once"))
        heard = f"<{_base(st.na)}>" if raw == st.nb else ""   # a responder's: the initiator's nonce it got
        party.nonce = Atom(f"{raw.name}{OTHER if other else FIRST}@{st.peer}{heard}", raw.kind)
        try:
            w3, out3, rej3 = self.inner.step(w, plain)
        finally:
            party.nonce = raw
        if rej3 is not None or w3.state(me).peer != st.peer:
            raise RuntimeError(f"{me}: the renamed nonce changed the session's peer or outcome")
        return w3, out3, rej3

    # --- correspondences (`horn.correspond`) ---------------------------------------------
    def distinguished(self, e) -> bool:
        """A commit of the distinguished session whose peer's nonce, if an
        honest agent made it, is that agent's distinguished one (the
        session that made it can always be chosen as the distinguished one)."""
        if e.name != "commit":
            return True
        me, peer = e.party, next(p for p in HONEST if p != e.party)
        own, theirs = (e.args[2], e.args[3]) if me == "a" else (e.args[3], e.args[2])
        return _named(own, me, FIRST) and not _named(theirs, peer, OTHER)

    def mark(self, e):
        """Every nonce but a distinguished one stands for several: a value of its own."""
        return Event(e.name, e.party, tuple(self._mark(x) for x in e.args))

    def _mark(self, x):
        if isinstance(x, Atom) and x.kind == "nonce" and FIRST not in x.name:
            return Atom(f"#{next(self._marks)}", "nonce")
        if isinstance(x, App):
            return App(x.op, tuple(self._mark(y) for y in x.args))
        return x


def _base(x) -> str:
    """A nonce's name without the input it was named by (one level kept: finite names)."""
    return x.name.split("<")[0] if isinstance(x, Atom) else repr(x)


def _named(x, agent: str, which: str) -> bool:
    return isinstance(x, Atom) and x.name.startswith(f"{agent}.n{which}@")
