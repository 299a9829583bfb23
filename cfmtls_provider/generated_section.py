"""One way to keep a generated part of a hand-written document current: replace what lies between two markers.

Used by ``python -m cfmtls_provider.emulator.assumptions --write docs/emulator.md`` and by the benchmark's
report (``python -m bench.run``), so a document can hold both prose and tables a program writes.
"""

from __future__ import annotations

__all__ = ["replace_generated_section"]


def replace_generated_section(document: str, begin: str, end: str, body: str) -> str:
    """``document`` with the text from marker ``begin`` to marker ``end`` (both kept) replaced by ``body``.

    Without the markers the section is appended, after one blank line. The rest of the document is left alone.
    """
    section = f"{begin}\n{body}\n{end}"
    start = document.find(begin)
    stop = document.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        return document.rstrip("\n") + "\n\n" + section + "\n"
    return document[:start] + section + document[stop + len(end) :]
