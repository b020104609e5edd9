"""The first ten minutes with the command line: --version, every command's
help (a description, the defaults, names never broken at a hyphen), and
progress that uses carriage returns only on a terminal."""
import io
import re
from importlib import metadata

import pytest

from ppverify.proofs.cli.common import Progress
from ppverify.proofs.cli.main import main, parser
from ppverify.proofs.render.formats import CHECK
from ppverify.protocol.controls import CONTROLS

COMMANDS = ("check", "simulate", "export", "replay", "mutate", "lattice", "explain", "report")


def _help(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"ppverify {metadata.version('ppverify')}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_description_and_shows_defaults(capsys, command):
    text = _help(capsys, command)
    usage, description = text.split("\n\n")[:2]
    assert len(description.split()) > 15, f"{command} --help needs a description, not only its one-liner"
    assert "(default: " in text, f"{command} --help shows no default"


def test_defaults_shown_where_they_matter(capsys):
    text = re.sub(r"\s+", " ", _help(capsys, "check"))
    assert "explorer state limit per threat model (default: 20000)" in text
    assert "(default: auto)" in text and "(default: text)" in text
    assert "(default: [])" not in text and "(default: False)" not in text, "empty defaults say nothing"


@pytest.mark.parametrize("command", COMMANDS)
def test_no_name_is_broken_at_a_hyphen(capsys, command):
    text = _help(capsys, command)
    assert not re.search(r"[a-z]-\n", text), f"{command} --help breaks a hyphenated name across lines"
    if command in ("check", "export", "simulate", "explain", "report"):
        flat = re.sub(r"\s+", " ", text)
        for c in CONTROLS:
            assert c in flat, f"{c} missing from {command} --help"


def test_format_choices_come_from_the_registry():
    check = next(a for a in parser()._subparsers._group_actions[0].choices["check"]._actions
                 if a.dest == "format")
    assert tuple(check.choices) == tuple(CHECK) == ("text", "json", "junit", "sarif", "markdown")


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_off_a_terminal_writes_whole_lines_only():
    out = _Stream(tty=False)
    show = Progress(stream=out, interval=0)
    show.say("[1/2] checking under cdn (auto) ...")
    for n in range(5):
        show.status(f"  cdn: {n} states, 1 queued")
    show.clear()
    show.say("done: cdn")
    text = out.getvalue()
    assert "\r" not in text, "no carriage returns in logs"
    assert text.splitlines()[0] == "[1/2] checking under cdn (auto) ..." and text.endswith("done: cdn\n")


def test_progress_off_a_terminal_is_throttled():
    clock = iter([0.0, 1.0, 2.0, 6.0]).__next__
    out = _Stream(tty=False)
    show = Progress(stream=out, interval=5.0, clock=clock)
    for n in range(4):
        show.status(f"{n} states")
    assert out.getvalue() == "0 states\n3 states\n"


def test_progress_on_a_terminal_rewrites_its_line():
    out = _Stream(tty=True)
    show = Progress(stream=out)
    show.status("  cdn: 1 states, 1 queued")
    show.status("  cdn: 2 states, 0 queued")
    show.say("done")
    assert out.getvalue().startswith("\r  cdn: 1 states, 1 queued\r  cdn: 2 states, 0 queued\r")
    assert out.getvalue().endswith("\rdone\n")


def test_quiet_progress_writes_nothing():
    out = _Stream(tty=True)
    show = Progress(quiet=True, stream=out)
    show.status("x")
    show.say("y")
    show.clear()
    assert out.getvalue() == ""


def test_check_progress_in_a_log_has_no_carriage_return(capsys):
    assert main(["check", "--threat", "cdn", "--property", "request-secrecy"]) == 0
    err = capsys.readouterr().err   # pytest's capture is not a terminal
    assert "[1/1] checking under cdn (auto) ..." in err and "\r" not in err


def test_check_renders_markdown_that_github_reads(capsys):
    assert main(["check", "--quiet", "--threat", "cdn", "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "| `key-consistency` | ❌ **violated** <sup>c2</sup> |" in out, "the matrix is a GitHub table"
    assert "| `request-secrecy` | ✅ **proved, every size** <sup>c1</sup> |" in out
    assert "- <sup>c1</sup> clients any, sessions any, CVMs any, injections any, depth any" in out, "each cell's coverage"
    assert "- <sup>c2</sup> clients 1, sessions 1, CVMs 1, injections 2, depth any" in out
    assert "## `key-consistency` violated under `cdn`" in out and "\n1. " in out, "attacks as numbered steps"
