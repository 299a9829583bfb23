"""What `pulumi preview --diff` of a CA rotation shows for the MTLSCertificate, as a user reads it.

The engine shows a replacement's new state as the provider's checked inputs (a dynamic provider cannot preview a
create), so a state key the check leaves out reads as removed (``- on_rename: "refuse"``). The check gives every
key it can know, and the resource registers what only the upload assigns (``certificate_id``, ``uploaded_on``,
``revision``) as unknown when the program runs for a preview (``pulumi.runtime.is_dry_run()``): Check itself has no
preview flag, and outside a preview the engine rejects unknowns (Pulumi v3.274.1: ``AllowUnknowns:
sg.deployment.opts.DryRun`` in pkg/resource/deploy/step_generator.go, ``RejectUnknowns: !req.AllowUnknowns`` in
sdk/go/common/resource/plugin/provider_plugin.go). So nothing reads as removed, and the association's update reads
as an update of what changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .harness import Stack, write_ca

pytestmark = pytest.mark.e2e

#: Outputs only the upload gives: shown as changing to [unknown] in a replacement's preview.
ASSIGNED_AT_UPLOAD = {"certificate_id", "uploaded_on", "revision"}


def resource_block(preview: str, type_name: str) -> list[str]:
    """The lines of one resource's entry in `pulumi preview --diff` output."""
    lines = preview.splitlines()
    start = next(i for i, line in enumerate(lines) if f"cfmtls:{type_name}:" in line)
    indent = len(lines[start]) - len(lines[start].lstrip(" +-~"))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if len(line) - len(line.lstrip(" +-~")) <= indent:
            break
        block.append(line)
    return block


def shown_as(block: list[str], sign: str) -> set[str]:
    return {m.group(1) for line in block if (m := re.match(rf"^\s*{re.escape(sign)} (\w+)\s*:", line))}


def test_a_rotation_preview_lists_no_input_of_the_ca_as_removed(tmp_path: Path, stack: Stack) -> None:
    stack.configure_example(write_ca(tmp_path, "first-ca"), ["api.example.com"])
    stack.up()
    stack.config("caPemPath", str(write_ca(tmp_path, "second-ca")))

    plan = stack.preview().stdout
    block = resource_block(plan, "MTLSCertificate")

    assert "(replace)" in block[0], plan
    assert shown_as(block, "-") == set(), "\n".join(block)
    changed = shown_as(block, "~")
    assert {"certificates", "subject_key_identifier", "fingerprint_sha256"} | ASSIGNED_AT_UPLOAD <= changed, block
    association = resource_block(plan, "HostnameAssociation")
    assert "(update)" in association[0] and shown_as(association, "-") == set(), "\n".join(association)
    unchanged = {m.group(1) for line in block if (m := re.match(r"^\s{6,}(\w+)\s*:", line))}
    assert {"adopt_existing", "on_rename", "name", "account_id"} <= unchanged, "\n".join(block)
