"""This repository's pytest configuration: the pinned verdicts of the manifest
as test items (`tests/pinned.py`). Nothing here is installed, so ppverify
adds nothing to other projects' pytest runs; their CI uses
`ppverify check --expect`."""

pytest_plugins = ["tests.pinned"]
