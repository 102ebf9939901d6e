"""``GGZY_*`` environment parsers: good values parse, bad ones fail at start-up with the name."""

from __future__ import annotations

import pytest

from ggzy.core.env import ConfigError, env_codes


def test_codes_parse_key_value_pairs(monkeypatch):
    monkeypatch.setenv("GGZY_OPENDATA_CODES", " ROLE_TENDERER=01 , PURCHASE_MODE_OPEN = 1,")
    assert env_codes("GGZY_OPENDATA_CODES") == {"ROLE_TENDERER": "01", "PURCHASE_MODE_OPEN": "1"}


def test_codes_unset_or_blank_is_empty(monkeypatch):
    monkeypatch.delenv("GGZY_OPENDATA_CODES", raising=False)
    assert env_codes("GGZY_OPENDATA_CODES") == {}
    monkeypatch.setenv("GGZY_OPENDATA_CODES", "  ")
    assert env_codes("GGZY_OPENDATA_CODES") == {}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("ROLE_TENDERER", "not KEY=value"),
        ("ROLE_TENDERER=", "not KEY=value"),
        ("=01", "not KEY=value"),
        ("role_tenderer=01", "not KEY=value"),
        ("ROLE-TENDERER=01", "not KEY=value"),
        ("ROLE_TENDERER=01,ROLE_TENDERER=02", "given twice"),
    ],
)
def test_bad_codes_are_refused_with_the_variable_name(monkeypatch, raw, why):
    monkeypatch.setenv("GGZY_OPENDATA_CODES", raw)
    with pytest.raises(ConfigError, match=f"GGZY_OPENDATA_CODES.*{why}"):
        env_codes("GGZY_OPENDATA_CODES")
