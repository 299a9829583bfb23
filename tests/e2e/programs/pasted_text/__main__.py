"""Issue 22's printing cases (tests/e2e/test_engine_key_material.py): whatever text sits in ``pemPath`` becomes
``certificates``, as a plain string (the constructor sees it) or, with ``viaOutput``, through an Output (only
the provider's check sees it)."""

from pathlib import Path

import pulumi

from cfmtls_provider import MTLSCertificate

config = pulumi.Config()
text = Path(config.require("pemPath")).read_text()
certificates = pulumi.Output.from_input(text).apply(str) if config.get_bool("viaOutput") else text
MTLSCertificate("pasted", certificates=certificates, name="pasted")
