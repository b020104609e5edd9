"""What counts as a breach on the concrete side, read off a `Twin`.

Each detector looks only at real bytes the adversary holds (observations of
its parties, and what its messages open to with keys it can derive) and
returns the SPEC property the breach violates:

  request-secrecy           a chat message's text
  response-secrecy          an answer the feature produced for a client's request,
                            or the request it is computed from (the feature is public)
  client-unlinkability      (meta-insider) a message seen with a client's address
                            or identity opens to a value of that client's request
  credential-unlinkability  a message seen with a client's identity opens to its
                            token or credential, or to the blinded element the
                            adversary recomputes from a token it saw redeemed
                            (no blinding: blind factor 1)
  user-consent              a client released a request with no consent event
"""
from __future__ import annotations

from ppverify.protocol.concrete import UNBLINDED

PROPERTIES = ("request-secrecy", "response-secrecy", "client-unlinkability",
              "credential-unlinkability", "user-consent")


def _any_in(needles, haystack) -> bool:
    return any(n and n in h for n in needles for h in haystack)


def _responses(twin) -> list[tuple[bytes, bytes]]:
    """(request payload, answer) for every request a client could make."""
    c, st = twin.c, twin.con.setup.static
    out = []
    for cl in _clients(twin):
        for _, feature, msgs in st[cl]["chats"].values():
            for extra in ((), (st[cl]["account"],)):
                payload = c.tup(*msgs, *extra)
                out.append((payload, c.process(c.const(feature), payload)))
    return out


def _clients(twin) -> list[str]:
    return sorted(p for p, d in twin.con.setup.parties.items() if d.role == "client")


def _tagged(twin, identity_only: bool):
    """(client, opened values) for every message the adversary read with a
    client's identity (or address) on it: its sightings."""
    for spay, meta, cpay in dict.fromkeys((s, cm, c) for _, s, cm, c in twin.ls.sightings):
        for cl in _clients(twin):
            st = twin.con.setup.static[cl]
            if meta == st["identity"] or (not identity_only and meta == st["address"]):
                opened: list = []
                twin.reveal(spay, cpay, opened)
                yield cl, opened


def _unblinded(twin, pub: bytes, token: bytes) -> bytes:
    """The blinded element the adversary recomputes from a token (factor 1)."""
    memo = twin.__dict__.setdefault("_unblinded", {})
    if (pub, token) not in memo:
        memo[pub, token] = twin.c.cred_blind(pub, token, UNBLINDED)
    return memo[pub, token]


def breaches(twin) -> dict[str, str]:
    """Property -> why, for every breach the concrete run shows so far."""
    found: dict[str, str] = {}
    view = twin.adversary_view()
    st = twin.con.setup.static
    texts = [m for cl in _clients(twin) for _, _, msgs in st[cl]["chats"].values() for m in msgs]
    hits = [t for t in texts if _any_in([t], view)]
    if hits:
        found["request-secrecy"] = f"adversary holds chat text {hits[0][:24]!r}..."
    for payload, answer in _responses(twin):
        if _any_in([answer], view):
            found["response-secrecy"] = "adversary holds a feature answer"
        elif _any_in([payload], view):  # it runs the (public) feature itself
            found["response-secrecy"] = "adversary computes the answer from the request it holds"
    c = twin.c
    for cl, opened in _tagged(twin, identity_only=False):
        if "meta-insider" not in twin.sc.threat:
            break
        for s in twin.wc.state(cl).sessions:
            handles = [s.token, s.cred, s.cr, s.route, *s.sent]
            if s.x is not None:
                handles.append(c.dh_pub(s.x))
            if _any_in(handles, opened):
                found["client-unlinkability"] = f"a message seen with {cl}'s address opens to its request"
    for cl, opened in _tagged(twin, identity_only=True):
        for s in twin.wc.state(cl).sessions:
            handles = [s.token, s.cred]
            if s.token is not None and s.issuer_pub is not None and _any_in([s.token], view):
                handles.append(_unblinded(twin, s.issuer_pub, s.token))
            if _any_in(handles, opened):
                found["credential-unlinkability"] = f"issuance to {cl} links to its redemption"
    for e in twin.wc.events:
        if e.name == "release":
            i = e.args[0]
            if not any(x.name == "consent" and x.party == e.party and x.args[0] == i
                       for x in twin.wc.events):
                found["user-consent"] = f"{e.party} released session {i + 1} without consent"
    return found
