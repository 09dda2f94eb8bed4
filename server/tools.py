"""The MCP server's tools, as methods of `Tools`, which holds what they share (one gateway client, one
session store, one identity policy); server/app.py registers them on the MCPServer. Each tool: find the
caller's credential, call the gateway, and turn the outcome into a result. -32042 from the gateway
becomes URL elicitation for clients that declared it, and a plain "authorization needed" result with the
link for every other client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

import anyio
from mcp import UrlElicitationRequiredError
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ElicitRequestURLParams, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from handoff.links import consent_link, digest, new_link_value
from handoff.sessions import SessionStore, SessionUnavailable
from server.config import ServerConfig
from server.gateway import Elicitation, GatewayClient, GatewayFailure
from server.identity import Caller, IdentitySettings, NoCredential, caller_from
from server.models import AuthorizationRequired, Profile, RepositoriesPage, Repository

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=True)


class Tools:
    """The tools' shared machinery, and the tools themselves (`tools()`): the SDK reads each method's
    name, docstring and typed parameters to describe the tool to clients."""

    def __init__(self, config: ServerConfig, identity: IdentitySettings, store: SessionStore, gateway: GatewayClient):
        self.config, self.identity, self.store, self.gateway = config, identity, store, gateway

    def tools(self) -> list[Callable[..., Awaitable[CallToolResult]]]:
        """The tools, in the order clients list them."""
        return [self.get_user_profile, self.get_user_repos]

    async def get_user_profile(self, ctx: Context) -> Annotated[CallToolResult, Profile]:
        """The signed-in user's GitHub profile: login, name, bio, public repositories, followers, following, URL."""
        data = await self.call(ctx, "getAuthenticatedUser", {})
        if isinstance(data, AuthorizationRequired):
            return _needs_authorization(Profile(authorization_required=data))
        if not isinstance(data, dict):
            raise ToolError("GitHub's answer was not a user profile")
        profile = Profile.from_github(data)
        return _result(profile, _profile_text(profile))

    async def get_user_repos(
        self,
        ctx: Context,
        per_page: Annotated[int, Field(ge=1, le=100, description="Repositories per page, 1-100.")] = 30,
        page: Annotated[int, Field(ge=1, le=10000, description="Page number, from 1.")] = 1,
        sort: Annotated[
            Literal["created", "updated", "pushed", "full_name"], Field(description="Sort key.")
        ] = "full_name",
        direction: Annotated[
            Literal["asc", "desc"] | None, Field(description="Default: asc for full_name, else desc.")
        ] = None,
        visibility: Annotated[Literal["all", "public", "private"], Field(description="Which repositories.")] = "all",
    ) -> Annotated[CallToolResult, RepositoriesPage]:
        """Repositories the signed-in user can access, one page at a time."""
        arguments: dict[str, Any] = {"per_page": per_page, "page": page, "sort": sort, "visibility": visibility}
        if direction:
            arguments["direction"] = direction
        data = await self.call(ctx, "listUserRepositories", arguments)
        if isinstance(data, AuthorizationRequired):
            return _needs_authorization(
                RepositoriesPage(page=page, per_page=per_page, has_more=False, authorization_required=data)
            )
        if not isinstance(data, list):
            raise ToolError("GitHub's answer was not a list of repositories")
        listing = RepositoriesPage(
            repositories=[Repository.from_github(r) for r in data if isinstance(r, dict)],
            page=page,
            per_page=per_page,
            has_more=len(data) >= per_page,
        )
        return _result(listing, _repos_text(listing))

    async def call(self, ctx: Context, operation_id: str, arguments: dict[str, Any]) -> Any | AuthorizationRequired:
        return await self.call_gateway(ctx, self.config.tool(operation_id), arguments)

    async def call_gateway(self, ctx: Context, name: str, arguments: dict[str, Any]) -> Any | AuthorizationRequired:
        """The gateway tool `name`'s data, or the consent link the user must open first; raises ToolError."""
        try:
            caller = caller_from(self.identity, ctx.headers)
            outcome = await self.gateway.call_tool(name, arguments, caller)
        except (NoCredential, GatewayFailure) as exc:
            raise ToolError(str(exc)) from exc
        if isinstance(outcome, Elicitation):
            return await self._authorization_needed(ctx, outcome, caller)
        return outcome

    async def _authorization_needed(
        self, ctx: Context, elicitation: Elicitation, caller: Caller
    ) -> AuthorizationRequired:
        """Record the session and answer with a one-time consent link to the callback, never AgentCore's URL:
        whoever holds that URL could approve with their own GitHub account (DESIGN §5, consent binding)."""
        session_uri = elicitation.session_uri
        if session_uri is None:
            raise ToolError(
                "the gateway asked for authorization with a URL that names no session (request_uri), so the "
                "consent cannot be bound to you; report this to the stack's operator"
            )
        value = new_link_value()
        try:
            await anyio.to_thread.run_sync(
                lambda: self.store.record(
                    session_uri=session_uri,
                    identifier_kind=caller.identifier_kind,
                    identifier=caller.identifier,
                    display_name=caller.display_name,
                    authorization_url=elicitation.url,
                    link_hash=digest(value),
                )
            )
        except SessionUnavailable as exc:
            raise ToolError(
                "AgentCore resumed an authorization that has ended (used, or cancelled because its link reached "
                "another browser); call the tool again in about 10 minutes, when AgentCore starts a new one"
            ) from exc
        link = consent_link(self.config.callback_url, value)
        message = (
            f"{caller.display_name}, GitHub access is not authorized yet. Open the link in your browser (sign in if "
            "asked), approve, then call the tool again (the link works in one browser and expires in about 10 minutes)."
        )
        capabilities = ctx.client_capabilities
        if capabilities and capabilities.elicitation and capabilities.elicitation.url is not None:
            raise UrlElicitationRequiredError(
                [ElicitRequestURLParams(message=message, url=link, elicitation_id=elicitation.elicitation_id or None)]
            )
        return AuthorizationRequired(url=link, message=message)


def _result(model: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=model.model_dump(mode="json")
    )


def _needs_authorization(model: Profile | RepositoriesPage) -> CallToolResult:
    assert model.authorization_required is not None
    return _result(model, authorization_text(model.authorization_required))


def authorization_text(auth: AuthorizationRequired) -> str:
    return f"Authorization needed. {auth.message}\n\nAuthorize here: {auth.url}"


def _profile_text(p: Profile) -> str:
    who = f"{p.login} ({p.name})" if p.name else str(p.login)
    bio = f" — {p.bio}" if p.bio else ""
    return (
        f"{who}{bio}: {p.public_repos} public repositories, {p.followers} followers, following {p.following}. {p.url}"
    )


def _repos_text(listing: RepositoriesPage) -> str:
    lines = [f"Page {listing.page} ({len(listing.repositories)} repositories, {listing.per_page} per page):"]
    for r in listing.repositories:
        flags = " [private]" if r.private else ""
        lang = f" {r.language}" if r.language else ""
        lines.append(f"- {r.full_name}{flags}{lang} ★{r.stars} — {r.url}")
    lines.append("More pages may follow." if listing.has_more else "This is the last page.")
    return "\n".join(lines)
