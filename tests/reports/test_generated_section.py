"""The one helper that rewrites the generated part of a document (docs/emulator.md, docs/benchmarks.md)."""

from __future__ import annotations

from cfmtls_provider.generated_section import replace_generated_section

BEGIN, END = "<!-- gen:begin -->", "<!-- gen:end -->"


def test_the_section_between_the_markers_is_replaced_and_the_prose_kept() -> None:
    document = f"# Title\n\nprose before\n\n{BEGIN}\nold table\n{END}\n\nprose after\n"
    assert replace_generated_section(document, BEGIN, END, "new table") == (
        f"# Title\n\nprose before\n\n{BEGIN}\nnew table\n{END}\n\nprose after\n"
    )


def test_without_markers_the_section_is_appended_once() -> None:
    once = replace_generated_section("# Title\n\nprose\n", BEGIN, END, "table")
    assert once == f"# Title\n\nprose\n\n{BEGIN}\ntable\n{END}\n"
    assert replace_generated_section(once, BEGIN, END, "table") == once
