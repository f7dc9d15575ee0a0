"""The CDS Hooks 2.0 service: discovery, order-select, order-sign, patient-view, feedback, tokens.

Every request and response here validates against the JSON Schemas of ``tests/cds_hooks_schema``
(written from the specification) and every FHIR resource in them parses with fhir.resources R4B.
"""

import json
import time
from datetime import date

import jsonschema
import pytest
from django.test import Client

from audit.models import AuditEvent
from tests import cds_hooks_schema as schema
from tests import ehr
from tests.factories import make_ehr_client, make_user
from treatments import cds_hooks, roles
from treatments.admin import EhrClientForm
from treatments.models import CdsCard, CdsFeedback, TreatmentCode, UsedToken

SELECT = "milia-order-select"
SIGN = "milia-order-sign"
VIEW = "milia-patient-view"


def call(client, service_id, body, *, token=None, raw=None):
    """POST a hook request as an EHR does, after checking it against the specification."""
    if raw is None:
        jsonschema.validate(body, schema.REQUEST)
        for resource in ehr.fhir_resources_in(body):
            ehr.assert_valid_r4b(resource)
    if token is None:
        token = ehr.mint_token(ehr.service_url(service_id))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(
        f"/cds-services/{service_id}",
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        **headers,
    )


def cards_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    answer = response.json()
    jsonschema.validate(answer, schema.RESPONSE)
    for resource in ehr.fhir_resources_in(answer):
        ehr.assert_valid_r4b(resource)
    return answer["cards"]


@pytest.fixture
def ehr_client(db):
    return make_ehr_client()


# --- Discovery -----------------------------------------------------------------------------


def test_discovery_lists_the_three_services_with_their_prefetch(client, db):
    response = client.get("/cds-services")

    assert response.status_code == 200
    answer = response.json()
    jsonschema.validate(answer, schema.DISCOVERY)
    assert [(s["id"], s["hook"]) for s in answer["services"]] == [
        (SELECT, "order-select"),
        (SIGN, "order-sign"),
        (VIEW, "patient-view"),
    ]
    assert answer["services"][0]["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert answer["services"][0]["prefetch"]["conditions"] == (
        "Condition?patient={{context.patientId}}&code=http://hl7.org/fhir/sid/icd-10-cm|L72.0"
    )


# --- The done-when cases -------------------------------------------------------------------


def test_order_select_spec_example_cryotherapy_at_left_eyelid_gets_critical_eye_card(
    client, ehr_client
):
    """The specification's order-select example, adapted: a cryotherapy order at the left
    eyelid, round-tripped through the service."""
    body = ehr.order_request("order-select", [ehr.service_request("cryo-1", ehr.LEFT_EYELID)])

    cards = cards_of(call(client, SELECT, body))

    critical = [card for card in cards if card["indicator"] == "critical"]
    assert len(critical) == 1
    card = critical[0]
    assert card["summary"] == "Cryotherapy is contraindicated at the left eyelid (CRYO-EYE)"
    assert card["detail"] == (
        "Eye area: never freeze milia here; the delicate skin can be damaged.\n\n"
        "Source: guide: Cryotherapy."
    )
    assert card["source"] == {
        "label": "Milia Clinic rules 2026.2 · CRYO-EYE · guide: Cryotherapy",
        "url": "http://testserver/rules/#rule-CRYO-EYE",
    }
    assert [reason["code"] for reason in card["overrideReasons"]] == [
        "clinical-judgement",
        "site-not-as-coded",
        "patient-informed-choice",
    ]
    assert card["selectionBehavior"] == "at-most-one"
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] == "Replace with mechanical extraction at the left eyelid"
    delete, create = suggestion["actions"]
    assert (delete["type"], delete["resourceId"]) == ("delete", "ServiceRequest/cryo-1")
    assert create["type"] == "create"
    assert create["resource"]["code"]["coding"][0]["code"] == "extraction"
    assert create["resource"]["bodySite"] == [ehr.LEFT_EYELID]
    # The rules reference page has the row the card points at.


def test_order_sign_cryotherapy_at_forehead_gets_no_critical_card(client, ehr_client):
    body = ehr.order_request("order-sign", [ehr.service_request("cryo-2", ehr.FOREHEAD)])

    cards = cards_of(call(client, SIGN, body))

    assert [card["indicator"] for card in cards if card["indicator"] == "critical"] == []
    assert [card for card in cards if "CRYO-EYE" in card["summary"]] == []
    assert (
        cards[-1]["summary"] == "Milia options at the forehead: mechanical extraction first "
        "(recommended)"
    )


def test_order_sign_large_persistent_forehead_milia_cryotherapy_gets_warning_cards(
    client, ehr_client
):
    observations = [
        ehr.observation("n", "lesion-count", ehr.FOREHEAD, {"valueInteger": 2}),
        ehr.observation(
            "d", "largest-diameter", ehr.FOREHEAD, {"valueQuantity": {"value": 4, "code": "mm"}}
        ),
        ehr.observation(
            "t", "duration", ehr.FOREHEAD, {"valueQuantity": {"value": 2, "code": "a"}}
        ),
    ]
    body = ehr.order_request(
        "order-sign", [ehr.service_request("cryo-3", ehr.FOREHEAD)], observations=observations
    )

    cards = cards_of(call(client, SIGN, body))

    assert [(card["indicator"], card["source"]["url"]) for card in cards] == [
        ("warning", "http://testserver/rules/#rule-DX-CONFIRM"),
        ("warning", "http://testserver/rules/#rule-IATRO-MILIA"),
        ("info", "http://testserver/rules/#rule-EXT-FEW"),
    ]
    assert "2. **Cryotherapy**: recommended (CRYO-LARGE-PERSISTENT)" in cards[2]["detail"]
    assert all(len(card["summary"]) < 140 for card in cards)


# --- Unmappable and malformed input --------------------------------------------------------


def test_order_sign_unknown_body_site_gets_info_card_naming_it(client, ehr_client):
    knee = ehr.site_concept("72696002", "Knee region structure")
    body = ehr.order_request(
        "order-sign",
        [ehr.service_request("cryo-4", knee)],
        conditions=[ehr.milia_condition(ehr.FOREHEAD)],
    )

    cards = cards_of(call(client, SIGN, body))

    assert [card["indicator"] for card in cards] == ["info"]
    assert cards[0]["summary"] == "Milia check: some of the EHR's data could not be used"
    assert cards[0]["detail"] == (
        "Some of the EHR's data could not be used:\n\n"
        "- ServiceRequest/cryo-4: body site http://snomed.info/sct|72696002 is not one the rules "
        "know, so cryotherapy there was not checked."
    )


def test_order_sign_without_milia_condition_gets_info_card(client, ehr_client):
    body = ehr.order_request(
        "order-sign", [ehr.service_request("cryo-5", ehr.LEFT_EYELID)], conditions=[]
    )

    cards = cards_of(call(client, SIGN, body))

    assert [card["indicator"] for card in cards] == ["info"]
    assert cards[0]["detail"].endswith(
        "- No active milia condition (ICD-10-CM L72.0) in the prefetched conditions: the rules "
        "did not run."
    )


def test_order_sign_without_birth_date_gets_info_card(client, ehr_client):
    body = ehr.order_request(
        "order-sign", [ehr.service_request("cryo-6", ehr.LEFT_EYELID)], pat=ehr.patient(None)
    )

    cards = cards_of(call(client, SIGN, body))

    assert [card["indicator"] for card in cards] == ["info"]
    assert "Patient: no birth date in the prefetched Patient" in cards[0]["detail"]


def test_order_sign_order_for_something_else_gets_no_cards(client, ehr_client):
    order = ehr.service_request("lab-1", ehr.FOREHEAD, code="26604007", display="Blood count")

    cards = cards_of(call(client, SIGN, ehr.order_request("order-sign", [order])))

    assert cards == []


def test_service_malformed_json_is_400_naming_the_problem(client, ehr_client):
    response = call(client, SIGN, None, raw="{not json")

    assert response.status_code == 400
    assert response.json() == {
        "error": "The body is not valid JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)."
    }


def test_service_request_for_another_hook_is_400_naming_it(client, ehr_client):
    body = ehr.order_request("order-sign", [ehr.service_request("c", ehr.FOREHEAD)])

    response = call(client, SELECT, body)

    assert response.status_code == 400
    assert response.json() == {
        "error": "hook: this service answers 'order-select', not 'order-sign'"
    }


def test_service_request_without_draft_orders_is_400_naming_it(client, ehr_client):
    body = ehr.order_request("order-sign", [ehr.service_request("c", ehr.FOREHEAD)])
    del body["context"]["draftOrders"]

    response = call(client, SIGN, None, raw=json.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"error": "context.draftOrders: must be a JSON object"}


# --- patient-view ----------------------------------------------------------------------------


def test_patient_view_with_charted_milia_gets_the_ranked_options(client, ehr_client):
    body = ehr.order_request("order-sign", [ehr.service_request("c", ehr.LEFT_EYELID)])
    body["hook"] = "patient-view"
    del body["context"]["draftOrders"]

    cards = cards_of(call(client, VIEW, body))

    assert [card["indicator"] for card in cards] == ["info"]
    assert cards[0]["summary"] == (
        "Milia options: mechanical extraction first (recommended), rules 2026.2"
    )
    assert "Not at the left eyelid: cryotherapy." in cards[0]["detail"]


def test_patient_view_without_milia_gets_no_cards(client, ehr_client):
    body = ehr.order_request("order-sign", [ehr.service_request("c", ehr.LEFT_EYELID)])
    body["hook"] = "patient-view"
    del body["context"]["draftOrders"]
    body["prefetch"]["conditions"] = ehr.searchset()

    assert cards_of(call(client, VIEW, body)) == []


# --- Tokens ------------------------------------------------------------------------------------


def _eyelid_request():
    return ehr.order_request("order-sign", [ehr.service_request("c", ehr.LEFT_EYELID)])


def test_token_missing_is_refused(client, ehr_client):
    response = call(client, SIGN, _eyelid_request(), token="")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json() == {"error": "A bearer token is required (Authorization: Bearer <JWT>)."}


def test_token_expired_is_refused(client, ehr_client):
    past = int(time.time()) - 600
    token = ehr.mint_token(ehr.service_url(SIGN), iat=past - 300, exp=past)

    response = call(client, SIGN, _eyelid_request(), token=token)

    assert response.status_code == 401
    assert response.json() == {"error": "The token has expired."}


def test_token_replayed_is_refused(client, ehr_client):
    token = ehr.mint_token(ehr.service_url(SIGN))

    first = call(client, SIGN, _eyelid_request(), token=token)
    second = call(client, SIGN, _eyelid_request(), token=token)

    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json() == {"error": "The token was already used (its jti was seen before)."}
    assert UsedToken.objects.count() == 1


def test_token_signed_by_another_key_is_refused(client, ehr_client):
    token = ehr.mint_token(ehr.service_url(SIGN), key=ehr.OTHER_KEY)

    response = call(client, SIGN, _eyelid_request(), token=token)

    assert response.status_code == 401
    assert response.json()["error"].startswith(
        "The token is not signed by this EHR's registered key"
    )


def test_token_for_another_audience_is_refused(client, ehr_client):
    token = ehr.mint_token("https://other.example.org/cds-services/milia-order-sign")

    response = call(client, SIGN, _eyelid_request(), token=token)

    assert response.status_code == 401
    assert response.json() == {"error": "The token is not acceptable: Audience doesn't match."}


def test_token_of_an_unregistered_issuer_is_refused(client, ehr_client):
    token = ehr.mint_token(ehr.service_url(SIGN), iss="https://stranger.example.org")

    response = call(client, SIGN, _eyelid_request(), token=token)

    assert response.status_code == 401
    assert response.json() == {"error": "The token's issuer (iss) is not a registered EHR."}


def test_token_without_jti_is_refused(client, ehr_client):
    now = int(time.time())
    token = ehr.jwt.encode(
        {"iss": ehr.ISSUER, "aud": ehr.service_url(SIGN), "exp": now + 60},
        ehr.EHR_KEY,
        algorithm="ES384",
        headers={"kid": ehr.KID},
    )

    response = call(client, SIGN, _eyelid_request(), token=token)

    assert response.status_code == 401
    assert response.json() == {
        "error": 'The token is not acceptable: Token is missing the "jti" claim.'
    }


def test_token_checked_endpoints_need_no_csrf_token(db, ehr_client):
    browserless = Client(enforce_csrf_checks=True)

    response = call(browserless, SIGN, _eyelid_request())

    assert response.status_code == 200


def test_ehr_client_form_refuses_a_private_key(db):
    form = EhrClientForm(
        data={
            "name": "EHR",
            "issuer": "https://ehr.example.org",
            "jwks": "",
            "public_key_pem": "-----BEGIN PRIVATE KEY-----\nxyz\n-----END PRIVATE KEY-----",
            "active": True,
        }
    )

    assert form.is_valid() is False
    assert form.non_field_errors() == ["That is a private key: paste the EHR's public key only."]


# --- Feedback ----------------------------------------------------------------------------------


def _feedback(card_uuid, outcome="overridden", **extra) -> dict:
    item = {"card": card_uuid, "outcome": outcome, "outcomeTimestamp": "2026-11-26T10:15:00Z"}
    body = {"feedback": [item | extra]}
    jsonschema.validate(body, schema.FEEDBACK)
    return body


def post_feedback(client, service_id, body, token=None):
    token = token or ehr.mint_token(ehr.service_url(service_id))
    return client.post(
        f"/cds-services/{service_id}/feedback",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_feedback_override_with_reason_is_stored_audited_and_shown_to_clinic_admins(
    client, ehr_client
):
    cards = cards_of(
        call(
            client,
            SELECT,
            ehr.order_request("order-select", [ehr.service_request("cryo-1", ehr.LEFT_EYELID)]),
        )
    )
    critical = next(card for card in cards if card["indicator"] == "critical")
    reason = critical["overrideReasons"][2]
    body = _feedback(
        critical["uuid"],
        overrideReason={"reason": reason, "userComment": "Cyst on the brow, not the lid"},
    )

    response = post_feedback(client, SELECT, body)

    assert response.status_code == 200
    stored = CdsFeedback.objects.get()
    assert (stored.card.rule, stored.outcome, stored.override_code, stored.user_comment) == (
        "CRYO-EYE",
        "overridden",
        "patient-informed-choice",
        "Cyst on the brow, not the lid",
    )
    event = AuditEvent.objects.filter(object_type="treatments.cdsfeedback").get()
    assert (event.action, event.actor_username, event.summary) == (
        "create",
        "ehr:Test EHR",
        "EHR feedback: overridden card CRYO-EYE",
    )
    admin = make_user("admin.feedback", roles.CLINIC_ADMIN, is_staff=True)
    client.force_login(admin)
    page = client.get("/ehr/feedback/").content.decode()
    assert '<a href="http://testserver/rules/#rule-CRYO-EYE">CRYO-EYE</a>' in page
    assert (
        "<li>The patient was told of the risk and chose this treatment "
        "(“Cyst on the brow, not the lid”): 1</li>"
    ) in page
    assert '<td class="text-end" data-label="override rate">100 %</td>' in page


def test_feedback_report_counts_overrides_per_rule(client, ehr_client):
    from treatments.ehr_services import cds_feedback_report

    for _ in range(2):
        cards = cards_of(call(client, SIGN, _eyelid_request()))
        critical = next(card for card in cards if card["indicator"] == "critical")
        post_feedback(
            client,
            SIGN,
            _feedback(critical["uuid"], overrideReason={"reason": critical["overrideReasons"][0]}),
        )
    info = next(card for card in cards if card["indicator"] == "info")
    post_feedback(client, SIGN, _feedback(info["uuid"], outcome="accepted"))

    report = {row.rule: row for row in cds_feedback_report()}

    assert (report["CRYO-EYE"].cards, report["CRYO-EYE"].overridden) == (2, 2)
    assert report["CRYO-EYE"].reasons == [
        ("Clinical judgement: the benefit outweighs the risk for this patient", 2)
    ]
    assert (report["(options)"].accepted, report["(options)"].override_percent) == (1, 0)


def test_feedback_for_an_unknown_card_is_400_and_stores_nothing(client, ehr_client):
    body = _feedback("6f2b3a5e-0c1d-4e8f-9a7b-1c2d3e4f5a6b")

    response = post_feedback(client, SIGN, body)

    assert response.status_code == 400
    assert response.json() == {
        "error": "feedback[0].card: no card with this uuid was sent to this EHR"
    }
    assert CdsFeedback.objects.count() == 0


def test_feedback_clinic_staff_cannot_read_the_report(client, db):
    client.force_login(make_user("nurse.feedback", roles.CLINIC_STAFF))

    assert client.get("/ehr/feedback/").status_code == 403


def test_issued_cards_are_kept_with_their_rule(client, ehr_client):
    cards_of(call(client, SIGN, _eyelid_request()))

    assert sorted(CdsCard.objects.values_list("indicator", "rule")) == [
        ("critical", "CRYO-EYE"),
        ("info", ""),
    ]


# --- The pure mapping --------------------------------------------------------------------------


def test_body_site_reads_snomed_code_and_laterality():
    assert cds_hooks.body_site(ehr.LEFT_EYELID) == ("eyelid", "left")
    assert cds_hooks.body_site(ehr.site_concept("62736007", "Lower eyelid", "24028007")) == (
        "eyelid",
        "right",
    )
    assert cds_hooks.body_site(ehr.FOREHEAD) == ("forehead", "midline")
    assert cds_hooks.body_site(ehr.site_concept("89545001", "Face")) is None


def test_map_request_reads_observations_in_their_units():
    observations = [
        ehr.observation("n", "lesion-count", ehr.LEFT_EYELID, {"valueInteger": 6}),
        ehr.observation(
            "d",
            "largest-diameter",
            ehr.LEFT_EYELID,
            {"valueQuantity": {"value": 0.2, "code": "cm"}},
        ),
        ehr.observation(
            "t", "duration", ehr.LEFT_EYELID, {"valueQuantity": {"value": 3, "code": "mo"}}
        ),
    ]
    body = ehr.order_request(
        "order-sign", [ehr.service_request("c", ehr.LEFT_EYELID)], observations=observations
    )

    mapped = cds_hooks.map_request(body, today=date(2026, 11, 26), icd10_code="L72.0")

    assert mapped.facts == {
        "patient": {"age_years": 36},
        "sites": [
            {
                "location": "eyelid",
                "side": "left",
                "count": 6,
                "largest_mm": 2.0,
                "months_present": 3,
            }
        ],
    }
    assert mapped.problems == []


def test_summary_is_cut_under_140_characters_on_a_word():
    text = "word " * 40

    assert len(cds_hooks.summary(text)) == 135
    assert cds_hooks.summary(text).endswith("word…")


def test_treatment_names_match_the_model_vocabulary():
    assert dict(TreatmentCode.choices) == cds_hooks.TREATMENT_NAMES


def test_token_with_an_exp_beyond_any_date_is_refused_not_a_500(client, ehr_client):
    token = ehr.mint_token(ehr.service_url(SIGN), exp=10**20)

    response = call(client, SIGN, _eyelid_request(), token=token)

    assert response.status_code == 401
