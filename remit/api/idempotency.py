"""``Idempotency-Key`` on POST: a retry of the same request returns the first response and does
nothing else; the same key with another request is refused (422).

The record of a key is inserted in the transaction that runs the request and filled with its
response before that transaction commits. So a retry finds both the created objects and the
response, or neither; and a duplicate sent while the first is still running waits at the unique
constraint (PostgreSQL) or the write lock (SQLite) until the first has committed, then replays it.
Only successful (2xx) responses are remembered: a request that failed changed nothing and may be
sent again with the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from remit.api.models import ApiKey, IdempotencyRecord
from remit.api.problems import CONFLICT, IDEMPOTENCY_KEY_REUSED

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: a UUID, a ULID, your own id…
KEY_RULE = "Use 1 to 255 visible ASCII characters (no spaces), e.g. a UUID."

Handler = Callable[..., Response]


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    kind = IDEMPOTENCY_KEY_REUSED
    title = "This Idempotency-Key was used for another request."


class IdempotentRequestInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    kind = CONFLICT
    title = "A request with this Idempotency-Key is in progress."
    default_detail = "A request with this Idempotency-Key is still in progress. Retry in a moment."


def body_sha256(request: Request) -> str:
    # Read before the view parses it: Django keeps the bytes, and DRF parses from them.
    return hashlib.sha256(request.body).hexdigest()


def idempotent(handler: Handler) -> Handler:
    """Wrap a view's POST handler (``create``, or an ``@action``)."""

    @wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not KEY_PATTERN.fullmatch(key):
            raise ValidationError({HEADER: [KEY_RULE]})
        assert isinstance(request.auth, ApiKey)
        record = IdempotencyRecord(
            api_key=request.auth,
            key=key,
            request_method=request.method or "POST",
            request_path=request.get_full_path()[:2000],
            request_sha256=body_sha256(request),
            response_status=0,  # filled in below, before anyone else can see the row
            response_body="",
        )
        with transaction.atomic():
            replay = _claim(record)
            if replay is not None:
                return replay
            response = handler(view, request, *args, **kwargs)
            if status.is_success(response.status_code):
                record.response_status = response.status_code
                record.response_body = json.dumps(response.data, cls=JSONEncoder)
                record.save(update_fields=["response_status", "response_body"])
            else:
                record.delete()
            return response

    return wrapper


def _claim(record: IdempotencyRecord) -> Response | None:
    """Insert the record; if the key was used before, the first response to replay (or a refusal)."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        first = IdempotencyRecord.objects.get(api_key=record.api_key, key=record.key)
    else:
        return None
    if first.fingerprint != record.fingerprint:
        raise IdempotencyKeyReused(
            f"The Idempotency-Key “{record.key}” was first used for {first.request_method} {first.request_path} "
            "with a different body. Use a new key for a new request."
        )
    if first.response_status == 0:
        raise IdempotentRequestInProgress()
    body = json.loads(first.response_body)
    return Response(body, status=first.response_status, headers={REPLAYED_HEADER: "true"})
