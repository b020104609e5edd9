"""Hypothesis profiles for the whole suite.

  default  (no variable set) fast, for `python -m pytest -q` and CI
  deep     `HYPOTHESIS_PROFILE=deep python -m pytest -q`: nightly, many more
           examples and longer state-machine runs
  ci       `HYPOTHESIS_PROFILE=ci`: derandomized (same examples every run), no
           example database, prints the reproduce blob of a failure

Reproducing a failure: fix the seed with hypothesis' pytest option,
`python -m pytest --hypothesis-seed=N tests/<file>` (any integer N; the same
N gives the same examples), or paste the `@reproduce_failure(...)` line the
ci profile prints. A state-machine failure prints its steps as code.
Failing examples are saved in the example database `.hypothesis/examples`
(default and deep profiles; git-ignored) and replayed first on the next run;
tests that set `database=None` (derandomized ones) do not need it. A bug
found and fixed is pinned next to its test, as `@example(...)` when an
example reproduces it, or as a plain regression test when it is
deterministic (e.g. `test_statemachine.test_concrete_setup_with_an_adversary`).

Tests whose cost per example is high read `budget(...)` below instead of
hard-coding counts, so one place scales them per profile.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

# max_examples stays at hypothesis' 100 for cheap tests; costly tests size
# themselves with `budget` and `steps` below.
settings.register_profile("default", deadline=None, suppress_health_check=_SLOW)
settings.register_profile("deep", deadline=None, max_examples=1000, suppress_health_check=_SLOW)
settings.register_profile("ci", settings.get_profile("default"), derandomize=True,
                          database=None, print_blob=True)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
if PROFILE not in ("default", "deep", "ci"):
    raise ValueError(f"unknown HYPOTHESIS_PROFILE {PROFILE!r}; valid: default, deep, ci")
settings.load_profile(PROFILE)

# Scale of the expensive property tests (each example runs real cryptography
# or a symbolic search), per profile.
_SCALE = {"default": 1, "ci": 1, "deep": 10}


def budget(default_count: int) -> int:
    """Examples: `default_count` in the fast profiles, ten times that in deep."""
    return default_count * _SCALE[PROFILE]


def steps(default_count: int) -> int:
    """State-machine steps per run: `default_count`, three times that in deep."""
    return default_count * (3 if PROFILE == "deep" else 1)
