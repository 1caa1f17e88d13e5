"""A small OpenID Connect provider for tests, built on Authlib's authorization server.

Authlib (``authlib.oauth2`` / ``authlib.oidc.core``) does the protocol work — authorization
request validation, code grant with the OpenID Connect extension (nonce, signed ID token),
client authentication, bearer-protected userinfo signed as a JWT (``application/jwt``, as
ProConnect answers) — and this module only provides storage (in memory), the HTTP transport
(``http.server`` on 127.0.0.1, in a thread) and the JWKS document. The "signed-in user" is
``provider.user_claims``. Nothing of our code is mocked: our backend talks to it over HTTP.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    ResourceProtector,
    TokenMixin,
)
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from joserfc.jwk import KeySet, RSAKey

KID = "cle-test"


class _Payload(OAuth2Payload):
    def __init__(self, values: dict[str, list[str]]):
        self._values = values

    @property
    def data(self):
        return {k: v[0] for k, v in self._values.items()}

    @property
    def datalist(self):
        return defaultdict(list, self._values)


class _Request(OAuth2Request):
    def __init__(self, method, uri, headers, args: dict, form: dict):
        super().__init__(method, uri, headers=headers)
        self._args, self._form = args, form
        self.payload = _Payload({**args, **form})

    @property
    def args(self):
        return {k: v[0] for k, v in self._args.items()}

    @property
    def form(self):
        return {k: v[0] for k, v in self._form.items()}


class _Client(ClientMixin):
    def __init__(self, client_id, client_secret):
        self.client_id, self.client_secret = client_id, client_secret
        self.client_metadata = {"userinfo_signed_response_alg": "RS256"}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return urlparse(redirect_uri).path == "/oidc/callback/"

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_post" if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class _Code(AuthorizationCodeMixin):
    def __init__(self, code, client_id, redirect_uri, scope, nonce, acr, user):
        self.code, self.client_id, self.redirect_uri = code, client_id, redirect_uri
        self.scope, self.nonce, self.acr, self.user = scope, nonce, acr, user
        self.auth_time = int(time.time())

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr

    def get_amr(self):
        return None


class _Token(TokenMixin):
    def __init__(self, data, client, user):
        self.data, self.client, self.user = data, client, user
        self.scope = data.get("scope", "")
        self.issued_at = int(time.time())

    def check_client(self, client):
        return client.client_id == self.client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.data.get("expires_in", 60)

    def is_expired(self):
        return time.time() > self.issued_at + self.get_expires_in()

    def is_revoked(self):
        return False

    def get_client(self):
        return self.client

    def get_user(self):
        return self.user


class LocalOIDCProvider:
    """``with LocalOIDCProvider() as op:`` — ``op.issuer`` (endpoints under it), ``op.client_id``,
    ``op.client_secret``; set ``op.user_claims`` (``sub``, ``email``…) before the flow."""

    def __init__(self, client_id: str = "pvd-test", client_secret: str = "secret-de-test"):  # noqa: S107
        self.client_id, self.client_secret = client_id, client_secret
        self.client = _Client(client_id, client_secret)
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID, "alg": "RS256", "use": "sig"})
        self.user_claims: dict = {}
        self.codes: dict[str, _Code] = {}
        self.tokens: dict[str, _Token] = {}
        self.requests: list[str] = []
        self._local = threading.local()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"
        self.authorization_server = self._build_authorization_server()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- Authlib wiring -----------------------------------------------------------------
    def _build_authorization_server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):
            def query_client(self, client_id):
                return provider.client if client_id == provider.client_id else None

            def save_token(self, token, request):
                provider.tokens[token["access_token"]] = _Token(token, request.client, request.user)

            def create_oauth2_request(self, request):
                return request

            def create_json_request(self, request):
                return request

            def handle_response(self, status, body, headers):
                return status, body, headers

            def send_signal(self, name, *args, **kwargs):
                pass

        class CodeGrant(AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]

            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.codes[code] = _Code(
                    code,
                    request.client.client_id,
                    request.payload.redirect_uri,
                    request.payload.scope,
                    data.get("nonce"),
                    data.get("acr_values"),
                    request.user,
                )

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)  # single use

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": KID}

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.client_id]}

            def generate_user_info(self, user, scope):
                return UserInfo(sub=user["sub"])

        class UserInfoSigned(UserInfoEndpoint):
            def get_issuer(self):
                return provider.issuer

            def generate_user_info(self, user, scope):
                return UserInfo(user)

            def resolve_private_key(self):
                return KeySet([provider.key])  # joserfc then names the key (kid) in the header

            def get_supported_algorithms(self):
                return ["RS256"]

        class Validator(BearerTokenValidator):
            def authenticate_token(self, token_string):
                return provider.tokens.get(token_string)

        class Protector(ResourceProtector):
            def acquire_token(self, scopes=None):
                if isinstance(scopes, str):  # as Authlib's framework protectors do
                    scopes = [scopes]
                return self.validate_request(scopes, provider._local.request)

        protector = Protector()
        protector.register_token_validator(Validator())
        server = Server(scopes_supported=["openid", "email", "given_name", "usual_name"])
        server.register_token_generator(
            "default", BearerTokenGenerator(lambda **kw: secrets.token_urlsafe(24))
        )
        server.register_grant(CodeGrant, [OpenID(require_nonce=True)])
        server.register_endpoint(UserInfoSigned(resource_protector=protector))
        return server

    # --- HTTP transport -------------------------------------------------------------------
    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body, headers):
                if isinstance(body, dict):
                    body = json.dumps(body)
                data = (body or "").encode()
                self.send_response(status)
                sent_type = False
                for name, value in headers or []:
                    sent_type = sent_type or name.lower() == "content-type"
                    self.send_header(name, value)
                if not sent_type:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _request(self, form: dict) -> _Request:
                url = urlparse(self.path)
                uri = f"http://{self.headers['Host']}{self.path}"
                return _Request(self.command, uri, self.headers, parse_qs(url.query), form)

            def do_GET(self):
                path = urlparse(self.path).path
                provider.requests.append(f"GET {path}")
                request = self._request({})
                server = provider.authorization_server
                try:
                    if path.endswith("/authorize"):
                        # The provider's login/consent step: the signed-in user is user_claims.
                        grant = server.get_consent_grant(request=request, end_user=dict(provider.user_claims))
                        return self._reply(
                            *server.create_authorization_response(request, dict(provider.user_claims), grant)
                        )
                    if path.endswith("/userinfo"):
                        provider._local.request = request
                        return self._reply(*server.create_endpoint_response("userinfo", request))
                except OAuth2Error as error:
                    return self._reply(error.status_code, dict(error.get_body()), error.get_headers())
                if path.endswith("/jwks"):
                    return self._reply(200, {"keys": [provider.key.as_dict(private=False)]}, [])
                return self._reply(404, {}, [])

            def do_POST(self):
                path = urlparse(self.path).path
                provider.requests.append(f"POST {path}")
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                if path.endswith("/token"):
                    return self._reply(
                        *provider.authorization_server.create_token_response(self._request(form))
                    )
                return self._reply(404, {}, [])

        return Handler
