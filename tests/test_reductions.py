"""The explorer's reductions are checked, not trusted: world identity covers
every field a monitor reads, and the partial-order reduction (`PPSystem.actions`
against the unreduced `enabled`), the memos (the adversary's, the templates'
and links' memos on knowledge, the world's learning and step memos, the
visibility table's) and the visited set's fingerprints change no verdict on
small random scenarios. Memos that serve more than one knowledge set or
world are also checked one by one against plain computation (a step, a
payload's parts, the parts sightings open), and the monitors' wakes against
running every monitor on every transition; test_templates.py does the same
for the index and the adversary's enumerations."""
from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import given, settings, strategies as st

from ppverify.models import indexes, templates
from ppverify.models.deduction import Knowledge
from ppverify.models.terms import const
from ppverify.models.terms import subterms
from ppverify.models.theory import analyse, rules
from ppverify.proofs.engines import explore as explore_mod
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.proofs.core.system import each
from ppverify.proofs.properties import links
from ppverify.proofs.properties.catalogue import BY_NAME, PROPERTY_NAMES
from ppverify.protocol.controls import CONTROLS, PARAMETERS, scenario
from ppverify.protocol.world import Deliver, Inject, Invoke

from tests.conftest import budget

CHEAP = ("cdn", "relay", "ledger", "chat-member", "cvm-compromise-after", "network")
LIMIT = 600  # states: the cheap threats are exhaustive below it, reduced or not; network is not


class NoMemo(dict):
    """A memo whose every lookup misses (`get`, `in`, `setdefault`): each
    value is computed afresh. It still stores, for callers that read back
    what they have just written (`memo[key] = f(); return memo[key]`)."""

    def get(self, key, default=None):
        return default

    def setdefault(self, key, default=None):
        return default

    def __contains__(self, key) -> bool:
        return False


class NoMemoLRU(OrderedDict):
    """`indexes`' table of memo dicts, finding none: each knowledge set
    gets a fresh (`NoMemo`) one on every question."""

    def get(self, key, default=None):
        return default


class Unreduced(PPSystem):
    """The explorer's stream without the partial-order reduction: every enabled action."""

    def actions(self, w, max_moves: int = 2):
        return self.enabled(w, max_moves)


def test_worlds_differing_only_in_wire_are_distinct():
    """`forward-secrecy` reads the recorded traffic: merging two such worlds
    would lose one's future (the identity once left `wire` out)."""
    w = symbolic_model(scenario("network")).initial()
    w2 = w.replace(wire=w.wire | {const("recorded")})
    assert w != w2 and len({w, w2}) == 2
    assert explore_mod.fingerprint(w) != explore_mod.fingerprint(w2)
    assert w == w.replace() and hash(w) == hash(w.replace())


def _search(sc, reduced: bool, memos: bool):
    model = symbolic_model(sc)
    with pytest.MonkeyPatch.context() as mp:
        if not memos:
            for name in ("_expect_memo", "_hello_memo", "_handles_memo", "_injectable_memo"):
                model.__dict__[name] = NoMemo()          # protocol.adversary's
            model._learned, model._knowledge, model._party_states = NoMemo(), NoMemo(), NoMemo()
            model._moves = NoMemo()
            model.links._sees, model.links._held, model.links._injects = NoMemo(), NoMemo(), NoMemo()
            mp.setattr(Knowledge, "memo", NoMemo)      # derivability, templates', links'
            # and no memo dict of an equal knowledge set from an earlier search in this process
            mp.setattr(indexes, "_MEMOS", NoMemoLRU())
            mp.setattr(indexes, "_LAST", [None, None])
            mp.setattr(templates, "MATCHES", NoMemo())    # unification per term
            mp.setattr(links, "OPENED", NoMemo())       # link facts' parts of a payload
            mp.setattr(explore_mod, "fingerprint", lambda w: w)   # exact keys
        system = (PPSystem if reduced else Unreduced)(model)
        return explore(system, PROPERTY_NAMES, max_states=LIMIT)


def _summary(ex) -> tuple:
    found = {p: (f.depth, str(f.action), f.why) for p, f in ex.violations.items()}
    return found, ex.stats, ex.exhaustive, ex.depth, ex.budget_hit, ex.partner is not None


scenarios = st.builds(
    lambda threat, disabled, param: scenario(threat, disabled, param),
    st.sampled_from(CHEAP),
    st.lists(st.sampled_from(CONTROLS), max_size=2, unique=True),
    st.sampled_from([()] + [(f"{n}={v}",) for n, vs in PARAMETERS.items() for v in vs]))


@settings(max_examples=budget(8))
@given(sc=scenarios)
def test_memos_and_fingerprints_change_nothing(sc):
    """The same stream with and without every memo and with exact keys: the
    same search, state for state (counts, depths, counterexamples)."""
    assert _summary(_search(sc, True, True)) == _summary(_search(sc, True, False))


@settings(max_examples=budget(8))
@given(sc=scenarios)
def test_partial_order_reduction_keeps_verdicts(sc):
    """Reduced (memos on) against unreduced (memos off, exact keys): where both
    searches are exhaustive, the same properties are violated, the same honest
    completion is met and the same budget note is raised."""
    red = _search(sc, True, True)
    full = _search(sc, False, False)
    if red.exhaustive and full.exhaustive:
        assert red.stats["states"] <= full.stats["states"]
        assert set(red.violations) == set(full.violations), sc.describe()
        assert (red.partner is None) == (full.partner is None)
        assert red.budget_hit == full.budget_hit


def test_a_fingerprint_clash_with_a_frontier_world_is_caught():
    """Every world gets the same fingerprint: one still on the frontier is
    compared exactly, so a clash adds a state instead of merging two."""
    w0 = symbolic_model(scenario("network")).initial()
    w1 = w0.replace(wire=frozenset({const("recorded")}))
    seen = explore_mod._Visited(lambda w: 0)
    seen.add(w0, 0)
    assert seen.find(w1) is None
    seen.add(w1, 1)
    assert seen.find(w1) == 1 and seen.find(w0) == 0 and seen.find(w0.replace()) == 0


def test_worlds_rebuilt_by_replay_are_the_visited_ones():
    model = symbolic_model(scenario("cdn"))
    ex = explore(PPSystem(model), PROPERTY_NAMES, max_states=LIMIT)
    worlds = list(ex.worlds)
    assert len(worlds) == len(set(worlds)) == ex.stats["states"]
    assert ex.worlds[-1] == worlds[-1] and ex.worlds[3:5] == worlds[3:5]
    for p, found in ex.violations.items():
        assert len(ex.path(found.node)) == found.depth - 1


@pytest.fixture(scope="module")
def insider():
    """A meta-insider search's model and some of its worlds (the memos warm)."""
    model = symbolic_model(scenario("meta-insider"))
    ex = explore(PPSystem(model), PROPERTY_NAMES, max_states=1200)
    return model, list(ex.worlds)


@settings(max_examples=40)
@given(data=st.data())
def test_memoized_step_equals_a_plain_step(insider, data):
    """`Model.step` memoizes what an action does to its party's state
    (`_move`): on drawn worlds and each of their actions, the memoized step
    (asked twice: the second answer is the memo's) gives the world, output
    and rejection of a step computed with no memo at all."""
    model, worlds = insider
    w = data.draw(st.sampled_from(worlds))
    system = PPSystem(model)
    for a in system.enabled(w):
        if not isinstance(a, (Invoke, Deliver, Inject)):
            continue
        model.step(w, a)
        memo_w, memo_out, memo_rej = model.step(w, a)
        saved = model._moves, model._learned
        model._moves, model._learned = NoMemo(), NoMemo()
        try:
            plain_w, plain_out, plain_rej = model.step(w, a)
        finally:
            model._moves, model._learned = saved
        assert memo_w == plain_w and memo_w.knowledge.known == plain_w.knowledge.known, a
        assert memo_out == plain_out and (memo_rej is None) == (plain_rej is None), a
        if memo_rej is not None:
            assert str(memo_rej) == str(plain_rej)


def _transitions(model, max_states: int):
    """Every transition out of the worlds a search of `model` visits."""
    system = PPSystem(model)
    for w in explore(system, PROPERTY_NAMES, max_states=max_states).worlds:
        for a in system.enabled(w):
            if isinstance(a, (Invoke, Deliver, Inject)):
                w2, out, rej = system.step(w, a)
                if rej is None or isinstance(a, Deliver):
                    yield w, w2, out


def _check_wakes(model, max_states: int) -> int:
    system = PPSystem(model)
    watch, every = system.watch(PROPERTY_NAMES), each({p: system.monitor(p) for p in PROPERTY_NAMES})
    fired = 0
    for w0, w, out in _transitions(model, max_states):
        for p in PROPERTY_NAMES:
            if not BY_NAME[p].wakes.woken(w0, w, out):
                assert system.monitor(p)(w0, w, out) is None, p
        found = every(w0, w, out)
        assert watch(w0, w, out) == found
        fired += len(found)
    return fired


@settings(max_examples=budget(8))
@given(sc=scenarios)
def test_a_monitor_fires_only_where_it_wakes(sc):
    """`Property.wakes` is what `watch` skips on: on every transition of
    small searches (each world's every enabled action), a monitor whose
    wakes do not cover the transition says nothing, and `watch` reports
    what running every monitor reports."""
    _check_wakes(symbolic_model(sc), 300)


class EveryMonitor(PPSystem):
    """Every monitor on every transition (no wakes)."""

    def watch(self, props):
        return each({p: self.monitor(p) for p in props})


# Scenarios where, between them, every property is violated within 4,000 states
FIRING = [("meta-insider", ["third-party-relay"]), ("meta-insider", ["credential-blinding"]),
          ("relay", ["single-use-tokens"]), ("cdn", ["ra-tls"]), ("network", ["attestation-signature"]),
          ("meta-insider", ["ledger-inclusion"]), ("meta-insider", ["revocation-check"]),
          ("cdn", ["user-opt-in", "advanced-chat-privacy"]), ("cdn", ["data-minimization"])]


def test_watch_finds_what_every_monitor_finds():
    """Searches where each property has a counterexample: with `watch`
    (monitors skipped where they do not wake) the same search, state for
    state and counterexample for counterexample, as with every monitor run
    on every transition."""
    fired: set = set()
    for threat, disabled in FIRING:
        sc = scenario(threat, disabled)
        watched = explore(PPSystem(symbolic_model(sc)), PROPERTY_NAMES, max_states=4000)
        every = explore(EveryMonitor(symbolic_model(sc)), PROPERTY_NAMES, max_states=4000)
        assert _summary(watched) == _summary(every), sc.describe()
        fired |= set(watched.violations)
    assert fired == set(PROPERTY_NAMES), "every property's wakes are put to the test"


def _plain_parts(payload, k) -> frozenset:
    """Every part of `payload` opened with `k`, by analysis from scratch."""
    seen, stack = set(), [payload]
    while stack:
        t = stack.pop()
        if t not in seen:
            seen.add(t)
            stack.extend(analyse(t, k.derivable)[0])
    return frozenset(seen)


@settings(max_examples=30)
@given(data=st.data())
def test_parts_kept_with_their_answers_equal_a_fresh_analysis(insider, data):
    """`links.parts` keeps each payload's parts with the derivability answers
    they rest on and serves them to any knowledge set answering alike. A
    search's sighted payloads open alike all along, so each is also opened
    with knowledge sets given some of the keys its analysis asks for; drawn
    in drawn order (earlier ones' entries are what later ones are checked
    against), every one opens as a fresh analysis says."""
    _, worlds = insider
    payloads = sorted({p for w in worlds for _, p in w.sightings}, key=repr)
    ks = [w.knowledge for w in data.draw(st.lists(st.sampled_from(worlds), min_size=1, max_size=4))]
    for payload in payloads:
        keys = _keys_asked(payload)
        given_keys = [k.add(data.draw(st.lists(st.sampled_from(keys), max_size=3))) if keys else k for k in ks]
        for k in data.draw(st.permutations(ks + given_keys)):
            assert links.parts(payload, k) == _plain_parts(payload, k)


def _keys_asked(payload) -> list:
    return sorted({key for t in subterms(payload) for key, _ in rules(t) if key is not None}, key=repr)


def test_a_sighted_payload_opens_further_with_its_keys(insider):
    """What makes the test above bite: given the keys its analysis asks for,
    some sighted payload opens to more than it does in the search."""
    _, worlds = insider
    w = worlds[-1]
    assert any(_plain_parts(p, w.knowledge.add(_keys_asked(p))) != _plain_parts(p, w.knowledge)
               for _, p in w.sightings)


def test_opened_parts_as_a_mask_meet_the_handles_the_set_meets():
    """`links.linked` keeps the parts a knowledge set's sightings open as a
    mask when all are numbered terms (`_compact`): on the worlds of a search
    where requests are linked, each session's handles meet the mask exactly
    when they meet the set; a set with an unnumbered term stays a set."""
    model = symbolic_model(scenario("meta-insider", ["third-party-relay"]))
    ex = explore(PPSystem(model), PROPERTY_NAMES, max_states=1500)
    met = 0
    for w in ex.worlds:
        opened = frozenset().union(*(links.parts(p, w.knowledge) for _, p in w.sightings))
        for cl in (p for p, d in model.setup.parties.items() if d.role == "client"):
            for i in range(len(w.state(cl).sessions)):
                hs = links.request_handles(model, w, cl, i) | links.credential_handles(model, w, cl, i)
                assert links._meets(hs, links._compact(opened)) == (not hs.isdisjoint(opened))
                met += not hs.isdisjoint(opened)
    assert met, "some handles meet what the sightings open"
    fresh = const("never-numbered-in-any-set")
    assert links._compact(frozenset({fresh})) == {fresh} and links._meets(frozenset({fresh}), frozenset({fresh}))
