"""Declarative reconciler for the AgentCore GitHub MCP stack.

Layers (imports flow one way, top to bottom; `lint-imports` enforces them, see pyproject.toml):

    cli                      the commands: parse, call the engine, render, pick the exit code
    command_line             errors for people, exit codes, options
    engine · rendering · client_config · locking
                             snapshot (spec + live state) and plans · text/JSON/markdown over one
                             document · MCP client configs · the stack's SSM lock
    applying · handing_off · saved_plan
                             one graph walk over a plan · config.json from the kinds · plan files
    ordering · planning · drifting
                             pure: the apply graph · (desired, live) -> Plan · drift since the last apply
    reading · diffing        live state via the kinds (in parallel) · DeepDiff reports of a change
    plan                     frozen data
    stack                    stack.yaml -> validated Stack, with Diagnostics (file, line, key)
    kinds/                   one module per resource kind; the only code that calls AWS
    spec/ · packaging/       expressions, YAML with lines (hostile input bounded), OpenAPI checks ·
                             the server's code artifact for AgentCore Runtime (reproducible zip, cached)
    aws · diagnostics · secrets
"""
