"""Regular expressions of ``matches``: Cloudflare runs them with Rust's ``regex`` crate; we evaluate the
part of that syntax whose meaning Python's ``re`` shares, translated, and refuse to guess beyond it.

Source: https://developers.cloudflare.com/ruleset-engine/rules-language/operators/#comparison-operators
("Regular expression matching is performed using the Rust regular expression engine") and the syntax of
https://docs.rs/regex/latest/regex/#syntax. Errors Rust reports for sure (an unclosed group or class, a
repetition with nothing to repeat, a backreference, look-around, ``\\Z``) are syntax errors; constructs whose
meaning differs or is unsure (Unicode classes ``\\d \\w \\s \\b``, flags ``(?i)``, named groups, set operations
in classes) are "cannot evaluate".
"""

from __future__ import annotations

import re

from .errors import CannotEvaluate, ExpressionSyntaxError

__all__ = ["translate"]

_COUNT = re.compile(r"\{(\d+)(,(\d*))?\}")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_SIMPLE_ESCAPES = {"n": r"\n", "t": r"\t", "r": r"\r"}
_REJECTED_ESCAPES = {"Z", "e"}


def _bad(pattern: str, reason: str) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(
        f"regular expression {pattern!r}: {reason} (Cloudflare's Rust regex engine rejects it)"
    )


def _unsure(pattern: str, reason: str) -> CannotEvaluate:
    return CannotEvaluate(f"regular expression {pattern!r}: {reason} is outside the regex syntax we evaluate")


class _Translator:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.out: list[str] = []

    def escape(self, in_class: bool) -> str:
        """Translate the escape at ``pos`` (just past the backslash)."""
        pattern, pos = self.pattern, self.pos
        if pos >= len(pattern):
            raise _bad(pattern, "it ends with a lone backslash")
        char = pattern[pos]
        self.pos += 1
        if char.isascii() and not char.isalnum() and char not in "<>":
            return re.escape(char)
        if char in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[char]
        if char == "x" and _HEX2.fullmatch(pattern, pos + 1, pos + 3):
            self.pos += 2
            return "\\x" + pattern[pos + 1 : pos + 3]
        if char.isdigit():
            raise _bad(pattern, "backreferences are not supported")
        if char in _REJECTED_ESCAPES:
            raise _bad(pattern, f"the escape \\{char} is not recognised")
        if not in_class and char == "A":
            return r"\A"
        if not in_class and char == "z":
            return r"\Z"
        raise _unsure(pattern, f"the escape \\{char}")

    def char_class(self) -> str:
        """Translate ``[...]`` starting just past the ``[``."""
        pattern = self.pattern
        parts = ["["]
        if pattern.startswith("^", self.pos):
            parts.append("^")
            self.pos += 1
        first = True
        previous: str | None = None
        while True:
            if self.pos >= len(pattern):
                raise _bad(pattern, "a character class is not closed")
            char = pattern[self.pos]
            if char == "]" and not first:
                self.pos += 1
                parts.append("]")
                return "".join(parts)
            first = False
            if char == "[":
                raise _unsure(pattern, "a nested or POSIX character class")
            if pattern.startswith(("&&", "--", "~~"), self.pos):
                raise _unsure(pattern, "a character class set operation")
            self.pos += 1
            if char == "\\":
                parts.append(self.escape(in_class=True))
                previous = None
                continue
            if char == "-" and previous is not None and self.pos < len(pattern) and pattern[self.pos] not in "]\\[":
                end = pattern[self.pos]
                if end < previous:
                    raise _bad(pattern, f"the class range {previous}-{end} is reversed")
                self.pos += 1
                parts.append("-" + re.escape(end))
                previous = None
                continue
            parts.append(re.escape(char))
            previous = char

    def run(self) -> str:
        pattern = self.pattern
        depth = 0
        can_repeat = False
        while self.pos < len(pattern):
            char = pattern[self.pos]
            self.pos += 1
            if char == "\\":
                self.out.append(self.escape(in_class=False))
                can_repeat = True
            elif char == "[":
                self.out.append(self.char_class())
                can_repeat = True
            elif char == "(":
                if pattern.startswith("?:", self.pos):
                    self.pos += 2
                    self.out.append("(?:")
                elif pattern.startswith(("?=", "?!", "?<=", "?<!"), self.pos):
                    raise _bad(pattern, "look-around is not supported")
                elif pattern.startswith("?", self.pos):
                    raise _unsure(pattern, "a group with flags or a name")
                else:
                    self.out.append("(")
                depth += 1
                can_repeat = False
            elif char == ")":
                if depth == 0:
                    raise _bad(pattern, "a ')' closes no group")
                depth -= 1
                self.out.append(")")
                can_repeat = True
            elif char in "*+?{":
                self.repetition(char, can_repeat)
                can_repeat = False
            elif char == "|":
                self.out.append("|")
                can_repeat = False
            elif char == "$":
                self.out.append(r"\Z")
                can_repeat = True
            elif char in "^.":
                self.out.append(char)
                can_repeat = True
            else:
                self.out.append(re.escape(char))
                can_repeat = True
        if depth:
            raise _bad(pattern, "a group is not closed")
        return "".join(self.out)

    def repetition(self, char: str, can_repeat: bool) -> None:
        pattern = self.pattern
        if char == "{":
            match = _COUNT.match(pattern, self.pos - 1)
            if match is None:
                raise _bad(pattern, "a counted repetition {n}, {n,} or {n,m} is malformed")
            low, high = int(match.group(1)), match.group(3)
            if high and int(high) < low:
                raise _bad(pattern, "a counted repetition's range is reversed")
            self.pos = match.end()
            text = match.group(0)
        else:
            text = char
        if not can_repeat:
            previous = self.out[-1] if self.out else ""
            if previous and previous[-1] in "*+?}" and not previous.endswith("\\}"):
                raise _unsure(pattern, "a repeated repetition")
            raise _bad(pattern, "a repetition operator has nothing to repeat")
        if pattern.startswith("?", self.pos):
            self.pos += 1
            text += "?"
        self.out.append(text)


def translate(pattern: str) -> re.Pattern[str]:
    """The Python regex that means what ``pattern`` means to Cloudflare (searched, not anchored)."""
    python = _Translator(pattern).run()
    try:
        return re.compile(python)
    except re.error as error:
        raise _unsure(pattern, f"a construct Python reads differently ({error})") from None
