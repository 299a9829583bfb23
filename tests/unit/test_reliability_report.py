"""The reliability report's plugin and table (the suite itself runs in tests/e2e/test_reliability_faults.py)."""

from __future__ import annotations

from typing import Literal

import pytest

from tests.e2e.reliability_report import ROW, RowCollector, table

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
