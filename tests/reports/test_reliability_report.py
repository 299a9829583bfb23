"""The reliability report's plugin and table (the suite itself runs in tests/e2e/test_reliability_faults.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from tests.e2e.reliability_report import MARK_END, MARK_START, ROW, RowCollector, main, table

Phase = Literal["setup", "call", "teardown"]


def report(nodeid: str, when: Phase, properties: list[tuple[str, object]]) -> pytest.TestReport:
    return pytest.TestReport(nodeid, ("x.py", 1, nodeid), {}, "passed", None, when, user_properties=properties)


def row(scenario: str, requests: int, max_attempts: int, seconds: float) -> dict[str, object]:
    return {
        "scenario": scenario,
        "requests": requests,
        "faults_fired": 2,
        "retries": 1,
        "max_attempts": max_attempts,
        "seconds": seconds,
    }


def test_rows_are_collected_once_per_test_in_run_order_and_other_properties_ignored() -> None:
    collector = RowCollector()
    up, destroy, other = row("a: up", 17, 2, 8.9), row("a: destroy", 12, 3, 3.3), row("b: up", 5, 1, 1.0)
    phases: tuple[Phase, ...] = ("setup", "call", "teardown")
    for when in phases:  # every phase's report carries the properties recorded so far
        collector.pytest_runtest_logreport(report("t::a", when, [(ROW, up), (ROW, destroy)]))
    collector.pytest_runtest_logreport(report("t::b", "teardown", [(ROW, other), ("something", 1)]))
    assert collector.rows == [up, destroy, other]


def test_table_has_a_line_per_run_and_a_total() -> None:
    lines = table([row("a: up", 17, 2, 8.9), row("a: destroy", 12, 3, 3.3)]).splitlines()
    assert lines[0].startswith("| scenario: command | API calls |")
    assert lines[2] == "| a: up | 17 | 2 | 1 | 2 | 8.9 |"
    assert lines[-1] == "| **total: 2 runs** | 29 | 4 | 2 | 3 | 12.2 |"


def test_write_replaces_the_table_between_the_documents_markers_after_a_green_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "reliability.md"
    document.write_text(f"# Reliability\n\n{MARK_START}\n| old |\n{MARK_END}\n\nProse stays.\n")
    runs = [row("a: up", 17, 2, 8.9)]

    def suite(args: list[str], plugins: list[RowCollector]) -> pytest.ExitCode:
        assert args[-1].endswith("test_reliability_faults.py")
        plugins[0].pytest_runtest_logreport(report("t::a", "teardown", [(ROW, run) for run in runs]))
        return pytest.ExitCode.OK

    monkeypatch.setattr(pytest, "main", suite)
    assert main(["--write", str(document)]) == 0
    assert document.read_text() == f"# Reliability\n\n{MARK_START}\n{table(runs)}\n{MARK_END}\n\nProse stays.\n"
    assert table(runs) in capsys.readouterr().out

    with pytest.raises(SystemExit):  # a narrowed run would replace the whole table with part of it
        main(["--write", str(document), "-k", "mixed"])
