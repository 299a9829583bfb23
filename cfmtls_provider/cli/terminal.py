"""Text for a terminal: what came from the API (a CA's name, a rule's description, Cloudflare's error messages)
may hold control characters that a terminal obeys (``\\x1b[2K\\x1b[1A`` erases and moves up a line, so a name can
hide or rewrite the lines printed before it). Rich escapes its markup, not those; :func:`printable` shows each such
character as an escape instead. JSON output needs none of this (``json.dumps`` escapes them, the values stay exact).
"""

from __future__ import annotations

import re

__all__ = ["printable"]

#: Besides the C0 and C1 controls (Unicode category Cc, matched below): the line and paragraph separators and
#: the bidirectional controls, which reorder what is shown ("Trojan Source", CVE-2021-42574).
_FORMAT_CONTROLS = "\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_FORMAT_CONTROLS}]")


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character a terminal would obey as a command shown as ``\\xNN`` / ``\\uNNNN``."""
    return _UNSAFE.sub(_escape, text)
