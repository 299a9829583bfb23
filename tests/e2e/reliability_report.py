"""The table of docs/reliability.md: run the fault suite (the real engine against the emulator) and print it.

    .venv/bin/python -m tests.e2e.reliability_report [--write docs/reliability.md] [pytest args]   # e.g. -k mixed

Per scenario and command: the API calls served, the faults that fired, the retries seen in the request log, the
most attempts one call made, and the wall time. Each measured run of tests/e2e/test_reliability_faults.py attaches
its row to its test's report (``user_properties``, pytest's own way for a test to hand data to a plugin); the
plugin here collects the rows in the order the runs happened. A plain ``pytest`` run of the suite ignores them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from cfmtls_provider.generated_section import replace_generated_section

__all__ = ["ROW", "RowCollector", "main", "table"]

#: The name under which a measured run's row travels in ``user_properties``.
ROW = "reliability_row"
SUITE = Path(__file__).with_name("test_reliability_faults.py")
COLUMNS = ("requests", "faults_fired", "retries", "max_attempts", "seconds")
MARK_START = "<!-- reliability:table:start (written by python -m tests.e2e.reliability_report --write) -->"
MARK_END = "<!-- reliability:table:end -->"


class RowCollector:
    """A pytest plugin: the rows of every test of the run, in order (failed tests' rows included)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":  # the last report of a test carries every row it recorded
            self.rows.extend(cast("dict[str, Any]", value) for name, value in report.user_properties if name == ROW)


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The Markdown table of docs/reliability.md, with a total line."""
    lines = [
        "| scenario: command | API calls | faults fired | retries | max attempts / call | seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join([str(row["scenario"])] + [str(row[key]) for key in COLUMNS]) + " |" for row in rows]
    most = max((row["max_attempts"] for row in rows), default=0)
    totals = [sum(row[key] for row in rows) for key in ("requests", "faults_fired", "retries")]
    seconds = round(sum(row["seconds"] for row in rows), 1)
    lines.append(f"| **total: {len(rows)} runs** | {' | '.join(map(str, totals))} | {most} | {seconds} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite with extra pytest arguments, print the table (and, with ``--write``, put it between the
    document's markers when the whole suite ran and passed); the exit code is pytest's."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.reliability_report", description=__doc__)
    parser.add_argument("--write", type=Path, help="the document whose generated table to replace")
    args, pytest_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.write is not None and pytest_args:
        parser.error("--write replaces the whole table: run the whole suite (no pytest arguments)")
    collector = RowCollector()
    started = time.monotonic()
    code = pytest.main(["-q", str(SUITE), *pytest_args], plugins=[collector])
    print()
    print(table(collector.rows))
    print(f"\nsuite wall time: {round(time.monotonic() - started)} s")
    if args.write is not None and code == pytest.ExitCode.OK:
        document = args.write.read_text(encoding="utf-8")
        args.write.write_text(replace_generated_section(document, MARK_START, MARK_END, table(collector.rows)))
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
