"""A CA and an association, and a chain of applies on the association's rule id: each step runs once the previous
one has, so every step after the first makes its Output while the program is ending (the SDK's wait for pending
outputs, replaced by cfmtls_provider/program_process.py). Each step writes a line to the journal file; with
config ``failAtStep`` that step raises. The journal's first line names the wait in force at the end of the body."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import stack as sdk_stack

from cfmtls_provider import HostnameAssociation, MTLSCertificate

config = pulumi.Config()
journal = Path(config.require("journal"))
fail_at = config.get_int("failAtStep") or 0
STEPS = 5

ca = MTLSCertificate("ca", certificates=Path(config.require("caPem")).read_text(), name="pending-outputs")
hosts = HostnameAssociation("hosts", zone_id=config.require("zoneId"), certificate=ca, hostnames=["api.example.com"])


def note(line: str) -> None:
    with journal.open("a") as file:
        file.write(line + "\n")


note(f"wait_for_rpcs from {sdk_stack.wait_for_rpcs.__module__}")


def step(number: int) -> Callable[[str], Any]:
    def run(value: str) -> Any:
        note(f"step {number} of {value}")
        if number == fail_at:
            raise RuntimeError(f"step {number} failed on purpose")
        return pulumi.Output.from_input(value).apply(step(number + 1)) if number < STEPS else value

    return run


hosts.rule_id.apply(step(1))
