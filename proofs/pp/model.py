"""The symbolic model of a scenario (copied from `proofs.analyses.check`, where
it still stands; the replay builds its models here without importing analyses)."""
from __future__ import annotations

from ppverify.models.scenario import Scenario
from ppverify.protocol.messages import Env
from ppverify.protocol.setup import build
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.protocol.world import Model


def symbolic_model(sc: Scenario) -> Model:
    c = SymbolicCrypto()
    setup = build(c, sc)
    return Model(setup, Env(c, sc, setup.static), symbolic=True)
