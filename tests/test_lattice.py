"""The threat lattice: pruning by monotonicity gives the same verdicts as
checking every coalition, on a small sub-lattice and property set."""
import pytest

from ppverify.proofs.analyses import lattice as la
from ppverify.proofs.render.text import lattice_text

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
