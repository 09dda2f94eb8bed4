"""RFC 6750 bearer credentials with any capitalisation of the scheme (issue 12, item 8)."""

from __future__ import annotations

import pytest

from server.identity import IdentitySettings, NoCredential, caller_from

SETTINGS = IdentitySettings(authorizer="CUSTOM_JWT", region="us-east-1")
JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsInVzZXJuYW1lIjoiYWxpY2UifQ."


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
@pytest.mark.parametrize("header", ["Authorization", SETTINGS.token_header])
def test_bearer_scheme_is_case_insensitive(scheme: str, header: str) -> None:
    caller = caller_from(SETTINGS, {header: f"{scheme} {JWT}"})
    assert caller.identifier == JWT and caller.bearer == JWT and caller.display_name == "alice"


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "bearer", JWT, "Bearer" + JWT])
def test_other_authorization_values_are_no_bearer_credential(value: str) -> None:
    with pytest.raises(NoCredential):
        caller_from(SETTINGS, {"Authorization": value})


OTHER = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IiLCJ1c2VybmFtZSI6ImJvYiJ9."


def test_a_bearer_and_a_different_custom_header_token_are_refused() -> None:
    """Behind a runtime with a JWT authorizer, AgentCore checked the Authorization token, not the custom header:
    acting on the header's token would act for someone the runtime never authenticated (issue 21)."""
    with pytest.raises(NoCredential, match="two different user tokens"):
        caller_from(SETTINGS, {"Authorization": f"Bearer {JWT}", SETTINGS.token_header: OTHER})
    same = caller_from(SETTINGS, {"Authorization": f"Bearer {JWT}", SETTINGS.token_header: f"Bearer {JWT}"})
    assert same.identifier == JWT


def test_sigv4_in_authorization_leaves_the_custom_header_as_the_token() -> None:
    signed = "AWS4-HMAC-SHA256 Credential=AKIA/20261202/us-east-1/bedrock-agentcore/aws4_request, Signature=ab"
    assert caller_from(SETTINGS, {"Authorization": signed, SETTINGS.token_header: OTHER}).identifier == OTHER
