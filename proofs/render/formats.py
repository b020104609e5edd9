"""The registry of output formats, per subject: the CLI's `--format` choices
come from here. Adding a format is a module with a `FORMAT` and a line here."""
from __future__ import annotations

from ppverify.proofs.analyses.report import Bundle
from ppverify.proofs.render import dot, html, json, junit, markdown, mermaid, sarif, svg, text
from ppverify.proofs.render.base import Checked, Format
from ppverify.proofs.render.diagrams import Sequence


def _by_name(*formats):
    return {f.name: f for f in formats}


CHECK: dict[str, Format[Checked]] = _by_name(text.FORMAT, json.FORMAT, junit.FORMAT, sarif.FORMAT,
                                              markdown.CHECK_FORMAT)
SEQUENCE: dict[str, Format[Sequence]] = _by_name(mermaid.FORMAT, dot.FORMAT, svg.FORMAT)
BUNDLE: dict[str, Format[Bundle]] = _by_name(markdown.FORMAT, html.FORMAT)


def help_text(formats: dict) -> str:
    return "; ".join(f"{name}: {f.help}" for name, f in formats.items())
