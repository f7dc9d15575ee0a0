"""The EHR integration's actions: who is calling (JWT bearer tokens), answering a hook, storing
the EHR's feedback, and exporting a consultation as FHIR.

Authentication follows CDS Hooks 2.0 §Trusting CDS Clients: the EHR signs a JWT with its private
key; the token carries ``iss``, ``aud`` (the service's URL), ``exp`` and ``jti``; the clinic admin
registers each EHR's public key (a JWKS or a PEM key) in the admin, and the app never fetches one.
A token id is accepted once: it is stored until the token expires, and a second use is a replay.

This is the one module of the integration that writes the audit trail.
"""

import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from audit.chain import audit_record
from audit.models import AuditEvent
from treatments import cds_hooks, fhir_export
from treatments.models import CdsCard, CdsFeedback, EhrClient, UsedToken
from treatments.services import consultation_with_chart, rules_thresholds

# Asymmetric signatures only: a shared secret (HS*) or "none" is never accepted.
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
# Seconds of clock difference tolerated between the EHR and the app.
LEEWAY_SECONDS = 30
# The specification asks EHRs for tokens of at most five minutes; an hour bounds the store of
# used token ids whatever an EHR sends.
MAX_LIFETIME = timedelta(hours=1)


class TokenRefused(Exception):
    """The request's token is missing or not acceptable: answered 401 with this message."""


def ehr_key_problems(*, jwks, pem: str) -> list[str]:
    """What is wrong with an EHR's registered keys (empty: usable). Public keys only."""
    problems = []
    if not jwks and not (pem or "").strip():
        problems.append("Give the EHR's JWKS or its PEM public key.")
    if jwks:
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys:
            problems.append('The JWKS must be a JSON object {"keys": [...]} with at least one key.')
        elif any(isinstance(key, dict) and "d" in key for key in keys):
            problems.append("The JWKS holds a private key: register the EHR's public keys only.")
        else:
            try:
                jwt.PyJWKSet.from_dict(jwks)
            except jwt.PyJWTError as error:
                problems.append(f"The JWKS cannot be used: {error}.")
    if (pem or "").strip():
        if "PRIVATE KEY" in pem:
            problems.append("That is a private key: paste the EHR's public key only.")
        else:
            try:
                serialization.load_pem_public_key(pem.strip().encode())
            except (ValueError, TypeError) as error:
                problems.append(f"The PEM public key cannot be read: {error}.")
    return problems


def _keys(client: EhrClient) -> list:
    keys = []
    if client.jwks:
        # An unusable JWKS (the admin form refuses one): the PEM key may still do.
        with contextlib.suppress(jwt.PyJWTError):
            keys.extend((key.key_id, key.key) for key in jwt.PyJWKSet.from_dict(client.jwks).keys)
    if client.public_key_pem.strip():
        keys.append((None, client.public_key_pem.strip()))
    return keys


def ehr_authenticate(*, authorization: str, audiences: list[str]) -> EhrClient:
    """The EHR client whose valid, unused token this is; raises ``TokenRefused`` otherwise.

    ``audiences``: the URLs the token may be addressed to (the service's, the discovery's).
    """
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRefused("A bearer token is required (Authorization: Bearer <JWT>).")
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise TokenRefused(f"The token cannot be read: {error}.") from None
    issuer = unverified.get("iss")
    client = EhrClient.objects.filter(issuer=issuer, active=True).first() if issuer else None
    if client is None:
        raise TokenRefused("The token's issuer (iss) is not a registered EHR.")
    candidates = [key for kid, key in _keys(client) if kid is None or kid == header.get("kid")]
    if not candidates:
        raise TokenRefused("No key is registered for this EHR that matches the token's kid.")
    claims, last_error = None, None
    for key in candidates:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=audiences,
                issuer=client.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "jti"]},
            )
            break
        except jwt.InvalidSignatureError as error:
            last_error = error
        except jwt.ExpiredSignatureError:
            raise TokenRefused("The token has expired.") from None
        except jwt.PyJWTError as error:
            raise TokenRefused(f"The token is not acceptable: {error}.") from None
    if claims is None:
        raise TokenRefused(f"The token is not signed by this EHR's registered key: {last_error}.")
    try:
        expires_at = datetime.fromtimestamp(claims["exp"], tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise TokenRefused("The token's exp is not a time.") from None
    if expires_at - timezone.now() > MAX_LIFETIME:
        raise TokenRefused("The token lives too long: exp is more than an hour away.")
    _use_once(client.issuer, str(claims["jti"]), expires_at)
    return client


def _use_once(issuer: str, jti: str, expires_at: datetime) -> None:
    # Forget token ids whose tokens have expired: an expired token is refused anyway.
    forgotten = timezone.now() - timedelta(seconds=LEEWAY_SECONDS)
    UsedToken.objects.filter(expires_at__lt=forgotten).delete()
    try:
        with transaction.atomic():
            UsedToken.objects.create(issuer=issuer, jti=jti[:255], expires_at=expires_at)
    except IntegrityError:
        raise TokenRefused("The token was already used (its jti was seen before).") from None


# --- Answering a hook ---------------------------------------------------------------------------


def cds_discovery() -> dict:
    return cds_hooks.discovery(settings.MILIA_ICD10_CODE)


def cds_answer(*, service_id: str, body, client: EhrClient, rule_url) -> dict:
    """The cards for a hook call (raises ``cds_hooks.BadRequest`` for a malformed request).
    Each card is kept, so that the EHR's feedback can name the rule it was about."""
    body = cds_hooks.check_request(body, service_id)
    mapped = cds_hooks.map_request(
        body, today=timezone.localdate(), icd10_code=settings.MILIA_ICD10_CODE
    )
    result = cds_hooks.evaluate(mapped, rules_thresholds())
    issued = cds_hooks.cards_for(
        body["hook"], mapped, result, rule_url=rule_url, new_uuid=lambda: str(uuid.uuid4())
    )
    if issued:
        CdsCard.objects.bulk_create(
            CdsCard(
                uuid=item.card["uuid"],
                ehr_client=client,
                service=service_id,
                hook_instance=body["hookInstance"][:100],
                rule=item.rule,
                indicator=item.card["indicator"],
                summary=item.card["summary"],
            )
            for item in issued
        )
    return {"cards": [item.card for item in issued]}


# --- Feedback -------------------------------------------------------------------------------------


class BadFeedback(Exception):
    """Feedback that cannot be stored: answered 400, naming the problem."""


def _parse_time(value, path: str) -> datetime:
    if not isinstance(value, str):
        raise BadFeedback(f"{path}: must be a date and time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadFeedback(f"{path}: is not an ISO 8601 date and time") from None
    if timezone.is_naive(moment):
        raise BadFeedback(f"{path}: needs a time zone")
    return moment


def _feedback_row(item, path: str, service_id: str, client: EhrClient) -> CdsFeedback:
    if not isinstance(item, dict):
        raise BadFeedback(f"{path}: must be a JSON object")
    card = CdsCard.objects.filter(
        uuid=_uuid(item.get("card"), f"{path}.card"), ehr_client=client, service=service_id
    ).first()
    if card is None:
        raise BadFeedback(f"{path}.card: no card with this uuid was sent to this EHR")
    outcome = item.get("outcome")
    if outcome not in CdsFeedback.Outcome.values:
        raise BadFeedback(f"{path}.outcome: must be 'accepted' or 'overridden'")
    reason = item.get("overrideReason") or {}
    if not isinstance(reason, dict):
        raise BadFeedback(f"{path}.overrideReason: must be a JSON object")
    coding = reason.get("reason") or {}
    if not isinstance(coding, dict):
        raise BadFeedback(f"{path}.overrideReason.reason: must be a Coding")
    comment = reason.get("userComment") or ""
    if not isinstance(comment, str):
        raise BadFeedback(f"{path}.overrideReason.userComment: must be a string")
    if outcome == "accepted" and reason:
        raise BadFeedback(f"{path}.overrideReason: only an overridden card has one")
    suggestions = item.get("acceptedSuggestions") or []
    if not isinstance(suggestions, list):
        raise BadFeedback(f"{path}.acceptedSuggestions: must be a list")
    return CdsFeedback(
        card=card,
        ehr_client=client,
        outcome=outcome,
        override_code=str(coding.get("code", ""))[:100],
        override_system=str(coding.get("system", ""))[:255],
        override_display=str(coding.get("display", ""))[:255],
        user_comment=comment[:2000],
        accepted_suggestions=suggestions[:20],
        outcome_at=_parse_time(item.get("outcomeTimestamp"), f"{path}.outcomeTimestamp"),
    )


def _uuid(value, path: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise BadFeedback(f"{path}: must be a card's uuid") from None


@transaction.atomic
def cds_feedback_record(*, service_id: str, body, client: EhrClient, request) -> list[CdsFeedback]:
    """Store every item of a feedback request (CDS Hooks 2.0 §Feedback), all or nothing, each
    one audited."""
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        raise BadFeedback("feedback: must be a list of feedback items")
    rows = [
        _feedback_row(item, f"feedback[{index}]", service_id, client)
        for index, item in enumerate(body["feedback"])
    ]
    for row in rows:
        row.full_clean()
        row.save()
        audit_record(
            action=AuditEvent.Action.CREATE,
            request=request,
            username=f"ehr:{client.name}"[:150],
            obj=row,
            summary=f"EHR feedback: {row.outcome} card {row.card.rule or row.card.indicator}",
            detail={
                "service": service_id,
                "card": str(row.card.uuid),
                "rule": row.card.rule,
                "outcome": row.outcome,
                "override_code": row.override_code,
                "user_comment": row.user_comment,
            },
        )
    return rows


@dataclass(frozen=True)
class RuleFeedback:
    rule: str
    cards: int
    accepted: int
    overridden: int
    reasons: list[tuple[str, int]]  # (reason in words, how often), most frequent first

    @property
    def override_percent(self) -> int:
        """Overridden, as a whole percentage of the cards the EHR reported on."""
        answered = self.accepted + self.overridden
        return round(100 * self.overridden / answered) if answered else 0


def cds_feedback_report() -> list[RuleFeedback]:
    """Per rule: cards issued, accepted, overridden, and the override reasons with their counts.
    A fixed number of queries whatever the number of rules."""
    issued = dict(
        CdsCard.objects.values_list("rule").annotate(n=Count("id")).values_list("rule", "n")
    )
    outcomes = (
        CdsFeedback.objects.values("card__rule", "outcome")
        .annotate(n=Count("id"))
        .values_list("card__rule", "outcome", "n")
    )
    counts: dict[str, dict[str, int]] = {}
    for rule, outcome, n in outcomes:
        counts.setdefault(rule, {})[outcome] = n
    reasons: dict[str, dict[str, int]] = {}
    overridden = (
        CdsFeedback.objects.filter(outcome=CdsFeedback.Outcome.OVERRIDDEN)
        .values("card__rule", "override_display", "override_code", "user_comment")
        .annotate(n=Count("id"))
        .values_list("card__rule", "override_display", "override_code", "user_comment", "n")
    )
    for rule, display, code, comment, n in overridden:
        words = display or code or "no reason given"
        if comment:
            words += f" (“{comment}”)"
        reasons.setdefault(rule, {})
        reasons[rule][words] = reasons[rule].get(words, 0) + n
    rules_seen = sorted(set(issued) | set(counts))
    return [
        RuleFeedback(
            rule=rule or "(options)",
            cards=issued.get(rule, 0),
            accepted=counts.get(rule, {}).get("accepted", 0),
            overridden=counts.get(rule, {}).get("overridden", 0),
            reasons=sorted(reasons.get(rule, {}).items(), key=lambda pair: (-pair[1], pair[0])),
        )
        for rule in rules_seen
    ]


# --- FHIR export ---------------------------------------------------------------------------------


def consultation_fhir_export(*, pk: int, request, base_url: str, rules_url: str) -> str:
    """The consultation as a FHIR R4B Bundle (JSON text), audited as a download of the patient."""
    consultation = consultation_with_chart(pk)
    bundle = fhir_export.consultation_bundle(
        consultation,
        base_url=base_url,
        rules_url=rules_url,
        now=timezone.now(),
    )
    # The download is recorded by the audit's access policy (treatments:fhir_export).
    return json.dumps(bundle, ensure_ascii=False, indent=1)
