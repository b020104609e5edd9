"""Garbage collection tuned for the engines' long walks."""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def fewer_collections(young: int = 100_000):
    """The cyclic garbage collector's youngest generation collected every
    `young` allocations instead of 700, for a search's or a grounding's
    duration: both allocate many objects that live on (worlds, knowledge
    sets, memos, transitions) and few cycles, and frequent collections cost
    a tenth to a third of their time."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], young), *old[1:])
    try:
        yield
    finally:
        # What outlives the walk (hash-consed terms, memos) is moved out of the
        # collector's sight first: restoring the threshold would otherwise
        # trigger a collection of every generation, a fifth of `mutate`'s time.
        # Those objects are still freed by reference counting; only a cycle
        # among them would stay, and the engines build none that matters.
        gc.freeze()
        gc.set_threshold(*old)
