"""Run full sessions on the concrete backend (real cryptography) and report
what every party observed. No adversary: this is the honest run, with the
controls and parameters of the scenario."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ppverify.models.scenario import Scenario
from ppverify.protocol.concrete import ConcreteCrypto
from ppverify.protocol.messages import Env
from ppverify.protocol.setup import CHATS, DRAFT, build
from ppverify.protocol.world import Invoke, Model, World, terms_in

SPEC_PARTIES = ("client", "acs", "cdn", "relay", "gateway", "cvm", "gpu", "host",
                "hw-vendor", "ledger", "chat-member")


@dataclass
class Step:
    number: int
    text: str
    rejected: str = ""


@dataclass
class SimulationResult:
    steps: list[Step]
    answers: list[tuple[str, bytes, bytes]]      # (chat, answer, expected)
    saw_request: dict[str, bool]
    saw_response: dict[str, bool]
    retained: dict[str, bool] = field(default_factory=dict)  # CVM state still holds plaintext
    seconds: float = 0.0
    crypto_seconds: float = 0.0
    world: World | None = field(default=None, repr=False)

    @property
    def answer_correct(self) -> bool:
        return bool(self.answers) and all(a == e for _, a, e in self.answers)


def _contains(values, needles) -> bool:
    return any(n in v for v in values if isinstance(v, bytes) for n in needles if n)


def concrete_model(sc: Scenario, seed: int = 0, chats: dict = CHATS) -> Model:
    """The scenario on real cryptography (`seed` fixes every fresh value)."""
    c = ConcreteCrypto(seed=seed, credential_scheme=sc.param("credential-scheme"))
    setup = build(c, sc, chats)
    return Model(setup, Env(c, sc, setup.static), symbolic=False)


def simulate(sc: Scenario, seed: int = 0, chats: tuple[str, ...] = ("work", "draft")) -> SimulationResult:
    start = time.perf_counter()
    sc = replace(sc, bounds=replace(sc.bounds, sessions=max(sc.bounds.sessions, len(chats))))
    model = concrete_model(sc, seed, {**CHATS, **DRAFT})
    c, setup = model.env.crypto, model.setup
    w = model.initial()
    steps: list[Step] = []
    answers = []
    for chat in chats:
        for client in sorted(p for p, d in setup.parties.items() if d.role == "client"):
            w = _run_session(model, w, Invoke(client, chat), steps)
    plain, resp = [], []
    for client in (p for p, d in setup.parties.items() if d.role == "client"):
        for s in w.state(client).sessions:
            if s.phase == "idle":
                continue
            chat_msgs = setup.static[client]["chats"][s.chat][2]
            plain += list(chat_msgs)
            expected = c.process(c.const(setup.static[client]["chats"][s.chat][1]), c.tup(*chat_msgs))
            resp.append(expected)
            answers.append((s.chat, s.answer, expected))
    saw_req = {p: False for p in SPEC_PARTIES}
    saw_resp = {p: False for p in SPEC_PARTIES}
    for party, values in w.obs.items():
        role = model.roles.get(party, party)
        if role not in saw_req:
            continue
        saw_req[role] |= _contains(values, plain)
        saw_resp[role] |= _contains(values, resp)
    retained = {p: _contains(list(terms_in(w.state(p))), plain)
                for p, d in setup.parties.items() if d.role == "cvm"}
    return SimulationResult(steps, answers, saw_req, saw_resp, retained, time.perf_counter() - start,
                            c.crypto_seconds, w)


def _run_session(model: Model, w: World, invoke: Invoke, steps: list[Step]) -> World:
    """Deliver messages first-in first-out; honest choices (first honest CVM)."""
    w, _, rej = model.step(w, invoke)
    steps.append(Step(len(steps) + 1, str(invoke), rej.reason if rej else ""))
    while w.inflight:
        action = model.deliveries(w)[0]
        w, _, rej = model.step(w, action)
        steps.append(Step(len(steps) + 1, str(action), rej.reason if rej else ""))
    return w
