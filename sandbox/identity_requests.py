"""Reading the Identity control plane's request bodies: names, URL lists, tags, provider
configurations and pagination, with AWS's constraints (CreateWorkloadIdentity and
CreateOauth2CredentialProvider API docs)."""

from __future__ import annotations

import re
from typing import Any

from sandbox.errors import not_found, validation

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


def name_of(body: dict[str, Any], pattern: re.Pattern[str], hint: str) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise validation(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: {hint}")
    return name


def return_urls(body: dict[str, Any]) -> list[str]:
    urls = body.get("allowedResourceOauth2ReturnUrls", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
        raise validation("allowedResourceOauth2ReturnUrls must be a list of URLs")
    return list(urls)


def tags_of(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or len(tags) > 50:
        raise validation("tags must be a map of at most 50 entries")
    return {str(k): str(v) for k, v in tags.items()}


def tag_operation(
    tags: dict[str, dict[str, str]], method: str, arn: str, body: dict[str, Any], tag_keys: list[str]
) -> dict[str, Any]:
    """ListTagsForResource (GET), TagResource (POST), UntagResource (DELETE) on `tags` (ARN -> tags), for the
    control planes the sandbox models itself; the caller holds its lock."""
    if arn not in tags:
        raise not_found(f"resource {arn}")
    if method == "GET":
        return {"tags": dict(tags[arn])}
    if method == "POST":
        tags[arn].update(tags_of(body.get("tags")))
    elif method == "DELETE":
        for key in tag_keys:
            tags[arn].pop(key, None)
    return {}


def provider_config(body: dict[str, Any]) -> tuple[str, str, str]:
    vendor = body.get("credentialProviderVendor")
    if vendor not in SIMPLE_VENDORS:
        raise validation(f"credentialProviderVendor {vendor!r} is not supported by the sandbox")
    key = vendor[0].lower() + vendor[1:] + "ProviderConfig"
    config = (body.get("oauth2ProviderConfigInput") or {}).get(key)
    if not isinstance(config, dict) or not config.get("clientId") or not config.get("clientSecret"):
        raise validation(f"oauth2ProviderConfigInput.{key} with clientId and clientSecret is required for {vendor}")
    return vendor, config["clientId"], config["clientSecret"]


def page(items: list[dict[str, Any]], body: dict[str, Any], key: str) -> dict[str, Any]:
    size = int(body.get("maxResults") or 20)
    start = int(body.get("nextToken") or 0)
    result: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        result["nextToken"] = str(start + size)
    return result
