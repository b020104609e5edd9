"""Link facts: the encoding of the privacy properties.

A sighting is (meta, payload): a message the adversary saw on a link with a
client at one end, with the client's address (or identity, on the acs channel).
A client session is linked when some sighting's payload, opened with every key
the adversary can derive, contains a handle of that session: a value that also
travels with the request (token, credential, key share, OHTTP encapsulation,
route), or a key the client uses that is not the one published for everybody.
Values shared by all clients are not handles. Strength: direct linking by
values only; timing, volume and anonymity-set size are not modelled.
"""
from __future__ import annotations

from ppverify.models.templates import derived
from ppverify.models.terms import App, Term
from ppverify.models.theory import analyse


def parts(payload: Term, k) -> set:
    """Every part of `payload` the adversary opens with `k` (memoized on the
    knowledge set, `templates.derived`: the monitors ask at every transition)."""
    key = ("parts", payload)
    memo = derived(k)
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = frozenset(_parts(payload, k))
    return hit


def _parts(payload: Term, k) -> set:
    seen, stack = set(), [payload]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        found, _ = analyse(t, k.derivable)
        stack.extend(found)
    return seen


def request_handles(model, w, client: str, i: int) -> frozenset:
    s = w.state(client).sessions[i]
    facts = model.setup.facts
    hs = {s.token, s.cred, s.cr, s.route, *s.sent}
    if s.x is not None:
        hs.add(App("pk", (s.x,)))
    if s.gw_pub is not None and s.gw_pub != facts["gw_pub"]:
        hs.add(s.gw_pub)
    if s.issuer_pub is not None and s.issuer_pub != facts["attr_pub"]:
        hs.add(s.issuer_pub)
    return frozenset(h for h in hs if h is not None)


def credential_handles(model, w, client: str, i: int) -> frozenset:
    s = w.state(client).sessions[i]
    hs = {s.token, s.cred}
    if s.issuer_pub is not None and s.issuer_pub != model.setup.facts["attr_pub"]:
        hs.add(s.issuer_pub)
    return frozenset(h for h in hs if h is not None)


def linked(model, w, client: str, i: int, handles: frozenset, identity_only: bool = False):
    """Why the session is linked to the client, or None."""
    if not handles:
        return None
    st = model.setup.static[client]
    metas = (st["identity"],) if identity_only else (st["identity"], st["address"])
    # a function of the sightings, the knowledge and the handles: memoized on
    # the knowledge set (monitors ask at every transition)
    key = ("linked", w.sightings, handles, metas)
    memo = derived(w.knowledge)
    if key not in memo:
        memo[key] = _linked(w, handles, metas)
    return memo[key]


def _linked(w, handles: frozenset, metas: tuple):
    for meta, payload in sorted(w.sightings, key=repr):
        if meta in metas:
            hit = handles & parts(payload, w.knowledge)
            if hit:
                return f"a message seen with {meta!r} contains {sorted(map(repr, hit))[0]}"
    return None
