import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_rules_equivalence import oracle_to_dict, repeating_case_inputs
from tests.test_rules_properties import SETTINGS, case_inputs, json_values, thresholds
from treatments import api, rules

URL = "/api/v1/recommendations"

SMALL_CHEEK_CASE = {
    "patient": {"age_years": 34},
    "sites": [{"location": "cheek", "side": "left", "count": 1, "largest_mm": 1.0}],
}


def post_json(client, payload, **extra):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(URL, data=body, content_type="application/json", **extra)


@pytest.mark.django_db
def test_api_returns_the_rules_output_for_a_valid_case(dermatologist_client):
    response = post_json(dermatologist_client, SMALL_CHEEK_CASE)
    assert response.status_code == 200
    assert response.json() == rules.recommend(SMALL_CHEEK_CASE)
    assert response.json()["options"][0]["treatment"] == "extraction"


@pytest.mark.django_db
def test_api_names_every_bad_field(dermatologist_client):
    bad = {"patient": {"age_years": -1}, "sites": [{"location": "elbow", "count": 0}]}
    response = post_json(dermatologist_client, bad)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"patient.age_years", "sites[0].location", "sites[0].count"}
    assert errors["sites[0].count"] == ["must be a whole number of at least 1"]


@pytest.mark.django_db
def test_api_refuses_malformed_json_with_a_message(dermatologist_client):
    response = post_json(dermatologist_client, "{not json")
    assert response.status_code == 400
    assert response.json()["errors"][""][0].startswith("the body is not valid JSON")


def test_api_requires_login(client):
    response = post_json(client, SMALL_CHEEK_CASE)
    assert (response.status_code, response.json()) == (
        401,
        {"errors": {"": ["authentication required"]}},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_api_other_methods_are_not_allowed(dermatologist_client, method):
    response = getattr(dermatologist_client, method)(URL)
    assert response.status_code == 405


@pytest.mark.django_db
def test_api_enforces_csrf_for_browser_sessions(dermatologist):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(dermatologist)
    assert post_json(browser, SMALL_CHEEK_CASE).status_code == 403

    browser.get("/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = post_json(browser, SMALL_CHEEK_CASE, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


@pytest.mark.django_db
def test_api_uses_threshold_overrides_from_settings(dermatologist_client, settings):
    settings.MILIA_RULES_THRESHOLDS = {"FEW_MAX": 2}
    three_on_cheek = {"patient": {"age_years": 34}, "sites": [{"location": "cheek", "count": 3}]}
    response = post_json(dermatologist_client, three_on_cheek)
    output = response.json()
    assert output["rules_version"] != rules.RULES_BASE_VERSION
    extraction = next(o for o in output["options"] if o["treatment"] == "extraction")
    assert extraction["status"] == "consider"


REPEATING_CASE = {
    "patient": {"age_years": 47, "fitzpatrick": 4},
    "milia_type": "secondary",
    "sites": [
        {"location": "cheek", "side": "left", "count": 12},
        {"location": "eyelid", "side": "left", "count": 3},
        {"location": "cheek", "side": "right", "count": 11},
        {"location": "eyelid", "side": "right", "count": 4, "tried": [{"treatment": "extraction"}]},
    ],
}


@pytest.mark.django_db
def test_api_body_is_the_bytes_of_the_rules_output(dermatologist_client):
    response = post_json(dermatologist_client, REPEATING_CASE)

    assert response.status_code == 200
    assert response.content == orjson.dumps(rules.recommend(REPEATING_CASE))


@SETTINGS
@given(data=case_inputs | repeating_case_inputs, th=thresholds)
def test_api_encoding_each_tuple_of_options_once_gives_the_same_bytes(data, th):
    result = rules.evaluate(rules.CaseFacts.from_dict(data), th)

    assert orjson.dumps(result.to_dict(api._encoded)) == orjson.dumps(oracle_to_dict(result))


def test_api_site_options_encoded_for_one_case_serve_another_with_the_same_rule_hits():
    forehead = {"patient": {"age_years": 30}, "sites": [{"location": "forehead", "count": 2}]}
    cheeks = {
        "patient": {"age_years": 52},
        "sites": [{"location": "cheek", "side": "left", "count": 3}, {"location": "chin"}],
    }
    first = rules.evaluate(rules.CaseFacts.from_dict(forehead))
    second = rules.evaluate(rules.CaseFacts.from_dict(cheeks))

    assert second.sites[0].options is first.sites[0].options  # one pattern of rule hits
    assert orjson.dumps(first.to_dict(api._encoded)) == orjson.dumps(rules.recommend(forehead))
    assert orjson.dumps(second.to_dict(api._encoded)) == orjson.dumps(rules.recommend(cheeks))


def parsed(parse, body):
    """What a parser makes of a body: the value spelled out (types, order, the sign of zero),
    or the exception, its type and message."""
    try:
        return ("value", repr(parse(body)))
    except (ValueError, RecursionError) as error:
        return ("error", type(error).__name__, str(error))


json_texts = json_values.map(json.dumps) | json_values.map(
    lambda value: json.dumps(value, ensure_ascii=False)
)
number_texts = st.from_regex(r"\A-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,4})?\Z")
PARSER_EDGES = [
    b'{"a": 1, "b": 2, "a": 3}',
    b"18446744073709551616",
    b"-9223372036854775809",
    b"1e400",
    b"-1e-400",
    b"-0.0",
    b"NaN",
    b"\xef\xbb\xbf{}",
    b'"\\ud800"',
    b"[" * 5000 + b"]" * 5000,
    "{}".encode("utf-16"),
    b"",
    b"{not json",
]


@pytest.mark.parametrize("body", PARSER_EDGES)
def test_api_parse_reads_edge_bodies_as_json_loads_does(body):
    assert parsed(api._parse, body) == parsed(json.loads, body)


@SETTINGS
@given(
    body=st.one_of(
        json_texts.map(str.encode),
        number_texts.map(str.encode),
        st.lists(number_texts).map(lambda numbers: f"[{','.join(numbers)}]".encode()),
        st.binary(max_size=40),
        st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")),
    )
)
def test_api_parse_reads_any_body_as_json_loads_does(body):
    assert parsed(api._parse, body) == parsed(json.loads, body)
