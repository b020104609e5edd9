"""The adversary's supply of fresh values, and the canonical choice among them.

The adversary holds several fresh atoms of each kind, a family per kind:
`adv.nonce`, `adv.nonce.2`, `adv.nonce.3`, ... (index 1 keeps the plain name,
so traces that need one value read as before). Each is known with its public
key and nothing else until the adversary first puts it in a message.

Canonical choice (symmetry reduction): members of a family that no message
has used yet are interchangeable. Every receiver and property sees only
names, the adversary knows each of them in the same way, and a renaming of
unused members maps a run onto a run. So an enumeration offers every used
member and only the lowest-numbered unused one; choosing a higher unused one
would only explore a renamed copy of a run already explored. One exception
is by construction, not by symmetry: under `meta-insider` the gateway also
accepts credentials under `adv.cred` (index 1), which is then strictly more
useful than the others and is offered first anyway.

A member is "used" once it occurs in a known term other than itself and its
own public key: an injected message is learned by the adversary, so every
value it sent is in its knowledge (`World._observe`).
"""
from __future__ import annotations

from ppverify.models.terms import App, Atom, Classes, Term, TermSet, members

LABEL = "adv"

_INSIDE: dict = {}   # term -> the supply atoms occurring in it (terms are hash-consed)


def name(kind: str, i: int) -> str:
    """The name of member `i` (from 1) of the family of `kind`."""
    return f"{LABEL}.{kind}" if i == 1 else f"{LABEL}.{kind}.{i}"


_INDEX: dict = {}    # atom -> its member number, or None


def index(t: Term) -> int | None:
    """The member number of a supply atom; None for any other term."""
    if not isinstance(t, Atom):
        return None
    try:
        return _INDEX[t]
    except KeyError:
        pass
    ix = None
    if t.name.startswith(LABEL + "."):
        base = f"{LABEL}.{t.kind}"
        rest = t.name[len(base) + 1:] if t.name.startswith(base + ".") else ""
        ix = 1 if t.name == base else (int(rest) if rest.isdigit() and int(rest) > 1 else None)
    _INDEX[t] = ix
    return ix


def _inside(t: Term) -> frozenset:
    if isinstance(t, Atom):
        return frozenset((t,)) if index(t) is not None else frozenset()
    hit = _INSIDE.get(t)
    if hit is None:
        hit = _INSIDE[t] = frozenset().union(*(_inside(a) for a in t.args))
    return hit


_USES: dict = {}   # term -> the supply atoms its being known marks used


def _uses(t: Term) -> frozenset:
    hit = _USES.get(t)
    if hit is None:
        own_key = isinstance(t, App) and t.op == "pk" and index(t.args[0]) is not None
        hit = _USES[t] = _inside(t) if isinstance(t, App) and not own_key else frozenset()
    return hit


# Which numbered terms mark which supply atoms used (a class per atom), and
# which are supply atoms: a knowledge set's are then a few masks away, not a
# walk over all its terms.
_USERS = Classes(_uses)
_MEMBERS = Classes(lambda t: ("member",) if index(t) is not None else ())


def _bits(known) -> int:
    return known.bits if isinstance(known, TermSet) else TermSet(known).bits


def used(known) -> frozenset:
    """The supply atoms some known term other than themselves and their
    public keys contains."""
    return frozenset(_USERS.present(_bits(known)))


def families(known) -> dict[str, list[Atom]]:
    """kind -> the known members of its family, by member number."""
    fam: dict[str, list] = {}
    for t in members(_bits(known) & _MEMBERS.mask("member")):
        fam.setdefault(t.kind, []).append(t)
    return {k: sorted(v, key=index) for k, v in fam.items()}


_STATES: dict = {}   # (used, the known members' mask) -> (`hidden`, `exhausted`)


def _state(known) -> tuple[frozenset, bool]:
    """`hidden` and `exhausted`, functions of which members are known and
    which are used: shared by every knowledge set that agrees on those."""
    bits = _bits(known)
    u = frozenset(_USERS.present(bits))
    key = (u, bits & _MEMBERS.mask("member"))
    hit = _STATES.get(key)
    if hit is None:
        fam = families(TermSet.of_bits(key[1])).values()
        out: set = set()
        for family in fam:
            spare = [a for a in family if a not in u]
            for a in spare[1:]:
                out.add(a)
                out.add(App("pk", (a,)))
        # a family of one is one by argument (its one member stands for
        # every value of the kind), not a supply that runs out
        hit = _STATES[key] = (frozenset(out), any(len(f) > 1 and all(a in u for a in f) for f in fam))
    return hit


def hidden(known) -> frozenset:
    """What an enumeration leaves out: every unused member but the lowest of
    its family, and their public keys."""
    return _state(known)[0]


def exhausted(known) -> bool:
    """Some family is used up: a further injection could want a fresh value
    the supply no longer has (the caller reports the search as bounded)."""
    return _state(known)[1]
