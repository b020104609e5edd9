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

from ppverify.models.indexes import derived
from ppverify.models.terms import App, Term, mask_of
from ppverify.models.theory import analyse


# payload -> [(its parts, the derivability answers they rest on)], newest
# first: a module table, as the terms' are (a payload is a hash-consed term)
OPENED: dict = {}
OPENED_PER_PAYLOAD = 4


def parts(payload: Term, k) -> frozenset:
    """Every part of `payload` the adversary opens with `k`. The analysis
    reads `k` only through the keys it asks to be derivable, so a result is
    kept with those answers and serves every knowledge set that gives the
    same answers (checked on each use): the monitors ask at every transition,
    and most new knowledge sets open the same payloads alike."""
    entries = OPENED.get(payload)
    if entries:
        for found, asked in entries:
            if all(k.derivable(x) == b for x, b in asked):
                return found
    found, asked = _parts(payload, k)
    entries = OPENED.setdefault(payload, [])
    entries.insert(0, (found, asked))
    del entries[OPENED_PER_PAYLOAD:]
    return found


def _parts(payload: Term, k) -> tuple[frozenset, tuple]:
    asked: dict = {}

    def der(x: Term) -> bool:
        hit = asked.get(x)
        if hit is None:
            hit = asked[x] = k.derivable(x)
        return hit

    seen, stack = set(), [payload]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        found, _ = analyse(t, der)
        stack.extend(found)
    return frozenset(seen), tuple(asked.items())


def _of_session(model, s, fn) -> frozenset:
    """`fn(model, s)`, memoized per model on the session object (found by
    identity; the entry holds it): party states are one object each, and the
    monitors ask at every transition."""
    memo = model.__dict__.setdefault("_handles_memo", {})
    key = (fn, id(s))
    hit = memo.get(key)
    if hit is None or hit[0] is not s:
        hit = memo[key] = (s, fn(model, s))
    return hit[1]


def request_handles(model, w, client: str, i: int) -> frozenset:
    return session_handles(model, w.state(client).sessions[i])


def credential_handles(model, w, client: str, i: int) -> frozenset:
    return session_handles(model, w.state(client).sessions[i], credential=True)


def session_handles(model, s, credential: bool = False) -> frozenset:
    """The handles of session state `s`: its credential's (`credential`), or its request's."""
    return _of_session(model, s, _credential_handles if credential else _request_handles)


def metas(model, client: str, identity_only: bool = False) -> tuple:
    """What shows `client` on a link: its identity (to the WhatsApp server) and its address."""
    st = model.setup.static[client]
    return (st["identity"],) if identity_only else (st["identity"], st["address"])


def _request_handles(model, s) -> frozenset:
    facts = model.setup.facts
    hs = {s.token, s.cred, s.cr, s.route, *s.sent}
    if s.x is not None:
        hs.add(App("pk", (s.x,)))
    if s.gw_pub is not None and s.gw_pub != facts["gw_pub"]:
        hs.add(s.gw_pub)
    if s.issuer_pub is not None and s.issuer_pub != facts["attr_pub"]:
        hs.add(s.issuer_pub)
    return frozenset(h for h in hs if h is not None)


def _credential_handles(model, s) -> frozenset:
    hs = {s.token, s.cred}
    if s.issuer_pub is not None and s.issuer_pub != model.setup.facts["attr_pub"]:
        hs.add(s.issuer_pub)
    return frozenset(h for h in hs if h is not None)


def linked(model, w, client: str, i: int, handles: frozenset, identity_only: bool = False):
    """Why the session is linked to the client, or None."""
    if not handles:
        return None
    shown = metas(model, client, identity_only)
    # a function of the sightings, the knowledge and the handles: memoized on
    # the knowledge set (monitors ask at every transition). Mostly no handle
    # is among all the parts those sightings open (one union for every
    # session), and then none is linked.
    memo = derived(w.knowledge)
    opened = memo.get(("opened", w.sightings, shown))
    if opened is None:
        opened = memo[("opened", w.sightings, shown)] = _compact(frozenset().union(
            *(parts(payload, w.knowledge) for meta, payload in w.sightings if meta in shown)))
    if not _meets(handles, opened):
        return None
    key = ("linked", w.sightings, handles, shown)
    if key not in memo:
        memo[key] = _linked(w, handles, shown)
    return memo[key]


def _compact(ts: frozenset):
    """`ts` as the mask of a `TermSet` where every one is numbered (parts the
    adversary opens are known terms: a fifth of the memory), else itself."""
    bits = mask_of(ts)
    return bits if bits.bit_count() == len(ts) else ts


def _meets(handles: frozenset, opened) -> bool:
    if isinstance(opened, frozenset):
        return not handles.isdisjoint(opened)
    # an unnumbered handle is in no mask, nor among the numbered parts
    return any(h._ix >= 0 and (opened >> h._ix) & 1 for h in handles)


def _linked(w, handles: frozenset, shown: tuple):
    for meta, payload in sorted(w.sightings, key=repr):
        if meta in shown:
            hit = handles & parts(payload, w.knowledge)
            if hit:
                return f"a message seen with {meta!r} contains {sorted(map(repr, hit))[0]}"
    return None
