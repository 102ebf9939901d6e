import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.registry import identifiers as ids

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "sm-id-vectors.json").read_text(encoding="utf-8")
)


def test_uscc_weights_match_published_table() -> None:
    assert list(ids.USCC_WEIGHTS) == VECTORS["uscc_weights"]
    assert VECTORS["uscc_alphabet"] == ids.USCC_ALPHABET


@pytest.mark.parametrize("code", VECTORS["uscc_valid"])
def test_published_uscc_vectors_are_valid(code: str) -> None:
    assert ids.is_valid_uscc(code)


def test_n_prefixed_rural_collective_code_is_valid() -> None:
    # DOMAIN.md §2.2: python-stdnum rejects this; the platform must accept it.
    assert ids.is_valid_uscc("N2330106MA2A0B1C2G")


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341M",  # wrong check character
        "91110000600037341",  # too short
        "91110000600037341LL",  # too long
        "9111000060003734IL",  # I is not in the alphabet
        "",
    ],
)
def test_bad_uscc_rejected(code: str) -> None:
    assert not ids.is_valid_uscc(code)


def test_lower_case_is_normalised() -> None:
    assert ids.is_valid_uscc("91110000600037341l")


def test_embedded_org_code_check() -> None:
    body, check = VECTORS["org_code_valid"][0].split("-")
    assert ids.org_code_check_char(body) == check


@pytest.mark.parametrize("number", VECTORS["citizen_id_valid"])
def test_published_citizen_ids_are_valid(number: str) -> None:
    assert ids.is_valid_citizen_id(number)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check
        "11010519491332002X",  # month 13
        "01010519491231002X",  # region cannot start with 0
        "11010518991231002X",  # before 1900 (check recomputed below would still fail date)
        "1101051949123100",
    ],
)
def test_bad_citizen_ids_rejected(number: str) -> None:
    assert not ids.is_valid_citizen_id(number)


def test_future_birth_date_rejected() -> None:
    body = "11010520991231002"
    number = body + ids.citizen_id_check_char(body)
    assert not ids.is_valid_citizen_id(number, today=dt.date(2026, 11, 27))
    assert ids.is_valid_citizen_id(number)


def test_mask_keeps_region_and_last_four() -> None:
    assert ids.mask_citizen_id("11010519491231002X") == "110105********002X"


_uscc_body = st.text(alphabet=ids.USCC_ALPHABET, min_size=17, max_size=17)


@given(_uscc_body)
def test_generated_uscc_always_validates(body: str) -> None:
    assert ids.is_valid_uscc(ids.make_uscc(body))


@given(_uscc_body, st.integers(min_value=0, max_value=17), st.sampled_from(ids.USCC_ALPHABET))
def test_any_single_substitution_is_detected(body: str, pos: int, char: str) -> None:
    code = ids.make_uscc(body)
    changed = code[:pos] + char + code[pos + 1 :]
    # MOD 31 with weights coprime to 31 detects every single-character substitution.
    assert ids.is_valid_uscc(changed) == (changed == code)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)), st.integers(0, 999))
def test_generated_citizen_id_validates(born: dt.date, seq: int) -> None:
    body = f"620402{born:%Y%m%d}{seq:03d}"
    number = body + ids.citizen_id_check_char(body)
    assert ids.is_valid_citizen_id(number)
    assert ids.citizen_id_birth_date(number) == born
