"""What `pulumi preview --diff` of a CA rotation shows for the MTLSCertificate, as a user reads it.

The engine shows a replacement's new state as the provider's checked inputs (a dynamic provider cannot preview a
create), so a state key the check leaves out reads as removed (``- on_rename: "refuse"``). The check gives every
key it can know. The two Cloudflare assigns at the upload (``certificate_id``, ``uploaded_on``) cannot be marked
unknown: Check has no preview flag, and outside a preview the engine rejects unknowns in its answer (Pulumi
v3.274.1: ``AllowUnknowns: sg.deployment.opts.DryRun`` in pkg/resource/deploy/step_generator.go, and
``RejectUnknowns: !req.AllowUnknowns`` in sdk/go/common/resource/plugin/provider_plugin.go). The README's rotation
section tells the user how to read those two lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .harness import Stack, write_ca

pytestmark = pytest.mark.e2e

#: Outputs only Cloudflare's answer to the upload gives: shown as removed in a replacement's preview.
ASSIGNED_AT_UPLOAD = {"certificate_id", "uploaded_on"}


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
    assert shown_as(block, "-") == ASSIGNED_AT_UPLOAD, "\n".join(block)
    assert {"certificates", "subject_key_identifier", "fingerprint_sha256"} <= shown_as(block, "~"), "\n".join(block)
    unchanged = {m.group(1) for line in block if (m := re.match(r"^\s{6,}(\w+)\s*:", line))}
    assert {"adopt_existing", "on_rename", "name", "account_id"} <= unchanged, "\n".join(block)
