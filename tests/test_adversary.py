"""The Dolev-Yao adversary's capabilities (issue 14): each is explored on a
scenario where it matters. Fresh values of each kind, lowest unused first;
hellos of its own mid-run with a learnt client random and its own share
(two man-in-the-middle handshakes in one run); a corrupt ledger's own trees
and revocation lists in fields a disabled check leaves unsigned."""
import pytest

from ppverify.models import supply
from ppverify.models.scenario import Bounds
from ppverify.models.indexes import pool, role
from ppverify.models.templates import Var
from ppverify.models.terms import App, Atom, const, tup
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.core.verdicts import Violated
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol import adversary
from ppverify.protocol.controls import scenario
from ppverify.protocol.world import Inject

ADV_DH = App("pk", (Atom("adv.dh", "dh"),))


def _explore(threat, disable=(), params=(), bounds=Bounds(), max_states=20_000):
    m = symbolic_model(scenario(threat, disable, params, bounds))
    return m, explore(PPSystem(m), ("token-single-use",), max_states=max_states)


def _injections(ex):
    return [a for a in ex.graph.action[1:] if isinstance(a, Inject)]   # the search tree's edges


@pytest.fixture(scope="module")
def network():
    return _explore("network", params=("binder=client-random",))


def test_supply_offers_the_lowest_unused_member_only():
    m = symbolic_model(scenario("cdn"))
    k = m.initial().knowledge
    hpke = pool(k, "pk:hpke")
    assert App("pk", (Atom("adv.hpke", "hpke"),)) in hpke
    assert App("pk", (Atom("adv.hpke.2", "hpke"),)) not in hpke, "a spare unused member is not enumerated"
    assert k.derivable(Atom("adv.hpke.2", "hpke")), "only left out of enumerations, still derivable"
    assert supply.index(Atom("adv.nonce.3", "nonce")) == 3 and supply.index(Atom("adv.nonce", "nonce")) == 1


def test_two_clients_get_two_different_forged_keys():
    """cdn, two clients: the second config can carry a second fresh key of
    the adversary's (the first is used by then), not only the first again:
    a key per client is the targeting attack."""
    m, ex = _explore("cdn", bounds=Bounds(clients=2))
    keys = {(w.state("client1").sessions[0].gw_pub, w.state("client2").sessions[0].gw_pub)
            for w in ex.worlds}
    a1, a2 = (App("pk", (Atom(n, "hpke"),)) for n in ("adv.hpke", "adv.hpke.2"))
    assert (a1, a2) in keys and (a2, a1) in keys and (a1, a1) in keys
    assert (a2, a2) not in keys, "a second key only once the first is used (lowest unused first)"
    assert ex.exhaustive


def test_mid_run_hello_with_the_clients_random_and_an_own_share(network):
    _, ex = network
    mitm = [a for a in _injections(ex) if a.msg.kind == "tls-hello"
            and role(a.msg.payload.args[1].args[1]) == "cr" and a.msg.payload.args[1].args[2] == ADV_DH]
    assert mitm, "the adversary sends (client's random, its own key share) to the orchestrator"
    assert all(a.msg.conn.startswith("adv.orch1.") and not a.msg.conn.endswith(".pre") for a in mitm)


def test_two_concurrent_man_in_the_middle_handshakes(network):
    """Both halves substituted in one run: the client's random to the
    orchestrator and the orchestrator's peer random to the predictor, each
    with the adversary's share."""
    _, ex = network

    def mitm(w, cvm, label):
        return any(s.conn.startswith("adv.") and role(s.cr) == label and s.X == ADV_DH
                   for s in w.state(cvm).sessions)
    assert any(mitm(w, "orch1", "cr") and mitm(w, "pred1", "pcr") for w in ex.worlds)
    assert ex.exhaustive


@pytest.fixture(scope="module")
def ledger():
    return _explore("ledger", disable=("ledger-consistency",))


def _views(ex):
    return [a.msg.payload for a in _injections(ex) if a.msg.kind == "ledger-view"]


def test_corrupt_ledger_serves_a_tree_of_its_own(ledger):
    """ledger-consistency off, nothing signs the root: a tree the ledger
    built over digests it knows (here with the unmeasured-configuration
    image, which the earlier single alternative tree lacked)."""
    _, ex = ledger
    leaves = {tuple(x.name for x in v.args[1].args[0].args) for v in _views(ex)}
    assert any("img:orch-v2+cfg:verbose" in ls for ls in leaves)
    assert any(len(ls) == 2 for ls in leaves), "a tree with a published leaf left out"
    assert len(leaves) == 11


def test_corrupt_ledger_serves_a_revocation_list_of_its_own(ledger):
    _, ex = ledger
    lists = {tuple(x.name for x in v.args[3].args[1:]) for v in _views(ex)}
    assert () in lists and ("img:orch-v1",) in lists
    assert ("img:orch-v2",) in lists and ("img:orch-evil",) in lists
    assert len(lists) == 7


def test_a_vendor_key_signs_evidence_with_atom_keys_only_and_forges_freshness():
    """Evidence signing keys are atoms the adversary holds, also where the
    verifier pins the chain to the ARK (`server_hellos.evidence`): under
    hw-vendor every forged server hello the gateway is offered signs with
    `adv.sig`, `ask` or `ark`, never a known signature used as a key, and
    the lattice's search (4,000 states) reaches the forged-freshness attack
    that the compound keys had hidden behind the injection budget."""
    m, ex = _explore("network+hw-vendor", max_states=4_000)
    assert any(isinstance(t, App) for t in pool(m.initial().knowledge, "sig")), "signatures could serve as keys"
    hellos = [a.msg.payload for a in _injections(ex) if a.msg.kind == "tls-server-hello"]
    assert hellos, "the vendor forges server hellos"
    for h in hellos:
        evidence = h.args[2]
        for sig in (evidence.args[1], evidence.args[3], evidence.args[5]):
            assert isinstance(sig.args[0], Atom), f"a compound signing key: {sig}"
    res = check_threat(scenario("network+hw-vendor"), ("evidence-freshness",), max_states=4_000, engine="explore")
    assert isinstance(res[0].verdict, Violated)


def _unreduced_second_requests(model, k, src, conn, route):
    """The gateway's second-request pattern before the junk reduction: every known aead term a record."""
    yield src, "ohttp-req2", conn, adversary._sealed(model, tup(const("req2"), route, Var("rec", "aead")))


@pytest.mark.parametrize("threat", ["relay+cdn", "relay+cvm-compromise-after"])
def test_junk_records_and_atom_randomness_change_no_verdict(threat, monkeypatch):
    """The gateway's patterns take one junk value for every record no CVM opens
    (`adversary._second_requests`) and atoms only for the encapsulation's
    randomness (`adversary._sealed`). Against the unreduced patterns (every
    known aead term a record, every known term of the type hpke, ciphertexts
    too, the randomness), exhaustive searches find the same verdicts in fewer
    states (relay+cvm-compromise-after: 2,038 against 17,186)."""
    props = tuple(PROPERTY_NAMES)

    def verdicts():
        ex = explore(PPSystem(symbolic_model(scenario(threat))), props, max_states=60_000)
        return set(ex.violations), ex.exhaustive, ex.stats["states"]

    reduced, reduced_all, fewer = verdicts()
    monkeypatch.setattr(adversary, "_second_requests", _unreduced_second_requests)
    monkeypatch.setattr(adversary, "ATOM_RANDOMNESS", "hpke")
    unreduced, unreduced_all, more = verdicts()
    assert unreduced_all and reduced_all, "both exhaustive"
    assert reduced == unreduced, "the same violations (and so the same proofs)"
    assert 0 < fewer < more, (fewer, more)
