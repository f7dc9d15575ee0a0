"""JSON Schemas of CDS Hooks 2.0 messages, written from the specification for the tests.

Each part links to the section of https://cds-hooks.hl7.org/2.0/ it comes from. Only what the
specification requires or constrains is checked; extra members are allowed, as the
specification allows extensions.
"""

SPEC = "https://cds-hooks.hl7.org/2.0/"

_CODING = {
    "$comment": f"{SPEC}#overridereason (a Coding, as in FHIR)",
    "type": "object",
    "required": ["code", "system"],
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "system": {"type": "string", "minLength": 1},
        "display": {"type": "string"},
    },
}

# https://cds-hooks.hl7.org/2.0/#response (a service's entry in the discovery response)
DISCOVERY = {
    "$comment": f"{SPEC}#response",
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "description", "id"],
                "properties": {
                    "hook": {"type": "string", "minLength": 1},
                    "title": {"type": "string"},
                    "description": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9._~-]+$"},
                    "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
                    "usageRequirements": {"type": "string"},
                },
            },
        }
    },
}

# https://cds-hooks.hl7.org/2.0/#http-request and the hooks' contexts:
# order-select https://cds-hooks.hl7.org/hooks/order-select/ (userId, patientId, encounterId,
# selections, draftOrders), order-sign https://cds-hooks.hl7.org/hooks/order-sign/,
# patient-view https://cds-hooks.hl7.org/hooks/patient-view/
_BUNDLE = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"const": "Bundle"}},
}
REQUEST = {
    "$comment": f"{SPEC}#http-request",
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"type": "string", "minLength": 1},
        "hookInstance": {"type": "string", "minLength": 1},
        "fhirServer": {"type": "string", "format": "uri"},
        "fhirAuthorization": {
            "$comment": f"{SPEC}#passing-the-access-token-to-the-cds-service",
            "type": ["object", "null"],
            "required": ["access_token", "token_type", "expires_in", "scope", "subject"],
            "properties": {"token_type": {"const": "Bearer"}},
        },
        "context": {"type": "object"},
        "prefetch": {"type": "object"},
    },
    "allOf": [
        {
            "if": {"properties": {"hook": {"const": "order-select"}}},
            "then": {
                "properties": {
                    "context": {
                        "required": ["userId", "patientId", "selections", "draftOrders"],
                        "properties": {
                            "userId": {"type": "string"},
                            "patientId": {"type": "string"},
                            "encounterId": {"type": "string"},
                            "selections": {"type": "array", "items": {"type": "string"}},
                            "draftOrders": _BUNDLE,
                        },
                    }
                }
            },
        },
        {
            "if": {"properties": {"hook": {"const": "order-sign"}}},
            "then": {
                "properties": {
                    "context": {
                        "required": ["userId", "patientId", "draftOrders"],
                        "properties": {"draftOrders": _BUNDLE},
                    }
                }
            },
        },
        {
            "if": {"properties": {"hook": {"const": "patient-view"}}},
            "then": {"properties": {"context": {"required": ["userId", "patientId"]}}},
        },
    ],
}

# https://cds-hooks.hl7.org/2.0/#action
_ACTION = {
    "$comment": f"{SPEC}#action",
    "type": "object",
    "required": ["type", "description"],
    "properties": {
        "type": {"enum": ["create", "update", "delete"]},
        "description": {"type": "string", "minLength": 1},
        "resource": {"type": "object", "required": ["resourceType"]},
        "resourceId": {"type": ["string", "array"]},
    },
    "allOf": [
        {
            "if": {"properties": {"type": {"enum": ["create", "update"]}}},
            "then": {"required": ["resource"]},
        },
        {"if": {"properties": {"type": {"const": "delete"}}}, "then": {"required": ["resourceId"]}},
    ],
}

# https://cds-hooks.hl7.org/2.0/#suggestion
_SUGGESTION = {
    "$comment": f"{SPEC}#suggestion",
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": {"type": "string", "minLength": 1},
        "uuid": {"type": "string"},
        "isRecommended": {"type": "boolean"},
        "actions": {"type": "array", "items": _ACTION},
    },
}

# https://cds-hooks.hl7.org/2.0/#card-attributes and #source
CARD = {
    "$comment": f"{SPEC}#card-attributes",
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "$comment": f"{SPEC}#source",
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string", "minLength": 1},
                "url": {"type": "string", "format": "uri"},
                "icon": {"type": "string", "format": "uri"},
                "topic": _CODING,
            },
        },
        "suggestions": {"type": "array", "items": _SUGGESTION},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "items": _CODING},
        "links": {
            "$comment": f"{SPEC}#link",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "url", "type"],
                "properties": {"type": {"enum": ["absolute", "smart"]}},
            },
        },
    },
    # "If suggestions are present, selectionBehavior MUST also be provided."
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}

# https://cds-hooks.hl7.org/2.0/#http-response
RESPONSE = {
    "$comment": f"{SPEC}#http-response",
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": CARD},
        "systemActions": {"type": "array", "items": _ACTION},
    },
}

# https://cds-hooks.hl7.org/2.0/#feedback and #overridereason
FEEDBACK = {
    "$comment": f"{SPEC}#feedback",
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": {"type": "string", "format": "uuid"},
                    "outcome": {"enum": ["accepted", "overridden"]},
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {"type": "object", "required": ["id"]},
                    },
                    "overrideReason": {
                        "$comment": f"{SPEC}#overridereason",
                        "type": "object",
                        "properties": {"reason": _CODING, "userComment": {"type": "string"}},
                    },
                    "outcomeTimestamp": {"type": "string", "format": "date-time"},
                },
            },
        }
    },
}

# https://cds-hooks.hl7.org/2.0/#trusting-cds-clients (the JWT's claims)
JWT_CLAIMS = {
    "$comment": f"{SPEC}#trusting-cds-clients",
    "type": "object",
    "required": ["iss", "aud", "exp", "iat", "jti"],
    "properties": {
        "iss": {"type": "string"},
        "aud": {"type": ["string", "array"]},
        "exp": {"type": "integer"},
        "iat": {"type": "integer"},
        "jti": {"type": "string"},
        "tenant": {"type": "string"},
    },
}
