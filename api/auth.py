from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken

from api.parsers import FormParser, JSONParser, MultiPartParser


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the token to send as `Authorization: Token …`."""

    error_statuses = {"post": ("400",)}
    parser_classes = [FormParser, MultiPartParser, JSONParser]  # cleaned like every API body

    @extend_schema(
        summary="Get an API token",
        auth=[],
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
