"""Every gateway tool through the server (issue 23): listed from the sandbox gateway with the caller's token,
named, described and annotated from the shipped OpenAPI document, read-only unless writes are allowed, writes
confirmed through elicitation, GitHub's refusals as tool errors that say what to do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult

from server.catalog import snake_case
from server.options import ToolChoice
from tests.conftest import ROOT, reconcile
from tests.sandbox.helpers import mint
from tests.server.conftest import Stack, connect, serving
from tests.server.test_tools import authorize, bearer

pytestmark = pytest.mark.anyio
MODES = [pytest.param("legacy", id="2025-11-25"), pytest.param("auto", id="2026-07-28")]
CURATED = {"getAuthenticatedUser": "get_user_profile", "listUserRepositories": "get_user_repos"}
WRITES = ToolChoice(writes=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def operations(path: Path = ROOT / "openapi" / "github.yaml") -> dict[str, tuple[str, dict[str, Any]]]:
    """Tool name -> (HTTP method, operation), read from the document itself."""
    document = yaml.safe_load(path.read_text())
    found = {}
    for item in document["paths"].values():
        for method, op in item.items():
            name = CURATED.get(op["operationId"]) or op.get("x-mcp-name") or snake_case(op["operationId"])
            found[name] = (method, op)
    return found


async def signed_in(stack: Stack, client: Any, token: str, login: str) -> None:
    """The user's GitHub link, made through the curated tool's consent link."""
    first = await client.call_tool("get_user_profile", {})
    authorize(stack, first.structured_content["authorization_required"]["url"], token, login=login)


@pytest.mark.parametrize("mode", MODES)
async def test_every_operation_of_the_document_is_a_tool(stack: Stack, mode: str) -> None:
    expected = operations()
    alice = mint(stack.sandbox.url, "alice")
    with serving(stack.tools(WRITES)) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice), mode=mode) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == set(expected) | {"search_tools"}  # the shipped gateway's search_type is SEMANTIC
    for name, (method, op) in expected.items():
        hints = tools[name].annotations
        assert hints is not None and hints.read_only_hint is (method == "get"), name
        assert hints.idempotent_hint is (method in ("get", "put", "delete")), name
        assert bool(hints.destructive_hint) is (method == "delete"), name
        if name not in CURATED.values():
            assert tools[name].description == op["summary"]
            wanted = {p["name"] for p in op.get("parameters", [])}
            assert wanted <= set(tools[name].input_schema["properties"]), name


async def test_read_only_by_default_hides_and_refuses_writes(stack: Stack, mcp_url: str) -> None:
    alice = mint(stack.sandbox.url, "alice")
    reads = {name for name, (method, _) in operations().items() if method == "get"}
    async with connect(mcp_url, headers=bearer(alice)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert tools == reads | {"search_tools"}
        await signed_in(stack, client, alice, "alice")
        refused = await client.call_tool("create_issue", {"owner": "alice", "repo": "alice-project-01", "title": "x"})
    assert refused.is_error and "read-only" in refused.content[0].text
    assert "--allow-writes (MCP_ALLOW_WRITES=1)" in refused.content[0].text


async def test_toolsets_choose_what_is_offered(stack: Stack) -> None:
    alice = mint(stack.sandbox.url, "alice")
    with serving(stack.tools(ToolChoice(frozenset({"pull_requests"})))) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice)) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            refused = await client.call_tool("list_issues", {"owner": "alice", "repo": "alice-project-01"})
    offered = {n for n, (m, op) in operations().items() if op["tags"][0] == "pull_requests" and m == "get"}
    assert tools == offered | set(CURATED.values()) | {"search_tools"}
    assert refused.is_error and "toolset issues" in refused.content[0].text


async def test_reads_answer_with_a_summary_and_github_json(stack: Stack, mcp_url: str) -> None:
    bob = mint(stack.sandbox.url, "bob")
    async with connect(mcp_url, headers=bearer(bob)) as client:
        await signed_in(stack, client, bob, "bob")
        repo = await client.call_tool("get_repository", {"owner": "alice", "repo": "alice-project-01"})
        issues = await client.call_tool("list_issues", {"owner": "alice", "repo": "alice-project-02", "per_page": 1})
        found = await client.call_tool("search_repositories", {"q": "project user:alice"})
    assert not repo.is_error and repo.structured_content["full_name"] == "alice/alice-project-01"
    assert repo.content[0].text.startswith("alice/alice-project-01: Project 1 of alice")
    assert re.search(r"^- #1 \[open\] .+ \(alice\)\. https://github.com/alice/", issues.content[0].text, re.M)
    assert "call again with page=2" in issues.content[0].text
    assert found.structured_content["total_count"] == 24  # alice's 35 less the 11 private ones bob cannot see
    assert "alice/alice-project-02" in found.content[0].text and "alice/alice-project-03" not in found.content[0].text


async def test_github_refusals_say_what_to_do(stack: Stack) -> None:
    alice = mint(stack.sandbox.url, "alice")
    with serving(stack.tools(WRITES)) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice)) as client:
            await signed_in(stack, client, alice, "alice")
            hidden = await client.call_tool("get_repository", {"owner": "bob", "repo": "bob-project-03"})
            pull = await client.call_tool(
                "get_pull_request", {"owner": "alice", "repo": "alice-project-01", "pull_number": 3}
            )
            comment = {"owner": "alice", "repo": "alice-project-01", "pull_number": 3, "body": "nit",
                       "commit_id": pull.structured_content["head"]["sha"], "path": "src/main.py", "line": 999}  # fmt: skip
            invalid = await client.call_tool("add_pull_request_review_comment", comment)
            forbidden = await client.call_tool(
                "update_issue", {"owner": "bob", "repo": "bob-project-01", "issue_number": 2, "state": "closed"}
            )
            stack.sandbox.app.github.use_up_rate_limit("alice")
            limited = await client.call_tool("get_user", {"username": "carol"})
            bad_arguments = await client.call_tool("get_issue", {"owner": "alice", "repo": "r", "issue_number": "x"})
    assert hidden.is_error and "404 Not Found" in hidden.content[0].text and "cannot see it" in hidden.content[0].text
    assert invalid.is_error and "pull_request_review_thread.line: could not be resolved" in invalid.content[0].text
    assert forbidden.is_error and "Must have admin rights" in forbidden.content[0].text
    assert limited.is_error and "rate limit" in limited.content[0].text and "Try again later" in limited.content[0].text
    assert bad_arguments.is_error and "issue_number" in bad_arguments.content[0].text


def confirming(answer: bool, asked: list[str]) -> Any:
    async def callback(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": answer})

    return callback


@pytest.mark.parametrize(
    ("mode", "asks"),
    [
        pytest.param("auto", True, id="2026-07-28-asks"),
        # JSON responses (mcp-server's HTTP) leave a 2025-11-25 call no back-channel to ask on: it goes ahead
        pytest.param("legacy", False, id="2025-11-25-cannot-ask"),
    ],
)
async def test_a_write_asks_first_where_it_can_and_does_only_what_was_confirmed(
    stack: Stack, mode: str, asks: bool
) -> None:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    alice = mint(stack.sandbox.url, "alice")
    new = {"owner": "alice", "repo": "alice-project-05", "title": "Confirmed issue", "body": "from a test"}
    asked: list[str] = []
    import httpx2

    with serving(stack.tools(WRITES), stateful=True) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice), mode=mode) as client:
            await signed_in(stack, client, alice, "alice")
        for answer in (False, True):
            http = httpx2.AsyncClient(headers=bearer(alice), timeout=30)
            transport = streamable_http_client(f"{base}/mcp", http_client=http)
            async with http, Client(transport, mode=mode, elicitation_callback=confirming(answer, asked)) as client:  # type: ignore[arg-type]
                result = await client.call_tool("create_issue", new)
                listed = await client.call_tool("list_issues", {"owner": "alice", "repo": "alice-project-05"})
            made = listed.content[0].text.count("Confirmed issue")
            assert made == (int(answer) if asks else 1 + int(answer)), (answer, result.content)
            assert (result.content[0].text.startswith("Not done")) is (asks and not answer)
    if asks:
        assert len(asked) == 2 and all("alice-project-05" in message for message in asked)
        assert "Open a new issue" in asked[0]
    else:
        assert asked == []


async def test_search_tools_finds_tools_by_what_they_do(stack: Stack, mcp_url: str) -> None:
    alice = mint(stack.sandbox.url, "alice")
    async with connect(mcp_url, headers=bearer(alice)) as client:
        await client.list_tools()
        found = await client.call_tool("search_tools", {"query": "files of a pull request"})
    names = [t["name"] for t in found.structured_content["tools"]]
    assert "get_pull_request_files" in names and all("___" not in n for n in names)


async def test_an_operation_added_to_the_document_is_a_tool_after_apply(stack: Stack) -> None:
    """No code, no restart: the running server sees apply's new config.json and lists the new tool."""
    alice = mint(stack.sandbox.url, "alice")
    document = stack.workdir / "openapi" / "github.yaml"
    with serving(stack.tools()) as base:
        async with connect(f"{base}/mcp", headers=bearer(alice)) as client:
            assert "list_public_repositories" not in {t.name for t in (await client.list_tools()).tools}
            await signed_in(stack, client, alice, "alice")
            text = document.read_text().replace("\n  /user/repos:\n", NEW_OPERATION + "\n  /user/repos:\n", 1)
            document.write_text(text)
            assert reconcile("apply", "--auto-approve").exit_code == 0
            assert "list_public_repositories" in {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("list_public_repositories", {"username": "bob"})
    assert not result.is_error and [r["name"] for r in result.structured_content["items"]] == [
        "bob-project-01", "bob-project-02", "bob-project-04"
    ]  # fmt: skip


NEW_OPERATION = """
  /users/{username}/repos:
    get:
      operationId: listPublicRepositories
      tags: [repos]
      summary: List a user's public repositories
      parameters:
        - {name: username, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: Repositories
          content:
            application/json:
              schema: {type: array, items: {type: object}}"""
