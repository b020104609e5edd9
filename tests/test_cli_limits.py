"""Limits and output paths are checked before any work: a bound below its
minimum or an unwritable path is a usage error (exit 2) with a message, never
a traceback after minutes of search."""
from pathlib import Path

import pytest

from ppverify.proofs.cli.main import main


@pytest.mark.parametrize("args", [
    ["--max-states", "0"], ["--max-states", "-5"], ["--max-moves", "-1"], ["--clients", "0"],
    ["--sessions", "0"], ["--cvms", "0"], ["--jobs", "0"], ["--engine", "smt", "--bound", "0"],
    ["--max-states", "many"],
])
def test_bounds_below_their_minimum_are_usage_errors(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["check", "--quiet", "--threat", "cdn", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert args[-2] in err and "at least" in err, err


def _unwritable(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    return blocker / "out"          # below a file: no user, root included, can write there


@pytest.mark.parametrize("command", [
    ["check", "--quiet", "--threat", "cdn", "--output", "{bad}.json"],
    ["check", "--quiet", "--threat", "cdn", "--expect", "{bad}.json", "--update-manifest"],
    ["mutate", "--quiet", "--threat", "cdn", "--output", "{bad}.txt"],
    ["lattice", "--quiet", "--actor", "cdn", "--output", "{bad}.txt"],
    ["export", "--threat", "cdn", "--output", "{bad}"],
    ["report", "--quiet", "--threat", "cdn", "--output", "{bad}"],
])
def test_unwritable_outputs_fail_before_any_work(command, tmp_path, capsys):
    bad = _unwritable(tmp_path)
    argv = [a.replace("{bad}", str(bad)) for a in command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err, err
    assert "states" not in err, "the error must come before the search starts"


def test_an_output_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["check", "--quiet", "--threat", "cdn", "--output", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_lattice_writes_its_report_where_asked(tmp_path, capsys):
    out = tmp_path / "lattice.json"
    assert main(["lattice", "--quiet", "--actor", "ledger", "--property", "user-consent", "--format", "json",
                 "--output", str(out)]) == 0
    assert '"user-consent"' in out.read_text() and capsys.readouterr().out == ""
