"""Server-side SigV4 verification for the sandbox gateway's AWS_IAM authorizer.

The signature is recomputed with botocore's own SigV4Auth over exactly the headers the client
signed, so anything botocore signs correctly verifies here.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.wrappers import Request

AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)
MAX_SKEW_SECONDS = 900


class SignatureError(Exception):
    pass


class AccountKeys(dict[str, str]):
    """The access keys a request may be signed with: the sandbox's own (the items), and every Active key of the
    account's IAM users (iam:CreateAccessKey in the sandbox), looked up when asked, as AWS takes any active key
    of the account; so two people with their own keys are two principals. Whether each may call the operation
    is not evaluated here (IAM policies): AWS would also refuse a principal without the action."""

    def __init__(self, own: dict[str, str], account: str) -> None:
        super().__init__(own)
        self.account = account

    def _users(self) -> dict[str, str]:
        from moto.iam.models import iam_backends

        backend = iam_backends[self.account]["global"]
        return {
            key.access_key_id: key.secret_access_key
            for user in backend.users.values()
            for key in user.access_keys
            if key.status == "Active"
        }

    def __contains__(self, akid: object) -> bool:
        return super().__contains__(akid) or akid in self._users()

    def __missing__(self, akid: str) -> str:
        return self._users()[akid]


def access_key_id(request: Request) -> str | None:
    """The access key a request says it is signed with (its Authorization header), unverified: for the control
    planes moto serves, which do not check signatures, to tell whose policies decide (sandbox.iam_simulation)."""
    match = AUTH.fullmatch(request.headers.get("Authorization", "").strip())
    return match["akid"] if match else None


def verify_sigv4(request: Request, secrets: Mapping[str, str], *, service: str) -> str:
    """Returns the access key id of a correctly signed request; raises SignatureError otherwise."""
    match = AUTH.fullmatch(request.headers.get("Authorization", "").strip())
    if match is None:
        raise SignatureError("missing or malformed SigV4 Authorization header")
    akid = match["akid"]
    if akid not in secrets:
        raise SignatureError(f"unknown access key {akid}")
    if match["service"] != service:
        raise SignatureError(f"signed for service {match['service']}, expected {service}")
    stamp = request.headers.get("X-Amz-Date", "")
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise SignatureError("missing or malformed X-Amz-Date") from exc
    if abs((datetime.now(UTC) - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise SignatureError("signature expired (clock skew over 15 minutes)")
    names = match["signed"].split(";")
    headers = {name: request.headers.get(name, "") for name in names}
    raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path.rstrip("?")
    aws_request = AWSRequest(
        method=request.method, url=request.host_url.rstrip("/") + raw_path, data=request.get_data(), headers=headers
    )
    aws_request.context["timestamp"] = stamp
    token = request.headers.get("X-Amz-Security-Token")
    signer = SigV4Auth(Credentials(akid, secrets[akid], token), match["service"], match["region"])
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise SignatureError("signature does not match")
    return akid
