"""The bundle as one self-contained HTML page: inline CSS, diagrams as inline
SVG (`proofs.svg`), no JavaScript, no external resources, so it opens offline."""
from __future__ import annotations

import re
from html import escape

from typing import Optional, Sequence

from ppverify.proofs.analyses.report import CHANNEL_CLASSES, Bundle
from ppverify.proofs.core.verdicts import Kind, Standing, standing
from ppverify.proofs.properties.catalogue import BY_NAME
from ppverify.proofs.render import extras
from ppverify.proofs.render.base import (COVERAGE_MEANING, MEANING, Renderer, coverage_keys, coverage_text,
                                         strength_word)
from ppverify.proofs.render.diagrams import sequence_from_actions, trace_sequence
from ppverify.proofs.render.fixes import summary_html
from ppverify.proofs.render.markdown import HONEST_MISSING, scenario_line
from ppverify.proofs.render.queries import (attack_numbers, cell, counts, guarantees, step_parts, threat_rows,
                                            trace_file)
from ppverify.proofs.render.queries import assumptions as shipped
from ppverify.proofs.render.svg import sequence_svg, system_svg

CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#263238;max-width:1200px;margin:0 auto;padding:24px;line-height:1.45}
h1{font-size:26px;margin-bottom:4px} h2{border-bottom:2px solid #cfd8dc;padding-bottom:4px;margin-top:36px}
code{background:#eceff1;padding:1px 4px;border-radius:3px;font-size:90%}
table{border-collapse:collapse;margin:12px 0;font-size:14px}
th,td{border:1px solid #cfd8dc;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#eceff1} .proved{background:#e8f5e9;color:#1b5e20}
.proved-any{background:#a5d6a7;color:#1b5e20;font-weight:bold}
.violated{background:#ffcdd2;color:#b71c1c;font-weight:bold} .inconclusive{background:#fff3e0;color:#e65100}
.bounded{background:#fff8e1;color:#8d6e00} ul.legend span{padding:1px 6px;border-radius:3px}
td.proved,td.proved-any,td.violated,td.inconclusive,td.bounded{text-align:center} td.stops{background:#e3f2fd;color:#0d47a1}
.diagram{overflow-x:auto;border:1px solid #eceff1;padding:8px;margin:12px 0;background:#fff}
.diagram svg{max-width:100%;height:auto} .diagram.wide svg{max-width:none}
.attack{border-left:4px solid #c62828;padding-left:16px;margin:28px 0}
ol.steps li{margin:3px 0} .learned{color:#c62828} .injected{color:#c62828;font-weight:bold}
.legend span{display:inline-block;margin-right:18px} .muted{color:#607d8b} nav a{margin-right:14px}
"""
SYMBOL = {Standing.EVERY_SIZE: "✔✔ proved, every size", Standing.SCENARIO: "✔ proved, this scenario",
          Standing.DEPTH_BOUNDED: "⚠ no attack within {depth} steps", Standing.OPEN: "? inconclusive",
          Standing.VIOLATED: "✘ violated"}
CLASS = {Standing.EVERY_SIZE: "proved-any", Standing.SCENARIO: "proved", Standing.DEPTH_BOUNDED: "bounded",
         Standing.OPEN: "inconclusive", Standing.VIOLATED: "violated"}


def _inline(md: str) -> str:
    """The Markdown the bundle's prose uses: `code`, **bold**, [text](url)."""
    s = escape(md, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', s)


def _blocks(md: str) -> str:
    """Paragraphs and bullet lists (continuation lines indented)."""
    out, items, para = [], [], []
    for line in md.splitlines() + [""]:
        if line.startswith("- "):
            if para:
                out.append(f"<p>{_inline(' '.join(para))}</p>")
                para = []
            items.append(line[2:].strip())
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        elif line.strip():
            para.append(line.strip())
        else:
            if items:
                out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
                items = []
            if para:
                out.append(f"<p>{_inline(' '.join(para))}</p>")
                para = []
    return "\n".join(out)


def _table(head: list[str], rows: list[list[str]], cls: list[list[str]] | None = None,
           titles: list[list[str]] | None = None) -> str:
    """`cls`: a class per cell ("" none); `titles`: a tooltip per cell ("" none)."""
    h = "".join(f"<th>{c}</th>" for c in head)
    body = []
    for i, row in enumerate(rows):
        tds = "".join(_td(c, cls[i][j] if cls else "", titles[i][j] if titles else "") for j, c in enumerate(row))
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{h}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _td(content: str, cls: str, title: str) -> str:
    attrs = (f" class='{cls}'" if cls else "") + (f" title='{escape(title)}'" if title else "")
    return f"<td{attrs}>{content}</td>"


def _checked(bundle: Bundle) -> str:
    i, n = bundle.info, counts(bundle)
    facts = [("Command", f"<code>{escape(i.command)}</code>"), ("Scenario", _inline(scenario_line(i.scenario))),
             ("Threat models", ", ".join(f"<code>{escape(t)}</code>" for t in i.threats)),
             ("Properties", f"{len(i.properties)} (SPEC section 6)"),
             ("Engines", ", ".join(f"<code>{escape(e)}</code>" for e in i.engines)
              + f"; state limit {i.max_states:,} per threat model, at most {i.max_moves} adversary "
                "injections per path"),
             ("Tools", escape(", ".join(f"{k} {v}" for k, v in i.tools))),
             ("Run", f"started {escape(i.started)}, {i.seconds:.1f} s; {n[Kind.PROVED]} proved, "
                     f"{n[Kind.VIOLATED]} violated, {n[Kind.INCONCLUSIVE]} inconclusive")]
    rows = [[f"<code>{escape(r['threat'])}</code>", r["size"], f"{r['transitions'] or 0:,}",
             f"{r['seconds']:.1f}", "yes" if r["partner"] else "<strong>no</strong>", escape(r["search"])]
            for r in threat_rows(bundle)]
    return ("<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts) + "</table>"
            + _table(["threat model", "searched", "transitions", "seconds", "honest run reached", "search"], rows))


def matrix_html(bundle: Bundle) -> str:
    """Each cell's mark, class and coverage key; its tooltip: strength, engine, coverage."""
    nums, keys = attack_numbers(bundle), coverage_keys(bundle.results)
    rows, cls, titles = [], [], []
    for p in bundle.info.properties:
        row, c, tip = [f"<code>{escape(p)}</code>"], [""], [""]
        for t in bundle.info.threats:
            r = cell(bundle, p, t)
            if r is None:
                row.append("–")
                c.append("")
                tip.append("")
                continue
            v = r.verdict
            text = f"{strength_word(v, SYMBOL)} <sup>{keys[v.coverage]}</sup>"
            if (p, t) in nums:
                text = f"<a href='#attack-{nums[(p, t)]}'>{text} ({nums[(p, t)]})</a>"
            row.append(text)
            c.append(CLASS[standing(v)])
            tip.append(f"{standing(v).value} ({v.engine}); coverage: {coverage_text(v.coverage)}")
        rows.append(row)
        cls.append(c)
        titles.append(tip)
    return _table(["property"] + [f"<code>{escape(t)}</code>" for t in bundle.info.threats], rows, cls, titles)


def legend_html(bundle: Bundle) -> str:
    """Each strength's mark (in its cell colour) and meaning; each coverage key."""
    marks = "".join(f"<li><span class='{CLASS[s]}'>{escape(SYMBOL[s].format(depth='N'))}</span>: "
                    f"{escape(MEANING[s])}</li>" for s in Standing)
    return (f"<ul class='legend'>{marks}</ul><p>Coverage of each cell (its <sup>key</sup>; hover a cell for it): "
            f"{escape(COVERAGE_MEANING)}.</p><ul class='coverage'>"
            + "".join(f"<li><sup>{k}</sup> {escape(coverage_text(c))}</li>"
                      for c, k in coverage_keys(bundle.results).items()) + "</ul>")


def _step(step) -> str:
    p = step_parts(step)
    if p["invoke"]:
        return f"<li><strong>{escape(p['actor'])}</strong>: {escape(p['what'])}</li>"
    pick = f" (picks <code>{escape(p['choice'])}</code>)" if p["choice"] else ""
    who = (f"<span class='injected'>adversary, posing as {escape(p['src'])},</span>" if p["injected"]
           else f"<strong>{escape(p['src'])}</strong>")
    out = (f"<li>{who} → <strong>{escape(p['dst'])}</strong>: <code>{escape(p['kind'])}</code>{pick}, "
           f"carrying <code>{escape(p['payload'])}</code>")
    if p["learned"]:
        out += ("<br><span class='learned'>the adversary now knows "
                + ", ".join(f"<code>{escape(x)}</code>" for x in p["learned"]) + "</span>")
    return out + "</li>"


def attack_html(i: int, trace, bundle: Bundle) -> str:
    prop = BY_NAME.get(trace.property)
    replay = bundle.replays.get((trace.property, trace.threat))
    label = f"attack {i}: {trace.property} under {trace.threat}"
    out = [f"<section class='attack' id='attack-{i}'>",
           f"<h3>Attack {i}: <code>{escape(trace.property)}</code> under <code>{escape(trace.threat)}</code></h3>",
           f"<p><strong>Property</strong>: {escape(prop.statement) if prop else ''}.<br>"
           f"<strong>Scenario</strong>: {_inline(scenario_line(trace.scenario))}.</p>",
           "<ol class='steps'>" + "".join(_step(s) for s in trace.steps) + "</ol>",
           f"<p><strong>Outcome:</strong> {escape(trace.explanation)}.</p>",
           f"<div class='diagram'>{sequence_svg(trace_sequence(trace, bundle.roles), label)}</div>"]
    if replay is not None:
        f = escape(trace_file(trace))
        out.append(f"<p><strong>Replay evidence:</strong> re-run on the symbolic model before this report "
                   f"was written; the last step violates the property again ({escape(replay)}). Saved as "
                   f"<a href='{f}'><code>{f}</code></a>; re-run it with <code>ppverify replay {f}</code>.</p>")
    return "\n".join(out + ["</section>"])


def bundle_html(bundle: Bundle, assumptions: Optional[Sequence[tuple[str, str]]] = None) -> str:
    """`assumptions`: (title, Markdown) sections; by default the shipped ones."""
    attacks = bundle.attacks()
    more, lead = extras.sections(bundle), extras.necessity_sections(bundle)
    system, how = system_svg(bundle.system)
    honest = sequence_svg(sequence_from_actions(bundle.honest, bundle.roles), "the honest session")
    yes, no = guarantees(bundle)
    nav = (["findings"] if bundle.remediation is not None else []) + [f"lead-{k}" for k in range(len(lead))] + [
        "checked", "system", "honest", "matrix"] + [f"extra-{k}" for k in range(len(more))] + ["attacks", "limits"]
    titles = {"findings": "Findings", "checked": "What was checked", "system": "System",
              "honest": "Honest session", "matrix": "Matrix", "attacks": f"Attacks ({len(attacks)})",
              "limits": "Guarantees and limits"}
    titles.update({f"extra-{k}": e.title for k, e in enumerate(more)})
    titles.update({f"lead-{k}": e.title.split(": ")[-1] for k, e in enumerate(lead)})
    out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
           "<title>ppverify design review: WhatsApp Private Processing</title>", f"<style>{CSS}</style>",
           "</head><body>", "<h1>ppverify design review: WhatsApp Private Processing</h1>",
           "<p class='muted'>Generated from one run of the checks. Self-contained: no scripts, no "
           "external resources.</p>",
           "<nav>" + "".join(f"<a href='#{k}'>{escape(titles[k])}</a>" for k in nav) + "</nav>"]
    if bundle.remediation is not None:
        out += ["<h2 id='findings'>Findings and their fixes</h2>", summary_html(bundle.remediation, _inline)]
    for k, extra in enumerate(lead):
        out += [f"<h2 id='lead-{k}'>{escape(extra.title)}</h2>", extra.html]
    if extras.skipped(bundle):
        out.append(f"<p class='muted'>{escape(' and '.join(extras.skipped(bundle)))}: not run for this bundle; "
                   "<code>ppverify report --extras</code> adds them (several minutes).</p>")
    out += ["<h2 id='checked'>What was checked</h2>", _checked(bundle),
           "<h2 id='system'>System</h2>",
           "<p>Parties and trust boundaries (SPEC section 2); the channels are the links the honest session "
           f"uses, classified by the model's visibility rules. Drawn with {escape(how)}.</p>",
           "<ul>" + "".join(f"<li><strong>{k}</strong>: {_inline(v)}</li>" for k, v in CHANNEL_CLASSES.items())
           + "</ul>", f"<div class='diagram wide'>{system}</div>",
           "<h2 id='honest'>The honest session</h2>",
           (f"<p>Derived from the model's honest run ({len(bundle.honest)} steps, no adversary): the "
            f"reachability partner a proof depends on (each proof's own search completed such a session).</p><div class='diagram'>{honest}</div>"
            if bundle.honest else f"<p><strong>{escape(HONEST_MISSING)}</strong></p>"),
           "<h2 id='matrix'>Property × threat-model matrix</h2>", matrix_html(bundle), legend_html(bundle)]
    for k, extra in enumerate(more):
        out += [f"<h2 id='extra-{k}'>{escape(extra.title)}</h2>", extra.html]
    out.append("<h2 id='attacks'>Attacks</h2>")
    out += [attack_html(i, t, bundle) for i, t in enumerate(attacks, 1)] or [
        "<p>No property was violated in this run.</p>"]
    out += ["<h2 id='limits'>Guarantees and limits of this run</h2>", "<p>What is guaranteed:</p>",
            "<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in yes) + "</ul>", "<p>What is not:</p>",
            "<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in no) + "</ul>"]
    for title, body in shipped() if assumptions is None else assumptions:
        out += [f"<h3>{escape(title)}</h3>", _blocks(body)]
    return "\n".join(out + ["</body></html>"])


FORMAT: Renderer[Bundle] = Renderer("html", "the design review as one self-contained page", bundle_html)
