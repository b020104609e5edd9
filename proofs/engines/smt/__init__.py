"""The SMT engine: bounded model checking of a grounded system in z3.

Per step j: the transition taken (STOP: the run has ended); each unit's
local state; one bit per message in flight; one bit per event a property
reads; the injection count; and one bit per term the adversary may ever
learn, `k[j][x]`: x is in its analysis closure at state j (`state`, `step`).
Each property's encoding (`core.encodings`) becomes, per step, the formula
"it fails here" (`monitors`).

The runs are unrolled to the bound once (`unroll`); a property that fails
gets its shortest counterexample by bisection on the depth, decoded into
actions and replayed on the model before it is reported. When z3 proves that
no run reaches the bound, the bounded result is complete for the scenario
(every run ends within it), reported as exhaustive. Properties an inductive
invariant excludes are proved for runs of any length (`search`).
"""
from ppverify.proofs.engines.smt.logic import CyclicKnowledge, all_of, any_of, producers
from ppverify.proofs.engines.smt.search import BmcResult, Completion, Found, bmc, invariant_proofs
from ppverify.proofs.engines.smt.unroll import Encoding, Region

__all__ = ["BmcResult", "Completion", "CyclicKnowledge", "Encoding", "Found", "Region", "all_of", "any_of", "bmc",
           "invariant_proofs", "producers"]
