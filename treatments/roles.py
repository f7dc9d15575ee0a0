"""The three roles of DESIGN §1 as permission sets.

A data migration creates one auth Group per role from this table; views check permissions, not
group names, so a role's reach is changed here (plus a new migration) and nowhere else.
"""

DERMATOLOGIST = "Dermatologist"
CLINIC_STAFF = "Clinic staff"
CLINIC_ADMIN = "Clinic admin"

CLINICAL_MODELS = (
    "patient",
    "consultation",
    "lesionsite",
    "triedtreatment",
    "plan",
    "plannedtreatment",
    "session",
    "siteoutcome",
)
REFERENCE_MODELS = ("treatment", "handout", "recommendation")


def _perms(actions: tuple[str, ...], models: tuple[str, ...]) -> list[str]:
    return [f"treatments.{action}_{model}" for model in models for action in actions]


ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Charts cases, reads advice, chooses and signs plans. Deleting is limited to parts of a
    # draft (a site, a planned treatment, a session); patients and consultations are kept.
    DERMATOLOGIST: [
        *_perms(("view", "add", "change"), CLINICAL_MODELS),
        *_perms(("delete",), ("lesionsite", "triedtreatment", "plannedtreatment", "session")),
        # A site carried into a follow-up may be left out of it.
        "treatments.delete_siteoutcome",
        *_perms(("view",), REFERENCE_MODELS),
        "treatments.add_recommendation",
        # Addenda are append-only: added after signing, never changed or removed.
        *_perms(("view", "add"), ("consultationaddendum",)),
        # Clinical photos: taken and uploaded while the consultation is a draft, final after;
        # one taken by mistake (the wrong patient, blurred) may be removed from the draft.
        *_perms(("view", "add", "delete"), ("clinicalphoto",)),
    ],
    # Reads clinical data, prints sheets, records that a session took place; never changes
    # clinical data.
    CLINIC_STAFF: [
        *_perms(("view",), CLINICAL_MODELS + REFERENCE_MODELS),
        "treatments.change_session",
        "treatments.view_consultationaddendum",
        # Staff see the photos of the patients they treat; the clinic admin does not.
        "treatments.view_clinicalphoto",
    ],
    # Users, roles and the catalogue texts, in the Django admin.
    CLINIC_ADMIN: [
        *_perms(("view", "add", "change", "delete"), ("treatment", "handout")),
        *_perms(("view",), CLINICAL_MODELS + ("recommendation", "consultationaddendum")),
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "audit.view_auditevent",
        # The EHRs that may call the CDS Hooks services, and what they reported back.
        *_perms(("view", "add", "change", "delete"), ("ehrclient",)),
        "treatments.view_cdscard",
        "treatments.view_cdsfeedback",
        # Per treatment, how many sites cleared or improved after how many sessions.
        "treatments.view_outcome_report",
    ],
}
