"""Writing the design-review bundle: index.md and index.html (the `BUNDLE`
formats), results.json, and every attack's trace as JSON under traces/ so a
reviewer can `ppverify replay` it."""
from __future__ import annotations

import json as jsonlib
import os

from ppverify.proofs.analyses.report import Bundle
from ppverify.proofs.render.formats import BUNDLE
from ppverify.proofs.render.json import results_json
from ppverify.proofs.render.queries import trace_file

FILES = {"markdown": "index.md", "html": "index.html"}


def write_bundle(bundle: Bundle, out_dir: str) -> list[str]:
    """Write the bundle's files under `out_dir`; returns their paths."""
    os.makedirs(os.path.join(out_dir, "traces"), exist_ok=True)
    files = {FILES[name]: f.render(bundle) for name, f in BUNDLE.items()}
    files["results.json"] = results_json(list(bundle.results))
    for t in bundle.attacks():
        files[trace_file(t)] = jsonlib.dumps(t.to_json(), indent=2)
    written = []
    for name, text in files.items():
        path = os.path.join(out_dir, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        written.append(path)
    return written
