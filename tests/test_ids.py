"""Record ids read from requests (milia_clinic.ids): any text is either an id or no id."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from milia_clinic.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (12, 12),
        ("0", 0),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 4300, None),  # Python refuses to read an integer of thousands of digits
        ("²", None),  # a digit to str.isdigit, not to int()
        ("١٢", None),  # Arabic-Indic digits: int() reads them, no URL of ours writes them
        ("", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("1_000", None),
    ],
)
def test_parse_id_reads_ascii_digits_a_table_can_hold(text, expected):
    assert parse_id(text) == expected


@given(st.text())
def test_parse_id_never_raises_and_gives_an_id_a_table_can_hold(text):
    found = parse_id(text)

    assert found is None or (text.isascii() and text.isdigit() and int(text) == found <= MAX_ID)


@pytest.mark.parametrize("patient", ["²", str(MAX_ID + 1), "9" * 30])
def test_audit_report_refuses_a_patient_filter_no_table_holds(client, clinic_admin, patient):
    client.force_login(clinic_admin)

    response = client.get("/audit/", {"patient": patient})

    assert response.status_code == 400
