"""The equational theory: what each function symbol lets an adversary do.

Constructors are applied by anybody who knows all arguments (with two
exceptions noted below); destructors are written as analysis rules: which
parts of a term become known, given what else is derivable. Equations are
applied when terms are built (`dh` normalises to `dhk` over a sorted pair;
unblinding rewrites to `cred`), so terms stay in normal form and syntactic
equality is equality modulo the theory.

Symbols:
  tup(x1..xn)                 tuples; analysis: every component
  hash(x..), kdf(s, l, c..)   one-way
  pk(sk)                      public key of a secret (DH, signature, HPKE, issuer)
  dhk(a, b)                   shared DH secret of secrets a, b (sorted); built from
                              a and pk(b), or b and pk(a)
  aead(k, m, ad)              analysis: ad; m given k
  hpke(pk(sk), info, m, e)    analysis: info; m and hexp(e, pk(sk)) given sk
  hexp(e, pk)                 HPKE exported secret; built from the ephemeral e
  sig(sk, m)                  signature; analysis: m (signatures hide nothing)
  blind(pk, m, r)             blinded token; analysis: m given r
  evalb(sk, x)                issuer evaluation; evalb(sk, blind(pk(sk), m, r))
                              with r gives cred(sk, m)
  cred(sk, m)                 the unblinded credential on m
  set(x1..xn)                 a sorted set of leaves; analysis: every element
  mroot(set), mproof(set, leaf)   Merkle root and inclusion proof
  process(feature, payload)   the AI feature's output, one-way
"""
from __future__ import annotations

from typing import Callable

from ppverify.models.terms import App, Atom, Term

Derivable = Callable[[Term], bool]

CONSTRUCTORS = frozenset({
    "tup", "hash", "kdf", "pk", "dhk", "aead", "hpke", "hexp", "sig", "blind",
    "evalb", "cred", "mroot", "mproof", "process", "set",
})


def constructible(t: App, der: Derivable) -> bool:
    """Can the adversary build `t` from derivable parts?"""
    if t.op == "dhk":
        a, b = t.args
        return ((der(a) and der(App("pk", (b,)))) or (der(b) and der(App("pk", (a,)))))
    if t.op == "hexp":
        return der(t.args[0])
    if t.op not in CONSTRUCTORS:
        return False
    return all(der(a) for a in t.args)


_RULES: dict = {}   # term -> its rules (terms are hash-consed; closure asks again and again)


def rules(t: Term) -> tuple[tuple[Term | None, tuple[Term, ...]], ...]:
    """The analysis rules of `t` as data: (key, parts) pairs; the parts become
    known once the key is derivable (no key: at once). The single source of
    what destructors yield, for the explicit engine (`analyse`) and z3."""
    if isinstance(t, Atom):
        return ()
    hit = _RULES.get(t)
    if hit is None:
        hit = _RULES[t] = tuple(_rules(t))
    return hit


def _rules(t: App) -> list[tuple[Term | None, tuple[Term, ...]]]:
    op, a = t.op, t.args
    if op in ("tup", "set"):
        return [(None, tuple(a))]
    if op in ("sig", "cred"):
        return [(None, (a[1],))]
    if op == "aead":
        return [(None, (a[2],)), (a[0], (a[1],))]
    if op == "hpke":
        pub, info, m, eph = a
        if isinstance(pub, App) and pub.op == "pk":
            return [(None, (info,)), (pub.args[0], (m, App("hexp", (eph, pub))))]
        return [(None, (info,))]
    if op == "blind":
        return [(a[2], (a[1],))]
    if op == "evalb":
        sk, x = a
        if isinstance(x, App) and x.op == "blind" and x.args[0] == App("pk", (sk,)):
            return [(x.args[2], (App("cred", (sk, x.args[1])),))]
    return []


def analyse(t: Term, der: Derivable) -> tuple[list[Term], bool]:
    """Parts of `t` that become known, and whether more would follow from a key
    that is not derivable yet (the term must then be re-analysed later)."""
    parts, more = [], False
    for key, got in rules(t):
        if key is None or der(key):
            parts.extend(got)
        else:
            more = True
    return parts, more


def dh(sk: Term, pub: Term) -> Term:
    """dh(a, pk(b)) = dhk(sorted a, b); against a non-key the result is opaque."""
    if isinstance(pub, App) and pub.op == "pk":
        x, y = sorted((sk, pub.args[0]))
        return App("dhk", (x, y))
    return App("dhbad", (sk, pub))
