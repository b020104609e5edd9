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

from ppverify.models.terms import App, Atom, Classes, Term, members

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


# Which numbered terms mark supply atoms used, and which are supply atoms:
# a knowledge set's are then a mask away, not a walk over all its terms.
_CLASSES = Classes(lambda t: (("uses",) if _uses(t) else ()) + (("member",) if index(t) is not None else ()))


def _of(known, cls: str):
    """The terms of `known` of class `cls`, in `known`'s order (a `TermSet`
    by mask; any other collection whole: the callers filter anyway)."""
    bits = getattr(known, "bits", None)
    return known if bits is None else members(bits & _CLASSES.mask(cls))


def used(known) -> frozenset:
    """The supply atoms some known term other than themselves and their
    public keys contains."""
    out: set = set()
    uses = _USES
    for t in _of(known, "uses"):
        u = uses.get(t)
        if u is None:
            u = _uses(t)
        if u:
            out |= u
    return frozenset(out)


def families(known) -> dict[str, list[Atom]]:
    """kind -> the known members of its family, by member number."""
    fam: dict[str, list] = {}
    for t in _of(known, "member"):
        if isinstance(t, Atom) and index(t) is not None:
            fam.setdefault(t.kind, []).append(t)
    return {k: sorted(v, key=index) for k, v in fam.items()}


def hidden(known) -> frozenset:
    """What an enumeration leaves out: every unused member but the lowest of
    its family, and their public keys."""
    u = used(known)
    out: set = set()
    for members in families(known).values():
        spare = [a for a in members if a not in u]
        for a in spare[1:]:
            out.add(a)
            out.add(App("pk", (a,)))
    return frozenset(out)


def exhausted(known) -> bool:
    """Some family is used up: a further injection could want a fresh value
    the supply no longer has (the caller reports the search as bounded). A
    family of one is one by argument (its one member stands for every
    value of the kind), not a supply that runs out."""
    u = used(known)
    return any(len(members) > 1 and all(a in u for a in members)
               for members in families(known).values())


def exhausted_in(k) -> bool:
    """`exhausted` of a knowledge object's terms, memoized on it (the
    explorer asks in every world that holds it)."""
    hit = k._derived.get(("supply-exhausted",))
    if hit is None:
        hit = k._derived[("supply-exhausted",)] = exhausted(k.known)
    return hit
