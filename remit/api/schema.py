"""The OpenAPI document's additions to what drf-spectacular reads from the views: the bearer
scheme, the ``Idempotency-Key`` header on every POST, and the problem responses each operation
can give (RFC 9457, ``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from remit.api.idempotency import HEADER, KEY_RULE, REPLAYED_HEADER
from remit.api.problems import MEDIA_TYPE


class ProblemSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(help_text="A URI naming the kind of problem; `about:blank` for plain HTTP errors.")
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong with this request, for a person to read.")
    instance = serializers.CharField(help_text="The path of the request.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a field here, not Serializer.errors
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation problems only: each field (nested ones joined by dots, e.g. `lines.0.quantity`) "
        "with its messages.",
    )

    class Meta:
        ref_name = "Problem"


PROBLEMS = {
    400: "The request is not valid: `errors` names each field or query parameter and what is wrong with it "
    "(a query parameter the operation doesn't list, or one given twice, is not valid either).",
    401: "No API key, or a key that is unknown or revoked.",
    404: "No such object at your business (another business's ids are not found either).",
    409: "The object's state refuses the request (e.g. voiding an invoice that is paid), or a request "
    "with the same Idempotency-Key is still running.",
    413: "The body is too large (more than 5 MB).",
    415: "The body is not `application/json`.",
    422: "The Idempotency-Key was used before for a different request.",
    429: "Too many requests with this key; wait the number of seconds in `Retry-After`.",
}

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Makes a retry safe: a retry with the same key and body returns the first successful "
    f"response and changes nothing; the same key with another request is refused (422). {KEY_RULE}",
    pattern=r"^[\x21-\x7e]{1,255}$",
)
REPLAYED = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="`true` when this is the stored response to an earlier request with the same Idempotency-Key.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before the next request.",
)


class RemitAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = [*super().get_override_parameters(), RETRY_AFTER]
        if self.method == "POST":
            parameters += [IDEMPOTENCY_KEY, REPLAYED]
        return parameters

    def _problem_codes(self) -> list[int]:
        codes = [400, 401, 429]  # 400: any operation refuses a query parameter it doesn't take
        has_body = self.method in {"POST", "PUT", "PATCH"}
        if "{" in self.path:
            codes.append(404)
        if self.method == "POST":
            codes += [409, 422]
        if has_body:
            codes.append(413)  # read before anything else: even a POST without a body may carry one
        if has_body and self.get_request_serializer() is not None:
            codes.append(415)
        return sorted(codes)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._problem_codes():
            problem = OpenApiResponse(ProblemSerializer, description=PROBLEMS[code])
            responses.setdefault(str(code), self._get_response_for_code(problem, str(code), [MEDIA_TYPE], direction))
        return responses


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "remit.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "rk_live_…",
            "description": "An API key made by an owner in the console (Settings → API keys), sent as "
            "`Authorization: Bearer rk_live_…`. It reaches only its own business's data.",
        }
