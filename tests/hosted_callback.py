"""The hosted callback as a stack.yaml part (issue 22), for the tests and benchmarks that deploy it before the
shipped stack.yaml does: the function (the callback's zip), its URL, its role, its secret and the configuration
written after the gateway. `with_hosted_callback` adds it to the shipped stack without its Runtime part and points
the gateway's return URL and the target's default return URL at the function URL."""

from __future__ import annotations

from tests.shipped_stack import without_runtime

CALLBACK_PART = """
  sessions:
    kind: session_table

  artifacts:
    kind: artifact_bucket
    name: ${env:ARTIFACT_BUCKET:-github-mcp-artifacts}

  callback_code:
    kind: code_artifact
    bucket: ${artifacts.name}
    source: ${env:SERVER_SOURCE:-.}
    program: callback

  callback_secret:
    kind: secret_parameter

  callback_role:
    kind: iam_role
    description: Role of the hosted OAuth callback (AWS Lambda)
    assume_role_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Service: lambda.amazonaws.com}
          Action: sts:AssumeRole
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: OwnLogGroup
          Effect: Allow
          Action: [logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents]
          Resource: arn:aws:logs:*:*:log-group:/aws/lambda/github-mcp-callback:*
        - Sid: Sessions
          Effect: Allow
          Action: [dynamodb:DescribeTable, dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem]
          Resource: ${sessions.arn}
        - Sid: CompleteConsent
          Effect: Allow
          Action: bedrock-agentcore:CompleteResourceTokenAuth
          Resource: "*"
        - Sid: OwnParameters
          Effect: Allow
          Action: ssm:GetParameters
          Resource:
            - arn:aws:ssm:*:*:parameter/github-mcp/callback-config
            - ${callback_secret.arn}

  callback:
    kind: lambda_function
    description: OAuth callback of the GitHub MCP stack
    role_arn: ${callback_role.arn}
    code: {bucket: "${callback_code.bucket}", key: "${callback_code.key}", sha256: "${callback_code.sha256}"}
    runtime: ${callback_code.lambda_runtime}
    handler: callback.lambda_handler.handler
    environment:
      OAUTH_CALLBACK_CONFIG_PARAMETER: /github-mcp/callback-config
      OAUTH_CALLBACK_SECRET_PARAMETER: ${callback_secret.name}

  callback_link:
    kind: function_url
    function: ${callback.name}

  callback_config:
    kind: config_parameter
    name: /github-mcp/callback-config
    hand_off:
      - ${gateway.hand_off}
      - ${github_target.hand_off}
      - ${sessions.hand_off}
"""


def with_hosted_callback(text: str) -> str:
    """The shipped stack without its Runtime part, with the hosted callback and its URL as the return URL."""
    stack = without_runtime(text).replace("${var.callback_url}", "${callback_link.url}oauth/callback")
    return stack.replace("arn:aws:dynamodb:us-east-1:123456789012:table/github-mcp-sessions", "${sessions.arn}") + (
        CALLBACK_PART
    )
