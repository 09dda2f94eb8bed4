"""Declarative reconciler for the AgentCore GitHub MCP stack.

Layers (imports flow one way, top to bottom; `lint-imports` enforces them, see pyproject.toml; two forbidden
contracts add that plan/planning/ordering/diffing/drifting/rendering import no AWS SDK, reconciler.aws or
reconciler.reading even indirectly, and that no module outside kinds/ and aws imports the AWS SDK):

    cli                      the commands: parse, call the engine, render, pick the exit code
    command_line             errors for people, exit codes, options
    engine · rendering · client_config · locking
                             snapshot (spec + live state) and plans, the registry of kinds built once ·
                             text/JSON/markdown over one document · MCP client configs · the stack's lock
    applying · handing_off · saved_plan
                             one graph walk over a plan · config.json from the kinds · plan files
    ordering · planning · drifting
                             pure: the apply graph · (desired, live) -> Plan · drift since the last apply
    reading · diffing        live state via the kinds (in parallel) · DeepDiff reports of a change
    plan                     frozen data
    stack                    stack.yaml -> validated Stack, with Diagnostics (file, line, key)
    kinds/                   one module per resource kind (+ lock_parameter, the lock's SSM calls); the only
                             code that calls AWS; the registry (kinds.all_kinds) travels on Stack and Context
    spec/ · packaging/       expressions, YAML with lines (hostile input bounded), OpenAPI checks ·
                             the server's code artifact for AgentCore Runtime (reproducible zip, cached)
    aws · diagnostics · secrets · live · settings
                             clients (botocore on first use) · ... · what AWS holds, as data · the engine's waits
"""
