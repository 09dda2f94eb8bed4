"""Renderers (Terraform's command/views): `document` builds the one versioned machine form of a
plan (`plan --json`); `text` renders people's view from that document only, so they cannot disagree."""

from reconciler.rendering.document import FORMAT_VERSION, format_json, plan_document
from reconciler.rendering.markdown import format_markdown
from reconciler.rendering.text import format_text

__all__ = ["FORMAT_VERSION", "format_json", "format_markdown", "format_text", "plan_document"]
