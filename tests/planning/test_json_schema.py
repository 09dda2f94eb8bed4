"""`plan --json` follows the documented schema (reconciler/rendering/plan.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.live import LiveState
from reconciler.planning import plan_changes, plan_destroy
from reconciler.rendering import plan_document
from reconciler.rendering.document import SCHEMA
from reconciler.stack import load_stack
from tests.planning.test_golden import ENV, GOLDEN, ROOT, applied

VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden_plans_follow_the_schema(golden: Path) -> None:
    VALIDATOR.validate(json.loads(golden.read_text()))


def test_a_create_plan_marks_unknowns_in_after_unknown() -> None:
    stack = load_stack(ROOT / "stack.yaml", ENV)
    document = json.loads(json.dumps(plan_document(plan_changes(stack, LiveState()))))
    VALIDATOR.validate(document)
    changes = {rc["address"]: rc["change"] for rc in document["resource_changes"]}
    target = changes["gateway_target.github_target"]
    assert target["after"]["gateway"] is None and target["after_unknown"]["gateway"] is True
    # The return URL is the hosted callback's function URL (stack.yaml's callback_url), known after apply too.
    assert target["after_unknown"]["oauth"] == {"provider_arn": True, "default_return_url": True}
    assert "description" not in target["after_unknown"]
    provider = changes["oauth2_provider.github"]
    assert provider["after"]["client_secret"] == "(sensitive)" and provider["after_sensitive"] == {
        "client_secret": True
    }


def test_a_destroy_plan_follows_the_schema() -> None:
    stack = load_stack(ROOT / "stack.yaml", ENV)
    VALIDATOR.validate(json.loads(json.dumps(plan_document(plan_destroy(stack, applied(stack))))))


def test_the_schema_rejects_what_it_does_not_describe() -> None:
    stack = load_stack(ROOT / "stack.yaml", ENV)
    document = plan_document(plan_destroy(stack, applied(stack)))
    document["resource_changes"][0]["change"]["fields"] = [{"path": "a.b", "report": "moved"}]
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(document)
