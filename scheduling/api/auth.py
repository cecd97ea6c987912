from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from ..api_tokens import KEY_PREFIX, api_token_for_key


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` with a key from the API tokens page.

    Keys made with ``manage.py drf_create_token`` keep working.
    """

    def authenticate_credentials(self, key):
        if not key.startswith(KEY_PREFIX):
            return super().authenticate_credentials(key)
        token = api_token_for_key(key=key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return token.user, token
