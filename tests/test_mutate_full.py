"""The full `ppverify mutate` run against both baselines (every mutation,
every threat model of the stated trust model, default state limits), once per
session: the derived hardened baseline and both whole control-necessity
matrices must match their pinned data (manifest/mutate-published.json,
manifest/mutate-hardened.json), and every attack of both is replayed with
real cryptography and must end with its evidence (leaked plaintext bytes, the
identity or address it links, or the breaking event produced by the real
party code). test_mutate.py checks the cheap `cdn` subset; this file costs a
few minutes of two cores."""
from pathlib import Path

import pytest

from ppverify.proofs.analyses import expected as ex
from ppverify.proofs.analyses import mutate as mu
from ppverify.proofs.replay.concrete import SECRECY, LINKS, replay_concrete

MANIFEST = Path(__file__).resolve().parents[1] / "manifest"
PINNED = {b: ex.load(str(MANIFEST / f"mutate-{b}.json")) for b in mu.BASELINES}
REASONS = ex.load_reasons(str(MANIFEST / "defence-in-depth.json"))

# What the real code must show at the end of each kind of attack.
EVENT = {
    "attested-peer": "accepted evidence", "evidence-freshness": "accepted evidence",
    "genuine-tee": "accepted evidence", "no-split-view": "accepted evidence",
    "revocation-respected": "accepted evidence", "response-integrity": "answer(",
    "key-consistency": "keys(", "token-single-use": "redeem(",
    "release-after-attestation": "released its request", "user-consent": "released its request",
    "chat-privacy-respected": "released its request", "data-minimization": "released its request",
}
CHAT_TEXT = b"Standup moved to 10:00"      # client1's work chat, the request every attack is after
ACP_TEXT = "Grandma's surgery"             # the family chat, advanced chat privacy on
ACCOUNT = "+15550000001"                   # client1's account (phone number)
ADDRESS = "198.51.100.1"                   # client1's network address


@pytest.fixture(scope="module")
def reports():
    s = PINNED["published"].search
    assert s == PINNED["hardened"].search, "both matrices are pinned with the same search"
    return {r.name: r for r in mu.run_baselines(mu.BASELINES, max_states=s["max_states"], max_moves=s["max_moves"],
                                                  baseline_states=s["baseline_max_states"], engine=s["engine"],
                                                  jobs=2)}


@pytest.mark.parametrize("baseline", mu.BASELINES)
def test_full_matrix_is_pinned(reports, baseline):
    drift = ex.drift(PINNED[baseline], ex.of_report(reports[baseline]))
    assert not drift, (f"the {baseline} control-necessity matrix changed:\n  " + "\n  ".join(drift)
                       + f"\nif intended, re-pin with `ppverify mutate --expect manifest/mutate-{baseline}.json "
                         "--update-expect` and say why in the commit")


def test_hardened_baseline_is_derived_and_says_what_still_fails(reports):
    d = reports["hardened"].derivation
    assert d is not None and reports["hardened"].change == d.change != mu.Change()
    chosen = d.chosen
    assert all(len(c.violated) >= len(chosen.violated) for c in d.candidates), "the fewest violations"
    published = next(c for c in d.candidates if not c.change.parts)
    assert len(published.violated) > len(chosen.violated), "the published design has more findings"
    assert d.holds == (not chosen.violated) and (d.holds or "NO single parameter change" in d.why())


def test_every_silent_mutation_is_explained(reports):
    """Against the hardened baseline by a reason written as data; against the published one too, or
    as masked: it stops something against the hardened baseline."""
    for name, rep in reports.items():
        for m in rep.silent():
            if name == "published" and reports["hardened"].attacks.get(m):
                continue
            assert m in REASONS, f"{m} breaks nothing against the {name} baseline and has no reason"


def test_every_attack_is_stopped_by_its_control(reports):
    runs = [f"{rep.name}: {m} / {a.property} under {a.threat}" for rep in reports.values()
            for m, attacks in rep.attacks.items() for a in attacks if not a.stopped_on_baseline]
    assert not runs, f"these traces also run on their baseline (bound too small?): {runs}"


def _attacks(reports):
    return [(f"{rep.name}: {m}", a) for rep in reports.values() for m, attacks in rep.attacks.items() for a in attacks]


@pytest.fixture(scope="module")
def replays(reports):
    """Each attack's concrete replay, or the error it ended with (all are
    collected: one failure should not hide the others)."""
    out = []
    for m, a in _attacks(reports):
        try:
            out.append((m, a, replay_concrete(a.trace)))
        except Exception as exc:
            out.append((m, a, exc))
    return out


def test_every_attack_replays_with_real_cryptography(replays):
    """Each trace runs on the concrete backend (real keys, injections built
    from bytes the adversary holds) and ends with the evidence."""
    failures = []
    for m, a, rep in replays:
        where = f"{m} / {a.property} under {a.threat}"
        if isinstance(rep, Exception):
            failures.append(f"{where}: does not replay: {type(rep).__name__}: {rep}")
            continue
        text = "\n".join(rep.evidence)
        if a.property in SECRECY:
            ok = any(CHAT_TEXT in v for v in rep.leaked.values())
            if a.property == "response-secrecy":
                ok = ok and rep.leaked.get("response", b"").startswith(b"Summary of")
            why = f"leaked {sorted(rep.leaked)}"
        elif a.property in LINKS:
            ok = "links them" in text and (ACCOUNT in text or ADDRESS in text)
            why = "no link to client1's identity or address"
        elif a.property == "published-code":
            ok = "accepted evidence" in text or "handle(" in text
            why = "no accept or handle event"
        else:
            ok = EVENT[a.property] in text
            why = f"no {EVENT[a.property]!r} event"
        if ok and a.property == "chat-privacy-respected":
            ok, why = ACP_TEXT in text, "the released request lacks the ACP chat's text"
        if ok and a.property == "data-minimization":
            ok, why = ACCOUNT in text, "the released request lacks the account identifier"
        if not ok:
            failures.append(f"{where}: {why}; evidence: {rep.evidence}")
    assert not failures, "attacks without concrete evidence:\n" + "\n".join(failures)
    assert len(replays) == sum(len(ts) for e in PINNED.values() for ps in e.cells.values() for ts in ps.values())


def test_active_attacks_build_injections_from_held_bytes(replays):
    """Where the symbolic trace injects, the concrete replay injects bytes
    computed from what the adversary holds (never guessed), at every step."""
    active = [(m, a, rep) for m, a, rep in replays
              if not isinstance(rep, Exception) and any(s.actor == "adversary" for s in a.trace.steps)]
    assert len(active) >= 10, "most attacks of the matrix are active"
    for m, a, rep in active:
        n = sum(s.actor == "adversary" for s in a.trace.steps)
        assert rep.injected == n, f"{m} / {a.property} under {a.threat}: {rep.injected} of {n} injections built"
