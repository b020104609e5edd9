"""The full `ppverify mutate` run against both baselines (every mutation,
every threat model of the stated trust model, the pinned search), once per
session: both control-necessity matrices must match their pinned data
(manifest/mutate-published.json, manifest/mutate-hardened.json), and every
attack found is replayed with real cryptography and must end with its
evidence (leaked plaintext bytes, the identity or address it links, or the
breaking event produced by the real party code).

By default (`--pinned=fast`) the hardened baseline is the pinned one and only
the mutations the published design masks are run against it (those that
break nothing against the published baseline and something against the
hardened one: what the issue asks about); `--pinned=all` derives the hardened
baseline and runs every mutation against it too (a few minutes more).
test_mutate.py checks the cheap `cdn` subset."""
from pathlib import Path

import pytest

from ppverify.proofs.analyses import expected as ex
from ppverify.proofs.analyses import mutate as mu
from ppverify.proofs.analyses.checks import Checks
from ppverify.proofs.replay.concrete import SECRECY, LINKS, replay_concrete

MANIFEST = Path(__file__).resolve().parents[1] / "manifest"
PINNED = {b: ex.load(str(MANIFEST / f"mutate-{b}.json")) for b in mu.BASELINES}
REASONS = ex.load_reasons(str(MANIFEST / "defence-in-depth.json"))
# masked by a finding of the published design: silent there, stopping something against the hardened baseline
MASKED = tuple(m for m in PINNED["published"].silent if m in PINNED["hardened"].cells)

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


def _pinned(baseline: str, rows) -> ex.Expected:
    """The pinned matrix of `baseline`, restricted to the mutations `rows`."""
    e = PINNED[baseline]
    return ex.Expected(**{**e.__dict__, "mutations": tuple(m for m in e.mutations if m in rows),
                          "cells": {m: c for m, c in e.cells.items() if m in rows},
                          "silent": tuple(m for m in e.silent if m in rows),
                          "undecided": {m: u for m, u in e.undecided.items() if m in rows}})


@pytest.fixture(scope="module")
def reports(request):
    s = PINNED["published"].search
    assert s == PINNED["hardened"].search, "both matrices are pinned with the same search"
    full = request.config.getoption("pinned") == "all"
    kw = dict(max_states=s["max_states"], max_moves=s["max_moves"], baseline_states=s["baseline_max_states"],
              engine=s["engine"])
    with Checks(2) as checks:
        (published,) = mu.run_baselines(("published",), checks=checks, **kw)
        if full:
            (hardened,) = mu.run_baselines(("hardened",), checks=checks, **kw)
        else:
            base = ex.parse_change(PINNED["hardened"].change)
            hardened = mu.run_mutate(muts=[mu.by_name(m, base) for m in MASKED], baseline=base, name="hardened",
                                     checks=checks, **kw)
    return {"published": published, "hardened": hardened}


@pytest.mark.parametrize("baseline", mu.BASELINES)
def test_full_matrix_is_pinned(reports, baseline):
    rep = reports[baseline]
    drift = ex.drift(_pinned(baseline, rep.attacks), ex.of_report(rep))
    assert not drift, (f"the {baseline} control-necessity matrix changed:\n  " + "\n  ".join(drift)
                       + f"\nif intended, re-pin with `ppverify mutate --expect manifest/mutate-{baseline}.json "
                         "--update-expect` and say why in the commit")


def test_the_published_design_masks_what_the_issue_asks_about():
    assert {"gpu-confidential-mode", "log-filtering", "measured-configuration", "no-remote-access",
            "cvm-peer-attestation"} <= set(MASKED), "each stops an attack against the hardened baseline"
    assert "response-authentication" in PINNED["hardened"].silent and "response-authentication" in REASONS


def test_hardened_baseline_is_derived_and_says_what_still_fails(reports):
    d = reports["hardened"].derivation
    if d is None:
        pytest.skip("the hardened baseline is derived in the full run: --pinned=all")
    assert reports["hardened"].change == d.change != mu.Change()
    assert d.change.parts == PINNED["hardened"].change
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


def test_every_attack_replays_with_real_cryptography(replays, reports):
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
    assert len(replays) == sum(len(ts) for b, rep in reports.items() for m, ps in PINNED[b].cells.items()
                               if m in rep.attacks for ts in ps.values())


def test_active_attacks_build_injections_from_held_bytes(replays):
    """Where the symbolic trace injects, the concrete replay injects bytes
    computed from what the adversary holds (never guessed), at every step."""
    active = [(m, a, rep) for m, a, rep in replays
              if not isinstance(rep, Exception) and any(s.actor == "adversary" for s in a.trace.steps)]
    assert len(active) >= 10, "most attacks of the matrix are active"
    for m, a, rep in active:
        n = sum(s.actor == "adversary" for s in a.trace.steps)
        assert rep.injected == n, f"{m} / {a.property} under {a.threat}: {rep.injected} of {n} injections built"
