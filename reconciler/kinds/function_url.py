"""A Lambda function URL (issue 22): the HTTPS address AWS gives a function, `https://<id>.lambda-url.<region>.on.aws/`.

Its own resource, depending only on its function, so that what must know the URL (the gateway's return URLs,
the target's default return URL) can be applied after it while the function itself knows nothing of them:
that breaks the cycle callback -> gateway -> callback URL by construction (README "The hosted callback").

`auth_type: NONE` is for browsers; AWS then answers only when the function's resource-based policy grants
everyone both `lambda:InvokeFunctionUrl` (with FunctionUrlAuthType NONE) and `lambda:InvokeFunction`
(developer guide "Control access to Lambda function URLs": both required from October 2025), so the kind adds
those two statements (the console's statement ids) and removes them with the URL. Terraform's
aws_lambda_function_url is the reference: `function_name` and `qualifier` are ForceNew (here: the function
is the owner, so another function is another resource); auth type, invoke mode and CORS update in place.
Owned through its function; its applied fingerprint is a tag on the function, `reconcile:applied:<name>`. AWS gives
a URL no name, so that tag is also how a URL removed from the stack is found again (`discover`): an owned function
carrying a URL and the tag of a name the stack no longer declares.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from reconciler.aws import ignore_missing
from reconciler.kinds.base import Context, Kind, ResourceSpec
from reconciler.live import APPLIED_TAG, OWNER_TAG, Live
from reconciler.spec.interpolation import Unknown

STATEMENTS: dict[str, dict[str, Any]] = {
    "FunctionURLAllowPublicAccess": {"Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "NONE"},
    "FunctionURLAllowInvokeAction": {"Action": "lambda:InvokeFunction", "InvokedViaFunctionUrl": True},
}
"""The two grants a NONE URL needs, by statement id, as AddPermission takes them (Principal "*")."""


class FunctionUrlSpec(ResourceSpec):
    kind: Literal["function_url"]
    function: str
    """The function's name (`${callback.name}`)."""
    auth_type: Literal["NONE", "AWS_IAM"] = "NONE"
    invoke_mode: Literal["BUFFERED", "RESPONSE_STREAM"] = "BUFFERED"


class FunctionUrl(Kind):
    kind = "function_url"
    spec_model = FunctionUrlSpec
    discovery_group = "callback"
    attributes = frozenset({"url", "function"})
    owner_field = "function"
    owner_kind = "lambda_function"
    name_pattern = r"[a-zA-Z0-9_-]{1,64}"
    name_hint = "up to 64 letters, digits, - or _"

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        auth_type = spec.get("auth_type", "NONE")
        return {
            "function": spec["function"],
            "auth_type": auth_type,
            "invoke_mode": spec.get("invoke_mode", "BUFFERED"),
            "public": auth_type == "NONE",
        }

    def owner_name(self, ctx: Context, child: Live) -> str | None:
        """The function the URL belongs to (by name, or by ARN: the last part of one)."""
        return str(child.outputs["function"]).rsplit(":function:", 1)[-1]

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        function = spec["function"]
        if isinstance(function, Unknown):
            return None
        client = ctx.clients.lambda_
        with ignore_missing() as missing:
            found = client.get_function_url_config(FunctionName=function)
        if missing:
            return None
        with ignore_missing() as no_policy:
            policy = json.loads(client.get_policy(FunctionName=function)["Policy"])
        granted = set() if no_policy else {s.get("Sid") for s in policy.get("Statement", [])}
        return Live(
            name=name,
            owned=True,
            document={
                "function": function,
                "auth_type": found["AuthType"],
                "invoke_mode": found.get("InvokeMode", "BUFFERED"),
                "public": set(STATEMENTS) <= granted,
            },
            outputs={"id": found["FunctionUrl"], "url": found["FunctionUrl"], "function": function},
        )

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        """The URL names an owned function's applied tags record (`read` then says whether the URL is there). A URL
        added to one of our functions by hand carries no such tag and is left alone."""
        prefix = f"{APPLIED_TAG}:"
        return [
            (key.removeprefix(prefix), {"function": function.outputs["name"]})
            for function in parents.values()
            if function.owned
            for key in function.tags
            if key.startswith(prefix)
        ]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc = self.desired(name, spec, stack=ctx.stack)
        ctx.clients.lambda_.create_function_url_config(
            FunctionName=doc["function"], AuthType=doc["auth_type"], InvokeMode=doc["invoke_mode"]
        )
        self._grant(ctx, doc)
        return self._read_back(ctx, name, doc)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        doc = self.desired(live.name, spec, stack=ctx.stack)
        if (live.document["auth_type"], live.document["invoke_mode"]) != (doc["auth_type"], doc["invoke_mode"]):
            ctx.clients.lambda_.update_function_url_config(
                FunctionName=doc["function"], AuthType=doc["auth_type"], InvokeMode=doc["invoke_mode"]
            )
        self._revoke(ctx, doc["function"])
        self._grant(ctx, doc)
        return self._read_back(ctx, live.name, doc)

    def delete(self, ctx: Context, live: Live) -> None:
        """The URL, its grants, and the function's applied tag of it (else `discover` would later take a URL
        added by hand for this one)."""
        function, client = live.outputs["function"], ctx.clients.lambda_
        with ignore_missing():
            client.delete_function_url_config(FunctionName=function)
        self._revoke(ctx, function)
        with ignore_missing():
            arn = client.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
            client.untag_resource(Resource=arn, TagKeys=[self.applied_key(live.name)])

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        """Owned through its function, whose tags hold this URL's applied fingerprint."""
        client = ctx.clients.lambda_
        arn = client.get_function(FunctionName=live.outputs["function"])["Configuration"]["FunctionArn"]
        client.tag_resource(Resource=arn, Tags={k: v for k, v in tags.items() if k != OWNER_TAG})

    def applied_key(self, name: str) -> str:
        return f"{APPLIED_TAG}:{name}"

    def applied_fingerprint(self, live: Live, parent: Live | None) -> str | None:
        return parent.tags.get(self.applied_key(live.name)) if parent else None

    def _grant(self, ctx: Context, doc: dict[str, Any]) -> None:
        if not doc["public"]:
            return
        for sid, grant in STATEMENTS.items():
            ctx.clients.lambda_.add_permission(FunctionName=doc["function"], StatementId=sid, Principal="*", **grant)

    def _revoke(self, ctx: Context, function: str) -> None:
        for sid in STATEMENTS:
            with ignore_missing():
                ctx.clients.lambda_.remove_permission(FunctionName=function, StatementId=sid)

    def _read_back(self, ctx: Context, name: str, doc: dict[str, Any]) -> Live:
        live = self.read(ctx, name, {"function": doc["function"]})
        assert live is not None
        return live
