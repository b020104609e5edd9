"""The design-review bundle: golden renderings of a fixed trace and bundle (no
solver), the bundle of a real run, and the HTML rendered in headless Chromium.

Goldens live in tests/golden/. After a deliberate change to a renderer,
regenerate them with `PPVERIFY_UPDATE_GOLDEN=1 python -m pytest -q
tests/test_report.py` and review the diff before committing."""
import json
import os
import re
import shutil
import subprocess
import types
from dataclasses import astuple
from pathlib import Path

import pytest

import report_fixtures as fx
from ppverify.proofs.analyses import report
from ppverify.proofs.analyses.lattice import Cell, LatticeReport
from ppverify.proofs.analyses.mutate import MutateReport, Stopped
from ppverify.proofs.cli.main import main
from ppverify.proofs.core.verdicts import Kind
from ppverify.proofs.core.serial import action_to_json
from ppverify.proofs.pp.model import honest_run, symbolic_model
from ppverify.proofs.render import queries
from ppverify.proofs.render.diagrams import trace_sequence
from ppverify.proofs.render.html import bundle_html
from ppverify.proofs.render.json import results_json
from ppverify.proofs.render.markdown import bundle_markdown, trace_markdown
from ppverify.proofs.render.mermaid import sequence_mermaid
from ppverify.proofs.render.text import trace_text
from ppverify.protocol.controls import scenario

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PPVERIFY_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden {path}; create it with PPVERIFY_UPDATE_GOLDEN=1"
    assert text == path.read_text(), (
        f"{name} differs from its golden: a renderer changed its output. If the change is "
        f"deliberate, regenerate with PPVERIFY_UPDATE_GOLDEN=1 and review the diff of {path}")


def test_golden_trace_text():
    check_golden("trace.txt", trace_text(fx.TRACE) + "\n")


def test_golden_trace_markdown():
    check_golden("trace.md", trace_markdown(fx.TRACE, fx.ROLES, "client1 uses keys pk(adv.hpke)") + "\n")


def test_golden_results_json():
    check_golden("results.json", results_json(list(fx.results())) + "\n")


def test_golden_bundle_markdown():
    check_golden("index.md", bundle_markdown(fx.bundle(), fx.ASSUMPTIONS))


def test_trace_markdown_narrates_in_the_models_vocabulary():
    md = trace_markdown(fx.TRACE, fx.ROLES)
    assert "4. **adversary**, posing as **cdn**, → **client1**: `config`" in md
    assert "`<'config', pk(adv.hpke)>`" in md, "payload terms must be printed as terms, not ids"
    assert "the adversary now knows `adv.hpke`" in md
    assert "Replay evidence" not in md, "no replay evidence was given, none may be claimed"


def test_sequence_diagram_marks_injection_and_violation():
    mer = sequence_mermaid(trace_sequence(fx.TRACE, fx.ROLES))
    assert "rect rgb(255, 228, 225)\n    adversary-)client1: 4. config as cdn\n    end" in mer
    assert "Note over adversary: now knows adv.hpke" in mer
    assert mer.endswith("Note over client1: key-consistency violated: client1 uses keys "
                        "pk(adv.hpke), pk(acs.attr), not the ones published for everybody"), \
        "the diagram must end on the violation, at the party whose step violated it"
    # Mermaid statement separators and markup in text are escaped
    from ppverify.proofs.render.mermaid import _mtext
    assert _mtext("a;b#c<d>") == "a#59;b#35;c#lt;d#gt;"


def test_html_is_self_contained_and_colours_verdicts():
    html = bundle_html(fx.bundle())
    for external in ("<script", "<link", "src=", "@import", "url(http"):
        assert external not in html, f"the page must open offline, found {external!r}"
    assert html.count("<svg") >= 3, "system, honest session and attack diagrams must be inline SVG"
    assert re.search(r"<td class='violated' title='[^']*'><a href='#attack-1'>", html), "violated cell links its attack"
    assert re.search(r"<td class='inconclusive' title='inconclusive \(explore\); coverage: [^']*'>\? inconclusive "
                     r"<sup>c2</sup></td>", html)
    assert re.search(r"<td class='proved' title='[^']*'>✔ proved, this scenario <sup>c1</sup></td>", html)
    assert "<section class='attack' id='attack-1'>" in html
    import xml.dom.minidom
    from ppverify.proofs.render.svg import sequence_svg
    xml.dom.minidom.parseString(sequence_svg(trace_sequence(fx.TRACE, fx.ROLES)))  # well-formed SVG


def test_guarantees_follow_the_run():
    yes, no = queries.guarantees(fx.bundle())
    assert any("`cdn`" in x and "exhaustive" in x for x in yes)
    # the fixture's meta-insider cells: one depth-bounded (search cut), one other inconclusive
    assert any("1 cell(s) are **depth-bounded**" in x and "not proved" in x for x in no)
    assert any("1 other cell(s) are **inconclusive**" in x for x in no)


def _reports():
    """A hand-built mutation report and lattice (no checks run)."""
    kept = fx.results()[0].verdict
    stop = Stopped("key-consistency", "cdn", fx.TRACE, True, kept, kept.coverage)
    mut = MutateReport(("cdn",), ("request-secrecy", "key-consistency"), {},
                       {"third-party-key-config": [stop], "log-filtering": []}, ran=2, seconds=1.0)
    cdn, relay = frozenset({"cdn"}), frozenset({"relay"})
    lat = LatticeReport(("relay", "cdn"), ("key-consistency",), {
        ("key-consistency", frozenset()): Cell(Kind.PROVED, "checked", True),
        ("key-consistency", relay): Cell(Kind.PROVED, "checked", True),
        ("key-consistency", cdn): Cell(Kind.VIOLATED, "checked", trace=fx.TRACE),
        ("key-consistency", cdn | relay): Cell(Kind.VIOLATED, "carried up from cdn (replayed)", trace=fx.TRACE)},
        explored=3, saved=1, seconds=2.0)
    return mut, lat


def test_extra_sections_render_the_gathered_analyses():
    """(This replaces a test of the removed optional-module hook: the sections
    now come from the reports `gather(extras=True)` puts in the bundle.)"""
    mut, lat = _reports()
    b = report.Bundle(**{**fx.bundle().__dict__, "mutations": (mut,), "lattice": lat})
    md, html = bundle_markdown(b, fx.ASSUMPTIONS), bundle_html(b, fx.ASSUMPTIONS)
    assert "## Control-necessity matrix: the published baseline (no change)\n" in md
    assert "| `third-party-key-config off` | cdn ✅ 4 steps [1/1/1/2/any] |" in md
    assert "## Threat lattice\n" in md and "| `key-consistency` | cdn | relay |" in md
    assert "<h2 id='lead-0'>Control-necessity matrix: the published baseline (no change)</h2>" in html
    assert "<h2 id='extra-0'>Threat lattice</h2>" in html
    assert md.index("## Findings and their fixes") < md.index("## Control-necessity matrix") < \
        md.index("## What was checked"), "the findings lead, then the matrices"
    assert "not run for this bundle" not in md
    skipped = report.Bundle(**{**fx.bundle().__dict__, "extras_skipped": True})
    assert ("_Control-necessity matrices (both baselines) and Threat lattice: not run for this bundle"
            in bundle_markdown(skipped))


def test_report_leads_with_the_findings_and_their_fixes():
    md, html = bundle_markdown(fx.bundle(), fx.ASSUMPTIONS), bundle_html(fx.bundle(), fx.ASSUMPTIONS)
    head = md.split("## What was checked")[0]
    assert "## Findings and their fixes" in head
    assert "1. **1 cell(s): key-consistency under cdn**" in head
    assert "   - fix: `--set binder=exporter`" in head
    assert "   - evidence: after `--set binder=exporter`: 1 proved (cdn); breaks nothing else" in head
    assert "root cause: binder=client-random: every fix changes binder" in head
    assert html.index("<h2 id='findings'>") < html.index("<h2 id='checked'>")
    assert "<li>fix: <code>--set binder=exporter</code></li>" in html


def test_assumptions_ship_with_the_package(monkeypatch, tmp_path):
    """The report's assumptions and limits come from package data, so a wheel
    install (no README next to the package) keeps them."""
    monkeypatch.chdir(tmp_path)   # no README.md anywhere near
    queries.assumptions.cache_clear()
    titles = [t for t, _ in queries.assumptions()]
    assert titles == ["What is modelled, and what is simplified", "Guarantees and their limits"]
    assert all(len(body) > 200 for _, body in queries.assumptions())
    md, html = bundle_markdown(fx.bundle()), bundle_html(fx.bundle())
    for title in titles:
        assert f"### {title}\n" in md and f"<h3>{title}</h3>" in html


@pytest.fixture(scope="module")
def real_bundle(tmp_path_factory):
    """A real bundle of the published design under `cdn` (a fraction of a second)."""
    out = tmp_path_factory.mktemp("review")
    assert main(["report", "--threat", "cdn", "--output", str(out), "--quiet"]) == 0
    return out


def test_real_bundle_files_and_replayable_traces(real_bundle):
    md = (real_bundle / "index.md").read_text()
    findings = md.split("## Findings and their fixes")[1].split("\n## ")[0]
    assert "1. **1 cell(s): key-consistency under cdn**" in findings
    assert "fix: none found" in findings, "no single change fixes the CDN's key consistency: said, not hidden"
    assert "| `key-consistency` | ❌ **violated** <sup>c2</sup> ([attack 1](#attack-1)) |" in md
    assert "| `request-secrecy` | ✅ **proved, every size** <sup>c1</sup> |" in md, "on auto, as check"
    assert md.count("```mermaid") == 3, "system, honest session, one attack"
    results = json.loads((real_bundle / "results.json").read_text())
    assert len(results["results"]) == 19
    (trace,) = (real_bundle / "traces").iterdir()
    assert main(["replay", str(trace)]) == 1, "a saved attack must replay as a violation"


def test_extras_only_on_request(real_bundle, tmp_path):
    md = (real_bundle / "index.md").read_text()
    assert "not run for this bundle" in md, "say which sections were left out"
    assert main(["report", "--threat", "cdn", "--extras", "--output", str(tmp_path), "--quiet"]) == 0
    md = (tmp_path / "index.md").read_text()
    for title in ("Control-necessity matrix: the published baseline (no change)",
                  "Control-necessity matrix: the hardened baseline (no change)", "Threat lattice"):
        assert f"\n## {title}\n" in md, f"--extras must add the {title} section"
    necessity = md.split("## Control-necessity matrix")[1].split("\n## ")[0]
    assert "| `ra-tls off` | cdn ✅ 22 steps [1/1/1/2/any] |" in necessity, \
        "switching ra-tls off breaks properties under cdn"
    assert "The hardened baseline is derived over cdn" in md, "the derivation is shown with its candidates"


def test_real_honest_session_is_the_models_honest_run(real_bundle):
    path = honest_run(symbolic_model(scenario("none")))
    md = (real_bundle / "index.md").read_text()
    honest = md.split("## The honest session")[1].split("```mermaid")[1].split("```")[0]
    arrows = [ln for ln in honest.splitlines() if "->>" in ln]
    assert len(arrows) == len(path) - 1, "one arrow per delivery of the honest run (the invoke is a note)"


def test_report_rejects_bad_names(tmp_path, capsys):
    assert main(["report", "--threat", "nsa", "--output", str(tmp_path)]) == 2
    assert "network" in capsys.readouterr().err, "the error must list the valid actors"
    assert not any(tmp_path.iterdir()), "bad input changes nothing"


def _chromium():
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.mark.skipif(_chromium() is None and not IN_CI,
                    reason="chromium not installed (Debian package `chromium`); under CI=true this fails instead")
def test_html_renders_in_headless_chromium(real_bundle, tmp_path):
    assert _chromium(), "CI=true but Chromium is missing: .ci/run installs it (Debian package `chromium`)"
    page = (real_bundle / "index.html").resolve().as_uri()
    # no background networking: this machine's network is closed, and a report must open offline
    flags = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page], capture_output=True, text=True, timeout=180).stdout
    assert dom.count("<svg") >= 3, "the diagrams (system, honest session, attack) must be in the rendered DOM"
    assert len(re.findall(r"<td class=\"(?:proved|proved-any|violated|inconclusive|bounded)\"", dom)) == 19, \
        "the matrix must render one coloured cell per property"
    assert "<h2 id=\"matrix\">" in dom and "<table>" in dom
    shot = tmp_path / "report.png"
    subprocess.run(flags + ["--hide-scrollbars", f"--screenshot={shot}", "--window-size=1280,2400", page],
                   capture_output=True, timeout=180)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, "the screenshot is empty"


def test_mutation_section_renders_the_necessity_matrix():
    """The section of a hand-built report (no checks run): cells with their coverage, reasons as data."""
    from ppverify.proofs.analyses.expected import Reason
    from ppverify.proofs.render.extras import mutation_section
    mut, _ = _reports()
    title, md, html = astuple(mutation_section(mut, {"log-filtering": Reason("modelling-gap", "logs are not modelled")}))
    assert title == "Control-necessity matrix: the published baseline (no change)"
    assert "| `third-party-key-config off` | cdn ✅ 4 steps [1/1/1/2/any] |" in md
    assert "`request-secrecy`" not in md.split("| mutation |")[1].split("\n")[0], \
        "columns only for properties some mutation breaks"
    assert "under cdn:\n\n- `log-filtering off` (modelling-gap): logs are not modelled" in md
    assert "<td class='stops'>cdn ✔ 4 steps [1/1/1/2/any]</td>" in html


def test_lattice_section_renders_weakest_and_strongest_coalitions():
    from ppverify.proofs.render.extras import lattice_section
    cdn, relay = frozenset({"cdn"}), frozenset({"relay"})
    rep = types.SimpleNamespace(
        actors=("relay", "cdn"), properties=("key-consistency", "request-secrecy"), max_states=4000,
        explored=3, saved=1, seconds=2.0, breaches=[], name=lambda c: "+".join(sorted(c)) or "none",
        minimal_breaking=lambda p: [cdn] if p == "key-consistency" else [],
        maximal_holding=lambda p: [(relay, True)] if p == "key-consistency" else [(relay | cdn, False)],
        inconclusive=lambda: [], why_inconclusive=lambda p: {}, gave_up_first=lambda: [])
    title, md, html = astuple(lattice_section(rep))
    assert title == "Threat lattice"
    assert "| `key-consistency` | cdn | relay | 0 |" in md
    assert "| `request-secrecy` | none | cdn+relay (bounded) | 0 |" in md, "bounded proofs must say so"
    assert "<td class=violated>cdn</td>" in html


def test_system_svg_without_graphviz_draws_every_party_and_channel(monkeypatch):
    from ppverify.proofs.render import svg
    monkeypatch.setattr(svg.shutil, "which", lambda name: None)
    out, how = svg.system_svg(fx.SYSTEM)
    assert how == "built-in layout"
    for party, _ in fx.SYSTEM.parties:
        assert f">{party}</text>" in out, f"{party} missing from the system diagram"
    edges = out.count("<path class='edge'")
    assert edges == len(fx.SYSTEM.channels) + len(fx.SYSTEM.tunnels), "one line per channel and tunnel"
    assert "Third parties: trusted not to" in out
    import xml.dom.minidom
    xml.dom.minidom.parseString(out)  # well-formed: no duplicate attributes, everything escaped


def test_bundle_says_when_the_honest_session_does_not_complete():
    b = report.Bundle(**{**fx.bundle().__dict__, "honest": ()})
    assert "does not complete" in bundle_markdown(b) and "sequenceDiagram\n```" not in bundle_markdown(b)
    assert "does not complete" in bundle_html(b)


def _path_points(d: str) -> list:
    """The polyline of SVG path data made of M, L and C commands (curves sampled)."""
    tokens = re.findall(r"[MLC]|-?[\d.]+", d)
    pts, i, cmd = [], 0, None
    while i < len(tokens):
        if tokens[i] in "MLC":
            cmd, i = tokens[i], i + 1
            continue
        if cmd in "ML":
            pts.append((float(tokens[i]), float(tokens[i + 1])))
            i += 2
        else:
            (x1, y1), (x2, y2), (x3, y3) = [(float(tokens[i + k]), float(tokens[i + k + 1])) for k in (0, 2, 4)]
            x0, y0 = pts[-1]
            for n in range(1, 41):
                t = n / 40
                a, b, c, e = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3
                pts.append((a * x0 + b * x1 + c * x2 + e * x3, a * y0 + b * y1 + c * y2 + e * y3))
            i += 6
    return pts


def _crosses(p, q, box, steps=200) -> bool:
    """Does the segment p-q pass through the box? (sampled densely; independent of the layout's own test)"""
    x0, y0, x1, y1 = box
    return any(x0 < p[0] + (q[0] - p[0]) * k / steps < x1 and y0 < p[1] + (q[1] - p[1]) * k / steps < y1
               for k in range(steps + 1))


def _real_system():
    model = symbolic_model(scenario("none"))
    return report.system_view(model, [action_to_json(a) for a in honest_run(model)])


@pytest.mark.parametrize("which", ["fixture", "published design"])
def test_system_diagram_text_is_readable_and_never_crossed_by_a_line(which):
    from ppverify.proofs.render.system_layout import system_svg_own
    view = fx.SYSTEM if which == "fixture" else _real_system()
    out = system_svg_own(view)
    sizes = [float(x) for x in re.findall(r"<text [^>]*font-size='([\d.]+)'", out)]
    assert len(sizes) == out.count("<text ") and min(sizes) >= 13, "text at 13 px or more"
    assert "max-width" not in out.split(">", 1)[0], "the diagram must not be shrunk below its size"
    labels = [tuple(float(v) for v in m) for m in re.findall(
        r"<rect class='label' x='([-\d.]+)' y='([-\d.]+)' width='([\d.]+)' height='([\d.]+)'", out)]
    labels = [(x, y, x + w, y + h) for x, y, w, h in labels]
    nodes = [tuple(float(v) for v in m) for m in re.findall(
        r"<rect class='node' x='([-\d.]+)' y='([-\d.]+)' width='([\d.]+)' height='([\d.]+)'", out)]
    nodes = [(x + 2, y + 2, x + w - 2, y + h - 2) for x, y, w, h in nodes]   # lines end on a node's border
    assert len(labels) == len(view.channels) + len(view.tunnels) + len({b for _, r in view.parties
                                                                          for b in [report.boundary_of(r)] if b})
    for d in re.findall(r"<path class='edge' d='([^']+)'", out):
        pts = _path_points(d)
        for p, q in zip(pts, pts[1:]):
            for box in labels + nodes:
                assert not _crosses(p, q, box), f"a line crosses the text or party at {box}"
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), "labels overlap"


def test_graphviz_source_asks_for_readable_text():
    from ppverify.proofs.render.dot import system_dot
    src = system_dot(fx.SYSTEM)
    assert "fontsize=14" in src and "fontsize=9" not in src and "fontsize=10" not in src


def test_trace_sequence_as_dot():
    from ppverify.proofs.render.formats import SEQUENCE
    seq = trace_sequence(fx.TRACE, fx.ROLES)
    dot = SEQUENCE["dot"].render(seq)
    assert dot.startswith("digraph sequence {") and dot.endswith("}")
    assert '"adversary" -> "client1" [label="4. config as cdn", style=dashed' in dot, "an injection is dashed"
    assert '"client1" -> "acs" [label="2. get-issuer-key"];' in dot
    assert dot.count("shape=note") == sum(1 for it in seq.items if type(it).__name__ == "Note")
    assert 'label="key-consistency violated: client1 uses keys pk(adv.hpke)' in dot
    assert dot.count("{") == dot.count("}"), "balanced braces"
    assert set(SEQUENCE) == {"mermaid", "dot", "svg"} and SEQUENCE["mermaid"].render(seq).startswith("sequenceDiagram")
