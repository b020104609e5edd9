"""The package keeps to itself: one import name, the dependencies its runtime
code imports, layers that import downward only, modules of bounded size, and a
wheel that works from any directory (its report included) without touching
anybody else's pytest run."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "protocol", "proofs")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# import name -> distribution name, for the runtime dependencies
DISTRIBUTIONS = {"z3": "z3-solver", "networkx": "networkx", "cryptography": "cryptography",
                 "pyhpke": "pyhpke", "voprf": "voprf"}
MAX_LINES = 400


def _sources():
    for top in PACKAGES:
        yield from sorted((ROOT / top).rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_runtime_dependencies_are_what_runtime_code_imports():
    third_party = set()
    for path in _sources():
        third_party |= {r for r in _imported_roots(path)
                        if r != "ppverify" and r not in sys.stdlib_module_names}
    unknown = third_party - set(DISTRIBUTIONS)
    assert not unknown, f"runtime code imports {sorted(unknown)}, which no runtime dependency provides"
    declared = {d.split(">")[0].split("=")[0].split("<")[0].strip()
                for d in PYPROJECT["project"]["dependencies"]}
    assert declared == {DISTRIBUTIONS[r] for r in third_party}, \
        "runtime dependencies must be exactly what runtime modules import (test tools go to the test extra)"


def test_every_import_uses_the_one_package_name():
    old = [f"{p.relative_to(ROOT)}: {r}" for p in list(_sources()) + sorted((ROOT / "tests").rglob("*.py"))
           for r in _imported_roots(p) if r in PACKAGES]
    assert not old, f"imports of the old top-level names (use ppverify.<name>): {old}"


def test_the_package_list_covers_every_folder():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {"ppverify." + ".".join(i.parent.relative_to(ROOT).parts)
             for top in PACKAGES for i in (ROOT / top).rglob("__init__.py")}
    assert listed == found, "pyproject.toml's package list must name every folder with an __init__.py"


def test_no_module_over_the_size_limit():
    long = {str(p.relative_to(ROOT)): n for p in _sources()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_layers_hold():
    """import-linter's contracts in pyproject.toml: proofs -> protocol -> models, the
    layers inside proofs, no cycle between siblings."""
    exe = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy: setuptools' build/ in the checkout could hold stale modules
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__"))
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(src)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    (whl,) = out.glob("ppverify-*.whl")
    return whl


def test_the_wheel_installs_only_ppverify(wheel):
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"ppverify"}, tops
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("entry_points.txt"))).decode()
    assert "pytest11" not in entry_points, "no pytest plugin may be registered for other projects"


def test_the_wheel_reports_from_any_directory(wheel, tmp_path):
    """Installed from the wheel alone (no checkout on the path), `report` still
    carries its assumptions and limits: nothing outside the package is read."""
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import sys, ppverify.proofs.cli.main as m; "
            f"assert m.__file__.startswith({str(site)!r}), m.__file__; "
            "sys.exit(m.main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    res = subprocess.run([sys.executable, "-c", code, "report", "--quiet", "--threat", "cdn", "--output", "out"],
                         cwd=elsewhere, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    index = (elsewhere / "out" / "index.md").read_text()
    assert "What is modelled, and what is simplified" in index, "the report lost its assumptions"
    assert "Guarantees and their limits" in index, "the report lost its limits"


UNRELATED_CONFTEST = '''
def pytest_addoption(parser):
    parser.addoption("--pinned", action="store_true")
'''


def test_an_unrelated_project_runs_pytest_as_without_ppverify(tmp_path):
    """Another project with its own manifest/verdicts.json and its own --pinned
    option: installing ppverify must not change its pytest run."""
    (tmp_path / "manifest").mkdir()
    (tmp_path / "manifest" / "verdicts.json").write_text('{"not": "ours"}')
    (tmp_path / "conftest.py").write_text(UNRELATED_CONFTEST)
    (tmp_path / "test_trivial.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = . manifest\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pinned"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 passed" in res.stdout and "ppverify" not in res.stdout + res.stderr, res.stdout


def test_ci_runs_the_readme_commands_verbatim():
    """A newcomer copies the README's two commands; CI must run exactly those."""
    ci = (ROOT / ".ci" / "run").read_text().split("# --- the README's two commands ---\n", 1)[1]
    commands = [line for line in ci.splitlines() if line.strip()]
    readme = (ROOT / "README.md").read_text()
    two = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    shown = [line[4:] for line in two.splitlines() if line.startswith("    ")]
    assert commands == shown, f".ci/run runs {commands}, the README shows {shown}"
