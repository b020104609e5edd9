"""The explorer's memos must not change what it explores: hash-consed terms,
one knowledge object per knowledge set, injection candidates memoized on the
knowledge (same order, same budget exhaustion as a fresh enumeration), and
`atom:` pools that hold atoms only."""
import pickle

import pytest
from hypothesis import given, settings, strategies as st

from ppverify.models import supply
from ppverify.models.deduction import Knowledge
from ppverify.models.indexes import _keys, derived, indexed, pool
from ppverify.models.templates import (Budget, Var, known_matches, _vars, candidates, ground, has_type,
                                       instances, unify)
from ppverify.models.terms import App, Atom, const, tup
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.pp.system import PPSystem
from ppverify.protocol.adversary import expectations
from ppverify.protocol.server_hellos import evidence
from ppverify.protocol.controls import scenario


def test_equal_terms_are_one_object_also_across_pickling():
    a = tup(Atom("x", "nonce"), const("c"))
    assert a is tup(Atom("x", "nonce"), const("c"))
    assert pickle.loads(pickle.dumps(a)) is a
    assert Atom("x", "nonce") is not Atom("x", "dh"), "kind is part of an atom's identity"


@pytest.fixture(scope="module")
def network_worlds():
    """Worlds of a network search where forged evidence is possible (signature check off)."""
    m = symbolic_model(scenario("network", ["attestation-signature"]))
    ex = explore(PPSystem(m), ("genuine-tee",), max_states=600)
    return m, ex.worlds


def _fresh(tpl, k, limit):
    """The enumeration `candidates` memoizes, done from scratch."""
    b, seen, out = Budget(limit), set(), []
    for t, _ in instances(tpl, k, {}, b):
        if t not in seen:
            seen.add(t)
            out.append((t, b.exhausted))
    return tuple(out), b.exhausted


def _sig_keys(t):
    """The evidence pattern with keys typed `sig` (known signatures too):
    large enough to exhaust small budgets."""
    if isinstance(t, Var):
        return Var(t.name, "sig", t.roles) if t.type == "atom:sig" else t
    if isinstance(t, App):
        return App(t.op, tuple(_sig_keys(a) for a in t.args))
    return t


@pytest.mark.parametrize("limit", [5, 60, 4000])
def test_memoized_candidates_equal_a_fresh_enumeration(network_worlds, limit):
    _, worlds = network_worlds
    ks = list({w.knowledge: None for w in worlds[-50:]})[:3]
    Y = App("pk", (Atom("adv.dh", "dh"),))
    Y2 = App("pk", (Atom("y.other.1", "dh"),))
    # the third differs from the first only in the key share: its evidence is
    # a replay of the first's sub-enumeration
    tpls = [tup(const("server-hello"), Y, evidence(Var("rd", "hash"), {})),
            tup(const("server-hello"), Y, _sig_keys(evidence(Var("rd", "hash"), {}))),
            tup(const("server-hello"), Y2, evidence(Var("rd", "hash"), {}))]
    exhausted = False
    for k in ks:
        for tpl in tpls:
            got = candidates(tpl, k, limit)
            assert got == _fresh(tpl, k, limit)
            assert candidates(tpl, k, limit) is got, "asked again: the memo answers"
            exhausted |= got[1]
    assert exhausted, "some enumeration runs out of budget (the flag is part of what is compared)"
    if limit >= 4000:   # smaller budgets cut recordings short: those are not kept
        assert any(isinstance(key, tuple) and key[0] == "inst" for k in ks for key in derived(k)), \
            "sub-patterns were recorded for replay"


def test_atom_pools_hold_atoms_only(network_worlds):
    _, worlds = network_worlds
    k = worlds[-1].knowledge
    sigs = pool(k, "sig")
    atoms = pool(k, "atom:sig")
    assert any(isinstance(t, App) for t in sigs), "known signatures share the type name of signing keys"
    assert atoms and all(isinstance(t, Atom) for t in atoms)
    assert atoms == [t for t in sigs if isinstance(t, Atom)], "same order as the full pool"
    signature = next(t for t in sigs if isinstance(t, App))
    assert has_type(signature, "sig") and not has_type(signature, "atom:sig")
    assert has_type(Atom("adv.sig", "sig"), "atom:sig")


def test_knowledge_is_shared_and_unchanged_knowledge_keeps_its_object(network_worlds):
    """Monitors skip a transition whose knowledge object is the one before
    (`is`): learning nothing new must keep the very object; equal knowledge
    reached along different paths is one object."""
    m, worlds = network_worlds
    k = worlds[-1].knowledge
    assert m._learn(k, list(k.known)[:3]) is k
    by_set = {}
    for w in worlds:
        by_set.setdefault(w.knowledge.known, set()).add(id(w.knowledge))
    initial = worlds[0].knowledge
    shared = [ids for ks, ids in by_set.items() if ks != initial.known]
    assert shared and all(len(ids) == 1 for ids in shared)


# --- the index by key masks against a rebuild of the whole index -----------------
def _plain_supply(terms) -> tuple:
    """`supply`'s used members, families, spare values and exhaustion by a
    walk over every term (what it derives from class masks and memoizes)."""
    used: set = set()
    for t in terms:
        used |= supply._uses(t)
    fam: dict = {}
    for t in terms:
        if isinstance(t, Atom) and supply.index(t) is not None:
            fam.setdefault(t.kind, []).append(t)
    fam = {kind: sorted(v, key=supply.index) for kind, v in fam.items()}
    spare = set()
    for members in fam.values():
        for a in [a for a in members if a not in used][1:]:
            spare |= {a, App("pk", (a,))}
    exhausted = any(len(m) > 1 and all(a in used for a in m) for m in fam.values())
    return frozenset(used), fam, frozenset(spare), exhausted


def _rebuilt_index(k) -> dict:
    """The index as a fresh build from every known term: all of them sorted
    by repr, the supply's spare values left out (what `_indexed` derives from
    key masks, one key at a time)."""
    idx: dict = {}
    spare = _plain_supply(list(k.known))[2]
    for t in sorted(k.known, key=repr):
        if t not in spare:
            for key in _keys(t):
                idx.setdefault(key, []).append(t)
    return idx


_INSIDER: list = []


def _insider_search():
    """A meta-insider search (once per session): its model, its knowledge
    sets (the adversary's own fresh values partly used, many kinds of terms)
    and its worlds."""
    if not _INSIDER:
        m = symbolic_model(scenario("meta-insider"))
        worlds = list(explore(PPSystem(m), ("request-secrecy",), max_states=1500).worlds)
        _INSIDER.append((m, list({w.knowledge: None for w in worlds}), worlds))
    return _INSIDER[0]


@pytest.fixture(scope="module")
def insider_knowledge():
    return _insider_search()[1]


@settings(max_examples=60)
@given(data=st.data())
def test_index_by_key_masks_equals_a_rebuild(insider_knowledge, data):
    """Drawn knowledge sets (reached ones, and closures of random subsets of
    one, so that terms are numbered in other orders than they are known and
    some supply members are left unused): every key's list is the rebuild's,
    terms of equal repr in the same order, and a key with no term is empty."""
    ks = insider_knowledge
    k = data.draw(st.sampled_from(ks))
    if data.draw(st.booleans()):
        terms = sorted(k.known, key=repr)
        picked = data.draw(st.lists(st.sampled_from(terms), max_size=len(terms), unique=True))
        k = Knowledge.of(picked)
    ref = _rebuilt_index(k)
    memo: dict = {}
    for key in sorted(ref):
        assert indexed(k, key, memo) == ref[key], key
    assert indexed(k, "no-such-symbol", memo) == [] and indexed(k, "type:no-such-type", memo) == []
    assert (supply.used(k.known), supply.families(k.known), supply.hidden(k.known),
            supply.exhausted(k.known)) == _plain_supply(list(k.known))


def test_index_follows_terms_numbered_after_the_first_question():
    """A key's mask covers terms numbered after it was first asked for."""
    k1 = Knowledge.of([tup(const("late-index-test"), Atom("late.1", "nonce"))])
    assert [repr(t) for t in indexed(k1, "type:tup:late-index-test", {})] == ["<'late-index-test', late.1>"]
    k2 = k1.add([tup(const("late-index-test"), Atom("late.0", "nonce"))])
    got = indexed(k2, "type:tup:late-index-test", {})
    assert got == _rebuilt_index(k2)["type:tup:late-index-test"] and len(got) == 2


def _compound_parts(tpl):
    """The compound sub-patterns of `tpl` that are matched against known terms."""
    if isinstance(tpl, App):
        if not ground(tpl) and tpl.op not in ("tup", "set"):
            yield tpl
        for a in tpl.args:
            yield from _compound_parts(a)


@settings(max_examples=40)
@given(data=st.data())
def testknown_matches_kept_per_term_equal_a_fresh_unification(data):
    """`known_matches` keeps whether each term unifies with a pattern under a
    binding for every knowledge set (`MATCHES`): on drawn worlds, for each
    receiver pattern's compound parts, with no binding and with bindings a
    match gives, the matches are those of unifying every indexed term anew."""
    model, ks, worlds = _insider_search()
    w = data.draw(st.sampled_from(worlds))
    k = w.knowledge
    ref = _rebuilt_index(k)
    for *_, tpl in expectations(model, w):
        for part in _compound_parts(tpl):
            plain = [(t, unify(part, t, {})) for t in ref.get(part.op, [])]
            envs = [{}] + [e for _, e in plain if e][:2]
            for env in envs:
                vs = _vars(part)
                want = tuple((t, tuple((v, e2[v]) for v in vs if v not in env))
                             for t in ref.get(part.op, []) if (e2 := unify(part, t, env)) is not None)
                assert known_matches(part, k, env) == want
