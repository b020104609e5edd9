"""What is derived from a knowledge set for the adversary's enumerations:
memos of functions of a set in one bounded LRU (`derived`), the index of its
terms by symbol and by type that pools and unification draw from
(`indexed`, `pool`).

Types are structural: an atom's kind ("nonce", "dh", ...; constants by prefix,
"const:img" for "img:..."), `pk:<kind>` for public keys, `tup:<tag>` for tagged
tuples, and the function symbol otherwise. `atom:<kind>` narrows a pool to
atoms of that kind (keys, where the symbol's own name would also admit its
values: `sig` is both a key kind and the signature symbol).
"""
from __future__ import annotations

from collections import OrderedDict

from ppverify.models import supply
from ppverify.models.deduction import Knowledge
from ppverify.models.terms import App, Atom, Classes, Term, mask_of, members


def type_of(t: Term) -> str:
    if isinstance(t, Atom):
        if t.kind == "const":
            return "const:" + t.name.split(":")[0] if ":" in t.name else "const"
        return t.kind
    if t.op == "pk" and isinstance(t.args[0], Atom):
        return "pk:" + t.args[0].kind
    if t.op == "tup" and t.args and isinstance(t.args[0], Atom) and t.args[0].kind == "const":
        return "tup:" + t.args[0].name
    return t.op


_KEYS: dict = {}   # term -> (its symbol key, its type key) in an index


def _keys(t: Term) -> tuple[str, str]:
    hit = _KEYS.get(t)
    if hit is None:
        hit = _KEYS[t] = (t.op if isinstance(t, App) else "", "type:" + type_of(t))
    return hit


_BY_KEY = Classes(_keys)   # index key -> the numbered terms under it, as a mask


# Memos of functions of a knowledge set (pools, index, instances, link
# facts), for the most recently used sets only: a memo per set for the whole
# search would keep about 7 KB per set of every set ever reached, while the
# explorer asks about the sets its frontier holds. An evicted set's memos are
# rebuilt on demand (deterministic functions: the same results). 4,096 sets
# (session 20): the 20,000-state meta-insider search 10% quicker than with
# 1,024, at 1,898 traced bytes per state against 1,537 (the target is 2 KB;
# 8,192 sets pass it), and mutate's checks in one worker reuse more of each
# other's (the mutants of one threat model share most knowledge sets).
MEMO_SETS = 4096
_MEMOS: OrderedDict = OrderedDict()
# the last set asked about and its memo dict: most questions come in runs
# about one set (one world's actions), and the last one is the newest entry
_LAST: list = [None, None]


def derived(k: Knowledge) -> dict:
    """The memo dict of knowledge set `k` (equal sets share one)."""
    last = _LAST
    if last[0] is k:
        return last[1]
    memos = _MEMOS
    hit = memos.get(k)
    if hit is None:
        hit = memos[k] = k.memo()
        if len(memos) > MEMO_SETS:
            memos.popitem(last=False)
    else:
        memos.move_to_end(k)
    last[0], last[1] = k, hit
    return hit


def exhausted_in(k: Knowledge) -> bool:
    """`supply.exhausted` of a knowledge set (the explorer asks in every
    world that holds it)."""
    memo = derived(k)
    hit = memo.get(("supply-exhausted",))
    if hit is None:
        hit = memo[("supply-exhausted",)] = supply.exhausted(k.known)
    return hit


def indexed(k: Knowledge, key: str, memo: dict | None = None) -> list:
    """The known terms under one index key (a symbol, or "type:" and a type),
    in `repr` order: what pools and unification draw from. Built per key on
    first use, from the key's mask of all numbered terms: a knowledge set is
    asked for a dozen of its keys, and its mask spares walking and sorting all
    of its terms. The adversary's spare fresh values are left out (lowest
    unused first, `models.supply`): they stay derivable, only not enumerated."""
    memo = derived(k) if memo is None else memo
    hit = memo.get(("index", key))
    if hit is None:
        # numbering order, then a stable sort: terms of equal repr keep the
        # order a sort of the whole set gives them (the order of `index_order`)
        hit = memo[("index", key)] = sorted(members(index_bits(k, key, memo)), key=repr)
    return hit


def index_bits(k: Knowledge, key: str, memo: dict | None = None) -> int:
    """The terms `indexed(k, key)` lists, as a mask."""
    memo = derived(k) if memo is None else memo
    hit = memo.get(("index-bits", key))
    if hit is None:
        spare = memo.get(("spare",))
        if spare is None:
            spare = memo[("spare",)] = k.known.bits & mask_of(supply.hidden(k.known))
        hit = memo[("index-bits", key)] = k.known.bits & _BY_KEY.mask(key) & ~spare
    return hit


def index_order(t: Term) -> tuple:
    """Where a term sits in every `indexed` list that holds it."""
    return repr(t), t._ix


def role(t: Term) -> str:
    """The label of an atom (or of a public key's atom): text before the first dot."""
    if isinstance(t, App) and t.op == "pk" and t.args:
        t = t.args[0]
    return t.name.split(".")[0] if isinstance(t, Atom) else ""


def pool(k: Knowledge, type_: str, roles: tuple[str, ...] = ()) -> list[Term]:
    """The known terms of a type (of an `atom:` type, the atoms only), of
    these roles if any."""
    if not roles and not type_.startswith("atom:"):
        return indexed(k, "type:" + type_)
    key = ("pool", type_, roles)
    memo = derived(k)
    hit = memo.get(key)
    if hit is None:
        if type_.startswith("atom:"):  # atoms only: a key, where any compound value would do no better
            items = [t for t in indexed(k, "type:" + type_[5:], memo) if isinstance(t, Atom)]
        else:
            items = indexed(k, "type:" + type_, memo)
        hit = memo[key] = [t for t in items if role(t) in roles] if roles else items
    return hit

