"""What may reach a terminal: text from AWS or a user with its control characters escaped, and every secret
redacted. A lock holder's name, a resource's tag or a stack file's key can hold escape sequences (`ESC ]0;…
BEL` retitles the window, others move the cursor or hide what follows); printed raw, they would forge or hide
the output. Callers: the renderers, diagnostics, the errors and progress lines of the command line."""

from __future__ import annotations

import unicodedata

from reconciler.secrets import redact

NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` redacted, with control and format characters (C0, C1, DEL, bidi overrides) as escapes;
    newlines kept when `newlines`."""
    text = redact(text)
    if text.isprintable() and "\x1b" not in text:
        return text
    return "".join(_escaped(ch, newlines) for ch in text)


def _escaped(ch: str, newlines: bool) -> str:
    if ch == "\n" and newlines:
        return ch
    if ch in NAMED:
        return NAMED[ch]
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
    return ch
