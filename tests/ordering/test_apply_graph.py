"""The apply graph is built from a plan alone (no AWS): what each node waits for."""

from __future__ import annotations

import pytest

from reconciler.live import Live
from reconciler.ordering import Node, OrderingError, apply_graph
from reconciler.plan import Action, Plan, ResourceChange

ROLE_ARN = "arn:aws:iam::123456789012:role/gw-role"
PROVIDER_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/gh"
GATEWAY_ID = "gw-0123456789"


def live(name: str, document: dict[str, object], **outputs: str) -> Live:
    return Live(name=name, owned=True, document=document, outputs=outputs)


ROLE = live("gw-role", {"policy": {"Resource": [PROVIDER_ARN]}}, arn=ROLE_ARN)
PROVIDER = live("gh", {"vendor": "GithubOauth2"}, arn=PROVIDER_ARN)
GATEWAY = live("gw", {"role_arn": ROLE_ARN}, id=GATEWAY_ID)
TARGET = live("GitHubTarget", {"gateway": GATEWAY_ID, "oauth": {"provider_arn": PROVIDER_ARN}}, id="t-1")
DECLARED = {"role": {"github"}, "github": set(), "gateway": {"role"}, "target": {"gateway", "github"}}
LIVES = {"role": ROLE, "github": PROVIDER, "gateway": GATEWAY, "target": TARGET}


def change(address: str, action: Action, *, declared: bool = True) -> ResourceChange:
    current = None if action is Action.CREATE else LIVES[address]
    return ResourceChange(
        address=address,
        kind="k",
        name=address,
        action=action,
        before=current.document if current else None,
        after=None,
        spec={} if action is not Action.DELETE else None,
        current=current,
        depends_on=frozenset(DECLARED[address]) if declared else frozenset(),
    )


def graph(*changes: ResourceChange) -> dict[Node, set[Node]]:
    return apply_graph(Plan(stack="s", changes=changes))


def A(address: str) -> Node:  # noqa: N802 - reads like the diagrams in reconciler/ordering.py
    return Node(address, "apply")


def D(address: str) -> Node:  # noqa: N802
    return Node(address, "delete")


def test_creates_wait_for_what_they_reference() -> None:
    g = graph(*(change(a, Action.CREATE) for a in ("github", "role", "gateway", "target")))
    assert g == {
        A("github"): set(),
        A("role"): {A("github")},
        A("gateway"): {A("role")},
        A("target"): {A("gateway"), A("github")},
    }


@pytest.mark.parametrize("declared", [True, False], ids=["declared-in-the-stack", "removed-found-by-live-refs"])
def test_deletes_take_reversed_edges(declared: bool) -> None:
    g = graph(*(change(a, Action.DELETE, declared=declared) for a in ("target", "gateway", "role", "github")))
    assert g == {
        D("target"): set(),
        D("gateway"): {D("target")},
        D("role"): {D("gateway")},
        D("github"): {D("role"), D("target")},
    }


def test_replace_deletes_dependents_first_and_creates_after_dependencies() -> None:
    g = graph(
        change("github", Action.NOOP),
        change("role", Action.NOOP),
        change("gateway", Action.REPLACE),
        change("target", Action.REPLACE),
    )
    assert g[D("gateway")] == {D("target")}
    assert g[A("gateway")] == {A("role"), D("gateway")}
    assert g[A("target")] == {A("gateway"), A("github"), D("target")}


def test_removed_resource_waits_for_the_update_that_stops_using_it() -> None:
    g = graph(change("github", Action.DELETE, declared=False), change("target", Action.UPDATE, declared=False))
    assert g[D("github")] == {A("target")}


def test_a_cycle_is_an_error_naming_it() -> None:
    loop = ResourceChange(
        address="a", kind="k", name="a", action=Action.CREATE, before=None, after=None, depends_on=frozenset({"b"})
    )
    other = ResourceChange(
        address="b", kind="k", name="b", action=Action.CREATE, before=None, after=None, depends_on=frozenset({"a"})
    )
    with pytest.raises(OrderingError, match="cycle: apply (a|b) -> apply (a|b) -> apply (a|b)"):
        graph(loop, other)


def test_a_value_two_resources_pass_on_is_no_reference() -> None:
    """Two code artifacts in one bucket both output its name and hold it in their documents: deleting both is
    no cycle (the shipped stack's server_code and callback_code)."""

    def artifact(address: str) -> ResourceChange:
        current = live(address, {"bucket": "artifacts", "key": f"s/{address}/1.zip"}, bucket="artifacts", id=address)
        return ResourceChange(
            address=address, kind="k", name=address, action=Action.DELETE, before=current.document, after=None,
            spec=None, current=current, depends_on=frozenset(),
        )  # fmt: skip

    assert graph(artifact("server_code"), artifact("callback_code")) == {
        D("server_code"): set(),
        D("callback_code"): set(),
    }
