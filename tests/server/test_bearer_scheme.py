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
