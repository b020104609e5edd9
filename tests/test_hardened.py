"""The hardened baseline is derived, not written down: the rule on made-up
candidates (a different value wins when the verdicts say so, and a run where
no change makes everything hold says so), and two real derivations whose
winners differ with the threat models."""
from ppverify.proofs.analyses.changes import NONE, Change
from ppverify.proofs.analyses.checks import Checks, Search
from ppverify.proofs.analyses.hardened import Candidate, choose, derive
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES

BINDERS = [Change(set_params=(f"binder={v}",)) for v in
           ("none", "server-key", "client-random+server-key", "exporter", "handshake-key")]


def _cand(change, violated=0, unproved=0):
    return Candidate(change, tuple(("request-secrecy", f"t{i}") for i in range(violated)),
                     tuple(("key-consistency", f"t{i}") for i in range(unproved)), 10)


def test_the_rule_picks_what_the_verdicts_say():
    published = _cand(NONE, violated=3)
    tried = [published] + [_cand(c, violated=2) for c in BINDERS]
    assert choose(tried).change == BINDERS[0], "ties on violations and evidence: the first value tried"
    tried[4] = _cand(BINDERS[3], violated=0)
    assert choose(tried).change == BINDERS[3], "the only candidate without a violation wins"
    tried[2] = _cand(BINDERS[1], violated=0)
    assert choose(tried).change == BINDERS[1], "two without a violation: the first tried"
    tried[2] = _cand(BINDERS[1], violated=0, unproved=5)
    assert choose(tried).change == BINDERS[3], "stronger evidence (fewer cells not proved) before the order"
    assert choose([_cand(NONE, 1), _cand(BINDERS[0], 1)]).change == NONE, "no improvement: no change"
    assert choose([_cand(NONE, 0, unproved=19), _cand(BINDERS[2], 0)]).change == BINDERS[2], \
        "a cut search is not a proof: the design whose cells are proved wins over fewer changes"


def test_derivation_under_cdn_keeps_the_published_design_and_says_nothing_holds():
    with Checks(1) as checks:
        d = derive(checks, ("cdn",), PROPERTY_NAMES, Search.of(20_000))
    assert d.chosen.change == NONE and d.change == NONE
    assert not d.holds and d.chosen.violated == (("key-consistency", "cdn"),)
    assert all(len(c.violated) == 1 for c in d.candidates), "every binder leaves the CDN's key consistency open"
    assert "NO single parameter change makes every property hold" in d.why()
    assert [c.change for c in d.candidates][1:6] == BINDERS, "binder values are tried first"


def test_derivation_under_network_picks_a_binder_that_proves_everything():
    with Checks(2) as checks:
        d = derive(checks, ("network",), PROPERTY_NAMES, Search.of(3_000))
    assert d.change == Change(set_params=("binder=client-random+server-key",))
    assert d.holds and d.proved, d.why()
    by = {c.change: c for c in d.candidates}
    assert by[NONE].violated or by[NONE].unproved, "the published design is not proved under network"
    assert {p for p, _ in by[BINDERS[1]].violated} == {"evidence-freshness"}, \
        "binder=server-key drops the client random: stale evidence"
    assert all(not by[c].violated and not by[c].unproved for c in BINDERS[2:])
