"""Every API error as an RFC 9457 problem (``application/problem+json``)::

    {"type": ".../problems/validation", "title": "Your request is not valid.", "status": 400,
     "detail": "Check the fields named in errors.", "instance": "/api/v1/customers",
     "errors": {"billing_emails": ["Enter at least one billing email address."]}}

DRF's own errors (401, 404, 405, 415, 429…), the actions' refusals (any ``ActionError``: a
``CustomerError``, an ``InvoiceError``…) and anything unexpected (500) all go through ``exception_handler``; unknown
paths under /api/ through ``not_found``. Validation problems list each field's messages in
``errors``, with nested fields joined by dots (``lines.0.unit_price_cents``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from remit.lib.errors import ActionError, NotPermitted

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
BLANK = "about:blank"

# Problem types with a meaning of their own; the rest are "about:blank" (the HTTP status says it all).
VALIDATION = "validation"
CONFLICT = "conflict"
IDEMPOTENCY_KEY_REUSED = "idempotency-key-reused"
TYPES = {
    VALIDATION: "The request has fields that are missing or not valid; `errors` names each one.",
    CONFLICT: "The request is valid but the object's state refuses it (e.g. sending a void invoice).",
    IDEMPOTENCY_KEY_REUSED: "The Idempotency-Key was used before with a different request.",
}


def type_uri(name: str) -> str:
    return f"{settings.REMIT_BASE_URL}/api/v1/problems/{name}" if name in TYPES else BLANK


def problem(
    status: int,
    *,
    detail: str,
    kind: str = "",
    title: str = "",
    instance: str = "",
    errors: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_uri(kind),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = dict(errors)
    return body


def problem_response(body: dict[str, Any], *, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=MEDIA_TYPE)


# --- Validation messages, flattened ----------------------------------------------------------------


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → {"field.sub.0.name": [messages]}; the form's own errors under ""."""
    found: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for name, value in detail.items():
            name = "" if name in {"non_field_errors", "__all__"} else str(name)
            for key, messages in flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name).items():
                found.setdefault(key, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, Mapping | list) for item in detail):
            found[prefix] = [str(item) for item in detail]
        else:
            for index, value in enumerate(detail):
                for key, messages in flatten(value, f"{prefix}.{index}" if prefix else str(index)).items():
                    found.setdefault(key, []).extend(messages)
    elif detail is not None:
        found[prefix] = [str(detail)]
    return {key: messages for key, messages in found.items() if messages}


def validation_problem(errors: Mapping[str, list[str]], *, instance: str = "") -> dict[str, Any]:
    general = list(errors.get("", []))
    fields = {name: messages for name, messages in errors.items() if name}
    detail = " ".join(general) if general else f"Check {', '.join(fields) or 'the request'}: see errors."
    return problem(
        400, kind=VALIDATION, title="Your request is not valid.", detail=detail, instance=instance, errors=fields
    )


def action_problem(errors: Mapping[str, list[str]], *, instance: str = "") -> dict[str, Any]:
    """An action's refusal. Messages tied to a field are a validation problem; a refusal of the
    whole request (a void invoice can't be sent) is a conflict with the object's state."""
    if any(name for name in errors):
        return validation_problem(errors, instance=instance)
    detail = " ".join(message for messages in errors.values() for message in messages)
    return problem(
        409, kind=CONFLICT, title="The request conflicts with the object's state.", detail=detail, instance=instance
    )


# --- The handler ---------------------------------------------------------------------------------


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, RequestDataTooBig):
        return problem_response(problem(413, detail="The body is too large for Remit to read.", instance=instance))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Nothing here: no such object, or not yours.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, NotPermitted):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, ActionError):
        return problem_response(action_problem(exc.errors, instance=instance))
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(validation_problem(flatten(exc.detail), instance=instance))
    if isinstance(exc, exceptions.APIException):
        body, headers = _api_problem(exc, instance)
        return problem_response(body, headers=headers)
    logger.exception("API request failed: %s", instance)
    return problem_response(
        problem(500, detail="Something went wrong on our side. Try again later.", instance=instance)
    )


def _api_problem(exc: exceptions.APIException, instance: str) -> tuple[dict[str, Any], dict[str, str]]:
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    detail = (
        exc.detail
        if isinstance(exc.detail, str)
        else " ".join(message for messages in flatten(exc.detail).values() for message in messages)
    )
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, math.ceil(getattr(exc, "wait", None) or 1))
        headers["Retry-After"] = str(wait)
        detail = f"Too many requests with this API key. Try again in {wait} second{'s' if wait != 1 else ''}."
    kind, title = getattr(exc, "kind", ""), getattr(exc, "title", "")
    return problem(exc.status_code, kind=kind, title=title, detail=str(detail), instance=instance), headers


def problem_type(request: HttpRequest, name: str) -> HttpResponse:
    """What a problem ``type`` URI means, for a person who follows it."""
    if name not in TYPES:
        return not_found(request)
    text = f"{name}: {TYPES[name]}\nSee docs/api.md, “Errors”.\n"
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@csrf_exempt  # the API has no cookies to protect: a POST to a wrong path is a 404, not a CSRF 403
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/ that names no endpoint."""
    body = problem(404, detail=f"There is no API endpoint at {request.path}.", instance=request.path)
    return JsonResponse(body, status=404, content_type=MEDIA_TYPE)
