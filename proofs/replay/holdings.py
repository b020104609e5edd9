"""The adversary's concrete holdings during a concrete replay: a table from
symbolic terms to the bytes the adversary actually has, and evaluation of a
term over those bytes with real cryptography.

Bytes enter the table only from what the adversary observes (its initial
values, messages on links it sees, its corrupt parties' inputs and memory),
paired with the symbolic term the same step produced; they are then taken
apart as Dolev-Yao analysis would (split tuples, open AEAD and HPKE with keys
it holds). `value(t)` builds a term the adversary injects from held bytes;
a secret atom that is not held is an error (`NotHeld`), never guessed.

`Values` is the evaluation alone, term to bytes over a table: the test
harness's oracle (`tests/twin.py`) is the same evaluation with every fresh
value known.
"""
from __future__ import annotations

from ppverify.models.terms import App, Atom, Term
from ppverify.protocol.concrete import HPKE_RESPONSE_LABEL, decode_tuple, hpke_sender
from ppverify.protocol.crypto import CryptoError
from ppverify.protocol.parties.client import INFO


class NotHeld(LookupError):
    """A term the adversary cannot compute from the bytes it holds."""

    def __init__(self, term: Term):
        super().__init__(f"the adversary holds no bytes for {term!r} and cannot build them")
        self.term = term


class Values:
    """Terms as the bytes real cryptography gives them: looked up in the table
    of bytes held, else computed from their parts; an atom only as `atom` says."""

    def __init__(self, crypto):
        self.c = crypto
        self.held: dict[Term, bytes] = {}     # observed (or taken apart from observations)
        self.built: dict[Term, bytes] = {}    # constructed from held bytes

    def atom(self, t: Atom) -> bytes:
        """An atom not held: a constant is public, anything else unknown."""
        if t.kind == "const":
            return self.c.const(t.name)
        raise NotHeld(t)

    def ephemeral(self, e: Term) -> bytes:
        """An HPKE ephemeral key: an atom's value; any other term an injection
        put there stands for a key its sender derives from it."""
        return self.value(e) if isinstance(e, Atom) else self.c.fresh("eph:" + repr(e), "hpke")

    def value(self, t: Term) -> bytes:
        hit = self.held.get(t)
        if hit is None:
            hit = self.built.get(t)
        if hit is None:
            hit = self._construct(t)
            self.built[t] = hit
        return hit

    def holds(self, t: Term) -> bool:
        try:
            self.value(t)
            return True
        except NotHeld:
            return False

    def _construct(self, t: Term) -> bytes:
        c = self.c
        if isinstance(t, Atom):
            return self.atom(t)
        op, a, v = t.op, t.args, self.value
        if op == "tup":
            return c.tup(*map(v, a))
        if op == "hash":
            return c.hash(*map(v, a[0].args))
        if op == "kdf":
            return c.kdf(v(a[0]), a[1].name, *map(v, a[2].args))
        if op == "pk":
            make = {"dh": c.dh_pub, "hpke": c.hpke_pub, "sig": c.sig_pub, "cred": c.cred_pub}
            kind = getattr(a[0], "kind", None)
            if kind not in make:
                raise NotHeld(t)
            return make[kind](v(a[0]))
        if op == "dhk":
            x, y = a
            try:
                return c.dh(v(x), v(App("pk", (y,))))
            except NotHeld:
                return c.dh(v(y), v(App("pk", (x,))))
        if op == "aead":
            return c.aead_seal(v(a[0]), v(a[1]), v(a[2]))
        if op == "hpke":
            pub, info, m, eph = a
            enc, ctx = hpke_sender(v(pub), v(info), self.ephemeral(eph))
            self.built[App("hexp", (eph, pub))] = ctx.export(HPKE_RESPONSE_LABEL, 32)
            return enc + ctx.seal(v(m), b"")
        if op == "hexp":  # the exporter depends on info too: always INFO in this model
            enc, ctx = hpke_sender(v(a[1]), c.const(INFO), self.ephemeral(a[0]))
            return ctx.export(HPKE_RESPONSE_LABEL, 32)
        if op == "sig":
            return c.sign(v(a[0]), v(a[1]))
        if op == "blind":
            return c.cred_blind(v(a[0]), v(a[1]), v(a[2]))
        if op == "evalb":
            return c.cred_eval(v(a[0]), v(a[1]))
        if op == "cred":  # with the issuer key: issue to oneself without blinding
            sk, token = v(a[0]), v(a[1])
            pub, one = c.cred_pub(sk), c.const("unblinded")
            return c.cred_finalize(pub, token, one, c.cred_eval(sk, c.cred_blind(pub, token, one)))
        if op == "mroot":
            return c.merkle_root([v(x) for x in a[0].args])
        if op == "mproof":  # of a non-member: its proof in the tree with it added, which fails as well
            leaves = list(a[0].args) + ([] if a[1] in a[0].args else [a[1]])
            return c.merkle_proof([v(x) for x in leaves], leaves.index(a[1]))
        if op == "process":
            return c.process(v(a[0]), v(a[1]))
        raise NotHeld(t)


class Holdings(Values):
    """What the adversary holds: only bytes it observed, and their parts."""

    def __init__(self, crypto):
        super().__init__(crypto)
        self._pending: list[tuple[Term, bytes]] = []

    # --- learning ----------------------------------------------------------------
    def add(self, pairs) -> None:
        for t, b in pairs:
            if isinstance(b, bytes) and isinstance(t, (Atom, App)) and t not in self.held:
                self.held[t] = b
                self._pending.append((t, b))
        self._close()

    def _close(self) -> None:
        """Take apart everything held until nothing new opens (a key learned
        later opens a ciphertext seen earlier)."""
        progress = True
        while progress:
            progress = False
            pending, self._pending = self._pending, []
            for t, b in pending:
                parts = self._analyse(t, b)
                if parts is None:
                    self._pending.append((t, b))
                    continue
                for pt, pb in parts:
                    if pt not in self.held:
                        self.held[pt] = pb
                        self._pending.append((pt, pb))
                        progress = True

    def _analyse(self, t: Term, b: bytes):
        """Parts of (t, b) as (term, bytes) pairs; [] when nothing can come out;
        None when a key is missing for now."""
        if isinstance(t, Atom):
            return []
        c, op, a = self.c, t.op, t.args
        try:
            if op == "tup":
                items = decode_tuple(b)
                return list(zip(a, items)) if len(items) == len(a) else []
            if op == "aead":
                m = c.aead_open(self.value(a[0]), b, self.value(a[2]))
                return [(a[1], m)]
            if op == "hpke":
                pub, info, m, eph = a
                if not (isinstance(pub, App) and pub.op == "pk"):
                    return []
                plain, exp = c.hpke_open(self.value(pub.args[0]), self.value(info), b)
                return [(m, plain), (App("hexp", (eph, pub)), exp)]
            if op == "evalb" and isinstance(a[1], App) and a[1].op == "blind":
                pub, token, blind = a[1].args
                cred = c.cred_finalize(self.value(pub), self.value(token), self.value(blind), b)
                return [(App("cred", (a[0], token)), cred)]
        except NotHeld:
            return None
        except CryptoError as exc:
            raise CryptoError(f"held bytes for {op}(...) do not open as the model says: {exc}") from None
        return []
