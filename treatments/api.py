"""The JSON API: the rules' contract (DESIGN §3) over HTTP."""

import json
from functools import wraps
from typing import Any

import orjson
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from treatments import rules
from treatments.services import rules_reference, rules_thresholds


class JsonResponse(HttpResponse):
    """Django's JsonResponse, encoded by orjson: a third fewer instructions for the whole
    recommendations request (`make bench-cpu`). The answers hold JSON's own types, which both
    encoders write alike (orjson as UTF-8 rather than \\u escapes), and ``orjson.Fragment``: a
    site's options, encoded once per process (``_ENCODED_OPTIONS``)."""

    def __init__(self, data, **kwargs):
        kwargs.setdefault("content_type", "application/json")
        super().__init__(orjson.dumps(data), **kwargs)


def api_login_required(view):
    """Like login_required, but answers 401 JSON instead of redirecting to the login page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"errors": {"": ["authentication required"]}}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


@require_POST
@login_not_required
@api_login_required
def recommendations(request: HttpRequest) -> HttpResponse:
    """Evaluate the case in the request body. CSRF protection stays on for browser callers."""
    try:
        data = _parse(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return _bad_body(f"the body is not valid JSON: {error}")
    except RecursionError:
        return _bad_body("the body nests arrays or objects too deeply")
    except ValueError:
        # Python refuses to read an integer of thousands of digits (CVE-2020-10735).
        return _bad_body("the body holds a number too long to read")
    thresholds = rules_thresholds()
    try:
        case = rules.CaseFacts.from_dict(data)
    except rules.InvalidCase as invalid:
        return JsonResponse({"errors": invalid.errors}, status=400)
    # The bytes of rules.recommend(data), each tuple of options encoded once (see _encoded).
    return JsonResponse(rules.evaluate(case, thresholds).to_dict(_encoded))


@require_GET
@login_not_required
@api_login_required
def rules_reference_json(request: HttpRequest) -> HttpResponse:
    """The rules reference as JSON: every rule, its source, the thresholds in force, the changes."""
    return JsonResponse(rules_reference())


# Each tuple of a site's options, encoded to JSON, by the tuple's id; the tuple is kept with it,
# so that its id cannot be reused meanwhile. Sites with the same rule hits share one tuple,
# within a case and across cases (rules.engine keeps them per process), so most tuples come
# back: then their JSON is encoded already. Bounded: emptied when full.
_ENCODED_OPTIONS: dict[int, tuple[tuple[rules.Option, ...], orjson.Fragment]] = {}
_ENCODED_OPTIONS_MAX = 4096  # as many as rules.engine keeps (about 4 KB of JSON each)


def _encoded(options: tuple[rules.Option, ...]) -> orjson.Fragment:
    """A site's options' JSON, as a fragment that orjson writes as it stands."""
    known = _ENCODED_OPTIONS.get(id(options))
    if known is None or known[0] is not options:
        if len(_ENCODED_OPTIONS) >= _ENCODED_OPTIONS_MAX:
            _ENCODED_OPTIONS.clear()
        encoded = orjson.Fragment(orjson.dumps([option.to_dict() for option in options]))
        known = _ENCODED_OPTIONS[id(options)] = (options, encoded)
    return known[1]


# Every digit as a zero, to find a run of 19 digits: an integer that may not fit in 64 bits.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


def _parse(body: bytes) -> Any:
    """json.loads(body), value for value, in a third of the instructions.

    orjson reads what it can (standard JSON in UTF-8); whatever it refuses, json.loads reads or
    refuses in its own words (NaN, 1e400, a byte-order mark, UTF-16, lone surrogates, deep
    nesting). orjson would read an integer beyond 64 bits as a float, so a body with 19 digits
    in a row goes to json.loads from the start.
    """
    if _NINETEEN_DIGITS not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def _bad_body(message: str) -> HttpResponse:
    return JsonResponse({"errors": {"": [message]}}, status=400)
