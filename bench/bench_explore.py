"""Explicit-state explorer: time, states and states per second per threat model
of the default scenario, and against the number of sessions. Prints figures."""
import sys
import time

from ppverify.models.scenario import Bounds
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.system import PPSystem
from ppverify.proofs.engines.explore import explore
from ppverify.proofs.properties.catalogue import PROPERTY_NAMES
from ppverify.protocol.controls import STATED_THREATS, scenario


def run(threat: str, bounds: Bounds = Bounds(), max_states: int = 20_000) -> None:
    m = symbolic_model(scenario(threat, bounds=bounds))
    t = time.perf_counter()
    ex = explore(PPSystem(m), PROPERTY_NAMES, max_states=max_states)
    dt = time.perf_counter() - t
    n = ex.stats["states"]
    print(f"{threat:>22} {bounds.as_dict()}: {n:6d} states {ex.stats['transitions']:7d} transitions "
          f"{dt:7.2f}s {n / dt:8.0f} states/s exhaustive={ex.exhaustive} depth={ex.depth}")


if __name__ == "__main__":
    threats = sys.argv[1:] or list(STATED_THREATS)
    for th in threats:
        run(th)
    for s in (1, 2):
        run("network", Bounds(sessions=s))
