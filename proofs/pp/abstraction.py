"""Session identity abstracted: one finite system whose monotone fixpoint
covers every number of clients, sessions, CVMs and adversary injections.

The unbounded engine (`engines.horn`) grounds a system and saturates it
under monotone semantics: a unit's initial state stays reachable, so each
slot restarts any number of times, and nothing is consumed. `AbstractPP` is
the system it grounds for Private Processing: the scenario's controls,
parameters and threat model with

- one client of two sessions, and one honest orchestrator (with the CVMs
  a meta-insider launches, which are fixed by the setup);
- every party that is a list of sessions split into independent, unordered
  slots: two per client and per CVM (orchestrators and predictors), the
  relay's pending entry per client connection, and a gateway route per
  client session, the one that opened it (two slots where requests can be
  injected into the gateway);
- one fresh value of each kind for the adversary (`models.supply`);
- the adversary's mid-run hellos at any time, with any random it knows
  (`protocol.hellos`): the grounding shows a unit no other party's state,
  so the explorer's window (while the random's owner waits) is not read;
- the issuer's counter forgotten (each issuance is its first).

One client suffices, where a second one would double the system: no
property as the engine settles it tells two clients apart. Every property
is about one session at a time, and any session can be renamed to client1's
slot 0. A link fact needs a message shown with the session's own client:
the renaming shows every client as client1, so a message sighted with
another client's address is checked as client1's too (more links, never
fewer), and the handles of both slots are checked.

Why every concrete run maps into its fixpoint: `pp.renaming.Renaming` is
the map `h` from a run of any size to this system. It sends the first
session of client1, of each CVM and the gateway's first route to slot 0
here and every later one to slot 1; every session of the other clients to
client1's slot 1 (clients are built alike, so any concrete session can be
the chosen one), every session of the other honest orchestrators to orch1's
slot 1, every adversary value of a kind to its one member. A slot's names,
connection ids, counters and event indices are built by the handlers from the slot's position, so the handler
run on the renamed slot builds exactly the renamed names: `h` commutes with
each step. That rests on the handlers comparing names only for equality
(merging makes more positive tests true: more abstract runs, never fewer)
and on every negative test being one a fresh slot passes (a duplicate
connection, a spent token, a route or session limit: a slot holds nothing
of another). `tests/test_abstraction.py` checks the claim on runs of larger
scenarios: every state, message, term and event they reach, renamed, is in
the fixpoint.

Under `cvm-compromise-after` a teardown hands the adversary everything the
CVM holds: every session live beside the one that ends, not only its own
slot. The grounding keeps that as one more over-approximation
(`engines.ground`, `SmtSystem.exposes`): a teardown in any slot of a CVM
teaches the terms of every local state of every slot of that CVM. A live
session of a concrete run, renamed, is one of those states, so the seizure
of a run of any size lies inside the fixpoint too (`tests/test_abstraction.py`
walks two-CVM, three-client runs under it). The secrecy properties are then
candidates, rightly: with two clients on one CVM the seizure leaks the other
client's live session (`docs/system.md`, section 5).

What it loses is precision, and one thing it cannot say: counting. A fresh
slot has spent no token, so token-single-use is not read off the fixpoint
but reduced to a rerun with the token spent and a correspondence
(`engines.horn.count`).
"""
from __future__ import annotations

import itertools
from dataclasses import replace

from ppverify.models import supply
from ppverify.models.scenario import Bounds, Scenario
from ppverify.models.terms import App, Atom, atoms
from ppverify.proofs.core.verdicts import ANY, Coverage
from ppverify.proofs.pp.model import symbolic_model
from ppverify.proofs.pp.renaming import OPENERS, exact, second_slot_share
from ppverify.proofs.pp.slots import Slots
from ppverify.proofs.pp.system import PPSystem
from ppverify.protocol.messages import Event

ABSTRACT = Bounds(clients=1, sessions=2, cvms=1)
SLOTS = (0, 1)     # slot 0: the distinguished session; slot 1: every other
ISSUER = "acs"


class AbstractSlots(Slots):
    """Every list of sessions split into the two unordered slots."""

    def _slot_keys(self, party: str) -> tuple:
        role = self.model.roles.get(party)
        if role in ("cvm", "client"):
            return SLOTS
        if role == "gateway":   # (where requests can be injected into it, slots 0 and 1 as for a CVM)
            return self.openers() if super()._slot_keys(party) else SLOTS
        return super()._slot_keys(party)   # the relay: one slot per client connection

    def openers(self) -> tuple[str, ...]:
        """The gateway's route slots: one per client session, the one whose
        request opened the route (as the relay's entries are per client
        connection). Where the gateway is split nobody but the relay reaches
        it with a request, and the relay forwards on the client's connection,
        whose id names the session. A route's names are numbered by its
        position, so routes opened by different sessions stay apart: a CVM's
        answer on one route is never offered to another's client."""
        return OPENERS

    def position(self, party: str, key) -> int:
        return OPENERS.index(key) if key in OPENERS else key

    def slot_admits(self, party: str, key, msg) -> bool:
        return key not in OPENERS or msg.kind != "ohttp-req1" or msg.conn.startswith(key + ".")

    def slot_ordered(self, party: str) -> bool:
        return False   # a slot stands for sessions that start in any order

    def check_slots(self, g) -> None:
        return None    # a fresh slot passes every negative test: see the module docstring


def _own_supply_only(setup) -> None:
    """Cut the adversary's values to member 1 of each family (with its public key)."""
    setup.adversary[:] = [t for t in setup.adversary
                          if not any((supply.index(a) or 0) > 1 for a in atoms(t))]


class AbstractPP(PPSystem):
    """Private Processing with session identity abstracted (see the module docstring)."""
    name = "private-processing-abstract"
    budget = 40_000   # a one-off grounding: room for the forged evidence a meta-insider can build

    def __init__(self, sc: Scenario):
        model = symbolic_model(replace(sc, bounds=ABSTRACT))
        _own_supply_only(model.setup)
        model.timeless_hellos = True
        super().__init__(model)
        self.slotting = AbstractSlots(model, self.facts)

    def step(self, w, action):
        w2, out, rej = self.model.step(w, action)
        if rej is None and w2.state(ISSUER) != w.state(ISSUER):
            w2 = _first_issuance(w2)
        return w2, out, rej

    # --- correspondences (`engines.horn.correspond`) --------------------------------------
    def distinguished(self, e) -> bool:
        """The session under check is client1's slot 0 (any concrete session
        can be chosen as it, `pp.renaming`). An accept whose key share a CVM
        made in slot 1 is not checked: the session that made it can be
        chosen as that CVM's slot 0 too (another party: no conflict), which
        turns the concrete event into one with a share of slot 0. Likewise a
        redemption is checked for the token of the session under check."""
        if _client_event(e) and not _chosen(e):
            return False
        if e.name == "redeem":   # of another session's token: that session can be chosen
            return _marked(e.args[0], itertools.count()) == e.args[0]
        return not (e.name == "accept" and second_slot_share(e.args[2]))

    def mark(self, e):
        """Names, parties and session indices that stand for several
        concrete ones replaced by values of their own."""
        own = itertools.count()
        index, chosen = _client_event(e), _chosen(e)   # (chosen: one concrete client emits it)
        args = ((0 if chosen else -1 - next(own),) if index else ()) + \
            tuple(_marked(a, own) for a in (e.args[1:] if index else e.args))
        return Event(e.name, e.party if chosen or exact(e.party) else f"#{next(own)}", args)


def _client_event(e) -> bool:
    """An event of a client's session (its first argument the session's index)."""
    return e.party.startswith("client") and bool(e.args) and isinstance(e.args[0], int)


def _chosen(e) -> bool:
    """An event of the session under check: client1's slot 0."""
    return _client_event(e) and e.party == "client1" and e.args[0] == 0


def _first_issuance(w):
    """The issuer's counter back to 0: it counts issuances and nothing reads
    it, so each issuance stands for all of them."""
    return w.replace(states=tuple((p, 0 if p == ISSUER else st) for p, st in w.states))


def _marked(v, own):
    if isinstance(v, Atom):
        return v if not supply.index(v) and exact(v.name) else Atom(f"#{next(own)}", v.kind)
    if isinstance(v, App):
        return App(v.op, tuple(_marked(a, own) for a in v.args))
    if isinstance(v, str):
        return v if exact(v) else f"#{next(own)}"
    if isinstance(v, tuple):
        return tuple(_marked(a, own) for a in v)
    return v


EVERY_SIZE = "every run of any length, of any number of clients, sessions, CVMs and adversary injections"


def horn_system(sc: Scenario) -> tuple[PPSystem, Coverage, str]:
    """The system the unbounded engine grounds for `sc`, what its proofs
    cover, and that coverage in words."""
    return AbstractPP(sc), Coverage(ANY, ANY, ANY, ANY, ANY), EVERY_SIZE
