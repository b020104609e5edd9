"""The unbounded engine (`--engine horn`): ProVerif's method on the same
party handlers the explorer and the SMT engine run.

What it computes. The grounding (`engines.ground`) gives each unit's local
states and transitions, found by saturation on synthetic worlds where every
message ever sent to the unit is in flight and the adversary knows all it
could ever learn. `fixpoint.saturate` grounds with no injection bound and
runs the relaxed reachability pass (`smt.state._levels`) to its least
fixpoint under monotone semantics: a local state once reached stays reached
(a new session repeats it from the unit's initial state), messages in flight
and the adversary's knowledge only grow (nothing is consumed), injections
are free (any derivable instance, any number of times) and a rejection only
drops a message, so a negative guard never blocks what a later session may
do. `invariant.check` then asks z3, independently, whether that set is an
inductive invariant: it contains the initial state, no transition enabled
from inside it (a reached pre-state, a reached message, a payload derivable
in z3's own Dolev-Yao encoding) and no analysis step leads out of it, and
no state inside it violates the property. A proof stands only then.

Why it is sound. Every concrete run maps into the fixpoint when the unit a
session runs in has a renaming `h` of the names a session creates, such
that each concrete transition of a session, renamed, is a grounded abstract
transition. Renaming commutes with the handlers when they test names only
for equality (a positive guard true concretely is true after renaming; a
merged pair may make a false test true: more abstract runs, never fewer)
and when everything a session reads is its own state, its input and static
data. Monotone semantics then covers interleavings, repeats and any number
of sessions: their abstract states are all in the one reached set.

Where it applies. `refine.PeerRefined` abstracts the textbook protocols
(`engines.textbook`): each agent runs any number of sessions, the nonce a
session creates is named by its creation point and the session's peer
(ProVerif's names as functions of the inputs before them, cut to the peer).
For Private Processing, `pp.abstraction.AbstractPP` is the finite system
that stands for every number of clients, sessions, CVMs and injections
(`pp.renaming` is the map a proof rests on; under cvm-compromise-after the
scenario's own units are grounded and its bounds claimed). Secrecy and the
monitors are settled on the invariant, correspondences by removing their
witnesses (`correspond`), forward secrecy by a second closure with the
compromise added (`forward`). What it loses is precision: merged names and
non-consumed messages admit runs no concrete system has, so a violation in
the fixpoint is only a candidate (confirmed by a bounded search, or
inconclusive). Token counting is reduced to a rerun of each redemption
with its token spent and a correspondence to its issuance (`count`). A
link fact is a check on the invariant too: no sighting inside it opens, with
the keys derivable inside it, to a handle of a session a state inside it
holds (`invariant._linked`).
"""
from ppverify.proofs.engines.horn.engine import Outcome, horn_outcomes, horn_verdicts
from ppverify.proofs.engines.horn.fixpoint import LIMITS, Fixpoint, Limits, saturate
from ppverify.proofs.engines.horn.invariant import InvariantCheck, check

__all__ = ["LIMITS", "Fixpoint", "InvariantCheck", "Limits", "Outcome", "check", "horn_outcomes", "horn_verdicts",
           "saturate"]
