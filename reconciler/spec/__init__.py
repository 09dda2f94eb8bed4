"""Desired state: `stack.yaml` parsed with line numbers, interpolated, validated by pydantic."""
