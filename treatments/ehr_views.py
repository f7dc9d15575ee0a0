"""Thin views of the EHR integration: CDS Hooks 2.0 endpoints, the feedback report, FHIR export.

The hook and feedback endpoints are called by an EHR, not a browser: they carry no session
cookie and authenticate with the EHR's signed JWT, so they alone are exempt from CSRF checks.
"""

import json
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from treatments import cds_hooks, ehr_services, reference
from treatments.api import JsonResponse  # orjson
from treatments.models import Consultation
from treatments.views import role_required


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _rule_url(request: HttpRequest):
    page = request.build_absolute_uri(reverse("treatments:rules_reference"))

    def rule_url(rule_id: str | None) -> str:
        return f"{page}#{reference.anchor(rule_id)}" if rule_id else page

    return rule_url


def _authenticated(request: HttpRequest, service_id: str):
    """The calling EHR client, or the 401 response that refuses it."""
    audiences = [
        request.build_absolute_uri(reverse("treatments:cds_service", args=[service_id])),
        request.build_absolute_uri(reverse("treatments:cds_discovery")),
    ]
    try:
        return ehr_services.ehr_authenticate(
            authorization=request.headers.get("Authorization", ""), audiences=audiences
        ), None
    except ehr_services.TokenRefused as refused:
        response = _json_error(str(refused), 401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return None, response


def _body(request: HttpRequest):
    try:
        return json.loads(request.body), None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, _json_error(f"The body is not valid JSON: {error}.", 400)


@login_not_required
@require_GET
def cds_discovery(request: HttpRequest) -> JsonResponse:
    """CDS Hooks discovery: the services, their hooks and prefetch templates (no patient data)."""
    return JsonResponse(ehr_services.cds_discovery())


def ehr_call(view):
    """A CDS Hooks call from a registered EHR: a known service, the EHR's token (never a
    session, so no CSRF token), and a JSON body; the view gets the EHR client and the body."""

    @login_not_required
    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, service_id: str) -> HttpResponse:
        if service_id not in cds_hooks.SERVICES:
            return _json_error(f"No CDS service '{service_id}'.", 404)
        client, refused = _authenticated(request, service_id)
        if refused:
            return refused
        body, malformed = _body(request)
        if malformed:
            return malformed
        return view(request, service_id=service_id, client=client, body=body)

    return wrapper


@ehr_call
def cds_service(request: HttpRequest, *, service_id: str, client, body) -> JsonResponse:
    try:
        answer = ehr_services.cds_answer(
            service_id=service_id, body=body, client=client, rule_url=_rule_url(request)
        )
    except cds_hooks.BadRequest as bad:
        return _json_error(str(bad), 400)
    return JsonResponse(answer)


@ehr_call
def cds_feedback(request: HttpRequest, *, service_id: str, client, body) -> HttpResponse:
    try:
        ehr_services.cds_feedback_record(
            service_id=service_id, body=body, client=client, request=request
        )
    except ehr_services.BadFeedback as bad:
        return _json_error(str(bad), 400)
    return HttpResponse(status=200)


@require_GET
@role_required("treatments.view_cdsfeedback")
def cds_feedback_report(request: HttpRequest) -> HttpResponse:
    """How often each rule's cards are overridden in the EHRs, and why."""
    return render(
        request,
        "treatments/cds_feedback_report.html",
        {"rows": ehr_services.cds_feedback_report(), "rules_url": _rule_url(request)(None)},
    )


@require_GET
@role_required("treatments.view_consultation")
def fhir_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The consultation as a FHIR R4B Bundle, downloaded as a file."""
    get_object_or_404(Consultation, pk=pk)
    base_url = request.build_absolute_uri("/").rstrip("/")
    text = ehr_services.consultation_fhir_export(
        pk=pk, request=request, base_url=base_url, rules_url=_rule_url(request)(None)
    )
    response = HttpResponse(text, content_type="application/fhir+json; charset=utf-8")
    # A neutral name: the Downloads folder should not say whose record, or which, it holds.
    filename = f"consultation-{timezone.localdate():%Y-%m-%d}.fhir.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
