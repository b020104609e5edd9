"""pytest plugin: the pinned verdicts of the manifest as test items.

Loaded by this repository's own `conftest.py` only, never through an entry
point: installing ppverify changes nobody else's pytest runs. It collects
`manifest/verdicts.json` (the `ppverify_manifest` ini option; `testpaths`
includes `manifest`). One
collector per pinned scenario, one item per pinned property in it; the
scenario is explored once, for the properties of its selected items.

`--pinned=fast` (default) runs every scenario except those marked `slow` in
the manifest (the published design under meta-insider, about 85 s); those are
collected and reported as skipped with the option that runs them, never
dropped silently. `--pinned=all` runs everything (what `ppverify check
--expect` checks); `--pinned=none` collects nothing from the manifest.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ppverify.proofs.analyses import manifest as mf

MODES = ("fast", "all", "none")


def pytest_addoption(parser):
    group = parser.getgroup("ppverify", "pinned proof checks")
    group.addoption("--pinned", choices=MODES, default="fast",
                    help="which pinned verdicts of the manifest to check: fast (default: all but the "
                         "scenarios marked slow), all, none")
    parser.addini("ppverify_manifest", default=mf.DEFAULT_PATH,
                  help="verdict manifest collected as test items (relative to the rootdir)")


def pytest_configure(config):
    config.addinivalue_line("markers", "pinned: a pinned verdict of the manifest (tests/pinned.py)")


def pytest_collect_file(file_path: Path, parent):
    config = parent.config
    if config.getoption("pinned") == "none":
        return None
    target = (Path(config.rootpath) / config.getini("ppverify_manifest")).resolve()
    if file_path.resolve() == target:
        return ManifestFile.from_parent(parent, path=file_path)
    return None


class PinDrift(AssertionError):
    pass


class ManifestFile(pytest.File):
    def collect(self):
        m = mf.load(self.path)
        for s in m.scenarios:
            yield ScenarioNode.from_parent(self, name=s.label, pinned=s, manifest=m)


class ScenarioNode(pytest.Collector):
    def __init__(self, *, pinned: mf.PinnedScenario, manifest: mf.Manifest, **kw):
        super().__init__(**kw)
        self.pinned, self.manifest = pinned, manifest
        self._results = None

    def collect(self):
        skip = self.pinned.slow and self.config.getoption("pinned") != "all"
        for prop in self.pinned.job().properties:
            item = PinItem.from_parent(self, name=prop, pin=self.pinned.pins[prop])
            item.add_marker(pytest.mark.pinned)
            if skip:
                item.add_marker(pytest.mark.skip(
                    reason=f"slow pinned scenario ({self.pinned.label}); run it with --pinned=all"))
            yield item

    def result(self, prop: str):
        """Explore once, for every selected item of this scenario."""
        if self._results is None:
            from ppverify.proofs.analyses.check import DEFAULT_ENGINE
            from ppverify.proofs.analyses.runner import run_jobs
            wanted = [i.name for i in self.session.items if i.parent is self]
            # the engine `check --expect` pins with
            (rs,) = run_jobs([self.pinned.job(wanted)], self.manifest.max_states, self.manifest.max_moves,
                             engine=DEFAULT_ENGINE)
            self._results = {r.property: r for r in rs}
        return self._results[prop]


class PinItem(pytest.Item):
    def __init__(self, *, pin: mf.Pin, **kw):
        super().__init__(**kw)
        self.pin = pin

    def runtest(self):
        r = self.parent.result(self.name)
        actual = r.verdict.verdict
        if actual != self.pin.verdict:
            (d,) = mf.compare([(self.parent.pinned, [r])])
            path = Path(self.parent.parent.path).resolve().relative_to(self.config.rootpath.resolve())
            raise PinDrift(mf.drift_text([d], path.as_posix(),
                                         f" {self.parent.pinned.label} --property {self.name}"))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, PinDrift):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        why = f": {self.pin.reason}" if self.pin.reason else ""
        return self.path, 0, f"pinned {self.pin.verdict}: {self.name} under {self.parent.name}{why}"
