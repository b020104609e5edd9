"""Mutation analysis: the control-necessity matrix, pinned on a cheap subset
(threat model `cdn`, every mutation; the full run is `ppverify mutate`), the
sound skip, and an explanation for every control whose removal breaks nothing."""
import pytest

from ppverify.proofs.analyses import mutate as mu
from ppverify.proofs.render.text import mutate_details_text, mutate_matrix_text, mutation_label
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import CONTROLS, PARAMETERS, scenario

# (mutation, property) -> threat models, under `cdn` alone. `cdn` corrupts only
# the key-config CDN, so what breaks is what needs no active attacker at all
# (the client's own behaviour, post-session state) plus key-consistency,
# which the published design already loses under `cdn` (not a cell: nothing to stop).
CDN_MATRIX = {
    ("ra-tls", "forward-secrecy"), ("ra-tls", "response-integrity"),
    ("ra-tls", "release-after-attestation"),
    ("ephemeral-session-keys", "forward-secrecy"), ("erasure-at-teardown", "forward-secrecy"),
    ("user-opt-in", "user-consent"), ("advanced-chat-privacy", "chat-privacy-respected"),
    ("data-minimization", "data-minimization"),
}


@pytest.fixture(scope="module")
def cdn_report():
    return mu.run_mutate(threats=("cdn",), jobs=1, max_states=4000)


def test_cdn_matrix_is_pinned(cdn_report):
    got = {(m, p) for (m, p), attacks in cdn_report.cells().items()}
    assert got == CDN_MATRIX, (
        f"the control-necessity matrix under cdn changed: new {sorted(got - CDN_MATRIX)}, "
        f"gone {sorted(CDN_MATRIX - got)}; if intended, update CDN_MATRIX and say why in the commit")


def test_every_attack_is_stopped_by_the_control(cdn_report):
    """The mutant's trace must fail on the published design: the control is
    what stops that very trace."""
    for attacks in cdn_report.attacks.values():
        for a in attacks:
            assert a.stopped_on_baseline, f"{a.property} trace also runs with every control on"


def test_baseline_violations_are_not_cells(cdn_report):
    assert not any(p == "key-consistency" for (_, p) in cdn_report.cells()), \
        "key-consistency already fails in the published design under cdn; no control can 'stop' it"


def test_mutations_cover_every_control_and_parameter_value():
    names = {m.name for m in mu.mutations()}
    assert set(CONTROLS) <= names
    assert {f"{p}={v}" for p, vs in PARAMETERS.items() for v in vs} - names == {
        "binder=client-random", "credential-scheme=voprf"}, "defaults are the baseline, not mutations"


def test_no_attack_explanations_are_data_for_real_mutations():
    names = {m.name for m in mu.mutations()}
    assert set(mu.NO_ATTACK) <= names, f"explanations for unknown mutations: {set(mu.NO_ATTACK) - names}"
    for n, (kind, why) in mu.NO_ATTACK.items():
        assert kind in ("gap", "depth", "coalition", "masked"), f"{n}: kind {kind!r} is not a known kind"
        assert why.endswith(".") and len(why) > 40, f"{n}: one real sentence, not a placeholder"


def test_explanations_only_for_mutations_that_break_nothing(cdn_report):
    """Under cdn an explained mutation may break nothing or something; but a
    mutation that breaks something under cdn must not be called a gap."""
    for n, attacks in cdn_report.attacks.items():
        if attacks:
            assert n not in mu.NO_ATTACK, f"{n} stops an attack under cdn but NO_ATTACK explains it away"


def test_unread_control_skip_is_sound():
    """measured-configuration is only read when meta-insider launches CVMs:
    under cdn it is skipped, and indeed the mutant gives the baseline's verdicts."""
    rep = mu.run_mutate(threats=("cdn",), muts=[mu.by_name("measured-configuration")], jobs=1)
    assert ("measured-configuration", "cdn") in rep.skipped
    base = {r.property: r.verdict.verdict for r in check_threat(scenario("cdn"), PROPERTY_NAMES)}
    mut = {r.property: r.verdict.verdict
           for r in check_threat(scenario("cdn", ["measured-configuration"]), PROPERTY_NAMES)}
    assert base == mut


def test_unknown_mutation_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid choices: credential-blinding"):
        mu.by_name("ra-tsl")


def test_rendering_flags_silent_controls(cdn_report):
    text = mutate_details_text(cdn_report)
    for n, attacks in cdn_report.attacks.items():
        if not attacks:
            assert f"{mutation_label(n)}: no attack in this model" in text
    assert "control-necessity matrix" in mutate_matrix_text(cdn_report)


def test_every_attack_found_replays_with_real_cryptography(cdn_report):
    """All attacks of the pinned subset run with real bytes and end with
    evidence: leaked plaintext for secrecy, the breaking event otherwise."""
    from ppverify.proofs.replay.concrete import replay_concrete
    n = 0
    for attacks in cdn_report.attacks.values():
        for a in attacks:
            rep = replay_concrete(a.trace)
            assert rep.evidence, f"{a.property}: concrete replay shows nothing"
            if a.property in ("request-secrecy", "response-secrecy", "forward-secrecy"):
                assert any(b"Standup" in v or b"Summary" in v for v in rep.leaked.values()), \
                    f"{a.property}: no plaintext bytes in the adversary's hands"
            n += 1
    assert n >= len(CDN_MATRIX)
