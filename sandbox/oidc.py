"""A test OIDC issuer: discovery document, JWKS, and JWTs minted for named test users.

POST /oidc/token  {"user": "alice", "client_id": "sandbox-demo"}  ->  {"access_token": "<jwt>"}
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from sandbox.errors import validation

DEFAULT_CLIENT = "sandbox-demo"
TOKEN_LIFETIME = 3600


class OidcIssuer:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]

    def issuer(self, base_url: str) -> str:
        return f"{base_url}/oidc"

    def discovery(self, base_url: str) -> dict[str, Any]:
        issuer = self.issuer(base_url)
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/jwks",
            "token_endpoint": f"{issuer}/token",
            "authorization_endpoint": f"{issuer}/authorize",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def mint(self, base_url: str, body: dict[str, Any]) -> dict[str, Any]:
        user = body.get("user")
        if not isinstance(user, str) or not user.isidentifier():
            raise validation("`user` must be a simple user name such as alice")
        client_id = str(body.get("client_id") or DEFAULT_CLIENT)
        now = int(time.time())
        lifetime = int(body.get("expires_in") or TOKEN_LIFETIME)
        claims = {
            "iss": self.issuer(base_url),
            "sub": user,
            "aud": client_id,
            "client_id": client_id,
            "username": user,
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
