"""Typed message templates with variables, and the adversary's instances of them.

A receiver's pattern is a term with typed variables (`Var`). `instances`
enumerates the terms matching the pattern that a knowledge set can produce:
either a known term (replay, unification) or one built with constructors from
derivable parts, each variable drawn from the known terms of its type. This is
how injections are restricted to well-typed messages the receiver accepts
(DESIGN, Engines), instead of enumerating all derivable terms. Types, pools
and the memos per knowledge set are `models.indexes`.
"""
from __future__ import annotations

from typing import Iterator, Mapping

from ppverify.models.deduction import Knowledge
from ppverify.models.indexes import derived, index_bits, index_order, indexed, pool, role, type_of
from ppverify.models.terms import App, Atom, Term, members, size
from ppverify.models.theory import constructible

Env = Mapping["Var", Term]


class Var:
    """A typed hole. `roles`, if given, narrows an atom-valued pool to atoms
    whose name starts with one of these labels (e.g. client randoms only)."""
    __slots__ = ("name", "type", "roles", "_hash")

    def __init__(self, name: str, type_: str, roles: tuple[str, ...] = ()):
        self.name, self.type, self.roles = name, type_, tuple(roles)
        self._hash = hash(("var", name, type_, self.roles))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        # roles too: templates are hash-consed terms, and two holes of one
        # name that admit different values must not become one template
        return (isinstance(other, Var) and other.name == self.name and other.type == self.type
                and other.roles == self.roles)

    def __repr__(self) -> str:
        return f"?{self.name}:{self.type}"


_GROUND: dict = {}   # template -> has no variable (templates are hash-consed terms)
_VARS: dict = {}     # template -> its variables, in order of first occurrence


def ground(t) -> bool:
    if isinstance(t, Var):
        return False
    if isinstance(t, App):
        hit = _GROUND.get(t)
        if hit is None:
            hit = _GROUND[t] = all(ground(a) for a in t.args)
        return hit
    return True


def _vars(tpl) -> tuple:
    hit = _VARS.get(tpl)
    if hit is None:
        if isinstance(tpl, Var):
            hit = (tpl,)
        elif isinstance(tpl, App):
            hit = tuple(dict.fromkeys(v for a in tpl.args for v in _vars(a)))
        else:
            hit = ()
        _VARS[tpl] = hit
    return hit


def has_type(t: Term, type_: str) -> bool:
    if type_.startswith("atom:"):
        return isinstance(t, Atom) and type_of(t) == type_[5:]
    return type_of(t) == type_


def unify(tpl, t: Term, env: dict) -> dict | None:
    if isinstance(tpl, Var):
        if tpl in env:
            return env if env[tpl] == t else None
        if not has_type(t, tpl.type) or (tpl.roles and role(t) not in tpl.roles):
            return None
        out = dict(env)
        out[tpl] = t
        return out
    if isinstance(tpl, Atom):
        return env if tpl == t else None
    if not isinstance(t, App) or t.op != tpl.op or len(t.args) != len(tpl.args):
        return None
    for a, b in zip(tpl.args, t.args):
        if a is b:   # (hash-consed: equal ground parts are one object)
            continue
        env = unify(a, b, env)
        if env is None:
            return None
    return env


class Budget:
    """A cap on enumeration, so a pathological template cannot hang a check;
    `exhausted` tells the caller the candidate set was truncated."""

    def __init__(self, limit: int = 5000):
        self.left, self.exhausted = limit, False

    def take(self) -> bool:
        self.left -= 1
        if self.left < 0:
            self.exhausted = True
        return self.left >= 0


class _Exhausted(Exception):
    """A replayed sub-enumeration ran out of budget: the caller redoes the
    whole enumeration without replays (an exhausted one ends differently)."""


class _Replaying(Budget):
    """The budget of `candidates`' fast path: sub-patterns are enumerated once
    per knowledge and replayed (`_replay`)."""

    def spend(self, n: int) -> bool:
        """`n` takes at once, if all of them succeed."""
        if self.left < n:
            return False
        self.left -= n
        return True


class _Recording(_Replaying):
    """A budget that notes where the enumeration spends it. Its limit is what
    the caller has left: an enumeration that needs more could not be replayed
    in full, so recording gives up as soon as it does (the budget still caps
    the work, as it does for a plain enumeration)."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.events: list = []   # terms yielded, and runs of takes (ints)

    def take(self) -> bool:
        return self.spend(1)

    def spend(self, n: int) -> bool:
        if not super().spend(n):
            raise _Exhausted
        ev = self.events
        if ev and type(ev[-1]) is int:
            ev[-1] += n
        else:
            ev.append(n)
        return True


def _replay(tpl: App, k: Knowledge, env: dict, budget: Budget):
    """The instances of a compound sub-pattern, enumerated once per knowledge
    and binding of its own variables and then replayed: the same terms, in the
    same order, with the budget spent at the same points. The key server-hello
    patterns differ only in the key share, so they share the evidence's
    enumeration. A replay cannot reproduce how an enumeration ends when its
    budget runs out mid-way, so it gives up then (`_Exhausted`)."""
    vs = _vars(tpl)
    key = ("inst", tpl, tuple(env.get(v) for v in vs))
    memo = derived(k)
    events = memo.get(key)
    if events is None:
        rec = _Recording(budget.left)
        for t, e2 in _instances(tpl, k, env, rec):
            rec.events.append((t, tuple((v, e2[v]) for v in vs if v not in env and v in e2)))
        events = memo[key] = tuple(rec.events)
    for ev in events:
        if type(ev) is int:
            if not budget.spend(ev):
                raise _Exhausted
        else:
            t, new = ev
            yield t, ({**env, **dict(new)} if new else env)


def instances(tpl, k: Knowledge, env: dict | None = None,
              budget: Budget | None = None) -> Iterator[tuple[Term, dict]]:
    env = {} if env is None else env
    budget = budget or Budget()
    if isinstance(budget, _Replaying) and isinstance(tpl, App) and not ground(tpl):
        return _replay(tpl, k, env, budget)
    return _instances(tpl, k, env, budget)


def _instances(tpl, k: Knowledge, env: dict, budget: Budget) -> Iterator[tuple[Term, dict]]:
    if isinstance(tpl, Var):
        if tpl in env:
            yield env[tpl], env
            return
        for t in pool(k, tpl.type, tpl.roles):
            if not budget.take():
                return
            out = dict(env)
            out[tpl] = t
            yield t, out
        return
    if ground(tpl):
        if k.derivable(tpl):
            yield tpl, env
        return
    seen = set()
    # Known instances matter only where the adversary might not be able to
    # build the term itself; tuples and sets of known terms it can always build.
    if tpl.op not in ("tup", "set"):
        for t, new in known_matches(tpl, k, env):
            seen.add(t)
            yield t, ({**env, **dict(new)} if new else env)
    # Enumerate arguments last-to-first: in messages the certificates and
    # signatures that pin variables down come after the fields they constrain.
    for rev, e2 in _product(tpl.args[::-1], 0, (), k, env, budget):
        t = App(tpl.op, rev[::-1])
        if t not in seen and constructible(t, k.derivable):
            if not budget.take():
                return
            seen.add(t)
            yield t, e2


def known_matches(tpl: App, k: Knowledge, env: dict) -> tuple:
    """The known terms that unify with `tpl` under `env`, each with the
    bindings unification adds. A function of the template, the bindings of its
    own variables and the knowledge (no budget is spent here), so memoized on
    the knowledge: inside a product the same sub-pattern recurs for every
    choice of the other fields."""
    vs = _vars(tpl)
    binding = tuple(env.get(v) for v in vs)
    key = ("known", tpl, binding)
    memo = derived(k)
    hit = memo.get(key)
    if hit is None:
        # How a term unifies with the template alone is kept for every knowledge
        # set and binding (MATCHES): under a binding, it unifies iff the bound
        # variables agree (matching is syntactic: a bound variable only filters).
        by_term = MATCHES.get(tpl)
        if by_term is None:
            by_term = MATCHES[tpl] = {}
        bound = tuple((i, env[v]) for i, v in enumerate(vs) if v in env)
        bits = index_bits(k, tpl.op, memo)
        last = LAST_MATCHES.get((tpl, binding))
        grown = last is not None and not last[0] & ~bits
        out = []
        # Knowledge grows along a search: from the last set asked about, if it
        # is a subset, only the new terms are tried, and the old matches are
        # merged in, in the index's order (the result is the same).
        path, part = _pin(tpl)
        for t in members(bits & ~last[0]) if grown else indexed(k, tpl.op, memo):
            if path:   # the largest ground part first: most terms differ there
                at = t
                for i in path:
                    at = at.args[i] if type(at) is App and len(at.args) > i else None
                if at is not part and at != part:
                    continue
            full = by_term.get(t, _UNSEEN)
            if full is _UNSEEN:
                e2 = unify(tpl, t, {})
                full = by_term[t] = None if e2 is None else tuple(e2[v] for v in vs)
            if full is not None and all(full[i] == val for i, val in bound):
                out.append((t, tuple((v, x) for v, x in zip(vs, full) if v not in env) if bound else
                            tuple(zip(vs, full))))
        if grown:
            out = sorted(last[1] + tuple(out), key=lambda e: index_order(e[0])) if out else last[1]
        hit = memo[key] = tuple(out)
        LAST_MATCHES[(tpl, binding)] = (bits, hit)
    return hit


_PINS: dict = {}


def _pin(tpl: App) -> tuple:
    """The path (argument indices) to the largest ground proper part of
    `tpl`, and that part; ((), None) if it has none. A term that unifies with
    `tpl` has that very part there."""
    hit = _PINS.get(tpl)
    if hit is None:
        best, todo = ((), None), [((i,), a) for i, a in enumerate(tpl.args)]
        while todo:
            path, t = todo.pop()
            if ground(t):
                if best[1] is None or size(t) > size(best[1]):
                    best = (path, t)
            elif isinstance(t, App):
                todo.extend((path + (i,), a) for i, a in enumerate(t.args))
        hit = _PINS[tpl] = best
    return hit


# template -> {term: the values unifying the two gives its variables (in `_vars`
# order), or None}: a few hundred entries for a whole search
MATCHES: dict = {}
# (template, binding) -> (the index mask of the last knowledge set asked about, its matches)
LAST_MATCHES: dict = {}
_UNSEEN = object()


def candidates(tpl, k: Knowledge, limit: int) -> tuple[tuple[tuple[Term, bool], ...], bool]:
    """The distinct instances of `tpl` in `k` in enumeration order, each with
    whether the budget of `limit` was already exhausted when it came, and
    whether it ran out in the end. Memoized on the knowledge object: the
    explorer asks for the same pattern against the same knowledge in many
    worlds, and the enumeration is deterministic."""
    memo = derived(k)
    key = ("candidates", tpl, limit)
    hit = memo.get(key)
    if hit is None:
        view = _view(tpl, k, memo)
        seen = None if view is None else LAST_CANDIDATES.setdefault((tpl, limit), {})
        hit = None if seen is None else seen.get(view)
        if hit is None:
            try:
                hit = _enumerate(tpl, k, _Replaying(limit))
            except _Exhausted:
                hit = _enumerate(tpl, k, Budget(limit))
            if seen is not None:
                if len(seen) >= VIEWS_KEPT:   # the oldest goes (dicts keep insertion order)
                    del seen[next(iter(seen))]
                seen[view] = hit
        memo[key] = hit
    return hit


# (template, limit) -> {the view of a knowledge set enumerated: its candidates}, the last VIEWS_KEPT
# views: a breadth-first search moves between knowledge sets that differ in what a pattern reads
LAST_CANDIDATES: dict = {}
VIEWS_KEPT = 16
_SHAPES: dict = {}


def _view(tpl, k: Knowledge, memo: dict):
    """What an enumeration of `tpl` reads of `k` (`_shape`), or None."""
    shape = _shape(tpl)
    if shape is None:
        return None
    return (tuple(_pool_view(k, x, memo) if type(x) is tuple else known_matches(x, k, {}) for x in shape[0]),
            tuple(k.derivable(g) for g in shape[1]))


def _pool_view(k: Knowledge, var: tuple, memo: dict):
    """A variable's pool in `k` (`var`: its type and roles): the index's mask
    where the pool is the whole index, else the pool itself (an `atom:` type
    or roles filter the index: a new signature leaves a key pool alone)."""
    type_, roles = var
    if not roles and not type_.startswith("atom:"):
        return index_bits(k, "type:" + type_, memo)
    return tuple(pool(k, type_, roles))


def _shape(tpl):
    """What an enumeration of `tpl` reads of a knowledge set: each variable's
    pool (type and roles), the known terms matching each compound sub-pattern that is
    unified with known terms (its matches under no binding: a binding only
    filters them), and the ground parts whose derivability is asked. Two
    knowledge sets that agree on these give the same candidates, in the same
    order: the pools, the known matches and every constructibility test are
    functions of them (the built parts are derivable by construction, the
    pool terms known). None where that fails: `dhk` of a variable also asks
    about a public key no view holds."""
    if tpl in _SHAPES:
        return _SHAPES[tpl]
    keys, grounds, ok = [], [], True
    todo = [tpl]   # (a stack, not a recursive closure: that would be a reference cycle per template)
    while todo:
        t = todo.pop()
        if isinstance(t, Var):
            keys.append((t.type, t.roles))
        elif ground(t):
            grounds.append(t)
        else:
            ok = ok and t.op != "dhk"
            if t.op not in ("tup", "set"):
                keys.append(t)
            todo.extend(reversed(t.args))
    hit = _SHAPES[tpl] = (tuple(dict.fromkeys(keys)), tuple(dict.fromkeys(grounds))) if ok else None
    return hit


def _enumerate(tpl, k: Knowledge, budget: Budget) -> tuple:
    seen, out = set(), []
    for t, _ in _instances(tpl, k, {}, budget):
        if t not in seen:
            seen.add(t)
            out.append((t, budget.exhausted))
    return tuple(out), budget.exhausted


def _product(tpls, i, acc, k, env, budget):
    if i == len(tpls):
        yield acc, env
        return
    for t, e2 in instances(tpls[i], k, env, budget):
        yield from _product(tpls, i + 1, acc + (t,), k, e2, budget)
