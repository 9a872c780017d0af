"""Neutralise untrusted text before it reaches a terminal: the one sanitiser.

Logs come from other teams, so every string is untrusted: control characters,
escape sequences and bidirectional overrides are replaced by a visible escape
(``\\x1b``) so that they can be read but never act on the terminal.
"""

from __future__ import annotations

import re

# C0 controls (but tab and newline, handled below), DEL, C1 controls, and the
# Unicode format characters that reorder or hide text.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)
_LINE_BREAKS = re.compile("[\t\n]")
# The same characters in UTF-8 but C0 (JSON escapes those): one pattern per fixed lead,
# each looked for only where its lead is found (at the speed of a plain search).
_UNSAFE_UTF8 = [(lead, re.compile(lead + rest)) for lead, rest in (
    (b"\x7f", b""), (b"\xc2", rb"[\x80-\x9f]"), (b"\xe2\x80", rb"[\x8b-\x8f\xa8-\xae]"),
    (b"\xe2\x81", rb"[\xa0-\xa9]"), (b"\xef\xbb\xbf", b""),
)]  # fmt: skip


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def clean(text: str, *, multiline: bool = False, drop: bool = False) -> str:
    """Return ``text`` safe to print: controls made visible, one line unless ``multiline``.

    ``drop``: leave the controls out instead (to echo a short piece of input in a message).
    """
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return _UNSAFE.sub("" if drop else _escape, text)


def clean_json(text: str) -> str:
    """JSON ``text`` with every terminal-active character written as JSON's ``\\u`` escape.

    JSON writes C0 controls inside strings as escapes already; the rest would reach a
    terminal raw.
    """
    return _UNSAFE.sub(_json_escape, text)


def clean_json_bytes(data: bytes) -> bytes:
    """:func:`clean_json` for JSON as UTF-8 bytes; fast when there is nothing to escape."""
    if any(lead in data and pattern.search(data) for lead, pattern in _UNSAFE_UTF8):
        return clean_json(data.decode()).encode()
    return data
