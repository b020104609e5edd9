"""Symbolic terms: atoms and function applications, immutable and hash-consed.

An `Atom` has a name and a kind (nonce, key, dh, sig, hpke, cred, blind, const,
data, ...). Constants (kind "const") are public; every other atom is secret
unless a knowledge set contains it. `App` is a function symbol applied to
arguments; the meaning of each symbol is in `models.theory`.
"""
from __future__ import annotations

from collections.abc import Set
from typing import Callable, Iterable, Iterator, Union


# Hash-consing: equal terms are one object, so equality is identity and a
# term's hash its id's (both object's own, in C: dictionaries keyed by terms
# are the explorer's hottest path). Hash values differ between processes, as
# the strings' did before: nothing may depend on them, orders sort by
# `sort_key`. Every term is made by `__new__` (unpickling too, `__reduce__`).
# The tables only grow; a check of the default scenario makes a few thousand terms.
_ATOMS: dict = {}
_APPS: dict = {}


class Atom:
    __slots__ = ("name", "kind", "_ix")

    def __new__(cls, name: str, kind: str) -> "Atom":
        key = (name, kind)
        t = _ATOMS.get(key)
        if t is None:
            t = object.__new__(cls)
            t.name = name
            t.kind = kind
            t._ix = -1  # its bit in a `TermSet`, given when it first enters one
            _ATOMS[key] = t
        return t

    def __lt__(self, other: "Term") -> bool:
        return sort_key(self) < sort_key(other)

    def __repr__(self) -> str:
        return self.name if self.kind != "const" else repr(self.name)

    def __reduce__(self):
        return (Atom, (self.name, self.kind))


class App:
    __slots__ = ("op", "args", "_size", "_repr", "_ix")

    def __new__(cls, op: str, args: tuple["Term", ...]) -> "App":
        key = (op, args)
        t = _APPS.get(key)
        if t is None:
            t = object.__new__(cls)
            t.op = op
            t.args = args
            t._size = 1 + sum(a._size if isinstance(a, App) else 1 for a in args)
            t._repr = None  # computed on first use: canonical orders sort by it
            t._ix = -1
            _APPS[key] = t
        return t

    def __lt__(self, other: "Term") -> bool:
        return sort_key(self) < sort_key(other)

    def __repr__(self) -> str:
        r = self._repr
        if r is None:
            inner = ", ".join(map(repr, self.args))
            r = self._repr = "<" + inner + ">" if self.op == "tup" else f"{self.op}({inner})"
        return r

    def __reduce__(self):
        return (App, (self.op, self.args))


Term = Union[Atom, App]


def const(name: str) -> Atom:
    return Atom(name, "const")


def app(op: str, *args: Term) -> App:
    return App(op, tuple(args))


def tup(*args: Term) -> App:
    return App("tup", tuple(args))


def size(t: Term) -> int:
    return t._size if isinstance(t, App) else 1


def sort_key(t: Term) -> str:
    """A total, deterministic order on terms (for canonical state keys)."""
    return repr(t) + "#" + (t.kind if isinstance(t, Atom) else "")


def subterms(t: Term) -> Iterator[Term]:
    stack = [t]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, App):
            stack.extend(x.args)


def atoms(t: Term) -> Iterator[Atom]:
    return (x for x in subterms(t) if isinstance(x, Atom))


def contains(t: Term, needle: Term) -> bool:
    return any(x == needle for x in subterms(t))


# The terms that ever entered a `TermSet`, by bit: numbered in this process
# only (a pickled set travels as its terms).
_NUMBERED: list = []


def bit(t: Term) -> int:
    """The bit of `t` in every `TermSet` (numbered on first use)."""
    ix = t._ix
    if ix < 0:
        ix = t._ix = len(_NUMBERED)
        _NUMBERED.append(t)
    return 1 << ix


def mask_of(terms: Iterable[Term]) -> int:
    """The bits of the numbered ones among `terms` (the others are in no
    `TermSet`), numbering none."""
    bits = 0
    for t in terms:
        if t._ix >= 0:
            bits |= 1 << t._ix
    return bits


def members(bits: int) -> Iterator[Term]:
    """The terms of a bitmask, in numbering order (a `TermSet`'s order)."""
    digits, terms = bin(bits)[:1:-1], _NUMBERED
    i = digits.find("1")
    while i >= 0:
        yield terms[i]
        i = digits.find("1", i + 1)


class Classes:
    """Bitmasks of the numbered terms by class (`classes(t)`: the classes of
    term t), so that the members of a `TermSet` in one class are one `&`
    away. Terms numbered since the last question are classified on demand."""
    __slots__ = ("classes", "masks", "upto")

    def __init__(self, classes: Callable[[Term], Iterable]):
        self.classes, self.masks, self.upto = classes, {}, 0

    def mask(self, cls) -> int:
        if self.upto < len(_NUMBERED):
            masks, classes = self.masks, self.classes
            for ix in range(self.upto, len(_NUMBERED)):
                for c in classes(_NUMBERED[ix]):
                    masks[c] = masks.get(c, 0) | (1 << ix)
            self.upto = len(_NUMBERED)
        return self.masks.get(cls, 0)

    def present(self, bits: int) -> list:
        """The classes with a member in the mask `bits`."""
        self.mask(None)
        return [c for c, m in self.masks.items() if bits & m]


class TermSet(Set):
    """An immutable set of terms as a bitmask: a knowledge set of a few
    hundred terms takes a few hundred bytes, not a hash table's 8 KB, and
    compares and hashes as one integer. Iterates in numbering order."""
    __slots__ = ("bits", "_len", "_hash")

    def __init__(self, terms: Iterable[Term] = ()):
        bits = 0
        for t in terms:
            bits |= bit(t)
        self._set(bits)

    def _set(self, bits: int) -> None:
        self.bits, self._len, self._hash = bits, bits.bit_count(), None

    @classmethod
    def of_bits(cls, bits: int) -> "TermSet":
        s = cls.__new__(cls)
        s._set(bits)
        return s

    @classmethod
    def union(cls, base: "TermSet", terms: Iterable[Term]) -> "TermSet":
        bits = base.bits
        for t in terms:
            bits |= bit(t)
        s = cls.__new__(cls)
        s._set(bits)
        return s

    @classmethod
    def _from_iterable(cls, it) -> frozenset:
        return frozenset(it)

    def __contains__(self, t: object) -> bool:
        ix = getattr(t, "_ix", -1)
        return ix >= 0 and (self.bits >> ix) & 1 == 1

    def __iter__(self) -> Iterator[Term]:
        return members(self.bits)

    def __len__(self) -> int:
        return self._len

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(self.bits)
        return h

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TermSet):
            return self.bits == other.bits
        return Set.__eq__(self, other)

    def __le__(self, other) -> bool:
        if isinstance(other, TermSet):
            return self.bits & ~other.bits == 0
        return Set.__le__(self, other)

    def __sub__(self, other):
        if isinstance(other, TermSet):
            s = TermSet.__new__(TermSet)
            s._set(self.bits & ~other.bits)
            return s
        return Set.__sub__(self, other)

    def __repr__(self) -> str:
        return "TermSet({" + ", ".join(sorted(map(repr, self))) + "})"

    def __reduce__(self):
        return (TermSet, (tuple(self),))
