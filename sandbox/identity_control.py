"""AgentCore Identity control plane: workload identities and OAuth2 credential providers
(`POST /identities/<Operation>`), with their tags. moto does not model these.

Besides the API, it holds each gateway's own workload identity (created and deleted with the
gateway: sandbox.gateway_identity) and answers whether a return URL is registered on it.

OAuth2 credential providers are deleted asynchronously on AWS: status DELETING, then gone, or
DELETE_FAILED (botocore's status enum; hashicorp/terraform-provider-aws
internal/service/bedrockagentcore/oauth2_credential_provider.go waits through DELETING until
not found). How long it lasts is UNCONFIRMED; the sandbox makes it strict and deterministic: after
DeleteOauth2CredentialProvider the provider is DELETING until one GetOauth2CredentialProvider has
seen it so (that Get answers status DELETING; the next one ResourceNotFound). While DELETING the
name cannot be created again, updated or deleted (ConflictException; UNCONFIRMED for the last two),
and the provider still appears in ListOauth2CredentialProviders (UNCONFIRMED).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.errors import AwsError, conflict, not_found, validation
from sandbox.identity_requests import (
    PROVIDER_NAME,
    WORKLOAD_NAME,
    name_of,
    page,
    provider_config,
    return_urls,
    tag_operation,
    tags_of,
)

ACCOUNT = "123456789012"
# GetResourceOauth2Token's refusal (ValidationException) when the return URL is not registered on the
# workload identity: awslabs/agentcore-samples#528. The API doc: resourceOauth2ReturnUrl "must be one
# of the provided URLs configured for the workload identity".
RETURN_URL_NOT_REGISTERED = (
    "You must register and use at least one ResourceOauth2ReturnUrl on your workload identity to use this flow"
)


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
        self.providers: dict[str, Provider] = {}  # live ones; the data plane and GitHub see only these
        self.deleting: dict[str, Provider] = {}
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
            return tag_operation(self.tags, method, arn, body, tag_keys)

    # the gateways' own identities (sandbox.gateway_identity.IdentityDirectory)
    def create_service_identity(self, name: str, *, region: str) -> str:
        with self.lock:
            return self._new_identity(name, region, []).arn

    def delete_service_identity(self, name: str) -> None:
        with self.lock:
            wi = self.identities.pop(name, None)
            if wi is not None:
                self.tags.pop(wi.arn, None)

    def check_return_url(self, identity_name: str, return_url: str) -> None:
        """What GetResourceOauth2Token checks before a 3LO flow starts: the return URL must be one
        registered on the workload identity (exact string match: UNCONFIRMED, the strict reading)."""
        with self.lock:
            wi = self.identities.get(identity_name)
            registered = list(wi.return_urls) if wi else []
        if wi is None:
            raise not_found(f"workload identity {identity_name}")
        if return_url not in registered:
            raise validation(RETURN_URL_NOT_REGISTERED)

    # workload identities
    def _op_CreateWorkloadIdentity(self, body: dict[str, Any], *, region: str, base_url: str) -> dict[str, Any]:
        name = name_of(body, WORKLOAD_NAME, "3-255 characters from [A-Za-z0-9_.-]")
        if name in self.identities:
            raise conflict(f"workload identity {name} already exists")
        wi = self._new_identity(name, region, return_urls(body))
        self.tags[wi.arn] = tags_of(body.get("tags"))
        return {"name": name, "workloadIdentityArn": wi.arn, "allowedResourceOauth2ReturnUrls": wi.return_urls}

    def _new_identity(self, name: str, region: str, urls: list[str]) -> WorkloadIdentity:
        arn = (
            f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:workload-identity-directory/default/workload-identity/{name}"
        )
        wi = self.identities[name] = WorkloadIdentity(name, arn, urls)
        self.tags.setdefault(arn, {})
        return wi

    def _op_GetWorkloadIdentity(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        return self._identity_doc(self._identity(body))

    def _op_UpdateWorkloadIdentity(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        wi = self._identity(body)
        wi.return_urls, wi.updated = return_urls(body), _now()
        return self._identity_doc(wi)

    def _op_DeleteWorkloadIdentity(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        wi = self._identity(body)
        del self.identities[wi.name]
        self.tags.pop(wi.arn, None)
        return {}

    def _op_ListWorkloadIdentities(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        items = [{"name": w.name, "workloadIdentityArn": w.arn} for w in self.identities.values()]
        return page(items, body, "workloadIdentities")

    # OAuth2 credential providers
    def _op_CreateOauth2CredentialProvider(self, body: dict[str, Any], *, region: str, base_url: str) -> dict[str, Any]:
        name = name_of(body, PROVIDER_NAME, "1-128 characters from [a-zA-Z0-9-_]")
        self._refuse_if_deleting(name)
        if name in self.providers:
            raise conflict(f"credential provider {name} already exists")
        vendor, client_id, secret = provider_config(body)
        arn = f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:token-vault/default/oauth2credentialprovider/{name}"
        callback = f"{base_url}/identities/oauth2/callback/{uuid.uuid4()}"
        provider = self.providers[name] = Provider(name, arn, vendor, client_id, secret, callback)
        self.tags[arn] = tags_of(body.get("tags"))
        return {**self._provider_doc(provider, base_url), "clientSecretSource": "MANAGED"}

    def _op_GetOauth2CredentialProvider(self, body: dict[str, Any], *, base_url: str, **_: Any) -> dict[str, Any]:
        name = body.get("name", "")
        if name in self.deleting:  # seen DELETING once; gone from now on
            provider = self.deleting.pop(name)
            self.tags.pop(provider.arn, None)
            return {**self._provider_doc(provider, base_url), "status": "DELETING"}
        return self._provider_doc(self._provider(body), base_url)

    def _op_UpdateOauth2CredentialProvider(self, body: dict[str, Any], *, base_url: str, **_: Any) -> dict[str, Any]:
        self._refuse_if_deleting(body.get("name", ""))
        provider = self._provider(body)
        vendor, client_id, secret = provider_config(body)
        if vendor != provider.vendor:
            raise validation("credentialProviderVendor cannot be changed; create a new provider")
        provider.client_id, provider.client_secret, provider.updated = client_id, secret, _now()
        return self._provider_doc(provider, base_url)

    def _op_DeleteOauth2CredentialProvider(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        self._refuse_if_deleting(body.get("name", ""))
        provider = self._provider(body)
        self.deleting[provider.name] = self.providers.pop(provider.name)
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
            for p in [*self.providers.values(), *self.deleting.values()]
        ]
        return page(items, body, "credentialProviders")

    def _refuse_if_deleting(self, name: str) -> None:
        if name in self.deleting:
            raise conflict(f"credential provider {name} is being deleted (DELETING); wait until it is gone")

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
