"""OpenAPI: every operation documents the error shape for the statuses it can answer."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(
                    help_text="Stable machine code, e.g. invalid, not_found, "
                    "transition_not_allowed, concurrent_change, components_not_digitized."
                ),
                "message": serializers.CharField(
                    help_text="In Vietnamese, or per Accept-Language."
                ),
                "fields": serializers.DictField(
                    help_text="Messages per input field, for 400 answers."
                ),
            },
        )
    },
)

ERROR_TEXT = {
    "400": "Invalid input; `fields` says which fields and why.",
    "401": "No or invalid credentials.",
    "403": "Your role may not do this.",
    "404": "Not found, or not visible to you.",
    "409": "Not allowed in the dossier's current state, or lost to a concurrent change.",
    "413": "The uploaded file is larger than the limit.",
}


class AutoSchema(BaseAutoSchema):
    #: extra error statuses a view answers, e.g. {"409", "413"}
    def _error_statuses(self) -> set[str]:
        statuses = {"401", "403"}
        method = self.method.upper()
        if method in ("POST", "PUT", "PATCH") or self._is_list_view():
            statuses.add("400")
        if "{" in self.path:
            statuses.add("404")
        statuses |= set(getattr(self.view, "error_statuses", {}).get(self._action_name(), ()))
        return statuses

    def _action_name(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in sorted(self._error_statuses()):
            if status not in responses:
                responses[status] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[status]),
                    status,
                    direction=direction,
                )
        return responses
