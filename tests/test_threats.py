"""Threat-model names: `+` in any order prints in catalogue order; anything
malformed is an error naming the valid actors, never a smaller model."""
import pytest

from ppverify.models.threats import ThreatModel, UnknownName
from ppverify.proofs.cli.main import main
from ppverify.protocol.controls import ACTORS


def test_any_order_prints_in_catalogue_order():
    assert ThreatModel.parse("relay+meta-insider", ACTORS).name == "meta-insider+relay"
    assert ThreatModel.parse("none", ACTORS).actors == frozenset()


@pytest.mark.parametrize("text", ["", " ", "network+", "+network", "network++relay", "networks"])
def test_malformed_threat_models_are_errors(text):
    with pytest.raises(UnknownName) as err:
        ThreatModel.parse(text, ACTORS)
    assert "valid choices: network" in str(err.value), "the message must list the actors"


@pytest.mark.parametrize("text", ["", "network+"])
def test_the_cli_rejects_them_before_any_work(text, capsys):
    assert main(["check", "--quiet", "--threat", text]) == 2
    assert "empty actor name" in capsys.readouterr().err
