"""The server hellos a verifier accepts, as patterns for the adversary's
injections (`adversary`): one per key share the adversary knows, the
evidence's fields pinned where the verifier checks them and REPORT_DATA
fixed to what it expects for that share when the binding is checked."""
from __future__ import annotations

from typing import Iterator

from ppverify.models.indexes import pool
from ppverify.models.templates import Var
from ppverify.models.terms import App, Term, const, tup
from ppverify.protocol import attestation as att
from ppverify.protocol.symbolic import SymbolicCrypto

S = SymbolicCrypto()
UNCHECKED = "evidence:unchecked"   # the adversary's evidence where nobody checks it


def evidence(rd, fixed: dict | None = None) -> Term:
    """The evidence pattern. `fixed` pins what the verifier checks: the ARK
    (a chain to it is verified), the policy, the TCB field read, the Merkle
    leaf set of the verifier's ledger view. Unchecked fields stay variables.

    Signing keys come from the atoms the adversary holds (its own `adv.sig`,
    any leaked chip, ASK or ARK key); known chains still come in by
    unification (every genuine key is an atom, `setup`). A compound "key"
    (any known term) gives nothing its own atom does not: unchecked, the
    verifier treats both alike (it checks no signature); pinned to the ARK, a
    chain to a compound key needs a certificate only an ASK or ARK key the
    adversary holds can sign, and that key certifies its own atom just as
    well. So leaving compound keys out loses no behaviour, and the
    enumeration stays within budget instead of multiplying every known
    signature by every other (under hw-vendor, 11 x 10 keys of which 3 x 3
    are atoms)."""
    f = fixed or {}
    key = "atom:sig"
    meas = Var("meas", "const:img")
    body = tup(const("report"), meas, f.get("policy", Var("pol", "const:policy")),
               f.get("tcb", Var("tcb", "const:tcb")), rd)
    vk, ask = Var("vk", key), Var("ask", key)
    vbody = tup(const("vcek"), App("pk", (vk,)), f.get("ctcb", Var("ctcb", "const:tcb")))
    return tup(body, App("sig", (vk, body)), vbody, App("sig", (ask, vbody)), App("pk", (ask,)),
               App("sig", (f.get("ark", Var("ark", key)), tup(const("ask"), App("pk", (ask,))))),
               App("mproof", (f.get("leaves", Var("leaves", "set")), meas)))


def _fixed(model, view, checks_on: bool) -> dict:
    """What a verifier with these controls and this ledger view pins down."""
    on = (lambda n: checks_on and model.env.on(n))
    f = {}
    if on("attestation-signature"):
        f["ark"] = model.setup.facts["ark"]
    if on("guest-policy-check"):
        f["policy"] = const(att.NO_DEBUG)
    if checks_on:
        f["ctcb" if model.env.on("tcb-from-certificate") else "tcb"] = const(att.GOOD_TCB)
    root = view[0] if view else None
    if on("ledger-inclusion") and isinstance(root, App) and root.op == "mroot":
        f["leaves"] = root.args[0]
    return f


def shares(k) -> tuple[Term, ...]:
    """The key shares the adversary knows: what server hellos draw from."""
    return tuple(pool(k, "pk:dh")) if k is not None else ()


def hello_templates(model, shares, cr, x, view, checks_on: bool = True) -> tuple[Term, ...]:
    """Server hellos this verifier would accept: one per candidate key share
    (`shares`), REPORT_DATA fixed to what the verifier expects for that share
    (when the binding is checked), checked fields pinned (`_fixed`). Memoized
    per model: the explorer asks for the same verifier in thousands of worlds."""
    memo = model.__dict__.setdefault("_hello_memo", {})
    key = (shares, cr, x, view, checks_on)
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = tuple(_hellos(model, shares, cr, x, view, checks_on))
    return hit


def _hellos(model, shares, cr, x, view, checks_on: bool) -> Iterator[Term]:
    binder = model.env.param("binder")
    bound = checks_on and model.env.on("attestation-binding")
    fixed = _fixed(model, view, checks_on)
    X = S.dh_pub(x)
    for Y in shares:
        if not checks_on:
            # A verifier that checks nothing (an orchestrator without
            # cvm-peer-attestation) never reads the evidence: it neither
            # parses, stores nor emits it, so one derivable value stands for
            # every evidence the adversary could send with this key share.
            yield tup(const("server-hello"), Y, const(UNCHECKED))
            continue
        rd = att.binding(S, binder, cr, X, Y, S.dh(x, Y)) if bound else Var("rd", "hash")
        yield tup(const("server-hello"), Y, evidence(rd, fixed))
        if not bound:
            yield tup(const("server-hello"), Y, evidence(const("rd:none"), fixed))
