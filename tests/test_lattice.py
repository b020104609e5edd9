"""The threat lattice: pruning by monotonicity gives the same verdicts as
checking every coalition, on a small sub-lattice and property set."""
import pytest

from ppverify.proofs.analyses import lattice as la
from ppverify.proofs.analyses.auto import QUICK
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.core.verdicts import Kind
from ppverify.proofs.render.text import lattice_text
from ppverify.protocol.controls import scenario

ACTORS = ("cdn", "ledger", "chat-member")
PROPS = ("key-consistency", "no-split-view", "request-secrecy", "chat-privacy-respected")


@pytest.fixture(scope="module")
def pruned():
    return la.run_lattice(ACTORS, PROPS, max_states=2000)


@pytest.fixture(scope="module")
def full():
    return la.run_lattice(ACTORS, PROPS, max_states=2000, verify=True)


def test_pruning_gives_the_verdicts_of_checking_everything(pruned, full):
    for key, cell in full.cells.items():
        assert pruned.cells[key].verdict == cell.verdict, (
            f"{key[0]} under {full.name(key[1])}: pruned says {pruned.cells[key].verdict} "
            f"({pruned.cells[key].how}), checking says {cell.verdict}")
    assert not full.breaches, f"monotonicity breached: {full.breaches}"


def test_pruning_saves_checks(pruned, full):
    assert full.explored == 2 ** len(ACTORS) and full.saved == 0
    assert pruned.saved > 0 and pruned.explored < full.explored, \
        "the exhaustive proofs under cdn+ledger+chat-member should carry to every subset"
    carried = [c for c in pruned.cells.values() if c.how.startswith("carried up")]
    assert all(c.trace is not None for c in carried), "a carried violation keeps its replayed trace"


def test_minimal_and_maximal_coalitions(pruned):
    name = lambda cs: [pruned.name(c) for c in cs]
    assert name(pruned.minimal_breaking("key-consistency")) == ["cdn"]
    assert [pruned.name(c) for c, _ in pruned.maximal_holding("key-consistency")] == ["ledger+chat-member"]
    assert pruned.minimal_breaking("chat-privacy-respected") == []
    assert [pruned.name(c) for c, _ in pruned.maximal_holding("request-secrecy")] == ["cdn+ledger+chat-member"]


def test_report_names_savings(pruned):
    text = lattice_text(pruned)
    assert "minimal coalitions that break it: cdn" in text and "carried by monotonicity" in text


def test_auto_asks_the_unbounded_engine_and_agrees_with_the_explorer(pruned):
    """The default engine: every coalition here is meta-free and has no CVM
    compromise, so each was asked of the unbounded engine first; its proofs
    are for every size and carry down as such; the verdicts are the explorer's."""
    explored = la.run_lattice(ACTORS, PROPS, max_states=2000, engine="explore")
    assert {k: c.verdict for k, c in pruned.cells.items()} == {k: c.verdict for k, c in explored.cells.items()}
    assert pruned.unbounded == pruned.explored and explored.unbounded == 0 and explored.every_size() == 0
    top = frozenset(ACTORS)
    assert pruned.cells[("no-split-view", top)].every_size
    assert all(c.every_size for (p, _), c in pruned.cells.items() if p == "no-split-view")
    assert pruned.inconclusive() == [], "every coalition here is decided"
    assert "0 of 8 coalitions have a cell left inconclusive" in lattice_text(pruned)


def test_coalitions_checked_first_give_the_verdicts_of_checking_everything(full, monkeypatch):
    monkeypatch.setattr(la, "TOPS", ("cdn+ledger",))
    topped = la.run_lattice(ACTORS, PROPS, max_states=2000)
    assert {k: v.verdict for k, v in topped.cells.items()} == {k: v.verdict for k, v in full.cells.items()}


def test_a_cell_a_top_leaves_open_gets_a_smaller_coalitions_attack_late():
    cdn, top = frozenset({"cdn"}), frozenset({"cdn", "ledger"})
    (r,) = check_threat(scenario("cdn"), ("key-consistency",), engine="explore")
    rep = la.LatticeReport(("cdn", "ledger"), ("key-consistency",))
    rep.cells[("key-consistency", cdn)] = la.Cell(Kind.VIOLATED, "checked", trace=r.verdict.trace)
    rep.cells[("key-consistency", top)] = la.Cell(Kind.INCONCLUSIVE, "checked", reason="cut")
    la._carry_late(rep, [top])
    cell = rep.cells[("key-consistency", top)]
    assert cell.verdict == Kind.VIOLATED and cell.how == "carried up from cdn (replayed)"
    assert cell.trace.threat == "cdn+ledger"


def test_a_proof_for_every_size_is_carried_down_before_one_for_the_scenario():
    """A coalition below two tops gets the stronger proof, not the smaller top's."""
    c, small, large = frozenset({"cdn"}), frozenset({"cdn", "ledger"}), frozenset({"cdn", "ledger", "relay"})
    rep = la.LatticeReport(("cdn", "ledger", "relay"), ("genuine-tee",))
    rep.cells[("genuine-tee", small)] = la.Cell(Kind.PROVED, "checked", exhaustive=True)
    rep.cells[("genuine-tee", large)] = la.Cell(Kind.PROVED, "checked", exhaustive=True, every_size=True)
    cell = la._infer(rep, "genuine-tee", c)
    assert cell.every_size and cell.how == "carried down from relay+cdn+ledger (exhaustive)", cell
    assert la._infer(rep, "genuine-tee", c, scenario_proofs=False).every_size
    del rep.cells[("genuine-tee", large)]
    cell = la._infer(rep, "genuine-tee", c)
    assert not cell.every_size and cell.how == "carried down from cdn+ledger (exhaustive)", cell
    assert la._infer(rep, "genuine-tee", c, scenario_proofs=False) is None, "held back on the unbounded engine"
    rep.cells[("genuine-tee", c)] = la.Cell(Kind.INCONCLUSIVE, "checked", reason="cut")
    la._carry_late(rep, [])
    assert rep.cells[("genuine-tee", c)].how == "carried down from cdn+ledger (exhaustive)", "...until the end"


def test_the_unbounded_engine_is_skipped_where_it_cannot_help():
    net, meta = frozenset({"network"}), frozenset({"meta-insider"})
    failed = {meta: "grounding failed (why)"}
    assert la.engine_for("auto", net, {}) == "auto"
    assert la.engine_for("auto", net | {"cvm-compromise-after"}, {}) == "auto", "the abstraction seizes whole CVMs"
    assert la.engine_for("auto", net | meta, failed) == "explore", "a superset of a failed grounding"
    assert la.engine_for("auto", net, failed) == "auto"
    assert la.engine_for("explore", net, {}) == "explore"
    held = {"non-targetability": [meta]}   # a horn candidate under meta-insider no bounded search replayed
    assert la.engine_for("auto", net | meta, {}, ("non-targetability",), held) == "explore"
    assert la.engine_for("auto", net | meta, {}, ("non-targetability", "user-consent"), held) == "auto"
    assert la.engine_for("auto", net, {}, ("non-targetability",), held) == "auto"
    assert not la.not_unbounded(net, failed)
    assert la.not_unbounded(net | meta, failed).endswith("smaller coalition, meta-insider: grounding failed (why)")


def test_only_a_failed_grounding_marks_a_coalition_failed():
    """Supersets skip the unbounded engine where its grounding gave up (a cost
    rule), not where it grounded and settled nothing."""
    failed = check_threat(scenario("meta-insider"), ("genuine-tee",), max_states=1_000, engine="auto",
                          budgets=(QUICK,))
    why = la._grounding_failed(failed, QUICK.name)
    assert why.startswith("grounding failed") and "local states" in why and "quick" in why, why
    grounded = check_threat(scenario("network", ["single-use-tokens"]), ("token-single-use",), max_states=1_000,
                            engine="auto")
    assert grounded[0].extra["engines"]["horn"] == Kind.INCONCLUSIVE, "a replay horn cannot count or exclude"
    assert not la._grounding_failed(grounded)


def test_every_inconclusive_cell_says_why():
    """A search cut by its state limit leaves cells inconclusive: each keeps its
    reason, the text groups the coalitions by it and the JSON names it per cell."""
    import json
    from ppverify.proofs.render.json import lattice_json
    rep = la.run_lattice(("network", "relay"), ("genuine-tee",), max_states=300, engine="explore")
    why = rep.why_inconclusive("genuine-tee")
    assert why and all(cs for cs in why.values()), "300 states cut the search somewhere"
    assert sum(map(len, why.values())) == sum(1 for (p, c), v in rep.cells.items() if v.reason)
    reason, cs = next(iter(why.items()))
    assert "state limit N" in reason and f"    {len(cs)}: {reason} (e.g. {rep.name(cs[0])})" in lattice_text(rep)
    cells = json.loads(lattice_json(rep))["cells"]
    assert all(("reason" in c) == (c["verdict"] == "inconclusive") for c in cells)


def test_an_inconclusive_cell_says_what_the_unbounded_engine_did():
    """On auto, an inconclusive cell's reason also says why the unbounded engine
    did not settle it, or why it was not asked."""
    rep = la.run_lattice(("meta-insider", "hw-vendor"), ("genuine-tee",), max_states=300)
    meta = rep.cells[("genuine-tee", frozenset({"meta-insider"}))]
    assert meta.verdict == Kind.INCONCLUSIVE and "state limit 20,000" in meta.reason
    assert "not settled by the unbounded engine: grounding failed" in meta.reason, meta.reason
    both = rep.cells[("genuine-tee", frozenset({"meta-insider", "hw-vendor"}))]
    assert both.verdict == Kind.INCONCLUSIVE and "state limit 300" in both.reason
    assert "not asked of the unbounded engine: its grounding gave up under a smaller coalition, meta-insider" \
        in both.reason, both.reason
    assert rep.cells[("genuine-tee", frozenset({"hw-vendor"}))].every_size


def test_the_outputs_name_where_the_unbounded_engine_gives_up():
    """The smallest coalitions whose grounding gave up lead their supersets' reasons, and the text,
    the JSON and the report each list them with the inconclusive coalitions above them."""
    import json
    from ppverify.proofs.render.extras import lattice_section
    from ppverify.proofs.render.json import lattice_json
    rc, rcl, r = frozenset({"relay", "cdn"}), frozenset({"relay", "cdn", "ledger"}), frozenset({"relay"})
    rep = la.LatticeReport(("relay", "cdn", "ledger"), ("genuine-tee",))
    rep.gave_up.update({rc: "why at relay+cdn", rcl: "why above it"})
    rep.cells[("genuine-tee", r)] = la.Cell(Kind.PROVED, "checked", True)
    for c in (rc, rcl):
        rep.cells[("genuine-tee", c)] = la.Cell(Kind.INCONCLUSIVE, "checked", reason="cut")
    assert rep.gave_up_first() == [(rc, "why at relay+cdn", 2)]
    assert "  relay+cdn: why at relay+cdn; 2 inconclusive" in lattice_text(rep)
    assert json.loads(lattice_json(rep))["gave_up"] == [
        {"threat": "relay+cdn", "reason": "why at relay+cdn", "inconclusive_above": 2}]
    md = lattice_section(rep).markdown
    assert "- `relay+cdn`: why at relay+cdn; 2 inconclusive" in md and "| `genuine-tee` | none | relay | 2 |" in md
    assert "why above it" not in md, "only the smallest coalitions are the causes"
