"""Differential tests of the z3 encoding against the interpreter: the same
knowledge closure and derivability, the same successor states on random runs."""
import random

import z3
from hypothesis import given, settings, strategies as st

from ppverify.models.deduction import Knowledge
from ppverify.proofs.core.system import BudgetHit
from ppverify.proofs.engines.ground import ground
from ppverify.proofs.engines.smt import Encoding
from ppverify.proofs.engines.textbook import PROPERTIES, Textbook

SYSTEM = Textbook(lowe=False)
G = ground(SYSTEM, 2)
TERMS = sorted(G.kmax.known, key=repr)


@settings(max_examples=25, deadline=None)
@given(st.sets(st.sampled_from(TERMS), max_size=8))
def test_knowledge_bits_equal_the_closure(learned):
    """One step that teaches `learned`: z3's bits are exactly Knowledge's closure."""
    enc = Encoding(G, {}, 2)
    lay, v = enc.layout, enc.vars
    lay.k_level = dict.fromkeys(lay.terms, 0)   # any term may be taught here, not only reachable ones
    v.new_state(1)
    K0, K1 = v.k[0], v.k[1]
    for x in lay.terms:
        via = [z3.And(K1[p], v.D(1, key) if key is not None else True) for p, key in lay.producers.get(x, [])]
        enc.s.add(K1[x] == z3.Or(K0[x], z3.BoolVal(x in learned), *via))
    assert enc.s.check() == z3.sat
    m = enc.s.model()
    want = Knowledge.of(list(G.k0.known) + list(learned))
    for x in lay.terms:
        assert z3.is_true(m.eval(K1[x], model_completion=True)) == (x in want.known), x
        assert z3.is_true(m.eval(v.D(1, x), model_completion=True)) == want.derivable(x), x


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_random_runs_have_the_same_successors(seed):
    """A random run of the interpreter, forced onto z3's transition choices:
    satisfiable, and every party's state and the adversary's knowledge agree."""
    rnd = random.Random(seed)
    index = {(t.party, t.pre, t.action): t for t in G.transitions}
    enc = Encoding(G, {p: SYSTEM.smt_encoding(p) for p in PROPERTIES}, 2)
    w = SYSTEM.initial()
    worlds = [w]
    for j in range(5):
        # rejected actions are not transitions: an injection changes nothing,
        # a delivery only drops the message (which changes no verdict)
        acts = [a for a in SYSTEM.actions(w, 2) if not isinstance(a, BudgetHit) and SYSTEM.step(w, a)[2] is None]
        if not acts:
            break
        a = rnd.choice(acts)
        party = a.msg.dst
        t = index[(party, G.states[party].index(w.state(party)), a)]
        enc.add_step()
        enc.s.add(enc.steps.sel[j] == enc.layout.enc[t.id])
        w, _, _ = SYSTEM.step(w, a)
        worlds.append(w)
    assert enc.s.check() == z3.sat
    m = enc.s.model()
    for j, wj in enumerate(worlds):
        for p in G.parties:
            assert m.eval(enc.vars.loc[j][p]).as_long() == G.states[p].index(wj.state(p))
        for x in enc.layout.terms:
            assert z3.is_true(m.eval(enc.vars.k[j][x], model_completion=True)) == (x in wj.knowledge.known)
