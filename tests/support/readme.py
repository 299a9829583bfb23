"""The README's code blocks, read the way tests/e2e/test_readme.py runs them (the convention is told there).

- A section is the text under a ``## `` heading, up to the next one (its ``###`` subsections included).
- A block is the text between two fences (a line starting with three backticks; the word after the opening
  fence is its language).
- A block is the content of a file when the paragraph before it starts with that file's name in backticks
  (`` `requirements.txt` (a path or a git URL...):``, `` `__main__.py`: ``).
- A shell or Python block that is not a file runs, unless the paragraph right before it is an HTML comment
  ``<!-- not run: <why> -->`` (invisible once rendered).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .pulumi_stack import REPO

__all__ = ["README", "Block", "blocks", "file_block", "section"]

README = REPO / "README.md"

SHELL = frozenset({"bash", "sh", "shell"})
_FILE_NAME = re.compile(r"^`([\w.-]+\.\w+)`")
_NOT_RUN = re.compile(r"^<!--\s*not run:\s*(\S.*?)\s*-->$")


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    #: Where the opening fence is (1-based line of README.md), to name the block in a failure.
    line: int
    #: The file this block is the content of, or "".
    file: str
    #: Why it is shown but not run (from ``<!-- not run: ... -->``), or "".
    not_run: str

    @property
    def runs(self) -> bool:
        return not self.file and not self.not_run and (self.language in SHELL or self.language == "python")


def section(heading: str, readme: Path = README) -> tuple[str, int]:
    """The text of the ``## heading`` section and the README line its first line is on."""
    lines = readme.read_text().splitlines()
    try:
        start = lines.index(f"## {heading}") + 1
    except ValueError:
        raise LookupError(f"README.md has no section '## {heading}'") from None
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]), start + 1


def blocks(text: str, first_line: int = 1) -> list[Block]:
    """The fenced blocks of ``text`` (a section), in order."""
    found: list[Block] = []
    lines = text.splitlines()
    paragraph: list[str] = []  # the last paragraph before the line read (blank lines end one, not clear it)
    after_blank = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("```"):
            if line.strip():
                paragraph = [line] if after_blank or not paragraph else [*paragraph, line]
            after_blank = not line.strip()
            index += 1
            continue
        closing = next((i for i in range(index + 1, len(lines)) if lines[i].startswith("```")), None)
        if closing is None:
            raise ValueError(f"README.md line {first_line + index}: a code block is never closed")
        lead = paragraph[0].strip() if paragraph else ""
        file = match.group(1) if (match := _FILE_NAME.match(lead)) else ""
        not_run = match.group(1) if (match := _NOT_RUN.match(paragraph[-1].strip() if paragraph else "")) else ""
        body = lines[index + 1 : closing]
        found.append(Block(line[3:].strip().split(" ")[0], "\n".join(body) + "\n", first_line + index, file, not_run))
        paragraph, after_blank = [], False
        index = closing + 1
    return found


def file_block(heading: str, name: str) -> str:
    """The content the README gives for file ``name`` in section ``heading``."""
    text, first_line = section(heading)
    for block in blocks(text, first_line):
        if block.file == name:
            return block.text
    raise LookupError(f"README.md section '## {heading}' gives no block for `{name}`")
