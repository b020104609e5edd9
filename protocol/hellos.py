"""The adversary's client hellos to CVMs: where a CVM's hellos come from,
and the hellos of the adversary's own it sends mid-run, with a random it
learnt (the man in the middle's half towards the CVM). Its up-front
handshakes are `adversary.prefetches`; replays are `adversary.cvm_expectations`."""
from __future__ import annotations

from typing import Iterator

from ppverify.models.indexes import derived
from ppverify.models.templates import Var, role
from ppverify.models.terms import Atom, Term, const, tup


def _waiting(model, w) -> Iterator[Term]:
    """The randoms whose owner waits for a server hello: each client's
    current session in phase hello, each orchestrator peer session before
    its peer's hello."""
    for p, st in w.states:
        r = model.roles.get(p)
        if r == "client":
            i = st.current()
            if i is not None and st.sessions[i].phase == "hello":
                yield st.sessions[i].cr
        elif r == "cvm":
            for s in st.sessions:
                if s.phase == "peer" and s.peer_k_c2s is None and s.peer_cr is not None:
                    yield s.peer_cr


RANDOMS = ("cr", "pcr")   # the labels of a client's random and an orchestrator's peer random


def _randoms(model, w) -> Iterator[Term]:
    """The randoms a mid-run hello may carry. Under `model.timeless_hellos`
    (the unbounded engine's monotone semantics, where a hello's timing
    gains nothing) every random of the kinds `_waiting` yields that the
    adversary knows, a client's or an orchestrator's, whoever waits: a
    superset, read without the other parties' states, which the grounding
    does not show a unit."""
    if not model.timeless_hellos:
        yield from _waiting(model, w)
        return
    memo = derived(w.knowledge)
    hit = memo.get(("randoms",))
    if hit is None:
        hit = memo[("randoms",)] = tuple(sorted(t for t in w.knowledge.known
                                                if isinstance(t, Atom) and role(t) in RANDOMS))
    yield from hit


def mitm_hellos(model, w, me: str) -> Iterator[tuple]:
    """Hellos of the adversary's own to CVM `me` mid-run: a client random it
    learnt (a client's or an orchestrator's) with a key share it holds (its
    own, used ones and the next fresh one, `models.supply`): the man in the
    middle's half towards the CVM. Restrictions, each losing no attack:
    - Shares of others come only as replays: with a share whose secret it
      lacks the session's keys are beyond it, and its evidence helps only the
      share's owner, who accepts it only for its own random (the session key
      and every binder but server-key/none cover it), which is the replay;
      under those two binders the evidence does not depend on the random.
    - Randoms of its own come only up front (`prefetches`): evidence for a
      random nobody chose serves only where the binder ignores randoms, and
      there the up-front evidence serves; another such handshake gives the
      same evidence under other names. A nonce of another role (a token, a
      route id) is compared with no random: one more fresh value.
    - Timing: only while the random's owner waits for its server hello. The
      evidence is bound to that random, and only its owner checks it, in that
      phase; the CVM session is of use with what the owner then sends. A CVM
      answers a hello the same whenever it comes (only its session numbers,
      names, move), so a run with the hello earlier is a renamed run with it
      inside the window, with no less knowledge at any check."""
    k = w.knowledge
    handled = w.state(me).handled
    if k is None or handled >= model.setup.static[me]["max_sessions"]:
        return
    kind, src = hello_source(model, me)
    if not model.adversary_injects(src, me):
        return
    # Timeless, they are a function of the knowledge, the CVM and its count: memoized on the
    # knowledge (the entry holds the model its key names by id, so that id is not reused).
    memo = derived(k) if model.timeless_hellos else {}
    hit = memo.get(("mitm", id(model), me, handled))
    if hit is not None and hit[0] is model:
        yield from hit[1]
        return
    conn = f"adv.{me}.{handled + 1}"
    share = Var("X", "pk:dh", ("adv",))
    out = tuple((src, me, kind, conn, tup(const(kind), tup(const("client-hello"), cr, share)))
                for cr in _randoms(model, w) if cr in k.known)
    memo[("mitm", id(model), me, handled)] = (model, out)
    yield from out


def hello_source(model, me: str) -> tuple[str, str]:
    static = model.setup.static[me]
    if "predictors" in static:
        return "tls-hello", "gateway"
    return "peer-hello", static["callers"][0]
