"""Test harness: one scenario run on both backends in lockstep.

`Twin` builds the symbolic and the concrete model of a scenario and applies
every action to both worlds: invocations, deliveries (paired message by
message: the i-th send of a step on one side is the i-th on the other),
the symbolic adversary's injections (the term is evaluated to real bytes),
drops and replays. After each step it checks conformance: both sides accept
or both reject, and they emit the same messages (src, dst, kind, conn) with
the same payload tuple structure.

`Evaluator` maps a symbolic term to the bytes the concrete backend would
compute for it: values of the scenario are looked up (the two setups are
built from the same labels and zipped), fresh atoms are re-derived from their
label, and every constructor of `models.theory` is computed with real
cryptography. It is how "inject derived bytes" happens on the concrete side.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from ppverify.models.terms import App, Atom, Term
from ppverify.protocol.concrete import ConcreteCrypto, decode_tuple
from ppverify.protocol.crypto import FRESH_KINDS, CryptoError
from ppverify.protocol.messages import Env, Msg
from ppverify.protocol.parties.client import INFO
from ppverify.protocol.setup import build
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.protocol.world import Deliver, Inject, Invoke, Model, World


class ConformanceError(AssertionError):
    """The two backends disagree on a step."""


def shape(t: Term):
    """Tuple structure of a symbolic value: nested lists for tuples, '*' else."""
    if isinstance(t, App) and t.op == "tup":
        return [shape(a) for a in t.args]
    return "*"


def cshape(b: bytes, like):
    """Tuple structure of concrete bytes, read as far as `like` (the symbolic
    shape) expects tuples. A symbolic leaf may be framed concretely (a Merkle
    proof is (index, size, path) on the wire), so leaves match anything."""
    if like == "*":
        return "*"
    try:
        items = decode_tuple(b)
    except CryptoError:
        return "opaque"
    if len(items) != len(like):
        return [cshape(x, "*") for x in items]
    return [cshape(x, sub) for x, sub in zip(items, like)]


class Evaluator:
    def __init__(self, c: ConcreteCrypto):
        self.c = c
        self.table: dict[Term, bytes] = {}

    def pair(self, s, b) -> None:
        """Record what the concrete side holds for a symbolic value, recursively."""
        if isinstance(s, dict) and isinstance(b, dict):
            for k in s.keys() & b.keys():
                self.pair(s[k], b[k])
        elif isinstance(s, (list, tuple)) and isinstance(b, (list, tuple)) and len(s) == len(b):
            for x, y in zip(s, b):
                self.pair(x, y)
        elif isinstance(s, (Atom, App)) and isinstance(b, bytes):
            self.table.setdefault(s, b)
            if isinstance(s, App) and s.op == "tup":
                try:
                    items = decode_tuple(b)
                except CryptoError:
                    return
                self.pair(s.args, items)

    def __call__(self, t: Term) -> bytes:
        hit = self.table.get(t)
        if hit is not None:
            return hit
        out = self._compute(t)
        self.table[t] = out
        return out

    def _compute(self, t: Term) -> bytes:
        c, ev = self.c, self
        if isinstance(t, Atom):
            if t.kind == "const":
                return c.const(t.name)
            if t.kind in FRESH_KINDS:
                return c.fresh(t.name, t.kind)
            raise KeyError(f"no concrete value for data atom {t!r}")
        op, a = t.op, t.args
        if op == "tup":
            return c.tup(*(ev(x) for x in a))
        if op == "hash":
            return c.hash(*(ev(x) for x in a[0].args))
        if op == "kdf":
            return c.kdf(ev(a[0]), a[1].name, *(ev(x) for x in a[2].args))
        if op == "pk":
            sk = a[0]
            kind = sk.kind if isinstance(sk, Atom) else ""
            fn = {"dh": c.dh_pub, "hpke": c.hpke_pub, "sig": c.sig_pub, "cred": c.cred_pub}.get(kind)
            if fn is None:
                raise KeyError(f"no public-key scheme for {sk!r}")
            return fn(ev(sk))
        if op == "dhk":
            return c.dh(ev(a[0]), c.dh_pub(ev(a[1])))
        if op == "aead":
            return c.aead_seal(ev(a[0]), ev(a[1]), ev(a[2]))
        if op == "hpke":
            return c.hpke_seal(ev(a[0]), ev(a[1]), ev(a[2]), _eph_label(a[3]))[0]
        if op == "hexp":  # the protocol's only HPKE info is the OHTTP one
            return c.hpke_seal(ev(a[1]), c.const(INFO), b"", _eph_label(a[0]))[1]
        if op == "sig":
            return c.sign(ev(a[0]), ev(a[1]))
        if op == "blind":
            return c.cred_blind(ev(a[0]), ev(a[1]), ev(a[2]))
        if op == "evalb":
            return c.cred_eval(ev(a[0]), ev(a[1]))
        if op == "cred":
            pub, blind = c.cred_pub(ev(a[0])), c.fresh("twin.cred", "blind")
            blinded = c.cred_blind(pub, ev(a[1]), blind)
            return c.cred_finalize(pub, ev(a[1]), blind, c.cred_eval(ev(a[0]), blinded))
        if op == "mroot":
            return c.merkle_root([ev(x) for x in a[0].args])
        if op == "mproof":
            leaves = list(a[0].args)
            return c.merkle_proof([ev(x) for x in leaves], leaves.index(a[1]))
        if op == "process":
            return c.process(ev(a[0]), ev(a[1]))
        raise KeyError(f"no concrete meaning for {op}")


def _eph_label(e: Term) -> str:
    """The ephemeral's label: an atom's name; any other term an injection
    put there stands for an ephemeral derived from it."""
    return e.name if isinstance(e, Atom) else "twin:" + repr(e)


@dataclass
class Record:
    """One lockstep step: the actions on both sides and the outcome."""
    sym: object
    con: object
    rejected: Optional[str]
    con_sends: tuple = ()
    sym_sends: tuple = ()
    sym_learned: tuple = ()


@dataclass
class Twin:
    sc: object
    seed: int = 0
    history: list = field(default_factory=list)

    def __post_init__(self):
        s = SymbolicCrypto()
        self.c = ConcreteCrypto(seed=self.seed, credential_scheme=self.sc.param("credential-scheme"))
        ss, cs = build(s, self.sc), build(self.c, self.sc)
        self.sym = Model(ss, Env(s, self.sc, ss.static), symbolic=True)
        self.con = Model(cs, Env(self.c, self.sc, cs.static), symbolic=False)
        self.ev = Evaluator(self.c)
        for a, b in ((ss.static, cs.static), (ss.public, cs.public), (ss.adversary, cs.adversary),
                     (ss.facts, cs.facts)):
            self.ev.pair(a, b)
        self.ws: World = self.sym.initial()
        self.wc: World = self.con.initial()
        self.paired: dict[Msg, Msg] = {}   # symbolic in-flight message -> concrete one
        self.seen: dict[Msg, Msg] = {}     # every message sent so far, both sides

    # --- actions ------------------------------------------------------------
    def step(self, a) -> Optional[str]:
        """Apply a symbolic action to both worlds; return the rejection reason."""
        if isinstance(a, Invoke):
            ca = a
        elif isinstance(a, Deliver):
            ca = Deliver(self.paired[a.msg], a.choice)
        else:
            ca = Inject(replace(a.msg, payload=self._concrete_payload(a.msg)), a.choice)
        ws2, so, srej = self.sym.step(self.ws, a)
        wc2, co, crej = self.con.step(self.wc, ca)
        if (srej is None) != (crej is None):
            raise ConformanceError(
                f"{a}: symbolic {'rejects: ' + srej.reason if srej else 'accepts'}, "
                f"concrete {'rejects: ' + crej.reason if crej else 'accepts'}")
        if srej is None:
            self._pair_sends(a, so.sends, co.sends)
        self.ws, self.wc = ws2, wc2
        # a term sent twice is one symbolic in-flight value: keep only live pairs
        self.paired = {m: cm for m, cm in self.paired.items() if m in ws2.inflight}
        self.history.append(Record(a, ca, srej.reason if srej else None, co.sends, so.sends, so.learned))
        return srej.reason if srej else None

    def _concrete_payload(self, m: Msg) -> bytes:
        prior = self.seen.get(m)
        return prior.payload if prior is not None else self.ev(m.payload)

    def _pair_sends(self, a, ssends, csends) -> None:
        ssends, csends = tuple(ssends), tuple(csends)
        key = lambda m: (m.src, m.dst, m.kind, m.conn)  # noqa: E731
        if [key(m) for m in ssends] != [key(m) for m in csends]:
            raise ConformanceError(f"{a}: sends differ: {ssends} vs {csends}")
        for sm, cm in zip(ssends, csends):
            want = shape(sm.payload)
            got = cshape(cm.payload, want)
            if got != want:
                raise ConformanceError(f"{a}: {sm!r} payload shape {got} != symbolic {want}")
            self.ev.pair(sm.payload, cm.payload)
            self.seen.setdefault(sm, cm)
            if sm.conn.startswith("adv.") and self.sym.symbolic:
                continue  # answers to the adversary's own handshakes go to it alone
            self.paired[sm] = cm

    def drop(self, m: Msg) -> None:
        """The adversary drops an in-flight message (both sides)."""
        cm = self.paired.pop(m)
        self.ws = self.ws.replace(inflight=self.ws.inflight - {m})
        self.wc = self.wc.replace(inflight=self.wc.inflight - {cm})
        self.history.append(Record(("drop", m), ("drop", cm), None))

    # --- what the adversary could do ----------------------------------------------
    def adversary_parties(self) -> tuple[str, ...]:
        """Parties whose concrete observations are the adversary's."""
        t, out = self.sc.threat, set(self.con.setup.corrupt)
        if "network" in t or "cvm-compromise-after" in t:
            out.add("network")
        if "meta-insider" in t:
            out.add("host")
        return tuple(sorted(out))

    def replays(self) -> list[Inject]:
        """Re-sends of messages the adversary saw, to their original receiver,
        where it may inject (a replay is an injection of a known term)."""
        out = []
        for sm in sorted(self.seen, key=repr):
            if (self.sym.adversary_sees(sm) and self.sym.adversary_injects(sm.src, sm.dst)
                    and not sm.conn.startswith("adv.") and self.ws.knowledge.derivable(sm.payload)):
                d = self.sym.setup.parties[sm.dst]
                chs = d.choices(self.ws.state(sm.dst), sm, self.sym.env, sm.dst) \
                    if sm.kind in d.choosing else ("",)
                out += [Inject(sm, ch) for ch in chs]
        return out

    # --- what the adversary holds, concretely -----------------------------------------
    def adversary_msgs(self) -> list[tuple[Msg, Msg]]:
        """(symbolic, concrete) messages the adversary saw or sent so far."""
        out = [(sm, cm) for sm, cm in self.seen.items() if self.sym.adversary_sees(sm)]
        out += [(r.sym.msg, r.con.msg) for r in self.history
                if isinstance(r.sym, Inject) and r.rejected is None]
        return out

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
                self.reveal(s.args[1], c.aead_open(self.ev(s.args[0]), b, self.ev(s.args[2])), out)
            elif (s.op == "hpke" and isinstance(s.args[0], App) and s.args[0].op == "pk"
                  and k.derivable(s.args[0].args[0])):
                plain, _ = c.hpke_open(self.ev(s.args[0].args[0]), self.ev(s.args[1]), b)
                self.reveal(s.args[2], plain, out)
        except CryptoError as exc:
            raise ConformanceError(f"the adversary derives the key of {s!r} but the bytes "
                                   f"do not open with it: {exc}") from None

    def adversary_view(self) -> list[bytes]:
        """Concrete values of every adversary-controlled party's observations,
        plus what its messages open to with derivable keys."""
        out = [v for p in self.adversary_parties() for v in self.wc.obs.get(p, ())
               if isinstance(v, bytes)]
        for sm, cm in self.adversary_msgs():
            self.reveal(sm.payload, cm.payload, out)
        return out
