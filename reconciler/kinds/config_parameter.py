"""A program's configuration in SSM Parameter Store (issue 22): config.json's model, made of the hand-off parts of
the resources `hand_off:` lists, as one String parameter that the program reads at cold start.

This is what breaks the hosted callback's cycle. The gateway's return URLs name the callback's function URL, so the
function exists before the gateway; its configuration (the gateway, the target's return URL, the session table)
can only be known after. So the function's environment names this parameter as a plain string (never a
reference: that would make the function depend on the gateway), and this resource, which does depend on the
gateway, is applied after it; callback/lambda_handler.py reads it at cold start and notices new versions.

The value is compact JSON, packed (handoff.config.PACKED: the shipped stack's ~4.5 KB becomes ~1.7 KB, which the
standard tier holds; a parameter already advanced stays so), at most 8 KB: Parameter Store keeps up to 4 KB in
the standard tier and 8 KB in the advanced one (user guide "Managing parameter tiers"); `Tier:
Intelligent-Tiering` lets AWS choose the standard tier unless the value needs the advanced one, and never moves
an advanced parameter back (which AWS refuses). Overwrites carry no tags (PutParameter refuses Tags with
Overwrite); ownership is the parameter's tag. After apply, when the callback's address is new, it prints the
redirect URI to register with the identity provider for the callback's sign-in (`<callback>/oauth/signed-in`),
beside the GitHub callback URL.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError, field_validator

from handoff.config import HandOff, merge_parts
from handoff.links import RETURN_PATH, callback_address
from reconciler.aws import ignore_missing
from reconciler.kinds import ssm_parameters as ssm
from reconciler.kinds.base import HAND_OFF, Context, Kind, ResourceSpec
from reconciler.kinds.hand_off_text import CONTEXT, hand_off_text, stored_hand_off
from reconciler.kinds.waiting import ResourceFailed
from reconciler.live import OWNER_TAG, Live
from reconciler.spec.interpolation import EXPRESSION, REF, UNKNOWN, holds_unknown

MAX_VALUE = 8192
"""Characters of an advanced-tier parameter (user guide "Managing parameter tiers")."""


class ConfigParameterSpec(ResourceSpec):
    kind: Literal["config_parameter"]
    hand_off: list[str]
    """`${resource.hand_off}` references: the parts of config.json the program reads."""

    @field_validator("hand_off")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        for item in value:
            whole = EXPRESSION.fullmatch(item)
            ref = REF.match(whole.group(1).strip()) if whole else None
            if ref is None or ref.group(2) != HAND_OFF:
                raise ValueError(
                    f"{item!r} is not a reference to a resource's hand-off: write ${{<resource>.{HAND_OFF}}}"
                )
        return value


class ConfigParameter(Kind):
    kind = "config_parameter"
    spec_model = ConfigParameterSpec
    discovery_group = "callback"
    hand_off_field = "hand_off"
    attributes = frozenset({"arn"})
    """Not `name`: the function names this parameter by a plain string, and destroy orders resources by the live
    outputs other resources' documents hold (reconciler/ordering.py); a `name` output equal to that string would
    order the function after its configuration and close the cycle this kind exists to break."""
    name_pattern = ssm.NAME_PATTERN
    name_hint = ssm.NAME_HINT

    def default_name(self, stack: str, logical: str) -> str:
        return ssm.default_name(stack, logical)

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"hand_off": merged(spec.get("hand_off", []))}

    def notices(self, before: Live | None, after: Live) -> tuple[str, ...]:
        """The sign-in's redirect URI, whenever the callback's address is new (the identity provider must list it)."""
        url = _sign_in_redirect(after.document["hand_off"])
        if url is None or (before is not None and _sign_in_redirect(before.document["hand_off"]) == url):
            return ()
        return (
            f"Redirect URI of the OAuth callback's sign-in (parameter {after.name}):\n  {url}\n"
            "Register it with your identity provider as an allowed redirect (callback) URL of the sign-in client "
            "(the gateway's allowed client, or OIDC_CLIENT_ID). Until you do, the callback cannot sign users in.",
        )

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        with ignore_missing(ssm.not_found) as missing:
            found, tags = ctx.gather(
                lambda: ctx.clients.ssm.get_parameter(Name=name)["Parameter"], lambda: ssm.tags_of(ctx, name)
            )
        if missing:
            return None
        return Live(
            name=name,
            owned=tags.get(OWNER_TAG) == ctx.stack,
            document={"hand_off": stored_hand_off(found["Value"])},
            outputs={"id": found["ARN"], "arn": found["ARN"]},
            tags=tags,
        )

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        return [(name, {}) for name in ssm.under_stack(ctx, "String")]

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        return ssm.owners(ctx, "String")

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        doc = self.desired(name, spec, stack=ctx.stack)
        tags = [{"Key": k, "Value": v} for k, v in ctx.owner_tags.items()]
        self._put(ctx, name, doc, Tags=tags)
        return self._read_back(ctx, name)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        self._put(ctx, live.name, self.desired(live.name, spec, stack=ctx.stack), Overwrite=True)
        return self._read_back(ctx, live.name)

    def delete(self, ctx: Context, live: Live) -> None:
        ssm.delete(ctx, live.name)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        ssm.add_tags(ctx, live.name, tags)

    def _put(self, ctx: Context, name: str, doc: dict[str, Any], **options: Any) -> None:
        value = hand_off_text(
            doc["hand_off"],
            stack=ctx.stack,
            region=ctx.clients.region,
            limit=MAX_VALUE,
            holder="a parameter (the advanced tier)",
        )
        ctx.clients.ssm.put_parameter(
            Name=name,
            Value=value,
            Type="String",
            Tier="Intelligent-Tiering",
            Description=f"configuration written by reconcile apply (stack {ctx.stack})",
            **options,
        )

    def _read_back(self, ctx: Context, name: str) -> Live:
        found = self.read(ctx, name, {})
        if found is None:
            raise ResourceFailed(f"parameter {name} was written but cannot be read back; re-run apply")
        return found


def merged(parts: list[Any]) -> Any:
    """The parts as one HandOff document, defaults left out (so the live copy compares equal); UNKNOWN until every
    part is known."""
    if any(holds_unknown(part) for part in parts):
        return UNKNOWN
    document = merge_parts(parts)
    try:
        config = HandOff.model_validate({**document, "stack": "-", "region": "-"})
    except ValidationError:
        return document  # apply says what is wrong (hand_off_text)
    dumped = config.model_dump(mode="json", exclude_defaults=True)
    return {k: v for k, v in dumped.items() if k not in CONTEXT}


def _sign_in_redirect(hand_off: Any) -> str | None:
    """`<callback>/oauth/signed-in` when the configuration signs users in (a CUSTOM_JWT gateway), else None."""
    if not isinstance(hand_off, dict):
        return None
    authorizer = (hand_off.get("gateway") or {}).get("authorizer") or {}
    url = hand_off.get("callback_url")
    if authorizer.get("type") != "CUSTOM_JWT" or not authorizer.get("discovery_url") or not url:
        return None
    return callback_address(url, RETURN_PATH)
