"""AgentCore Identity control plane: workload identities and OAuth2 credential providers
(`POST /identities/<Operation>`), with their tags. moto does not model these."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.errors import AwsError, conflict, not_found, validation

ACCOUNT = "123456789012"
WORKLOAD_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
PROVIDER_NAME = re.compile(r"[a-zA-Z0-9\-_]{1,128}")
SIMPLE_VENDORS = {
    "GithubOauth2",
    "GoogleOauth2",
    "SlackOauth2",
    "SalesforceOauth2",
    "MicrosoftOauth2",
    "AtlassianOauth2",
    "LinkedinOauth2",
}


def _now() -> float:
    return datetime.now(UTC).timestamp()


@dataclass
class Provider:
    name: str
    arn: str
    vendor: str
    client_id: str
    client_secret: str
    callback_url: str
    created: float = field(default_factory=_now)
    updated: float = field(default_factory=_now)


@dataclass
class WorkloadIdentity:
    name: str
    arn: str
    return_urls: list[str]
    created: float = field(default_factory=_now)
    updated: float = field(default_factory=_now)


class IdentityControl:
    """Thread-safe in-memory store; one per sandbox."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.identities: dict[str, WorkloadIdentity] = {}
        self.providers: dict[str, Provider] = {}
        self.tags: dict[str, dict[str, str]] = {}

    def handle(self, operation: str, body: dict[str, Any], *, region: str, base_url: str) -> dict[str, Any]:
        handler: Callable[..., dict[str, Any]] | None = getattr(self, f"_op_{operation}", None)
        if handler is None:
            raise AwsError(
                "UnknownOperationException", f"identities operation {operation} is not implemented by the sandbox", 404
            )
        with self.lock:
            return handler(body, region=region, base_url=base_url)

    def owns_arn(self, arn: str) -> bool:
        return ":workload-identity-directory/" in arn or ":token-vault/" in arn

    def tag_op(self, method: str, arn: str, body: dict[str, Any], tag_keys: list[str]) -> dict[str, Any]:
        with self.lock:
            if arn not in self.tags:
                raise not_found(f"resource {arn}")
            if method == "GET":
                return {"tags": dict(self.tags[arn])}
            if method == "POST":
                self.tags[arn].update(_tags(body.get("tags")))
            elif method == "DELETE":
                for key in tag_keys:
                    self.tags[arn].pop(key, None)
            return {}

    # workload identities
    def _op_CreateWorkloadIdentity(self, body: dict[str, Any], *, region: str, base_url: str) -> dict[str, Any]:
        name = _name(body, WORKLOAD_NAME, "3-255 characters from [A-Za-z0-9_.-]")
        if name in self.identities:
            raise conflict(f"workload identity {name} already exists")
        arn = (
            f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:workload-identity-directory/default/workload-identity/{name}"
        )
        wi = self.identities[name] = WorkloadIdentity(name, arn, _urls(body))
        self.tags[arn] = _tags(body.get("tags"))
        return {"name": name, "workloadIdentityArn": arn, "allowedResourceOauth2ReturnUrls": wi.return_urls}

    def _op_GetWorkloadIdentity(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        return self._identity_doc(self._identity(body))

    def _op_UpdateWorkloadIdentity(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        wi = self._identity(body)
        wi.return_urls, wi.updated = _urls(body), _now()
        return self._identity_doc(wi)

    def _op_DeleteWorkloadIdentity(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        wi = self._identity(body)
        del self.identities[wi.name]
        self.tags.pop(wi.arn, None)
        return {}

    def _op_ListWorkloadIdentities(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        items = [{"name": w.name, "workloadIdentityArn": w.arn} for w in self.identities.values()]
        return _page(items, body, "workloadIdentities")

    # OAuth2 credential providers
    def _op_CreateOauth2CredentialProvider(self, body: dict[str, Any], *, region: str, base_url: str) -> dict[str, Any]:
        name = _name(body, PROVIDER_NAME, "1-128 characters from [a-zA-Z0-9-_]")
        if name in self.providers:
            raise conflict(f"credential provider {name} already exists")
        vendor, client_id, secret = _provider_config(body)
        arn = f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:token-vault/default/oauth2credentialprovider/{name}"
        callback = f"{base_url}/identities/oauth2/callback/{uuid.uuid4()}"
        provider = self.providers[name] = Provider(name, arn, vendor, client_id, secret, callback)
        self.tags[arn] = _tags(body.get("tags"))
        return {**self._provider_doc(provider, base_url), "clientSecretSource": "MANAGED"}

    def _op_GetOauth2CredentialProvider(self, body: dict[str, Any], *, base_url: str, **_: Any) -> dict[str, Any]:
        return self._provider_doc(self._provider(body), base_url)

    def _op_UpdateOauth2CredentialProvider(self, body: dict[str, Any], *, base_url: str, **_: Any) -> dict[str, Any]:
        provider = self._provider(body)
        vendor, client_id, secret = _provider_config(body)
        if vendor != provider.vendor:
            raise validation("credentialProviderVendor cannot be changed; create a new provider")
        provider.client_id, provider.client_secret, provider.updated = client_id, secret, _now()
        return self._provider_doc(provider, base_url)

    def _op_DeleteOauth2CredentialProvider(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        provider = self._provider(body)
        del self.providers[provider.name]
        self.tags.pop(provider.arn, None)
        return {}

    def _op_ListOauth2CredentialProviders(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        items = [
            {
                "name": p.name,
                "credentialProviderVendor": p.vendor,
                "credentialProviderArn": p.arn,
                "createdTime": p.created,
                "lastUpdatedTime": p.updated,
            }
            for p in self.providers.values()
        ]
        return _page(items, body, "credentialProviders")

    def _identity(self, body: dict[str, Any]) -> WorkloadIdentity:
        name = body.get("name", "")
        if name not in self.identities:
            raise not_found(f"workload identity {name}")
        return self.identities[name]

    def _provider(self, body: dict[str, Any]) -> Provider:
        name = body.get("name", "")
        if name not in self.providers:
            raise not_found(f"credential provider {name}")
        return self.providers[name]

    def _identity_doc(self, wi: WorkloadIdentity) -> dict[str, Any]:
        return {
            "name": wi.name,
            "workloadIdentityArn": wi.arn,
            "allowedResourceOauth2ReturnUrls": wi.return_urls,
            "createdTime": wi.created,
            "lastUpdatedTime": wi.updated,
        }

    def _provider_doc(self, p: Provider, base_url: str) -> dict[str, Any]:
        key = p.vendor[0].lower() + p.vendor[1:] + "ProviderConfig"
        metadata = {
            "issuer": f"{base_url}/github",
            "authorizationEndpoint": f"{base_url}/github/login/oauth/authorize",
            "tokenEndpoint": f"{base_url}/github/login/oauth/access_token",
            "responseTypes": ["code"],
        }
        return {
            "name": p.name,
            "credentialProviderArn": p.arn,
            "credentialProviderVendor": p.vendor,
            "callbackUrl": p.callback_url,
            "oauth2ProviderConfigOutput": {
                key: {"clientId": p.client_id, "oauthDiscovery": {"authorizationServerMetadata": metadata}}
            },
            "createdTime": p.created,
            "lastUpdatedTime": p.updated,
            "status": "READY",
        }


def _name(body: dict[str, Any], pattern: re.Pattern[str], hint: str) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise validation(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: {hint}")
    return name


def _urls(body: dict[str, Any]) -> list[str]:
    urls = body.get("allowedResourceOauth2ReturnUrls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
        raise validation("allowedResourceOauth2ReturnUrls must be a list of URLs")
    return list(urls)


def _tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or len(tags) > 50:
        raise validation("tags must be a map of at most 50 entries")
    return {str(k): str(v) for k, v in tags.items()}


def _provider_config(body: dict[str, Any]) -> tuple[str, str, str]:
    vendor = body.get("credentialProviderVendor")
    if vendor not in SIMPLE_VENDORS:
        raise validation(f"credentialProviderVendor {vendor!r} is not supported by the sandbox")
    key = vendor[0].lower() + vendor[1:] + "ProviderConfig"
    config = (body.get("oauth2ProviderConfigInput") or {}).get(key)
    if not isinstance(config, dict) or not config.get("clientId") or not config.get("clientSecret"):
        raise validation(f"oauth2ProviderConfigInput.{key} with clientId and clientSecret is required for {vendor}")
    return vendor, config["clientId"], config["clientSecret"]


def _page(items: list[dict[str, Any]], body: dict[str, Any], key: str) -> dict[str, Any]:
    size = int(body.get("maxResults") or 20)
    start = int(body.get("nextToken") or 0)
    result: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        result["nextToken"] = str(start + size)
    return result
