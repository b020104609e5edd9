"""Token counting on the fixpoint, without counting.

`token-single-use` says: no token is accepted twice, and (with an honest
issuer) no more distinct clients' tokens are redeemed than issued. A monotone
fixpoint forgets how often anything happened, and a slot that restarts has
spent nothing, so neither half can be read off the invariant. Each is reduced
to something the fixpoint can say for every run:

- *At most once per token.* A second acceptance of a token t is a redeeming
  step taken in a state where t is already spent. Every concrete step maps to
  one the fixpoint fires (the renaming; the spent set is forgotten, as every
  negative test of a slot is passed). So it suffices that every redeeming
  transition the fixpoint fires is refused when rerun with its token spent
  (`Count.respent`, which runs the model's own step). This rests on the
  premise the abstraction already makes of its negative tests: the refusal
  reads only whether t is among the spent tokens, and holding more spent
  tokens, routes or sessions refuses at least as much.
- *No more redemptions than issuances.* Each counted redemption needs an
  earlier issuance of its own token (`Count.witness`, a correspondence
  settled as the others are, `correspond`). An issuance names the one
  element it signed, and that element one token, so distinct redeemed tokens
  map to distinct issuances: there are at least as many.

A redeeming transition that passes again with its token spent, or that the
fixpoint fires with a count over one, makes the cell a candidate (a bounded
search confirms the replay or leaves it open); a witness the reduced fixpoint
cannot exclude does too (`correspond`).
"""
from __future__ import annotations

from ppverify.proofs.core.encodings import Count
from ppverify.proofs.engines.horn.correspond import Verdict, settle as correspond
from ppverify.proofs.engines.horn.fixpoint import Fixpoint


def settle(system, fix: Fixpoint, enc: Count, seconds: float) -> Verdict:
    if enc.respent is None or enc.witness is None:
        return Verdict(None, "token counting: a spent token is a negative guard the abstraction passes")
    g = fix.g
    redeeming = [t for t in (g.transitions[i] for i in fix.fired)
                 if any(g.events[j].name == enc.witness.event for j in t.events)]
    for t in redeeming:
        if enc.local(t.out):
            return Verdict(True, f"{t.out.events} over-redeems")
        why = enc.respent(t.before, t.action, t.out)
        if why:
            return Verdict(True, f"token counting: {why}")
    if not enc.active:
        return Verdict(False)
    return correspond(system, fix, enc.witness, seconds)
