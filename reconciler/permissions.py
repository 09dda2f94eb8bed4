"""What the deployer (the person or pipeline role running `reconcile`) must be allowed: ONE table, each AWS
operation the kinds call mapped to the IAM action(s) it needs and on which resource ARN pattern. The README's
permission lists are generated from it (`format_markdown`) and tests/permissions checks that they are, and
that every operation the kinds call is in the table, so neither can drift. `reconcile preflight` asks IAM
about exactly these rows.

Sources: the Service Authorization Reference's action names (S3's differ from its operations: ListObjectsV2 is
s3:ListBucket, PutBucketEncryption s3:PutEncryptionConfiguration); devguide "runtime-code-deploy-common-issues":
the caller of Create/UpdateAgentRuntime needs s3:GetObject on the zip (and kms:Decrypt for a customer-managed
key, which this stack does not use), as Lambda's Create/UpdateFunction* from S3 do (Lambda developer guide,
"Lambda deployment packages"); CreateGateway, Create/UpdateAgentRuntime and
CreateFunction/UpdateFunctionConfiguration pass a role (iam:PassRole); the account's first CreateAgentRuntime
creates the service-linked role AWSServiceRoleForBedrockAgentCoreRuntimeIdentity with the caller's permissions
(devguide "Using service-linked roles for Amazon Bedrock AgentCore"; public deployment reports of "Failed
creating service linked role" without iam:CreateServiceLinkedRole on it), which preflight asks only while the
role is missing. UNCONFIRMED: the resource types AgentCore's List operations accept (here `*`), and the
secretsmanager actions AgentCore Identity performs with the caller's credentials when it stores a provider's
client secret (the README has listed them since the seed), and whether a SecureString under the AWS managed key
aws/ssm (secret_parameter) needs KMS permissions of the caller (here: none).

Patterns use `{stack}`, `{region}`, `{account}` and `{bucket}` (the artifact bucket's name).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

AGENTCORE = "bedrock-agentcore-control"
GATEWAY = "arn:aws:bedrock-agentcore:{region}:{account}:gateway/*"
RUNTIME = "arn:aws:bedrock-agentcore:{region}:{account}:runtime/*"
IDENTITY = "arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default/workload-identity/*"
IDENTITY_DIRECTORY = "arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default"
PROVIDER = "arn:aws:bedrock-agentcore:{region}:{account}:token-vault/default/oauth2credentialprovider/*"
TOKEN_VAULT = "arn:aws:bedrock-agentcore:{region}:{account}:token-vault/default"
ROLES = ("arn:aws:iam::{account}:role/reconcile/{stack}/*", "arn:aws:iam::{account}:role/{stack}-*")
TABLE = "arn:aws:dynamodb:{region}:{account}:table/{stack}-*"
BUCKET = "arn:aws:s3:::{bucket}"
OBJECTS = "arn:aws:s3:::{bucket}/{stack}/*"
LOCK = "arn:aws:ssm:{region}:{account}:parameter/reconcile/{stack}/lock"
PARAMETERS = "arn:aws:ssm:{region}:{account}:parameter/{stack}/*"
FUNCTION = "arn:aws:lambda:{region}:{account}:function:{stack}-*"
SECRETS = "arn:aws:secretsmanager:{region}:{account}:secret:*"
ANY = "*"
TAGGABLE = (GATEWAY, RUNTIME, IDENTITY, PROVIDER)
IDENTITY_SERVICE = "runtime-identity.bedrock-agentcore.amazonaws.com"
IDENTITY_SERVICE_ROLE = "AWSServiceRoleForBedrockAgentCoreRuntimeIdentity"
SERVICE_LINKED = f"arn:aws:iam::{{account}}:role/aws-service-role/{IDENTITY_SERVICE}/{IDENTITY_SERVICE_ROLE}"


@dataclass(frozen=True)
class Need:
    """`operation` (botocore `service:Operation`) needs `action` on each of `resources`. `group` says when:
    "core" (every stack), "runtime" (stacks with the Runtime deployment's kinds), "lock" (the stack lock)."""

    operation: str
    action: str
    resources: tuple[str, ...]
    group: str = "core"


def _same(service: str, prefix: str, operations: str, resources: tuple[str, ...], group: str = "core") -> list[Need]:
    """Operations whose IAM action has the operation's own name."""
    return [Need(f"{service}:{op}", f"{prefix}:{op}", resources, group) for op in operations.split()]


NEEDS: tuple[Need, ...] = (
    *_same("iam", "iam", "ListRoles", (ANY,)),
    *_same(
        "iam",
        "iam",
        "GetRole CreateRole DeleteRole UpdateRole UpdateAssumeRolePolicy TagRole ListRoleTags GetRolePolicy "
        "PutRolePolicy DeleteRolePolicy ListRolePolicies ListAttachedRolePolicies AttachRolePolicy DetachRolePolicy",
        ROLES,
    ),
    Need(f"{AGENTCORE}:CreateGateway", "iam:PassRole", ROLES),
    *_same(AGENTCORE, "bedrock-agentcore", "ListGateways ListWorkloadIdentities ListOauth2CredentialProviders", (ANY,)),
    *_same(AGENTCORE, "bedrock-agentcore", "CreateGateway GetGateway UpdateGateway DeleteGateway", (GATEWAY,)),
    *_same(
        AGENTCORE,
        "bedrock-agentcore",
        "CreateGatewayTarget GetGatewayTarget ListGatewayTargets UpdateGatewayTarget DeleteGatewayTarget",
        (GATEWAY,),
    ),
    *_same(
        AGENTCORE,
        "bedrock-agentcore",
        "CreateWorkloadIdentity GetWorkloadIdentity UpdateWorkloadIdentity DeleteWorkloadIdentity",
        (IDENTITY_DIRECTORY, IDENTITY),
    ),
    *_same(
        AGENTCORE,
        "bedrock-agentcore",
        "CreateOauth2CredentialProvider GetOauth2CredentialProvider UpdateOauth2CredentialProvider "
        "DeleteOauth2CredentialProvider",
        (TOKEN_VAULT, PROVIDER),
    ),
    *[
        Need(f"{AGENTCORE}:{op}", f"secretsmanager:{action}", (SECRETS,))
        for op, action in (
            ("CreateOauth2CredentialProvider", "CreateSecret"),
            ("UpdateOauth2CredentialProvider", "PutSecretValue"),
            ("DeleteOauth2CredentialProvider", "DeleteSecret"),
        )
    ],
    *_same(AGENTCORE, "bedrock-agentcore", "TagResource UntagResource ListTagsForResource", TAGGABLE),
    *_same(AGENTCORE, "bedrock-agentcore", "ListAgentRuntimes", (ANY,), "runtime"),
    *_same(
        AGENTCORE,
        "bedrock-agentcore",
        "CreateAgentRuntime GetAgentRuntime UpdateAgentRuntime DeleteAgentRuntime",
        (RUNTIME,),
        "runtime",
    ),
    *[
        need
        for op in ("CreateAgentRuntime", "UpdateAgentRuntime")
        for need in (
            Need(f"{AGENTCORE}:{op}", "iam:PassRole", ROLES, "runtime"),
            Need(f"{AGENTCORE}:{op}", "s3:GetObject", (OBJECTS,), "runtime"),
        )
    ],
    Need(f"{AGENTCORE}:CreateAgentRuntime", "iam:CreateServiceLinkedRole", (SERVICE_LINKED,), "runtime"),
    Need("s3:ListBuckets", "s3:ListAllMyBuckets", (ANY,), "runtime"),
    *[
        Need(f"s3:{op}", f"s3:{action}", (BUCKET,), "runtime")
        for op, action in (
            ("HeadBucket", "ListBucket"),
            ("CreateBucket", "CreateBucket"),
            ("DeleteBucket", "DeleteBucket"),
            ("GetBucketTagging", "GetBucketTagging"),
            ("PutBucketTagging", "PutBucketTagging"),
            ("GetPublicAccessBlock", "GetBucketPublicAccessBlock"),
            ("PutPublicAccessBlock", "PutBucketPublicAccessBlock"),
            ("GetBucketEncryption", "GetEncryptionConfiguration"),
            ("PutBucketEncryption", "PutEncryptionConfiguration"),
            ("ListObjectsV2", "ListBucket"),
        )
    ],
    Need("s3:PutObject", "s3:PutObject", (OBJECTS,), "runtime"),
    Need("s3:DeleteObjects", "s3:DeleteObject", (OBJECTS,), "runtime"),
    *_same("dynamodb", "dynamodb", "ListTables", (ANY,), "runtime"),
    *_same(
        "dynamodb",
        "dynamodb",
        "CreateTable DescribeTable UpdateTable DeleteTable DescribeTimeToLive UpdateTimeToLive ListTagsOfResource "
        "TagResource",
        (TABLE,),
        "runtime",
    ),
    *_same("lambda", "lambda", "ListFunctions", (ANY,), "lambda"),
    *_same(
        "lambda",
        "lambda",
        "GetFunction GetFunctionConfiguration CreateFunction UpdateFunctionConfiguration UpdateFunctionCode "
        "DeleteFunction ListTags TagResource UntagResource PutFunctionConcurrency DeleteFunctionConcurrency "
        "GetFunctionUrlConfig CreateFunctionUrlConfig UpdateFunctionUrlConfig DeleteFunctionUrlConfig GetPolicy "
        "AddPermission RemovePermission",
        (FUNCTION,),
        "lambda",
    ),
    *[
        need
        for op in ("CreateFunction", "UpdateFunctionConfiguration", "UpdateFunctionCode")
        for need in (
            Need(f"lambda:{op}", "iam:PassRole", ROLES, "lambda"),
            Need(f"lambda:{op}", "s3:GetObject", (OBJECTS,), "lambda"),
        )
        if op != "UpdateFunctionCode" or need.action == "s3:GetObject"
    ],
    *_same("ssm", "ssm", "DescribeParameters", (ANY,), "parameters"),
    *_same(
        "ssm",
        "ssm",
        "PutParameter GetParameter DeleteParameter AddTagsToResource ListTagsForResource",
        (PARAMETERS,),
        "parameters",
    ),
    *_same("ssm", "ssm", "PutParameter GetParameter DeleteParameter", (LOCK,), "lock"),
)
GROUP_KINDS = {
    "runtime": frozenset({"artifact_bucket", "code_artifact", "session_table", "agent_runtime"}),
    "lambda": frozenset({"lambda_function", "function_url"}),
    "parameters": frozenset({"config_parameter", "secret_parameter"}),
}
"""The kinds whose calls make a group's rows needed; "core" and "lock" are needed by every stack."""
GROUP_TITLES = {
    "core": "every stack",
    "runtime": "stacks with the Runtime deployment's kinds (artifact_bucket, code_artifact, session_table, agent_runtime)",
    "lambda": "stacks with the hosted callback's kinds (lambda_function, function_url)",
    "parameters": "stacks with SSM parameters (config_parameter, secret_parameter)",
    "lock": "the stack lock",
}


def operations() -> frozenset[str]:
    """The botocore operations the table covers (`service:Operation`)."""
    return frozenset(need.operation for need in NEEDS)


def groups_for(kinds: Iterable[str]) -> list[str]:
    """The groups whose rows a stack declaring `kinds` needs, in table order."""
    declared = set(kinds)
    return [group for group in GROUP_TITLES if group not in GROUP_KINDS or GROUP_KINDS[group] & declared]


def actions(group: str) -> list[str]:
    """The group's IAM actions, each once, in table order."""
    return list(dict.fromkeys(need.action for need in NEEDS if need.group == group))


def format_markdown() -> str:
    """The README's permission lists: per group, the actions needed on the same resources on one line."""
    lines = []
    for group, title in GROUP_TITLES.items():
        lines.append(f"- **{title}**:")
        by_action: dict[str, list[str]] = {}
        for need in NEEDS:
            if need.group == group:
                listed = by_action.setdefault(need.action, [])
                listed.extend(r for r in need.resources if r not in listed)
        by_resources: dict[tuple[str, ...], list[str]] = {}
        for action, resources in by_action.items():
            by_resources.setdefault(tuple(resources), []).append(action)
        for arns, names in by_resources.items():
            shown = ", ".join(f"`{_placeholders(r)}`" for r in arns)
            lines.append(f"  - {', '.join(f'`{name}`' for name in names)} on {shown}")
    return "\n".join(lines) + "\n"


def _placeholders(pattern: str) -> str:
    return pattern.replace("{", "<").replace("}", ">")
