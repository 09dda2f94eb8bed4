"""Acceptance (Terraform's TF_ACC=1): throwaway stacks with random names through every step a user's stack goes
through, against the sandbox, or a real account when asked (conftest.py says how), each destroyed whatever
happened, and nothing tagged with its name left behind.

Steps, each checked in the plan's JSON form before it is applied and by a no-op plan after: preflight (on AWS
the caller's permissions; in the sandbox its root user); create; no-op (plan and apply change nothing); update
in place (one field of each kind that has one); replace (`--replace`: the same path a forcing field takes);
destroy.

`test_every_kind_...`: iam_role, oauth2_provider, gateway, gateway_target, workload_identity, session_table,
artifact_bucket, secret_parameter, config_parameter, with an AWS_IAM gateway (no identity provider needed).

`test_the_server_and_the_hosted_callback_...`: the shipped stack.yaml whole, renamed: besides those kinds, the
server packaged and run on AgentCore Runtime (code_artifact, agent_runtime) and the hosted callback
(code_artifact for Lambda, lambda_function, function_url). Updates: new server code (the artifact and the
runtime update; the runtime keeps its ARN), the function's timeout, the URL's auth type (AWS_IAM: an unsigned
request is then refused). Replace: those five (the new URL is a new callback URL, which the gateway, the target
and the callback's configuration follow in place). After create, two subtests. `served`: the packaged server
lists the gateway's tools through the runtime (SigV4, as mcp-connect's relay signs) and the callback answers at
its function URL. `consent`, where the endpoint allows it: in the sandbox, alice's first tool call through the
runtime (her JWT in the allow-listed header) gets a link to the function URL; her browser signs in there,
approves on GitHub's page and confirms; her next call returns her own GitHub profile. On AWS that needs a person
at GitHub's real consent page (a real OAuth app) and an identity provider that knows the function URL, which
exists only after apply, so it is a skipped subtest there, with that reason. That stack's gateway is therefore
AWS_IAM on AWS, behind a `single_user: true` runtime (in the sandbox, the shipped CUSTOM_JWT against its
identity provider): an opted-in run's fidelity.md shows the JWT authorizer's members of the gateway calls as
sandbox-only.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner, Result

from commands.reconcile import main
from connect.relay import Relay
from connect.signing import SigV4TokenAuth, aws_credentials
from demo.browser import SIGN_IN_PATH, Browser
from demo.function_urls import client as url_client
from reconciler.settings import EngineSettings
from tests.acceptance.shapes import ShapeRecorder
from tests.conftest import FAST, ROOT, STACK_ENV
from tests.sandbox.helpers import mint
from tests.shipped_stack import RUNTIME_PART

LOCAL_CALLBACK = "http://localhost:8080/oauth/callback"
EXTRA = """
  sessions:
    kind: session_table

  artifacts:
    kind: artifact_bucket

  callback_identity:
    kind: workload_identity
    allowed_return_urls: ["http://localhost:8080/oauth/callback"]

  callback_secret:
    kind: secret_parameter

  callback_config:
    kind: config_parameter
    hand_off:
      - ${gateway.hand_off}
      - ${github_target.hand_off}
"""
UPDATES = {
    "gateway_role": ("execution role (GitHub MCP stack)", "execution role (acceptance, updated)"),
    "gateway": ("description: MCP gateway to the GitHub REST API", "description: MCP gateway, updated"),
    "github_target": ("(user profile and repositories)", "(updated)"),
    "callback_identity": ('["http://localhost:8080/oauth/callback"]', '["http://localhost:8080/oauth/updated"]'),
    "callback_secret": ("kind: secret_parameter\n", 'kind: secret_parameter\n    rotation: "2"\n'),
}
"""Per kind with an in-place field, one edit of the stack file; the provider's is its client id (environment).
session_table, artifact_bucket and config_parameter (its value follows the gateway's hand-off) have none here:
they are replaced only."""
UNSET = (
    "CALLBACK_URL",
    "ARTIFACT_BUCKET",
    "RUNTIME_AUTHORIZER",
    "SINGLE_USER",
    "OIDC_AUDIENCE",
    "OIDC_SCOPES",
    "CALLBACK_OIDC_CLIENT_ID",
)
"""The shipped stack's other variables, unset whatever the shell says (None below: unset)."""
ENVIRONMENT: dict[str, str | None] = {
    **{k: v for k, v in STACK_ENV.items() if not k.startswith("OIDC_")},
    "GATEWAY_AUTHORIZER": "AWS_IAM",  # no identity provider needed, on either endpoint
    "GITHUB_CLIENT_ID": "Iv1.acceptance",
    **dict.fromkeys(UNSET),
}


KINDS = {
    "gateway_role": "iam_role",
    "runtime_role": "iam_role",
    "github": "oauth2_provider",
    "gateway": "gateway",
    "github_target": "gateway_target",
    "callback_identity": "workload_identity",
    "sessions": "session_table",
    "artifacts": "artifact_bucket",
    "callback_secret": "secret_parameter",
    "callback_config": "config_parameter",
}
"""The first throwaway stack's resources (the kinds each step goes through)."""
SHIPPED = {
    **{address: KINDS[address] for address in ("gateway_role", "runtime_role", "github", "gateway", "github_target")},
    "artifacts": "artifact_bucket",
    "server_code": "code_artifact",
    "sessions": "session_table",
    "server": "agent_runtime",
    "callback_code": "code_artifact",
    "callback_secret": "secret_parameter",
    "callback_role": "iam_role",
    "callback": "lambda_function",
    "callback_link": "function_url",
    "callback_config": "config_parameter",
}
"""The second: the shipped stack.yaml's resources."""
SERVED = ("server_code", "server", "callback_code", "callback", "callback_link")
"""What runs the server and the callback: the kinds the second stack puts through update and replace."""
SERVED_UPDATES = {
    "callback": (
        "    handler: callback.lambda_handler.handler\n",
        "    handler: callback.lambda_handler.handler\n    timeout: 20\n",
    ),
    "callback_link": ("    function: ${callback.name}\n", "    function: ${callback.name}\n    auth_type: AWS_IAM\n"),
}
"""With new server code (server_code and server update), an edit per other kind with an in-place field."""
NEW_CALLBACK_URL = {"gateway": "update", "github_target": "update", "callback_config": "update"}
"""A new function URL is a new callback URL: the gateway's return URL, the target's default return URL and the
callback's configuration follow it in place."""
DOORS: dict[str, dict[str, str | None]] = {
    "sandbox": {"GATEWAY_AUTHORIZER": None},  # the shipped CUSTOM_JWT, against the sandbox's identity provider
    "aws": {"GATEWAY_AUTHORIZER": "AWS_IAM", "SINGLE_USER": "true", "OIDC_DISCOVERY_URL": None, "OIDC_CLIENT_ID": None},
}
"""The second stack's gateway per target (the first's is AWS_IAM on both)."""
NO_CONSENT_ON_AWS = (
    "a consent on AWS needs a person at GitHub's real consent page, with a real OAuth app, and an identity "
    "provider that has the callback's function URL (known only after apply) as a redirect URI: not unattended"
)


def _stack(name: str) -> str:
    """The shipped stack above its Runtime part, renamed, returning browsers to a local callback, plus EXTRA."""
    shipped = (ROOT / "stack.yaml").read_text()
    text = shipped[: shipped.index(RUNTIME_PART)].replace("stack: github-mcp", f"stack: {name}", 1)
    assert f"stack: {name}\n" in text
    return re.sub(r"(?m)^  callback_url: .*$", f"  callback_url: {LOCAL_CALLBACK}", text, count=1) + EXTRA


def _whole_stack(name: str) -> str:
    """The shipped stack whole, renamed by its `stack:` line alone: the names it writes out (log groups, the
    callback's parameter, the bucket's default) follow through ${stack.name} (tests/spec/test_stack_names.py)."""
    text = (ROOT / "stack.yaml").read_text().replace("stack: github-mcp\n", f"stack: {name}\n", 1)
    assert f"stack: {name}\n" in text  # else an opted-in run would apply and destroy github-mcp itself
    return text


def _run(target: str, *args: str) -> Result:
    settings = FAST if target == "sandbox" else EngineSettings()  # AWS: the real waits, no 10 ms polling
    return CliRunner().invoke(main, list(args), catch_exceptions=False, obj=settings)


def _planned(target: str, *args: str) -> dict[str, str]:
    """logical address -> action, from `plan --json`."""
    result = _run(target, "plan", "--json", *args)
    assert result.exit_code == 0, result.output
    return {c["address"].split(".", 1)[1]: c["action"] for c in json.loads(result.stdout)["resource_changes"]}


def _apply(target: str, *args: str) -> None:
    result = _run(target, "apply", "--auto-approve", *args)
    assert result.exit_code == 0, result.output


def _converged(target: str) -> None:
    result = _run(target, "plan", "--detailed-exitcode")
    assert result.exit_code == 0, f"not a no-op after apply:\n{result.output}"


def _environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


@contextmanager
def _throwaway(
    target: str, folder: Path, stack: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """`stack(name)` named acc-<random> in `folder` (the cwd) with its OpenAPI file; destroyed whatever happens
    inside, then nothing tagged with the name may be left."""
    name = f"acc-{secrets.token_hex(4)}"
    (folder / "openapi").mkdir(parents=True)
    (folder / "openapi" / "github.yaml").write_text((ROOT / "openapi" / "github.yaml").read_text())
    (folder / "stack.yaml").write_text(stack(name))
    monkeypatch.chdir(folder)
    try:
        yield
    finally:
        destroyed = _run(target, "destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    _nothing_tagged(target, name)


def test_every_kind_through_create_noop_update_replace_destroy(
    target: str, endpoint: str, recorder: ShapeRecorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(monkeypatch, {**ENVIRONMENT, "OIDC_DISCOVERY_URL": None, "OIDC_CLIENT_ID": None})
    with _throwaway(target, tmp_path, _stack, monkeypatch):
        _create_and_noop(target, KINDS)
        monkeypatch.setenv("GITHUB_CLIENT_ID", "Iv1.acceptanceupdated")
        _update(target, tmp_path / "stack.yaml", UPDATES, [*UPDATES, "github"])
        _replace(target, KINDS)
    assert {"iam:CreateRole", "bedrock-agentcore-control:CreateGateway", "s3:CreateBucket"} <= set(recorder.shapes)


def test_the_server_and_the_hosted_callback_through_every_step_and_a_consent(
    target: str,
    endpoint: str,
    recorder: ShapeRecorder,
    subtests: pytest.Subtests,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = _project(tmp_path / "project")
    _environment(monkeypatch, {**ENVIRONMENT, **DOORS[target], "SERVER_SOURCE": str(project)})
    with _throwaway(target, tmp_path / "stack", _whole_stack, monkeypatch):
        _create_and_noop(target, SHIPPED)
        created, token = _config(), _user_token(target)
        with subtests.test("served"):
            _served(target, created, token)
        with subtests.test("consent"):
            if target != "sandbox":
                pytest.skip(NO_CONSENT_ON_AWS)
            _consent(created, token, monkeypatch)
        server_code = project / "server" / "app.py"
        server_code.write_text(server_code.read_text() + "\n# acceptance: new server code\n")
        _update(target, Path("stack.yaml"), SERVED_UPDATES, [*SERVED_UPDATES, "server_code", "server"])
        updated = _config()
        assert updated["runtime"]["arn"] == created["runtime"]["arn"]  # an update, not a new runtime
        with _browser(target) as browser:
            assert browser.get(_home(updated)).status_code == 403  # AWS_IAM now: an unsigned request is refused
        _replace(target, SERVED, follow=NEW_CALLBACK_URL)
        replaced = _config()
        assert replaced["runtime"]["arn"] != created["runtime"]["arn"]
        assert replaced["callback_url"] != created["callback_url"]
    assert {"lambda:CreateFunction", "bedrock-agentcore-control:CreateAgentRuntime"} <= set(recorder.shapes)


def _create_and_noop(target: str, kinds: dict[str, str]) -> None:
    checked = _run(target, "preflight")  # on AWS: stop before creating anything the caller could not delete
    assert checked.exit_code == 0, checked.output
    planned = _planned(target)
    assert planned == dict.fromkeys(kinds, "create"), planned
    _apply(target)
    _converged(target)
    _apply(target)  # a no-op apply changes nothing and still converges
    _converged(target)


def _update(target: str, stack: Path, edits: dict[str, tuple[str, str]], expected: list[str]) -> None:
    text = stack.read_text()
    for old, new in edits.values():
        assert old in text, old
        text = text.replace(old, new, 1)
    stack.write_text(text)
    changed = {address: action for address, action in _planned(target).items() if action != "no-op"}
    assert changed == dict.fromkeys(expected, "update"), changed
    _apply(target)
    _converged(target)


def _replace(target: str, addresses: Iterable[str], follow: dict[str, str] | None = None) -> None:
    """`--replace` of each of `addresses`; `follow`: what else the plan changes because of them (else no-op)."""
    forced = [arg for address in addresses for arg in ("--replace", address)]
    planned = _planned(target, *forced)
    expected = {**dict.fromkeys(planned, "no-op"), **(follow or {}), **dict.fromkeys(addresses, "replace")}
    assert planned == expected, planned
    _apply(target, *forced)
    _converged(target)


def _nothing_tagged(target: str, name: str) -> None:
    """`reconcile stacks` lists every owner of a reconcile:stack tag, kind by kind: the stack is not one."""
    listed = _run(target, "stacks")
    assert listed.exit_code == 0, listed.output
    owners: list[Any] = [line.split()[0] for line in listed.stdout.splitlines() if line and not line.startswith("No ")]
    assert name not in owners, listed.stdout


def _project(folder: Path) -> Path:
    """A copy of what the stack's two code artifacts are built from, so the update step can change the server.
    Not a git checkout: the packager takes its *.py files, which are the files git tracks there, so the zips are
    the ones the packaging cache already holds."""
    for package in ("server", "handoff", "callback"):
        shutil.copytree(ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, folder / name)
    return folder


def _config() -> dict[str, Any]:
    return dict(json.loads(Path("config.json").read_text()))


def _home(config: dict[str, Any]) -> str:
    return str(config["callback_url"]).removesuffix("oauth/callback")


@contextmanager
def _browser(target: str) -> Iterator[httpx.Client]:
    """A browser's HTTP client: in the sandbox its function URLs' names lead to the sandbox's port."""
    if target == "sandbox":
        with url_client(os.environ["AWS_ENDPOINT_URL"], follow_redirects=False, timeout=30) as client:
            yield client
    else:
        with httpx.Client(follow_redirects=False, timeout=30) as client:
            yield client


@contextmanager
def _runtime(config: dict[str, Any], token: str = "") -> Iterator[Callable[..., dict[str, Any]]]:
    """An MCP session with the server on the Runtime, as mcp-connect relays it: each request signed with SigV4
    under the environment's AWS credentials, the user's JWT (none for a single-user runtime) in the allow-listed
    header. Yields `ask(method, **params)` -> the JSON-RPC result."""
    region = config["region"]
    said: list[str] = []  # what the relay reports of a failed request, shown with a failed assertion
    auth = SigV4TokenAuth(credentials=aws_credentials(None, region), region=region, token=lambda: token)
    with httpx.Client(auth=auth, timeout=120) as http:  # the first request starts the runtime's session
        relay = Relay(config["runtime"]["invocation_url"], http, io.StringIO(), said.append)

        def ask(method: str, **params: Any) -> dict[str, Any]:
            (answer,) = relay.forward(
                {"jsonrpc": "2.0", "id": secrets.token_hex(4), "method": method, "params": params}
            )
            assert "result" in answer, (answer, said)
            return dict(answer["result"])

        ask(
            "initialize",
            protocolVersion="2025-11-25",
            capabilities={},
            clientInfo={"name": "acceptance", "version": "1"},
        )
        relay.forward({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield ask


def _served(target: str, config: dict[str, Any], token: str) -> None:
    """The packaged server runs on the Runtime and reaches the gateway; the packaged callback runs on Lambda."""
    with _runtime(config, token) as ask:
        listed = {tool["name"] for tool in ask("tools/list")["tools"]}
    assert {"get_user_profile", "get_user_repos", "get_repository"} <= listed, listed  # the last: the gateway's list
    with _browser(target) as browser:
        home = browser.get(_home(config))
    assert home.status_code == 200 and config["stack"] in home.text, home.text[:300]


def _user_token(target: str) -> str:
    """alice's JWT from the sandbox's identity provider; none on AWS, whose runtime is single-user."""
    if target != "sandbox":
        return ""
    return mint(os.environ["AWS_ENDPOINT_URL"], "alice", client_id=os.environ["OIDC_CLIENT_ID"])


def _consent(config: dict[str, Any], alice: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """alice's first call gets a consent link to the hosted callback; in her browser she signs in there (at the
    sandbox's identity provider), approves on GitHub's page and confirms; her next call returns her profile."""
    home = _home(config)
    monkeypatch.setenv("SANDBOX_OIDC_REDIRECT_URIS", f"{home}oauth/signed-in")  # registered, as apply's notice says
    with _runtime(config, alice) as ask:
        first = ask("tools/call", name="get_user_profile", arguments={})
        link = first["structuredContent"]["authorization_required"]["url"]
        assert link.startswith(f"{home}oauth/start?"), link
        with _browser("sandbox") as client, Browser("alice", client=client) as browser:
            done = browser.confirm(browser.approve(browser.open(link)))
        assert any(urlsplit(url).path == SIGN_IN_PATH for url in browser.visited), browser.visited
        assert done.status_code == 200 and "id='done'" in done.text, done.text[:300]
        again = ask("tools/call", name="get_user_profile", arguments={})
    assert again["structuredContent"]["login"] == "alice", again
