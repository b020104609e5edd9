"""A CVM session's names as functions of the input before them, as in
ProVerif (a name `a[x]` for each `x` heard before it).

In the abstract system (`pp.abstraction`) a slot restarts any number of
times with the same names, so two restarts that answered different client
randoms would share a key share, a peer random and a peer key share, and
their channels would mix: an answer computed for one client would reach
another in the fixpoint, where no run has it (NSL has the same with b's
nonce, `engines.horn.refine`). Naming a CVM session's fresh values by the
random it was opened with keeps such restarts apart: `pcr.orch1.1<cr.client1.s1>`
(an orchestrator's peer random, named by its client's random) and
`y.pred1.1<pcr.orch1.1>` (a predictor's share, named by its caller's).
The suffix holds the random's name cut to `DEPTH` levels of input in all
(`cut`), so names stay finite. A CVM handler compares these names only for equality, so naming them
by an input it has commutes with the handlers; `pp.renaming` renames a
concrete session's names the same way.
"""
from __future__ import annotations

from typing import Optional

from ppverify.models.terms import Atom
from ppverify.protocol.parties.cvm import CvmState
from ppverify.protocol.symbolic import SymbolicCrypto


class HeardCrypto(SymbolicCrypto):
    """Symbolic crypto whose fresh names carry `suffix` while it is set."""
    suffix = ""

    def fresh(self, label: str, kind: str):
        return super().fresh(label + self.suffix, kind)


DEPTH = 2   # a predictor's share named by its caller's peer random, itself named by its client's


def base(name: str) -> str:
    return name.split("<", 1)[0]


def cut(name: str, depth: int) -> str:
    """`name` with at most `depth` levels of input kept."""
    if depth == 0 or "<" not in name:
        return base(name)
    head, inner = name.split("<", 1)
    return f"{head}<{cut(inner[:-1], depth - 1)}>"


def suffix(cr) -> str:
    return f"<{cut(cr.name, DEPTH - 1) if isinstance(cr, Atom) else repr(cr)}>"


def opened_with(before, after, predictor: bool) -> Optional[object]:
    """The random of the CVM session whose fresh values this step made: an
    orchestrator's peer hello (its peer random and share), a predictor's
    session (its key share); None if none. An orchestrator's own key share
    is not named so: restarts that share it share it with the client that
    checks it, and naming it by every random the adversary can send it
    multiplies the orchestrator's states for no proof."""
    if not isinstance(after, CvmState):
        return None
    for i, s in enumerate(after.sessions):
        old = before.sessions[i] if i < len(before.sessions) else None
        opened = old is None and predictor
        if s.cr is not None and (opened or (old is not None and old.peer_cr is None and s.peer_cr is not None)):
            return s.cr
    return None


def names_of(st, predictor: bool) -> dict:
    """A concrete CVM state's fresh names -> the random each was named after."""
    out: dict = {}
    if isinstance(st, CvmState):
        for s in st.sessions:
            for v in ((s.y,) if predictor else (s.peer_cr, s.peer_x)):
                if isinstance(v, Atom) and s.cr is not None:
                    out[v] = s.cr
    return out
