"""The bench runs a large stack as the README recommends: checkpoints skipped from LARGE_STACK_RESOURCES on."""

from __future__ import annotations

from bench.plan import LARGE_STACK_RESOURCES, SIZES
from bench.run import parse_args, variants


def checkpoints_skipped(*argv: str) -> dict[str, list[bool]]:
    runs: dict[str, list[bool]] = {}
    for variant in variants(parse_args(list(argv))):
        runs.setdefault(variant.size.name, []).append(variant.skip_checkpoints)
    return runs


def test_by_default_only_sizes_from_the_large_stack_threshold_skip_checkpoints() -> None:
    runs = checkpoints_skipped("--sizes", "small,large,large-305,xlarge", "--no-markdown")
    assert runs == {"small": [False], "large": [False], "large-305": [True], "xlarge": [True]}
    assert SIZES["large"].resources < LARGE_STACK_RESOURCES <= SIZES["large-305"].resources


def test_an_explicit_setting_applies_to_every_size() -> None:
    assert checkpoints_skipped("--sizes", "small,xlarge", "--checkpoints", "on", "--no-markdown") == {
        "small": [False],
        "xlarge": [False],
    }
    assert checkpoints_skipped("--sizes", "small", "--checkpoints", "both", "--no-markdown") == {"small": [False, True]}


def test_the_other_client_runs_follow_the_same_setting() -> None:
    argv = ("--sizes", "small,xlarge", "--other-client", "0.3", "--other-client-only", "--no-markdown")
    assert checkpoints_skipped(*argv) == {"small": [False], "xlarge": [True]}
