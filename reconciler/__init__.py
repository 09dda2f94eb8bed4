"""Declarative reconciler for the AgentCore GitHub MCP stack.

Layers (imports flow one way, top to bottom):

    cli            parse, call the engine, render, pick the exit code
    engine         load spec -> clients -> read live state -> plan
    applying       walk the dependency graph, run kind operations, collect outcomes
    planning       pure: (desired, live) -> Plan            plan: frozen data
    reading        live state via the kinds                 rendering: text/JSON over one document
    kinds/         one module per resource kind; the only code that calls AWS
    spec/          stack.yaml -> validated Stack, with Diagnostics (file, line, key)
"""
