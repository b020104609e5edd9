"""The report's assumptions and limits ("What is modelled, and what is
simplified", "Guarantees and their limits"): shipped as package data
(`assumptions.md`, next to this module), so a wheel install keeps them."""
from __future__ import annotations

import functools
import re
from importlib import resources

TITLES = ("What is modelled, and what is simplified", "Guarantees and their limits")


@functools.lru_cache(maxsize=None)
def sections() -> tuple[tuple[str, str], ...]:
    """(title, Markdown body) of each "## " section of assumptions.md, in order."""
    text = resources.files(__package__).joinpath("assumptions.md").read_text(encoding="utf-8")
    found = tuple((m.group(1), m.group(2).strip())
                  for m in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", text, re.S | re.M))
    if tuple(t for t, _ in found) != TITLES:
        raise RuntimeError(f"assumptions.md has sections {[t for t, _ in found]}, expected {list(TITLES)}")
    return found
