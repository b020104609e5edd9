"""A Private Processing scenario as the engines' symbolic model, and its
honest run (the reachability partner as a concrete path)."""
from __future__ import annotations

from typing import Optional

from ppverify.models.scenario import Scenario
from ppverify.proofs.properties.catalogue import Facts, completed
from ppverify.protocol.adversary import prefetches
from ppverify.protocol.messages import Env
from ppverify.protocol.setup import build
from ppverify.protocol.symbolic import SymbolicCrypto
from ppverify.protocol.world import Inject, Invoke, Model


def symbolic_model(sc: Scenario) -> Model:
    c = SymbolicCrypto()
    setup = build(c, sc)
    return Model(setup, Env(c, sc, setup.static), symbolic=True)


def honest_run(model: Model) -> Optional[list]:
    """The reachability partner as a concrete path: the adversary's up-front
    moves, then the user invokes on the first chat and every message is
    delivered in order, with the first (honest) choice. None if it fails."""
    facts = Facts(model)
    w = model.initial()
    path = []
    for msg in prefetches(model, w):
        a = Inject(msg)
        w2, out, rej = model.step(w, a)
        path.append(a)
        w = w2
    client = facts.clients[0]
    chat = sorted(model.setup.static[client]["chats"])[-1]  # "work"
    a = Invoke(client, chat)
    w2, out, rej = model.step(w, a)
    path.append(a)
    w = w2
    for _ in range(200):
        ds = model.deliveries(w)
        if not ds:
            return None
        a = ds[0]
        w2, out, rej = model.step(w, a)
        path.append(a)
        if completed(facts, w, w2, out):
            return path
        w = w2
    return None
