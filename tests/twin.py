"""Test harness: one scenario run on both backends in lockstep.

`Twin` is `proofs.replay.lockstep.Lockstep` with an oracle for the values:
every action is applied to both worlds (invocations, deliveries, the
symbolic adversary's injections with the term evaluated to real bytes, drops
and replays), and the lockstep checks conformance after each step. On top it
says what the adversary's parties hold concretely, for `breaches`.

`Oracle` is the replay's evaluator (`proofs.replay.holdings.Values`) with
every value known: the values of the scenario (the two setups are built from
the same labels and zipped) and of every message sent, and fresh atoms
re-derived from their label. It is how "inject derived bytes" happens on the
concrete side.
"""
from __future__ import annotations

from ppverify.models.terms import App, Atom, Term
from ppverify.proofs.replay.holdings import Values
from ppverify.proofs.replay.lockstep import ConcreteReplayError, Lockstep, Stepped
from ppverify.protocol.concrete import decode_tuple
from ppverify.protocol.crypto import FRESH_KINDS, CryptoError
from ppverify.protocol.messages import Msg
from ppverify.protocol.world import Inject, World


class Oracle(Values):
    def atom(self, t: Atom) -> bytes:
        if t.kind in FRESH_KINDS:
            return self.c.fresh(t.name, t.kind)
        return super().atom(t)

    def pair(self, s, b) -> None:
        """Record what the concrete side holds for a symbolic value, recursively."""
        if isinstance(s, dict) and isinstance(b, dict):
            for k in s.keys() & b.keys():
                self.pair(s[k], b[k])
        elif isinstance(s, (list, tuple)) and isinstance(b, (list, tuple)) and len(s) == len(b):
            for x, y in zip(s, b):
                self.pair(x, y)
        elif isinstance(s, (Atom, App)) and isinstance(b, bytes):
            self.held.setdefault(s, b)
            if isinstance(s, App) and s.op == "tup":
                try:
                    items = decode_tuple(b)
                except CryptoError:
                    return
                self.pair(s.args, items)


class Twin:
    def __init__(self, sc, seed: int = 0):
        self.sc, self.seed = sc, seed
        self.ls = Lockstep.of(sc, seed, Oracle)
        self.sym, self.con, self.c, self.ev = self.ls.sym, self.ls.con, self.ls.c, self.ls.values
        ss, cs = self.sym.setup, self.con.setup
        for a, b in ((ss.static, cs.static), (ss.public, cs.public), (ss.adversary, cs.adversary),
                     (ss.facts, cs.facts)):
            self.ev.pair(a, b)

    @property
    def ws(self) -> World:
        return self.ls.ws

    @property
    def wc(self) -> World:
        return self.ls.wc

    @property
    def paired(self) -> dict[Msg, Msg]:
        """Symbolic in-flight message -> its concrete twin."""
        return self.ls.twins

    # --- actions ------------------------------------------------------------
    def step(self, a) -> Stepped:
        """Apply a symbolic action to both worlds (`Stepped.rejected`: the reason)."""
        st = self.ls.step(a)
        for sm, cm in st.sends:
            self.ev.pair(sm.payload, cm.payload)
        return st

    def drop(self, m: Msg) -> None:
        """The adversary drops an in-flight message (both sides)."""
        self.ls.drop(m)

    # --- what the adversary could do ----------------------------------------------
    def replays(self) -> list[Inject]:
        """Re-sends of messages the adversary saw, to their original receiver,
        where it may inject (a replay is an injection of a known term)."""
        out = []
        for sm in sorted(self.ls.sent, key=repr):
            if (self.sym.adversary_sees(sm) and self.sym.adversary_injects(sm.src, sm.dst)
                    and not sm.conn.startswith("adv.") and self.ws.knowledge.derivable(sm.payload)):
                d = self.sym.setup.parties[sm.dst]
                chs = d.choices(self.ws.state(sm.dst), sm, self.sym.env, sm.dst) \
                    if sm.kind in d.choosing else ("",)
                out += [Inject(sm, ch) for ch in chs]
        return out

    # --- what the adversary holds, concretely -----------------------------------------
    def adversary_msgs(self) -> list[tuple[Msg, Msg]]:
        """(symbolic, concrete) messages the adversary read or sent so far."""
        return list(self.ls.read.items())

    def reveal(self, s: Term, b: bytes, out: list) -> None:
        """Open concrete bytes as far as the symbolic adversary can open the
        term, with real cryptography and the keys it derives: every layer
        reached is appended to `out`."""
        out.append(b)
        k, c = self.ws.knowledge, self.c
        if not isinstance(s, App) or not isinstance(b, bytes):
            return
        try:
            if s.op == "tup":
                items = decode_tuple(b)
                for x, y in zip(s.args, items):
                    self.reveal(x, y, out)
            elif s.op == "aead" and k.derivable(s.args[0]):
                self.reveal(s.args[1], c.aead_open(self.ev.value(s.args[0]), b, self.ev.value(s.args[2])), out)
            elif (s.op == "hpke" and isinstance(s.args[0], App) and s.args[0].op == "pk"
                  and k.derivable(s.args[0].args[0])):
                plain, _ = c.hpke_open(self.ev.value(s.args[0].args[0]), self.ev.value(s.args[1]), b)
                self.reveal(s.args[2], plain, out)
        except CryptoError as exc:
            raise ConcreteReplayError(f"the adversary derives the key of {s!r} but the bytes "
                                      f"do not open with it: {exc}") from None

    def adversary_view(self) -> list[bytes]:
        """Concrete values of every adversary-controlled party's observations,
        plus what its messages open to with derivable keys."""
        out = [v for p in sorted(self.con.links.adversary_parties()) for v in self.wc.obs.get(p, ())
               if isinstance(v, bytes)]
        for sm, cm in self.adversary_msgs():
            self.reveal(sm.payload, cm.payload, out)
        return out
