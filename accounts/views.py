"""`POST /api/v1/auth/token/` and `POST /api/v1/auth/token/revoke/`."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import LoginRefused, issue_token, revoke_tokens, sign_in
from api.schema import ErrorSerializer


class LoginLocked(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked"

    def __init__(self, refused: LoginRefused):
        super().__init__(refused.message, self.default_code)
        self.wait = refused.retry_after  # sent as Retry-After


class Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class ObtainTokenView(APIView):
    """Exchange a username and password for the token to send as `Authorization: Token …`.

    The token expires API_TOKEN_LIFETIME_HOURS after it was issued; ask again for a new one.
    Repeated wrong passwords lock the account, and the client address, for a while (429).
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    error_statuses = {"post": ("400",)}

    @extend_schema(
        summary="Get an API token",
        auth=[],
        request=Credentials,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            429: OpenApiResponse(
                ErrorSerializer, description="Locked out after repeated failures; retry later."
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        credentials = Credentials(data=request.data)
        credentials.is_valid(raise_exception=True)
        try:
            user = sign_in(request, **credentials.validated_data)
        except LoginRefused as refused:
            raise LoginLocked(refused) from None
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]},
                code="authorization",
            )
        return Response({"token": issue_token(user).key})


class RevokeTokenView(APIView):
    """Revoke your token now (sign out of the API): every process refuses it from then on."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]

    @extend_schema(summary="Revoke your API token", request=None, responses={204: None})
    def post(self, request, *args, **kwargs):
        revoke_tokens(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
