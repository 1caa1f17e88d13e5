"""A small OpenID Connect provider for tests, served on 127.0.0.1 in a thread.

It speaks the authorization-code flow the way ProConnect does: ``/authorize`` (redirects back
with a code), ``/token`` (checks the client secret, the code and the redirect URI; returns an
RS256-signed ID token carrying the nonce), ``/userinfo`` (a signed JWT, ``application/jwt``,
with ``email``, ``given_name``, ``usual_name``), ``/jwks`` (the public key). Tokens are signed
with joserfc (the maintained JOSE library of the Authlib project). Nothing of our code is mocked:
our backend talks to it over real HTTP.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


class LocalOIDCProvider:
    def __init__(self, client_id: str = "pvd-test", client_secret: str = "secret-de-test"):  # noqa: S107
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "cle-test", "alg": "RS256", "use": "sig"})
        self.user_claims: dict = {}
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def sign(self, claims: dict) -> str:
        return jwt.encode({"alg": "RS256", "kid": "cle-test"}, claims, self.key)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(
                self, status: int, body: str | bytes = b"", content_type="application/json", headers=None
            ):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                provider.requests.append(f"GET {url.path}")
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path.endswith("/authorize"):
                    return self.authorize(params)
                if url.path.endswith("/userinfo"):
                    return self.userinfo()
                if url.path.endswith("/jwks"):
                    jwk = provider.key.as_dict(private=False)
                    return self._send(200, json.dumps({"keys": [jwk]}))
                return self._send(404, "{}")

            def do_POST(self):
                url = urlparse(self.path)
                provider.requests.append(f"POST {url.path}")
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if url.path.endswith("/token"):
                    return self.token(form)
                return self._send(404, "{}")

            def authorize(self, params):
                if params.get("client_id") != provider.client_id or params.get("response_type") != "code":
                    return self._send(400, json.dumps({"error": "invalid_request"}))
                if "openid" not in params.get("scope", "").split():
                    return self._send(400, json.dumps({"error": "invalid_scope"}))
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {
                    "redirect_uri": params["redirect_uri"],
                    "nonce": params.get("nonce"),
                    "acr": params.get("acr_values"),
                }
                location = params["redirect_uri"] + "?" + urlencode({"code": code, "state": params["state"]})
                return self._send(302, b"", "text/plain", {"Location": location})

            def token(self, form):
                if (
                    form.get("client_id") != provider.client_id
                    or form.get("client_secret") != provider.client_secret
                ):
                    return self._send(401, json.dumps({"error": "invalid_client"}))
                grant = provider.codes.pop(form.get("code", ""), None)  # single use
                if grant is None or form.get("grant_type") != "authorization_code":
                    return self._send(400, json.dumps({"error": "invalid_grant"}))
                if form.get("redirect_uri") != grant["redirect_uri"]:
                    return self._send(400, json.dumps({"error": "invalid_grant", "detail": "redirect_uri"}))
                now = int(time.time())
                access_token = secrets.token_urlsafe(24)
                provider.access_tokens[access_token] = dict(provider.user_claims)
                id_token = provider.sign(
                    {
                        "iss": provider.issuer,
                        "sub": provider.user_claims["sub"],
                        "aud": provider.client_id,
                        "iat": now,
                        "exp": now + 60,
                        "nonce": grant["nonce"],
                        "acr": grant["acr"] or "eidas1",
                    }
                )
                body = {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 60,
                    "id_token": id_token,
                }
                return self._send(200, json.dumps(body))

            def userinfo(self):
                auth = self.headers.get("Authorization", "")
                claims = provider.access_tokens.get(auth.removeprefix("Bearer "))
                if claims is None:
                    return self._send(401, json.dumps({"error": "invalid_token"}))
                signed = provider.sign({**claims, "iss": provider.issuer, "aud": provider.client_id})
                return self._send(200, signed, "application/jwt")

        return Handler
