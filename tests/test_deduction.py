"""Hypothesis tests of Dolev-Yao deduction (`models.deduction`, `models.theory`):
closure is monotone in knowledge, idempotent and order-independent, agrees
with a naive fixpoint; every constructor of `CONSTRUCTORS` is analysed as the
theory says; a key-protected secret (aead, hpke, blind) is never derivable
without its key, and becomes derivable once the key arrives."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import budget
from ppverify.models.deduction import Knowledge
from ppverify.models.terms import App, Atom, atoms, const, subterms, tup
from ppverify.models.theory import CONSTRUCTORS, analyse, constructible, dh

SETTINGS = settings(max_examples=budget(60))

KINDS = ("nonce", "key", "dh", "sig", "hpke", "cred", "blind", "data")
secrets = st.builds(Atom, st.sampled_from(["a", "b", "c", "k", "r", "s"]), st.sampled_from(KINDS))
publics = st.sampled_from([const("tag"), const("info"), const("unblinded")])
leaves = st.one_of(secrets, publics)


def _pk(t):
    return App("pk", (t,))


def _extend(children):
    """One constructor application over smaller terms (the theory's shapes)."""
    two = st.tuples(children, children)
    three = st.tuples(children, children, children)
    return st.one_of(
        st.lists(children, max_size=3).map(lambda xs: tup(*xs)),
        st.lists(children, min_size=1, max_size=3).map(lambda xs: App("set", tuple(sorted(xs)))),
        children.map(lambda x: App("hash", (x,))),
        two.map(lambda p: App("kdf", (p[0], const("lbl"), p[1]))),
        secrets.map(_pk),
        st.tuples(secrets, secrets).map(lambda p: dh(p[0], _pk(p[1]))),
        three.map(lambda p: App("aead", p)),
        st.tuples(secrets, children, children, secrets).map(
            lambda p: App("hpke", (_pk(p[0]), p[1], p[2], p[3]))),
        st.tuples(secrets, secrets).map(lambda p: App("hexp", (p[0], _pk(p[1])))),
        two.map(lambda p: App("sig", p)),
        st.tuples(secrets, children, leaves).map(lambda p: App("blind", (_pk(p[0]), p[1], p[2]))),
        st.tuples(secrets, children, leaves).map(
            lambda p: App("evalb", (p[0], App("blind", (_pk(p[0]), p[1], p[2]))))),
        two.map(lambda p: App("cred", p)),
        children.map(lambda x: App("mroot", (App("set", (x,)),))),
        children.map(lambda x: App("mproof", (App("set", (x,)), x))),
        two.map(lambda p: App("process", p)),
    )


terms = st.recursive(leaves, _extend, max_leaves=8)
knowledge_sets = st.lists(terms, max_size=5)


def naive_closure(ts) -> frozenset:
    """Reference: re-analyse everything until nothing changes."""
    known = set(ts)
    while True:
        k = Knowledge(frozenset(known))  # derivability over `known` (no closure)
        new = set()
        for t in known:
            parts, _ = analyse(t, k.derivable)
            new |= {p for p in parts if p not in known}
        if not new:
            return frozenset(known)
        known |= new


@SETTINGS
@given(a=knowledge_sets, b=knowledge_sets, t=terms)
def test_monotone_in_knowledge(a, b, t):
    small, big = Knowledge.of(a), Knowledge.of(a + b)
    assert small.known <= big.known
    if small.derivable(t):
        assert big.derivable(t)


@SETTINGS
@given(a=knowledge_sets, b=knowledge_sets)
def test_closure_idempotent_and_order_independent(a, b):
    k = Knowledge.of(a + b)
    assert Knowledge.of(k.known).known == k.known
    assert k.add(k.known) is k
    assert Knowledge.of(a).add(b).known == k.known == Knowledge.of(b).add(a).known
    stepwise = Knowledge()
    for t in reversed(a + b):
        stepwise = stepwise.add([t])
    assert stepwise.known == k.known


@SETTINGS
@given(a=knowledge_sets)
def test_closure_agrees_with_naive_fixpoint(a):
    assert Knowledge.of(a).known == naive_closure(a)


@SETTINGS
@given(a=knowledge_sets)
def test_everything_known_is_derivable_and_a_subterm_of_the_input(a):
    k = Knowledge.of(a)
    inputs = {s for t in a for s in subterms(t)}
    for t in k.known:
        assert k.derivable(t)
        # analysis only extracts; the one rewrite is evalb -> cred
        assert t in inputs or (isinstance(t, App) and t.op in ("cred", "hexp"))


# --- analysis of every constructor -----------------------------------------------

S, K, R, E = Atom("s", "data"), Atom("k", "key"), Atom("r", "blind"), Atom("e", "hpke")
SK = Atom("sk", "hpke")
AD = Atom("ad", "nonce")

# op -> (term, extra knowledge that unlocks it, parts expected with and without)
CASES = {
    "tup": (tup(S, AD), [], {S, AD}, {S, AD}),
    "set": (App("set", (AD, S)), [], {S, AD}, {S, AD}),
    "hash": (App("hash", (S,)), [], set(), set()),
    "kdf": (App("kdf", (S, const("l"), tup())), [], set(), set()),
    "pk": (_pk(S), [], set(), set()),
    "dhk": (dh(S, _pk(K)), [], set(), set()),
    "aead": (App("aead", (K, S, AD)), [K], {AD}, {AD, S}),
    "hpke": (App("hpke", (_pk(SK), AD, S, E)), [SK], {AD}, {AD, S, App("hexp", (E, _pk(SK)))}),
    "hexp": (App("hexp", (E, _pk(SK))), [], set(), set()),
    "sig": (App("sig", (K, S)), [], {S}, {S}),
    "blind": (App("blind", (_pk(K), S, R)), [R], set(), {S}),
    "evalb": (App("evalb", (K, App("blind", (_pk(K), S, R)))), [R], set(),
              {App("cred", (K, S)), S}),
    "cred": (App("cred", (K, S)), [], {S}, {S}),
    "mroot": (App("mroot", (App("set", (S,)),)), [], set(), set()),
    "mproof": (App("mproof", (App("set", (S, AD)), AD)), [], set(), set()),
    "process": (App("process", (const("f"), S)), [], set(), set()),
}


def test_every_constructor_has_a_case():
    assert set(CASES) == set(CONSTRUCTORS)


def _secret_parts(k: Knowledge, candidates) -> set:
    return {c for c in candidates if c in k.known}


def test_analysis_of_every_constructor():
    for op, (t, unlock, locked, unlocked) in CASES.items():
        wanted = {S, AD, App("hexp", (E, _pk(SK))), App("cred", (K, S))} - {t}
        k = Knowledge.of([t])
        assert _secret_parts(k, wanted) == locked, op
        # the key arriving later re-opens the blocked term; so does knowing it first
        assert _secret_parts(k.add(unlock), wanted) == unlocked, op
        assert _secret_parts(Knowledge.of(unlock + [t]), wanted) == unlocked, op
        assert (t in k.blocked) == bool(unlock), op
        assert t not in k.add(unlock).blocked, op


@SETTINGS
@given(t=terms)
def test_constructor_applications_are_derivable_from_their_arguments(t):
    if isinstance(t, Atom):
        return
    k = Knowledge.of(list(t.args))
    if t.op in CONSTRUCTORS and t.op not in ("dhk", "hexp"):
        assert constructible(t, k.derivable) and k.derivable(t)
    # the two exceptions: a DH secret from one secret and the other's public
    # key; an HPKE exported secret from the ephemeral alone
    a, b = Atom("a", "dh"), Atom("b", "dh")
    assert Knowledge.of([a, _pk(b)]).derivable(dh(a, _pk(b)))
    assert not Knowledge.of([_pk(a), _pk(b)]).derivable(dh(a, _pk(b)))


# --- no derivation of a key-protected secret without its key ----------------------

def _protect(kind: str, secret, key):
    if kind == "aead":
        return App("aead", (key, secret, const("ad")))
    if kind == "hpke":
        return App("hpke", (_pk(key), const("info"), secret, Atom("eph", "hpke")))
    return App("blind", (_pk(Atom("issuer", "cred")), secret, key))


def _key(kind: str):
    return {"aead": Atom("key", "key"), "hpke": Atom("key", "hpke"), "blind": Atom("key", "blind")}[kind]


@SETTINGS
@given(kind=st.sampled_from(["aead", "hpke", "blind"]), noise=knowledge_sets, nest=st.booleans())
def test_no_secret_without_its_key(kind, noise, nest):
    secret, key = Atom("secret", "data"), _key(kind)
    noise = [n for n in noise if key not in set(atoms(n)) and secret not in set(atoms(n))]
    protected = _protect(kind, tup(secret, const("tag")) if nest else secret, key)
    k = Knowledge.of(noise + [protected, _pk(key)])
    assert not k.derivable(secret)
    assert secret not in k.known
    opened = k.add([key])
    assert opened.derivable(secret) and secret in opened.known


@SETTINGS
@given(noise=knowledge_sets)
def test_no_secret_under_two_layers_with_only_the_outer_key(noise):
    inner_key, outer_key, secret = Atom("kin", "key"), Atom("kout", "hpke"), Atom("secret", "data")
    noise = [n for n in noise if not {inner_key, outer_key, secret} & set(atoms(n))]
    t = _protect("hpke", _protect("aead", secret, inner_key), outer_key)
    k = Knowledge.of(noise + [t, outer_key])
    assert not k.derivable(secret)
    assert k.add([inner_key]).derivable(secret)


# --- junk forms an injection may build: analysed conservatively ------------------------

def test_junk_forms_reveal_nothing():
    sk, m = Atom("sk", "hpke"), Atom("m", "data")
    junk = [
        App("hpke", (Atom("notakey", "nonce"), const("info"), m, Atom("e", "hpke"))),  # not pk(...)
        App("evalb", (sk, m)),                                                      # not a blind
        App("evalb", (sk, App("blind", (_pk(Atom("other", "cred")), m, const("unblinded"))))),
        dh(sk, Atom("notapk", "nonce")),                                            # dh against a non-key
    ]
    k = Knowledge.of(junk + [sk, Atom("other", "cred")])
    assert m not in k.known and not k.derivable(m)
    assert not any(t in k.blocked for t in junk)  # no key would ever open more
    assert const("info") in k.known               # the HPKE info is public part of the message
    assert not constructible(App("dhbad", (sk, m)), k.derivable)  # not a constructor


def test_derivation_explains_known_public_and_built_terms():
    a, s = Atom("a", "nonce"), Atom("s", "data")
    k = Knowledge.of([a])
    assert "known" in k.derivation(a)[0]
    assert "public" in k.derivation(const("tag"))[0]
    assert "built by hash" in k.derivation(App("hash", (a,)))[0]
    assert k.derivation(s) == [] and k.derivation(App("hash", (s,))) == []
    assert len(k) == 1 and hash(k) == hash(Knowledge.of([a]))


def test_instances_stop_at_the_budget():
    """A pathological template cannot hang a check: enumeration is capped and says so."""
    from ppverify.models.templates import Budget, Var, instances
    k = Knowledge.of([Atom(f"n{i}", "nonce") for i in range(30)])
    tpl = tup(Var("x", "nonce"), Var("y", "nonce"))
    budget = Budget(50)
    got = list(instances(tpl, k, {}, budget))
    assert budget.exhausted and 0 < len(got) <= 50
    full = Budget(10_000)
    assert len(list(instances(tpl, k, {}, full))) == 900 and not full.exhausted
    assert repr(Var("x", "nonce")) == "?x:nonce" and Var("x", "nonce") == Var("x", "nonce")
