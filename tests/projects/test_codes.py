import datetime as dt
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ggzy.projects import codes

VECTORS = json.loads(
    (Path(__file__).parents[1] / "registry" / "data" / "sm-id-vectors.json").read_text()
)


def test_published_unified_deal_code_validates():
    for code in VECTORS["unified_deal_code_valid"]:
        assert codes.unified_deal_code_check_ok(code)


def test_generated_deal_codes_validate_and_detect_substitution():
    code = codes.unified_deal_code("A01", "91620402MA00000000"[:18], dt.date(2026, 11, 27), 42)
    assert len(code) == 40
    assert codes.unified_deal_code_check_ok(code)
    assert not codes.unified_deal_code_check_ok(code[:-1] + ("0" if code[-1] != "0" else "1"))


def test_code_hierarchy_lengths():
    p = codes.project_code("620402", dt.date(2026, 11, 27), 7)
    assert p == "E6204022611270007"
    tp = codes.tender_project_code(p, 1)
    s = codes.section_code(tp, 2)
    assert (len(p), len(tp), len(s)) == (17, 20, 23)
    assert codes.is_project_code(p)
    assert codes.is_tender_project_code(tp)
    assert codes.is_section_code(s)
    assert codes.is_project_code("e3100000151008459")  # a real Shanghai project code


@given(
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=18, max_size=18),
    st.dates(min_value=dt.date(1990, 1, 1)),
    st.integers(0, 999999),
    st.sampled_from(["A01", "A08", "D01", "B01"]),
)
def test_any_generated_deal_code_checks(uscc, day, seq, klass):
    assert codes.unified_deal_code_check_ok(codes.unified_deal_code(klass, uscc, day, seq))
